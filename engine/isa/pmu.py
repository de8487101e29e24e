"""Problem-state access to the performance monitor and event-based branch SPRs.

As QEMU 7.2 (target/ppc/power8-pmu-regs.c.inc, spr_read_ebb/spr_write_ebb): the
problem-state views of MMCR0, MMCR2 and PMC1-6 (SPR numbers 769, 771-776, 779,
the supervisor number - 16) are "group A", gated by MMCR0[PMCC] when the
instruction executes:

- PMCC = 0b01 leaves them all out of problem state, PMCC = 0b11 leaves out
  PMC5 and PMC6: reads and writes raise facility unavailable (0xf60,
  FSCR[IC] = 3, the PMU cause);
- otherwise reads are allowed, writes need PMCC = 0b1x: with 0b00 they raise
  HEAI (QEMU's gen_hvpriv_exception(POWERPC_EXCP_INVAL_SPR));
- UMMCR0 sees and changes only FC, PMAE and PMAO; UMMCR2 only the FCnP0 bits.

The differential program sv_pmu.S measured each case on QEMU 7.2 powernv9.
UMMCRA, UMMCR1, USIAR and USDAR are readable in problem state without a gate
and writable only in privileged state (engine/sprs.py). The EBB registers
(800-806) are FSCR[EBB]-gated in problem state (system.FSCR_GATED).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M64, ppc_bit
from ..interrupts import EXCP_FU, EXCP_HV_EMU, Interrupt
from .forms import Exec

if TYPE_CHECKING:
    from ..state import CPUState

SPR_MMCR0 = 795
SPR_FSCR = 153
FSCR_IC_SHIFT = 56
FSCR_IC_PMU = 3
MMCR0_FC = ppc_bit(32)
MMCR0_PMAE = ppc_bit(37)
MMCR0_PMCC0 = ppc_bit(44)
MMCR0_PMCC1 = ppc_bit(45)
MMCR0_PMAO = ppc_bit(56)
MMCR0_UREG_MASK = MMCR0_FC | MMCR0_PMAE | MMCR0_PMAO
MMCR2_UREG_MASK = sum(ppc_bit(1 + 9 * i) for i in range(6))  # QEMU 7.2 FC1P0 ... FC6P0

# Problem-state number -> (the register it is a view of, the bits it sees).
GROUP_A = {769: (785, MMCR2_UREG_MASK), 779: (SPR_MMCR0, MMCR0_UREG_MASK),
           **{770 + i: (786 + i, M64) for i in range(1, 7)}}  # fmt: skip
PMC56_VIEWS = frozenset({775, 776})


def _denied(n: int, mmcr0: int) -> bool:
    """PMCC = 0b01 leaves every group A register out, PMCC = 0b11 PMC5 and PMC6."""
    pmcc0, pmcc1 = mmcr0 & MMCR0_PMCC0, mmcr0 & MMCR0_PMCC1
    return bool(pmcc1 and (not pmcc0 or n in PMC56_VIEWS))


def _facility_unavailable(c: CPUState) -> Interrupt:
    fscr = c.spr[SPR_FSCR] & ~(0xFF << FSCR_IC_SHIFT)
    c.spr[SPR_FSCR] = fscr | FSCR_IC_PMU << FSCR_IC_SHIFT
    return Interrupt(EXCP_FU)


def _check_read(c: CPUState, n: int) -> None:
    if _denied(n, c.spr[SPR_MMCR0]):
        raise _facility_unavailable(c)


def _check_write(c: CPUState, n: int) -> None:
    mmcr0 = c.spr[SPR_MMCR0]
    if _denied(n, mmcr0):
        raise _facility_unavailable(c)
    if not mmcr0 & MMCR0_PMCC0:
        raise Interrupt(EXCP_HV_EMU)  # PMCC = 0b00: read-only


def user_read(n: int, rt: int, npc: int) -> Exec:
    """mfspr of a group A view in problem state."""
    target, mask = GROUP_A[n]

    def ex(c: CPUState) -> int:
        _check_read(c, n)
        c.gpr[rt] = c.read_spr(target) & mask
        return npc

    return ex


def user_write(n: int, rs: int, npc: int) -> Exec:
    """mtspr of a group A view in problem state: only the view's bits change."""
    target, mask = GROUP_A[n]

    def ex(c: CPUState) -> int:
        _check_write(c, n)
        c.write_spr(target, (c.read_spr(target) & ~mask) | (c.gpr[rs] & mask))
        return npc

    return ex
