"""The pseries boots: a kernel ELF, an initrd, a command line (and a firmware image) become a
Machine.

The direct boot (the default; docs/pseries.md, "Memory layout and entry: the direct boot"),
guest real addresses:
the kernel's PT_LOAD segments by the low 28 bits of their physical addresses plus
``kernel_base`` (0, the default: the kernel need not copy itself down, which saves about 26 M
instructions; or 0x400000, where QEMU puts it); the
initrd 64 KiB aligned at least 64 KiB past the kernel's memory image; the device tree on the
next 64 KiB boundary; the RTAS stub on the 64 KiB boundary after the tree. vCPU 0 enters the
kernel at its physical entry with MSR = 0, r3 = the tree, r4 = r5 = 0; the others wait in the
stopped state for RTAS start-cpu.

The QEMU ``-bios`` contract (``bios`` given; docs/pseries.md, "the QEMU -bios contract"): the
raw firmware image at 0 (at most 4 MiB), the kernel at 0x400000 by the low 28 bits of its
segments' physical addresses, the initrd as above, the tree where QEMU puts it, 2 MiB below
min(memory, 2 GiB), naming the kernel in /chosen qemu,boot-kernel; no RTAS stub (the firmware
calls KVMPPC_H_RTAS itself or places its own). vCPU 0 enters the firmware at 0x100 with MSR = 0,
r3 = the tree, r1 = r4 = r5 = 0.

``run`` drives the machine to the end of the run: a stop reason, the instruction count, the
console as the host's bytes (and ``PseriesHost.on_console`` events as they are written).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

from engine.loader import Image, ImageError, Segment, load_image
from engine.machine import ConfigError, Machine, MachineConfig
from engine.platform.pseries import devicetree as dt
from engine.platform.pseries.firmware import (
    FIRMWARE_ENTRY,
    MAX_FIRMWARE,
    QEMU_KERNEL_BASE,
    RTAS_STUB,
    initrd_address,
)
from engine.platform.pseries.hcalls import PseriesHost

ALIGN = 0x10000
REAL_ADDRESS_BITS = 0x0FFF_FFFF  # a kernel segment's placement: the low 28 bits, as QEMU
# QEMU's spapr.c FDT_MAX_ADDR and FDT_MAX_SIZE: with -bios the tree sits FDT_MAX_SIZE below
# min(RMA, FDT_MAX_ADDR), so that 32-bit real-mode code can reach it. The RMA of a radix
# partition is all of its memory.
TREE_LIMIT = 0x8000_0000
TREE_SPACE = 0x20_0000
ELF_MAGIC = b"\x7fELF"


def _align(value: int) -> int:
    return (value + ALIGN - 1) & ~(ALIGN - 1)


@dataclass(frozen=True)
class PseriesConfig:
    """What a pseries partition boots: a kernel ELF, optionally an initrd, a command line."""

    kernel: bytes
    initrd: bytes | None = None
    cmdline: str = "console=hvc0"
    vcpus: int = 1
    memory: int = 1 << 30
    # None: 0 for the direct boot (the kernel need not copy itself down), 0x400000 with bios.
    # 0x400000 (firmware.QEMU_KERNEL_BASE) in a direct boot: the kernel copies itself to 0.
    kernel_base: int | None = None
    quantum: int = 1000  # instructions per scheduler turn (any value is deterministic)
    rng_seed: bytes | None = None  # 32 bytes for /chosen rng-seed (the kernel's crng at time 0)
    # A raw firmware image (QEMU's -bios): at 0, entered at 0x100; the kernel then at 0x400000.
    bios: bytes | None = None

    @property
    def base(self) -> int:
        """Where the kernel's segments go: ``kernel_base``, or its default for the boot."""
        if self.kernel_base is not None:
            return self.kernel_base
        return QEMU_KERNEL_BASE if self.bios is not None else 0


@dataclass(frozen=True)
class Layout:
    kernel_end: int
    initrd_start: int | None
    tree_address: int
    rtas_base: int | None  # None with bios: no RTAS stub in memory (QEMU places none either)
    entry: int
    kernel_size: int = 0  # with bios: /chosen qemu,boot-kernel's size (QEMU's load_elf total)


@dataclass
class BootRun:
    """How a run ended."""

    reason: str  # poweroff, panic, reboot, limit, checkstop, stopped (every vCPU stopped)
    instructions: int  # retired, all vCPUs
    seconds: float
    per_vcpu: list[int] = field(default_factory=list)

    @property
    def mips(self) -> float:
        return self.instructions / self.seconds / 1e6 if self.seconds > 0 else 0.0


def kernel_segments(kernel: Image, base: int) -> list[Segment]:
    """The kernel's segments where the direct boot puts them (virtual addresses kept)."""
    return [
        Segment(base + (s.paddr & REAL_ADDRESS_BITS), s.data, s.memsz, s.virtual)
        for s in kernel.segments
    ]


def layout(cfg: PseriesConfig, kernel: Image, tree_size: int) -> Layout:
    if cfg.bios is not None:
        return bios_layout(cfg, kernel)
    base = cfg.base
    segs = kernel_segments(kernel, base)
    start = min(s.paddr for s in segs)
    end = max(s.paddr + s.memsz for s in segs)
    first = min(kernel.segments, key=lambda s: s.paddr)
    entry = start + (kernel.entry - first.virtual) if kernel.entry >= first.virtual else None
    if entry is None or not start <= entry < end:
        entry = base + (kernel.entry & REAL_ADDRESS_BITS)
    initrd = initrd_address(base, end - base) if cfg.initrd else None
    top = initrd + len(cfg.initrd) if initrd is not None and cfg.initrd else end
    tree = _align(top)
    rtas = _align(tree + tree_size)
    return Layout(end, initrd, tree, rtas, entry)


def bios_layout(cfg: PseriesConfig, kernel: Image) -> Layout:
    """QEMU's -bios placement (hw/ppc/spapr.c): the kernel at 0x400000, its size the sum of
    its segments' memory sizes (what QEMU's load_elf returns), the initrd 64 KiB past that,
    the tree 2 MiB below min(memory, 2 GiB), the firmware entered at 0x100."""
    segs = kernel_segments(kernel, cfg.base)
    end = max(s.paddr + s.memsz for s in segs)
    size = sum(s.memsz for s in kernel.segments)
    initrd = initrd_address(cfg.base, size) if cfg.initrd else None
    tree = min(cfg.memory, TREE_LIMIT) - TREE_SPACE
    return Layout(end, initrd, tree, None, FIRMWARE_ENTRY, size)


def _tree_config(cfg: PseriesConfig, lay: Layout, kernel: Image) -> dt.TreeConfig:
    tree = dt.TreeConfig(
        vcpus=cfg.vcpus,
        memory_size=cfg.memory,
        bootargs=cfg.cmdline,
        initrd_start=lay.initrd_start,
        initrd_size=len(cfg.initrd) if cfg.initrd else 0,
        rtas_base=lay.rtas_base,
        rng_seed=cfg.rng_seed,
    )
    if cfg.bios is None:
        return tree
    # QEMU's tree for a -bios boot: the kernel named in /chosen and reserved, the initrd
    # reserved at its own size, no linux,rtas-base/-entry (rtas_base is None). The option
    # vector 5 stays the radix one: QEMU leaves [00 00] until CAS, and a kernel reading that
    # picks the hash MMU, which ppcdbg does not have (docs/pseries.md).
    return dataclasses.replace(
        tree,
        boot_kernel=(cfg.base, lay.kernel_size),
        boot_kernel_le=kernel.byte_order == "little",
        extra_reserves=[(cfg.base, lay.kernel_size)],
        initrd_reserve_align=1,
    )


def check_bios(bios: bytes) -> None:
    """ConfigError unless ``bios`` is a raw firmware image QEMU's -bios would take."""
    if not bios:
        raise ConfigError("the firmware image (bios) is empty")
    if len(bios) > MAX_FIRMWARE:
        raise ConfigError(
            f"the firmware image is {len(bios):,} bytes: the -bios contract takes at most "
            f"{MAX_FIRMWARE:,} (4 MiB), below the kernel at 0x400000"
        )
    if bios[:4] == ELF_MAGIC:
        raise ConfigError(
            "the firmware image is an ELF file: -bios takes a raw image, loaded byte for byte "
            "at 0 and entered at 0x100 (objcopy -O binary makes one)"
        )


def _check_layout(cfg: PseriesConfig, lay: Layout, tree_size: int) -> None:
    if cfg.bios is None:
        assert lay.rtas_base is not None
        if lay.rtas_base + ALIGN > min(cfg.memory, 1 << 30):
            raise ConfigError(
                f"the kernel, initrd and tree end at {lay.rtas_base:#x}: they do not fit in the "
                f"real-mode area of {min(cfg.memory, 1 << 30):#x} bytes"
            )
        return
    top = lay.initrd_start + len(cfg.initrd) if lay.initrd_start is not None and cfg.initrd else 0
    top = max(top, lay.kernel_end)
    if top > lay.tree_address:
        raise ConfigError(
            f"the kernel and initrd end at {top:#x}, past the device tree at "
            f"{lay.tree_address:#x} (2 MiB below min(memory, 2 GiB))"
        )
    if tree_size > TREE_SPACE:
        raise ConfigError(f"the device tree is {tree_size:,} bytes, more than QEMU's 2 MiB")


def build_machine(cfg: PseriesConfig) -> Machine:
    """The partition, ready to run: ImageError for a kernel that is not a PowerPC ELF,
    ConfigError for a configuration that cannot boot (with the reason)."""
    if not cfg.kernel[:4] == ELF_MAGIC:
        raise ImageError("the kernel must be a 64-bit PowerPC ELF (vmlinux)")
    if cfg.bios is not None:
        check_bios(cfg.bios)
        if cfg.base != QEMU_KERNEL_BASE:
            raise ConfigError(
                f"with a firmware image the kernel goes at {QEMU_KERNEL_BASE:#x} "
                f"(QEMU's -bios contract), not {cfg.base:#x}"
            )
    kernel = load_image(cfg.kernel, "elf")
    if cfg.base % ALIGN or not 0 <= cfg.base < cfg.memory:
        raise ConfigError(f"kernel base {cfg.base:#x} is not a 64 KiB boundary in memory")
    try:
        # The tree's size does not depend on the addresses in it: measure it once.
        probe = layout(cfg, kernel, 0)
        size = len(dt.build_dtb(_tree_config(cfg, probe, kernel)))
        lay = layout(cfg, kernel, size)
        tree = dt.build_dtb(_tree_config(cfg, lay, kernel))
    except dt.TreeError as e:
        raise ConfigError(str(e)) from e
    _check_layout(cfg, lay, len(tree))
    segments = kernel_segments(kernel, cfg.base)
    if cfg.initrd and lay.initrd_start is not None:
        segments.append(Segment(lay.initrd_start, cfg.initrd, len(cfg.initrd)))
    segments.append(Segment(lay.tree_address, tree, len(tree)))
    if lay.rtas_base is not None:
        segments.append(Segment(lay.rtas_base, RTAS_STUB, len(RTAS_STUB)))
    if cfg.bios is not None:
        segments.insert(0, Segment(0, cfg.bios, len(cfg.bios)))
    image = Image("elf", lay.entry, segments, dict(kernel.symbols), kernel.byte_order,
                  kernel.elf_abi, None, kernel.lines)  # fmt: skip
    image.local_entry = dict(kernel.local_entry)
    image.check_fits(cfg.memory)
    host = PseriesHost()
    machine = Machine(image, MachineConfig(cfg.vcpus, "pseries", cfg.memory, cfg.quantum), host)
    boot = machine.vcpus[0]
    boot.gpr[3], boot.gpr[4], boot.gpr[5] = lay.tree_address, 0, 0
    if cfg.bios is not None:
        boot.gpr[1] = 0  # QEMU's spapr_cpu_set_entry_state(cpu, 0x100, r1=0, r3=fdt, r4=0)
    machine.pseries_layout = lay  # type: ignore[attr-defined]
    return machine


def instructions(machine: Machine) -> int:
    return sum(c.retired for c in machine.vcpus)


def run(machine: Machine, max_instructions: int, chunk: int = 2_000_000) -> BootRun:
    """Run until the guest powers off, reboots or panics, every vCPU stops or checkstops, or
    ``max_instructions`` retire (reason "limit"; the run can be resumed)."""
    host = machine.host
    assert isinstance(host, PseriesHost)
    start = instructions(machine)
    t0 = time.perf_counter()
    reason = "limit"
    while True:
        done = instructions(machine) - start
        if done >= max_instructions:
            break
        slots, who = machine.run(min(chunk, max_instructions - done))
        if host.stop_reason is not None:
            reason = host.stop_reason
            break
        if who is not None and machine.vcpus[who].exit_reason:
            reason = machine.vcpus[who].exit_reason or "limit"
            break
        if all(c.halted for c in machine.vcpus):
            halt = [c.halt_reason for c in machine.vcpus]
            reason = "checkstop" if "checkstop" in halt else "stopped"
            break
        if slots == 0:
            reason = "stopped"
            break
    return BootRun(
        reason,
        instructions(machine) - start,
        time.perf_counter() - t0,
        [c.retired for c in machine.vcpus],
    )
