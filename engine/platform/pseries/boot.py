"""The pseries direct boot: a kernel ELF, an initrd and a command line become a Machine.

Layout (docs/pseries.md, "Memory layout and entry: the direct boot"), guest real addresses:
the kernel's PT_LOAD segments by the low 28 bits of their physical addresses plus
``kernel_base`` (0, the default: the kernel need not copy itself down, which saves about 26 M
instructions; or 0x400000, where QEMU puts it); the
initrd 64 KiB aligned at least 64 KiB past the kernel's memory image; the device tree on the
next 64 KiB boundary; the RTAS stub on the 64 KiB boundary after the tree. vCPU 0 enters the
kernel at its physical entry with MSR = 0, r3 = the tree, r4 = r5 = 0; the others wait in the
stopped state for RTAS start-cpu.

``run`` drives the machine to the end of the run: a stop reason, the instruction count, the
console as the host's bytes (and ``PseriesHost.on_console`` events as they are written).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from engine.loader import Image, ImageError, Segment, load_image
from engine.machine import ConfigError, Machine, MachineConfig
from engine.platform.pseries import devicetree as dt
from engine.platform.pseries.firmware import RTAS_STUB, initrd_address
from engine.platform.pseries.hcalls import PseriesHost

ALIGN = 0x10000
REAL_ADDRESS_BITS = 0x0FFF_FFFF  # a kernel segment's placement: the low 28 bits, as QEMU


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
    kernel_base: int = 0  # or 0x400000 (firmware.QEMU_KERNEL_BASE): the kernel copies itself to 0
    quantum: int = 1000  # instructions per scheduler turn (any value is deterministic)
    rng_seed: bytes | None = None  # 32 bytes for /chosen rng-seed (the kernel's crng at time 0)


@dataclass(frozen=True)
class Layout:
    kernel_end: int
    initrd_start: int | None
    tree_address: int
    rtas_base: int
    entry: int


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
    segs = kernel_segments(kernel, cfg.kernel_base)
    start = min(s.paddr for s in segs)
    end = max(s.paddr + s.memsz for s in segs)
    first = min(kernel.segments, key=lambda s: s.paddr)
    entry = start + (kernel.entry - first.virtual) if kernel.entry >= first.virtual else None
    if entry is None or not start <= entry < end:
        entry = cfg.kernel_base + (kernel.entry & REAL_ADDRESS_BITS)
    initrd = initrd_address(cfg.kernel_base, end - cfg.kernel_base) if cfg.initrd else None
    top = initrd + len(cfg.initrd) if initrd is not None and cfg.initrd else end
    tree = _align(top)
    rtas = _align(tree + tree_size)
    return Layout(end, initrd, tree, rtas, entry)


def _tree_config(cfg: PseriesConfig, lay: Layout) -> dt.TreeConfig:
    return dt.TreeConfig(
        vcpus=cfg.vcpus,
        memory_size=cfg.memory,
        bootargs=cfg.cmdline,
        initrd_start=lay.initrd_start,
        initrd_size=len(cfg.initrd) if cfg.initrd else 0,
        rtas_base=lay.rtas_base,
        rng_seed=cfg.rng_seed,
    )


def build_machine(cfg: PseriesConfig) -> Machine:
    """The partition, ready to run: ImageError for a kernel that is not a PowerPC ELF,
    ConfigError for a configuration that cannot boot (with the reason)."""
    if not cfg.kernel[:4] == b"\x7fELF":
        raise ImageError("the kernel must be a 64-bit PowerPC ELF (vmlinux)")
    kernel = load_image(cfg.kernel, "elf")
    if cfg.kernel_base % ALIGN or cfg.kernel_base >= cfg.memory:
        raise ConfigError(f"kernel base {cfg.kernel_base:#x} is not a 64 KiB boundary in memory")
    try:
        # The tree's size does not depend on the addresses in it: measure it once.
        probe = layout(cfg, kernel, 0)
        size = len(dt.build_dtb(_tree_config(cfg, probe)))
        lay = layout(cfg, kernel, size)
        tree = dt.build_dtb(_tree_config(cfg, lay))
    except dt.TreeError as e:
        raise ConfigError(str(e)) from e
    if lay.rtas_base + ALIGN > min(cfg.memory, 1 << 30):
        raise ConfigError(
            f"the kernel, initrd and tree end at {lay.rtas_base:#x}: they do not fit in the "
            f"real-mode area of {min(cfg.memory, 1 << 30):#x} bytes"
        )
    segments = kernel_segments(kernel, cfg.kernel_base)
    if cfg.initrd and lay.initrd_start is not None:
        segments.append(Segment(lay.initrd_start, cfg.initrd, len(cfg.initrd)))
    segments += [Segment(lay.tree_address, tree, len(tree)), Segment(lay.rtas_base, RTAS_STUB,
                                                                     len(RTAS_STUB))]  # fmt: skip
    image = Image("elf", lay.entry, segments, dict(kernel.symbols), kernel.byte_order,
                  kernel.elf_abi, None, kernel.lines)  # fmt: skip
    image.local_entry = dict(kernel.local_entry)
    image.check_fits(cfg.memory)
    host = PseriesHost()
    machine = Machine(image, MachineConfig(cfg.vcpus, "pseries", cfg.memory, cfg.quantum), host)
    boot = machine.vcpus[0]
    boot.gpr[3], boot.gpr[4], boot.gpr[5] = lay.tree_address, 0, 0
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
