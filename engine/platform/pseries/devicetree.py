"""The flattened device tree of a pseries logical partition (docs/pseries.md, "The tree").

With no Open Firmware in the default boot, the tree is everything the kernel learns about the
machine: the CPUs, memory, the console, the interrupt controller, RTAS and its tokens, the
hypercall sets (``ibm,hypertas-functions``) and the option vector 5 that the client
architecture support negotiation would otherwise leave in ``/chosen``.

The blob is built with the ``fdt`` package (pure Python, from PyPI). libfdt's own binding,
pylibfdt, would be the first choice, but it ships no wheel: on a fresh machine it has to be
compiled (swig, a C compiler), so it does not install the way the rest of the project does.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import fdt

from engine.platform.pseries.rtas_tokens import BOOT_TOKENS, RTAS_TOKENS

# --- Fixed facts of the emulated CPU and platform ------------------------------------------------

TIMEBASE_FREQUENCY = 512_000_000  # as QEMU's pseries
CLOCK_FREQUENCY = 1_000_000_000
CPU_VERSION_POWER9 = 0x0F000005  # architected POWER9 (ISA 3.00), the cpu-version property
DEC_BITS = 56  # large decrementer (LPCR[LD])
SLB_SIZE = 32
CACHE_BLOCK = 128
L1_CACHE_SIZE = 0x8000

# ibm,pa-features for ISA 3.00, the POWER9 table QEMU advertises (68 bytes): a 2-byte header
# (66 attribute bytes follow, format 0), then pairs of (attribute bits, reserved) per feature
# group: MMU/FPU/SLB/RUN/DABR/NX and friends in bytes 0-5, radix, large decrementer, ... after.
PA_FEATURES_300 = struct.pack(
    ">17I",
    0x4200F63F, 0xC7C080F0, 0x80000000, 0x00000000, 0x00008000, 0x80008000,
    0x00008000, 0x80008000, 0x80008000, 0xC0008000, 0x80008000, 0x80008000,
    0x80008000, 0x80008000, 0x80008000, 0x80008000, 0x80000000,
)  # fmt: skip

# Radix page sizes the MMU supports, as AP encoding << 29 | log2(page size): 4K, 64K, 2M, 1G.
RADIX_AP_ENCODINGS = (0x0000000C, 0xA0000010, 0x20000015, 0x4000001E)

# Option vector 5 as client-architecture-support would leave it for a radix guest: byte 0 is
# the vector's length - 2 (27 bytes in all); byte 24 = 0x40 radix MMU; byte 26 = 0x40 radix
# GTSE. Without it the kernel falls back to the hash MMU, which ppcdbg does not emulate.
RADIX_VEC5 = bytes([0x19] + [0] * 23 + [0x40, 0x00, 0x40])
# The vector QEMU leaves in its pre-negotiation tree (the -bios contract): nothing chosen.
PRE_CAS_VEC5 = bytes([0x00, 0x00])

# ibm,hypertas-functions: the hypercall sets the kernel may use. term: the console pair;
# interrupt: XICS hcalls; splpar: VPA and cede; set-mode: H_SET_MODE (an LE kernel needs it
# for LE interrupt delivery).
DEFAULT_HYPERTAS = ("hcall-term", "hcall-interrupt", "hcall-splpar", "hcall-set-mode")

RTAS_RESERVE_ALIGN = 0x10000  # RTAS and initrd reservations are rounded up to 64 KiB
DEFAULT_RTAS_SIZE = 0x82C  # the rtas-size QEMU reports: room for the stub and an error log
RTAS_ERROR_LOG_MAX = 0x800
COMMAND_LINE_MAX = 2047  # Linux/powerpc COMMAND_LINE_SIZE is 2048 with the NUL
MAX_VCPUS = 1024
MIN_MEMORY = 0x1000_0000  # 256 MiB: the stock kernel needs its RMA and more


class TreeError(ValueError):
    """The configuration cannot make a tree a kernel could use (a clear, one-line reason)."""


@dataclass(frozen=True)
class TreeConfig:
    """What varies from one LPAR to the next. Addresses are guest real addresses."""

    vcpus: int = 1
    memory_size: int = 1 << 30
    bootargs: str = "console=hvc0"
    initrd_start: int | None = None
    initrd_size: int = 0
    # RTAS: None leaves linux,rtas-base/-entry out, as QEMU's pre-negotiation tree does.
    rtas_base: int | None = 0x2FFF0000
    rtas_size: int = DEFAULT_RTAS_SIZE
    rtas_tokens: Mapping[str, int] = field(
        default_factory=lambda: {n: RTAS_TOKENS[n] for n in BOOT_TOKENS}
    )
    hypertas: Sequence[str] = DEFAULT_HYPERTAS
    # The console: termno (the vty node's reg, passed to H_PUT/GET_TERM_CHAR) and its XICS
    # source number.
    vty_termno: int = 0x71000000
    vty_irq: int = 0x1100
    architecture_vec5: bytes = RADIX_VEC5
    # -bios contract: /chosen qemu,boot-kernel = <address size> names the kernel image.
    boot_kernel: tuple[int, int] | None = None
    boot_kernel_le: bool = False
    rng_seed: bytes | None = None  # 32 bytes to seed the kernel's crng at time 0
    # Further /memreserve/ entries (address, size), e.g. the kernel image in the -bios contract.
    extra_reserves: Sequence[tuple[int, int]] = ()
    # The initrd's /memreserve/ size is rounded up to this: 64 KiB in the direct boot, 1 (its
    # own size, as QEMU reserves it) in the -bios contract.
    initrd_reserve_align: int = RTAS_RESERVE_ALIGN


def _align_up(value: int, align: int) -> int:
    return (value + align - 1) & ~(align - 1)


def memory_reservations(cfg: TreeConfig) -> list[tuple[int, int]]:
    """The /memreserve/ entries, in address order: the initrd (rounded up to
    ``initrd_reserve_align``), the RTAS area rounded up to 64 KiB, and the extra ones. The
    tree blob itself needs none (the kernel reserves it)."""
    out = list(cfg.extra_reserves)
    if cfg.initrd_start is not None and cfg.initrd_size:
        out.append((cfg.initrd_start, _align_up(cfg.initrd_size, cfg.initrd_reserve_align)))
    if cfg.rtas_base is not None:
        out.append((cfg.rtas_base, _align_up(cfg.rtas_size, RTAS_RESERVE_ALIGN)))
    return sorted(out)


def validate(cfg: TreeConfig) -> None:
    """Raise TreeError when the configuration cannot describe a bootable LPAR."""
    if not 1 <= cfg.vcpus <= MAX_VCPUS:
        raise TreeError(f"vcpus must be between 1 and {MAX_VCPUS}, not {cfg.vcpus}")
    if cfg.memory_size < MIN_MEMORY or cfg.memory_size % RTAS_RESERVE_ALIGN:
        raise TreeError(
            f"memory size {cfg.memory_size:#x} must be a multiple of 64 KiB "
            f"and at least {MIN_MEMORY >> 20} MiB"
        )
    if len(cfg.bootargs.encode()) > COMMAND_LINE_MAX:
        raise TreeError(
            f"the command line is {len(cfg.bootargs.encode())} bytes, "
            f"the kernel takes at most {COMMAND_LINE_MAX}"
        )
    if "\0" in cfg.bootargs:
        raise TreeError("the command line must not contain a NUL byte")
    if cfg.initrd_start is not None:
        if cfg.initrd_size <= 0:
            raise TreeError("an initrd needs a size")
        if cfg.initrd_start < 0 or cfg.initrd_start + cfg.initrd_size > cfg.memory_size:
            raise TreeError(
                f"the initrd ({cfg.initrd_size:#x} bytes at {cfg.initrd_start:#x}) "
                f"does not fit in {cfg.memory_size:#x} bytes of memory"
            )
    if cfg.rtas_base is not None:
        end = cfg.rtas_base + _align_up(cfg.rtas_size, RTAS_RESERVE_ALIGN)
        if cfg.rtas_base % RTAS_RESERVE_ALIGN or end > min(cfg.memory_size, 1 << 32):
            raise TreeError(
                f"the RTAS area at {cfg.rtas_base:#x} must be 64 KiB aligned, "
                "inside memory and below 4 GiB (RTAS runs in 32-bit mode)"
            )
    regions = memory_reservations(cfg)
    for (a, asz), (b, _) in zip(regions, regions[1:], strict=False):
        if a + asz > b:
            raise TreeError(f"reserved regions overlap: {a:#x}+{asz:#x} and {b:#x}")
    if cfg.rng_seed is not None and len(cfg.rng_seed) % 4:
        raise TreeError("rng-seed must be a whole number of 32-bit words")
    for name, token in cfg.rtas_tokens.items():
        if not 0 <= token < 1 << 32:
            raise TreeError(f"RTAS token {name} = {token:#x} is not a 32-bit value")


def _words(*values: int) -> list[int]:
    return [v & 0xFFFFFFFF for v in values]


def _cells64(value: int) -> list[int]:
    return [(value >> 32) & 0xFFFFFFFF, value & 0xFFFFFFFF]


def _prop(node: fdt.Node, name: str, value: int | Sequence[int] | str | bytes | None) -> None:
    """Append a property: an int or int sequence as 32-bit cells, a str as a string, bytes as
    they are, None as an empty (boolean) property."""
    prop: fdt.Property
    if value is None:
        prop = fdt.Property(name)
    elif isinstance(value, str):
        prop = fdt.PropStrings(name, value)
    elif isinstance(value, bytes):
        prop = fdt.PropBytes(name, data=value)
    elif isinstance(value, int):
        prop = fdt.PropWords(name, *_words(value))
    else:
        prop = fdt.PropWords(name, *_words(*value))
    node.append(prop)


def _node(parent: fdt.Node, name: str) -> fdt.Node:
    node = fdt.Node(name)
    parent.append(node)
    return node


def vty_path(cfg: TreeConfig) -> str:
    return f"/vdevice/vty@{cfg.vty_termno:x}"


def build_tree(cfg: TreeConfig) -> fdt.FDT:
    """The tree as an ``fdt.FDT`` object (validated first)."""
    validate(cfg)
    reserves = [{"address": a, "size": s} for a, s in memory_reservations(cfg)]
    tree = fdt.FDT(entries=reserves)
    tree.header.version = 17
    tree.header.boot_cpuid_phys = 0
    root = tree.root
    _prop(root, "#address-cells", 2)
    _prop(root, "#size-cells", 2)
    _prop(root, "compatible", "qemu,pseries")
    _prop(root, "model", "IBM pSeries (emulated by qemu)")
    _prop(root, "device_type", "chrp")

    chosen = _node(root, "chosen")
    _prop(chosen, "bootargs", cfg.bootargs)
    if cfg.initrd_start is not None:
        # 32-bit cells, as QEMU writes them; the kernel accepts one or two cells.
        _prop(chosen, "linux,initrd-start", cfg.initrd_start)
        _prop(chosen, "linux,initrd-end", cfg.initrd_start + cfg.initrd_size)
    _prop(chosen, "linux,stdout-path", vty_path(cfg))
    _prop(chosen, "stdout-path", vty_path(cfg))
    _prop(chosen, "ibm,architecture-vec-5", cfg.architecture_vec5)
    if cfg.boot_kernel is not None:
        addr, size = cfg.boot_kernel
        _prop(chosen, "qemu,boot-kernel", _cells64(addr) + _cells64(size))
        if cfg.boot_kernel_le:
            _prop(chosen, "qemu,boot-kernel-le", None)
    if cfg.rng_seed is not None:
        _prop(chosen, "rng-seed", list(struct.unpack(f">{len(cfg.rng_seed) // 4}I", cfg.rng_seed)))

    rtas = _node(root, "rtas")
    if cfg.rtas_base is not None:
        _prop(rtas, "linux,rtas-base", cfg.rtas_base)
        _prop(rtas, "linux,rtas-entry", cfg.rtas_base)
    _prop(rtas, "rtas-size", cfg.rtas_size)
    for name, token in cfg.rtas_tokens.items():
        _prop(rtas, name, token)
    if "ibm,os-term" in cfg.rtas_tokens:
        # ibm,os-term returns (the OS then powers off or reboots itself).
        _prop(rtas, "ibm,extended-os-term", None)
    _prop(rtas, "rtas-event-scan-rate", 1)
    _prop(rtas, "rtas-error-log-max", RTAS_ERROR_LOG_MAX)
    if cfg.hypertas:
        rtas.append(fdt.PropStrings("ibm,hypertas-functions", *cfg.hypertas))

    cpus = _node(root, "cpus")
    _prop(cpus, "#address-cells", 1)
    _prop(cpus, "#size-cells", 0)
    for n in range(cfg.vcpus):
        # One thread per core: node @n, reg n, interrupt server n.
        cpu = _node(cpus, f"PowerPC,POWER9@{n:x}")
        _prop(cpu, "device_type", "cpu")
        _prop(cpu, "reg", n)
        _prop(cpu, "status", "okay")
        _prop(cpu, "64-bit", None)
        _prop(cpu, "cpu-version", CPU_VERSION_POWER9)
        _prop(cpu, "ibm,ppc-interrupt-server#s", n)
        _prop(cpu, "ibm,pa-features", PA_FEATURES_300)
        _prop(cpu, "ibm,processor-radix-AP-encodings", RADIX_AP_ENCODINGS)
        _prop(cpu, "ibm,vmx", 2)  # VMX and VSX: userspace (glibc) needs VSX
        _prop(cpu, "ibm,dfp", 1)
        _prop(cpu, "ibm,purr", 1)
        _prop(cpu, "ibm,spurr", 1)
        _prop(cpu, "ibm,dec-bits", DEC_BITS)
        _prop(cpu, "timebase-frequency", TIMEBASE_FREQUENCY)
        _prop(cpu, "clock-frequency", CLOCK_FREQUENCY)
        for kind in ("d", "i"):
            _prop(cpu, f"{kind}-cache-block-size", CACHE_BLOCK)
            _prop(cpu, f"{kind}-cache-line-size", CACHE_BLOCK)
        _prop(cpu, "d-cache-size", L1_CACHE_SIZE)
        _prop(cpu, "i-cache-size", L1_CACHE_SIZE)
        _prop(cpu, "ibm,slb-size", SLB_SIZE)

    memory = _node(root, "memory@0")
    _prop(memory, "device_type", "memory")
    _prop(memory, "reg", _cells64(0) + _cells64(cfg.memory_size))

    vdevice = _node(root, "vdevice")
    _prop(vdevice, "device_type", "vdevice")
    _prop(vdevice, "compatible", "IBM,vdevice")
    _prop(vdevice, "#address-cells", 1)
    _prop(vdevice, "#size-cells", 0)
    _prop(vdevice, "interrupt-controller", None)
    _prop(vdevice, "#interrupt-cells", 2)
    vty = _node(vdevice, f"vty@{cfg.vty_termno:x}")
    _prop(vty, "device_type", "serial")
    _prop(vty, "compatible", "hvterm1")
    _prop(vty, "reg", cfg.vty_termno)
    _prop(vty, "interrupts", (cfg.vty_irq, 0))  # source number, level-sensitive flag 0

    icp = _node(root, "interrupt-controller")
    _prop(icp, "device_type", "PowerPC-External-Interrupt-Presentation")
    _prop(icp, "compatible", "IBM,ppc-xicp")
    _prop(icp, "interrupt-controller", None)
    _prop(icp, "#interrupt-cells", 2)
    _prop(icp, "ibm,interrupt-server-ranges", (0, cfg.vcpus))
    return tree


def build_dtb(cfg: TreeConfig) -> bytes:
    """The flattened tree (FDT version 17), ready to copy into guest memory."""
    return bytes(build_tree(cfg).to_dtb())
