"""The machine: physical memory, vCPUs, reset state and a deterministic scheduler."""

from __future__ import annotations

from dataclasses import dataclass

from .cpu import VCPU
from .host import GuestHost
from .loader import Image, ImageError
from .memory import MemorySnapshot, PhysicalMemory
from .mmu import RadixMMU
from .msr import MSR_HV, MSR_ME, MSR_SF
from .sprs import LPCR_RESET, SPR_AMOR, SPR_LPCR, SPR_PIR

PROFILES = ("powernv", "guest", "pseries")
# pseries LPCR at reset (QEMU's sPAPR POWER9, docs/pseries.md): LD (large decrementer), the
# wake-up enables PDEE HDEE EEE DEE OEE, LPES0 (external interrupts go to the guest OS).
LPCR_PSERIES_RESET = 0x3F008
STOPPED = "stopped"  # halt_reason of a pseries vCPU waiting for RTAS start-cpu
DEFAULT_RAM = 1 << 30
FIRMWARE_R3 = 0x0100_0000  # where firmware would leave a device tree


class ConfigError(Exception):
    """A machine or session configuration that cannot be built; the message says why.

    Not a ValueError: a stray ValueError from a bug must surface as one, not as a bad request.
    """


@dataclass(frozen=True)
class MachineConfig:
    vcpus: int = 1
    profile: str = "powernv"
    memory: int = DEFAULT_RAM
    quantum: int = 10  # instructions per scheduler turn

    def __post_init__(self) -> None:
        if not 1 <= self.vcpus <= 64:
            raise ConfigError("vcpus must be between 1 and 64")
        if self.profile not in PROFILES:
            raise ConfigError(f"profile must be one of {', '.join(PROFILES)}")
        if self.quantum < 1:
            raise ConfigError("quantum must be at least 1")
        if self.memory < (1 << 20) or self.memory % 4096:
            raise ConfigError("memory must be a multiple of 4 KiB and at least 1 MiB")


@dataclass(frozen=True)
class Checkpoint:
    memory: MemorySnapshot
    vcpus: list[dict[str, object]]
    next_vcpu: int
    steps_taken: int
    host: dict[str, object] | None  # GuestHost.get_state()
    slice_left: int
    ticks: int


class Machine:
    def __init__(
        self, image: Image, config: MachineConfig | None = None, host: GuestHost | None = None
    ) -> None:
        """``host`` serves a guest or pseries machine's hypercalls (a platform's subclass of
        GuestHost); None gives the guest profile's own."""
        self.config = config or MachineConfig()
        self.image = image
        self.mem = PhysicalMemory(self.config.memory)
        for seg in image.segments:
            if seg.paddr + seg.memsz > self.config.memory:
                raise ImageError(
                    f"segment at 0x{seg.paddr:x} ({seg.memsz} bytes) does not fit in "
                    f"{self.config.memory >> 20} MiB of RAM"
                )
            self.mem.write_bytes(seg.paddr, seg.data, None)
        self.vcpus = [VCPU(self.mem, i) for i in range(self.config.vcpus)]
        self.host: GuestHost | None = None
        if self.config.profile != "powernv":
            self.host = host if host is not None else GuestHost()
            self.host.attach(self.vcpus)
        for cpu in self.vcpus:
            cpu.peers = self.vcpus
            cpu.host = self.host
            cpu.mmu = RadixMMU(cpu)
            # In the guest profiles, guest real addresses are machine addresses.
            cpu.mmu.flat_partition = self.config.profile != "powernv"
            self._reset(cpu)
        self.next_vcpu = 0  # the scheduler's position
        self.steps_taken = 0
        self.slice_left = self.config.quantum  # of the current vCPU's turn
        self.ticks = 0  # instruction slots the machine has run, all vCPUs

    def _reset(self, cpu: VCPU) -> None:
        cpu.nia = self.image.entry
        cpu.gpr[2] = self.image.toc or 0  # a BE ELFv1 entry descriptor's TOC
        cpu.gpr[3] = FIRMWARE_R3
        cpu.spr[SPR_LPCR] = LPCR_RESET
        if self.config.profile == "powernv":
            cpu.set_msr(MSR_SF | MSR_HV)
        elif self.config.profile == "guest":
            cpu.set_msr(MSR_SF | MSR_ME)
            cpu.gpr[3] = 0
        else:
            # pseries: vCPU 0 enters the kernel in 32-bit big-endian real mode (MSR = 0, as
            # QEMU's sPAPR), the others wait for RTAS start-cpu. One thread per core: the
            # hardware id (PIR, the tree's reg) is the index. The platform sets r3/r4/r5.
            cpu.set_msr(0)
            cpu.gpr[2] = cpu.gpr[3] = 0
            cpu.spr[SPR_LPCR] = LPCR_PSERIES_RESET
            cpu.spr[SPR_PIR] = cpu.index
            cpu.spr[SPR_AMOR] = (1 << 64) - 1
            if cpu.index:
                cpu.halted = True
                cpu.halt_reason = STOPPED

    # -- checkpoints -------------------------------------------------------------
    def checkpoint(self) -> Checkpoint:
        """Everything that determines the future: vCPUs, memory, scheduler, host."""
        host = None if self.host is None else self.host.get_state()
        return Checkpoint(
            self.mem.snapshot(),
            [c.get_state() for c in self.vcpus],
            self.next_vcpu,
            self.steps_taken,
            host,
            self.slice_left,
            self.ticks,
        )

    def restore(self, cp: Checkpoint) -> None:
        self.mem.restore(cp.memory)
        for cpu, state in zip(self.vcpus, cp.vcpus, strict=True):
            cpu.set_state(state)
        self.next_vcpu = cp.next_vcpu
        self.steps_taken = cp.steps_taken
        self.slice_left = cp.slice_left
        self.ticks = cp.ticks
        if self.host is not None and cp.host is not None:
            self.host.set_state(cp.host)

    def _skip_idle(self, room: int) -> int:
        """When every vCPU that can run sleeps (H_CEDE, stop) with nothing to wake it, let
        virtual time jump to the first timer event instead of turning the scheduler over
        quantum by quantum: every sleeper's clock advances by the same amount, up to
        ``room`` slots. Deterministic: a function of the machine state only. Returns the
        slots skipped (0 when some vCPU is awake)."""
        k = self.sleep_horizon()
        if not k:
            return 0
        k = min(room, k)
        if k <= self.config.quantum:
            return 0  # the ordinary turns get there as fast
        for c in self.vcpus:
            if not (c.halted or c.exit_reason):
                c.clock += k
        self.ticks += k
        return k

    def sleep_horizon(self, vcpus: frozenset[int] | None = None) -> int:
        """When every vCPU that can run (of ``vcpus``, or all) sleeps (H_CEDE, stop) with
        nothing to wake it, the slots until the first of them has a timer event (NO_EVENT if
        none ever will); 0 when one is awake or none can run."""
        k = 0
        for c in self.vcpus:
            if c.halted or c.exit_reason or (vcpus is not None and c.index not in vcpus):
                continue
            if not c.sleeping or c.wake_condition():
                return 0
            t = c.ticks_until_timer()
            k = t if not k or t < k else k
        return k

    def run(
        self,
        budget: int,
        stop_at: frozenset[int] = frozenset(),
        vcpus: frozenset[int] | None = None,
        vcpu_limit: tuple[int, int] | None = None,
    ) -> tuple[int, int | None]:
        """Round-robin the vCPUs for at most ``budget`` instruction slots in total.

        ``vcpus`` restricts which vCPUs run (scheduler locking); ``vcpu_limit``
        = (v, n) stops the run just before vCPU v would use its (n+1)-th slot
        (reverse execution replays to such points). The scheduler's position,
        including what is left of the current vCPU's quantum, is machine
        state, so run(a) then run(b) is exactly run(a + b).

        Returns (slots used, index of the vCPU that reached a ``stop_at``
        address or was stopped by its host/debugger, or None).
        """
        done = 0
        quantum = self.config.quantum
        n = len(self.vcpus)
        used_by_limited = 0
        idle = 0
        while done < budget:
            # Move on lazily, at the start of the next turn: a run that ends at a
            # quantum boundary leaves the same scheduler state as one that stops there.
            if self.slice_left <= 0:
                self.next_vcpu = (self.next_vcpu + 1) % n
                self.slice_left = quantum
            cpu = self.vcpus[self.next_vcpu]
            if cpu.halted or cpu.exit_reason or (vcpus is not None and cpu.index not in vcpus):
                self.slice_left = 0
                idle += 1
                if idle > n:
                    break  # nothing can run
                continue
            idle = 0
            if cpu.sleeping and n > 1:
                skipped = self._skip_idle(budget - done)
                if skipped:
                    done += skipped
                    continue
            want = self.slice_left
            if budget - done < want:
                want = budget - done
            alone = n == 1 and vcpu_limit is None
            if alone:
                # One vCPU: turns change nothing but slice_left, so run the whole
                # budget in one call (whole blocks, no per-quantum re-entry) and
                # wind slice_left on as the turns would have (below).
                want = budget - done
            limited = vcpu_limit is not None and vcpu_limit[0] == cpu.index
            if limited:
                assert vcpu_limit is not None
                want = min(want, vcpu_limit[1] - used_by_limited)
                if want <= 0:
                    return done, None
            ran = cpu.run(want, stop_at)
            done += ran
            self.ticks += ran
            if alone and ran > self.slice_left:
                # The turns that began after the first: each starts with a full quantum.
                self.slice_left = quantum - 1 - (ran - self.slice_left - 1) % quantum
            else:
                self.slice_left -= ran
            if limited:
                used_by_limited += ran
            if cpu.exit_reason:
                return done, cpu.index
            if ran and stop_at and cpu.nia in stop_at and not cpu.halted:
                # Arrived at a stop address (possibly with the last slot of its
                # quantum): stop before it; resuming executes it.
                return done, cpu.index
            if ran < want and cpu.halted:
                self.slice_left = 0
        return done, None
