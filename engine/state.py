"""What the instruction descriptions and interrupt delivery see of a vCPU.

engine/cpu.py's VCPU executes the instructions of engine/isa and delivers the
interrupts of engine/interrupts.py, so it imports them; they in turn work on a
vCPU. They name it only through this Protocol, which the layer beneath them
owns, so nothing below the vCPU imports it, not even for types. VCPU satisfies
the Protocol structurally (mypy checks it where engine/cpu.py hands itself to
the ISA).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class TranslationCache(Protocol):
    """A vCPU's MMU as tlbie sees it: something to flush."""

    def flush(self, ea: int | None = None) -> None: ...


class CPUState(Protocol):
    """The architected state and storage access of one vCPU."""

    # Registers: VSR n's high doubleword is FPR n, VR n is VSR 32+n.
    gpr: list[int]
    vsr: list[int]
    vscr: int
    fpscr: int
    cr: int
    so: int
    ov: int
    ca: int
    ov32: int
    ca32: int
    xer_rest: int  # XER's other bits (the byte count)
    lr: int
    ctr: int
    msr: int  # write through set_msr, which applies MSR's update rules
    nia: int
    cfar: int
    spr: dict[int, int]  # the SPRs without a field above, by number
    # Executions of mfspr/mtspr of SPRs ppcdbg does not implement, "read 849" -> count.
    unsupported_sprs: dict[str, int]

    pending: int  # PEND_* bits of asynchronous conditions
    darn_state: int
    resv_addr: int | None
    resv_size: int
    exact_clock: bool  # the time base is being read mid-block
    # Slots the running chunk used before the translated block now running (its
    # dispatcher keeps it): a block's inline time reads add their own offset to it.
    slots_before: int
    # Effective page -> host page, for loads and stores of plain RAM (the fast path).
    tlb_load: dict[int, bytearray]
    tlb_store: dict[int, bytearray]

    @property
    def xer(self) -> int: ...
    @xer.setter
    def xer(self, v: int) -> None: ...

    @property
    def mmu(self) -> TranslationCache | None: ...

    @property
    def peers(self) -> Sequence[CPUState]:
        """Every vCPU of the machine, this one included (tlbie, msgsnd)."""
        ...

    def set_msr(self, value: int) -> None: ...
    def read_spr(self, n: int) -> int: ...
    def read_spr_at(self, n: int, k: int) -> int: ...
    def write_spr(self, n: int, v: int) -> None: ...
    def translate_data(self, ea: int, write: bool) -> int: ...
    def read(self, ea: int, size: int, order: str) -> int: ...
    def write(self, ea: int, size: int, value: int, order: str) -> None: ...
    def reserve(self, ea: int, size: int) -> None: ...
    def lose_reservation(self) -> None: ...
    def holds_reservation(self, ea: int, size: int) -> bool: ...
    def flush_translation(self) -> None: ...
    def flush_decoded(self) -> None: ...
    def flush_mmu(self) -> None: ...
    def suspend_decoded(self) -> None: ...
    def flush_tlb(self) -> None: ...
    def flush_tlb_page(self, ea: int, low: int, size: int) -> None: ...

    def flush_decoded_range(self, lo: int, size: int) -> None: ...
