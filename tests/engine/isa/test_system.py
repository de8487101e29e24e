"""Supervisor instructions, one behaviour each: the cases the sv_* differential
programs measured on QEMU 7.2 powernv9, and the ones where the engine follows
the ISA and docs/machine.md instead (named so)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.cpu import VCPU, make_exec
from engine.interrupts import PEND_DOORBELL, Interrupt, deliver
from engine.isa.common import Resync
from engine.isa.forms import Ctx
from engine.isa.table import decode
from engine.msr import MSR_DECODE_CONTEXT
from engine.sprs import LPCR_WRITE_MASK

from .conftest import make_cpu

Step = Callable[..., VCPU]

CODE = 0x1000
HV = 0x9000_0000_0000_0000  # SF|HV
SUP = 0x8000_0000_0000_0000  # SF, HV=0
PROB_HV = HV | 0x4000  # problem state (real addressing kept for the test)
PROB = SUP | 0x4000
SRR0, SRR1, HSRR0, HSRR1 = "srr0", "srr1", "hsrr0", "hsrr1"
LPCR_HR = 1 << (63 - 43)
LPCR_GTSE = 1 << (63 - 53)


def vector(cpu: VCPU) -> int:
    return cpu.nia


# -- unknown SPR numbers (QEMU 7.2: gen_mfspr / gen_mtspr, measured in sv_priv.S) ------
@pytest.mark.parametrize(
    ("word", "msr", "where"),
    [
        (0x7D2202A6, HV, CODE + 4),  # mfspr r9,2: a no-op in privileged state
        (0x7D2202A6, SUP, CODE + 4),
        (0x7D2202A6, PROB, 0xE40),  # HEAI from problem state
        (0x7D2002A6, HV, 0xE40),  # mfspr r9,0: HEAI even in HV state
        (0x7D3402A6, HV, CODE + 4),  # mfspr r9,20 (privileged number): a no-op
        (0x7D3402A6, PROB, 0x700),  # ...program/privileged from problem state
        (0x7C8503A6, SUP, CODE + 4),  # mtspr 5,r4: a no-op (only mtspr 0 is HEAI)
        (0x7C8003A6, HV, 0xE40),  # mtspr 0,r4
    ],
)
def test_unknown_spr_numbers_follow_qemu(step1: Step, word: int, msr: int, where: int) -> None:
    cpu = step1(word, msr=msr, r9=0x55)
    assert cpu.nia == where
    if where == CODE + 4:
        assert cpu.gpr[9] == 0x55  # untouched


def test_unknown_privileged_spr_from_problem_state_sets_srr1_privileged(step1: Step) -> None:
    cpu = step1(0x7D3402A6, msr=PROB)  # mfspr r9,20
    assert cpu.spr_by_name(SRR0) == CODE
    assert cpu.spr_by_name(SRR1) == PROB | 0x40000


# -- hypervisor SPRs from HV=0: HEAI (ISA 3.0B, docs/machine.md); QEMU 7.2 raises program ---
def test_mflpcr_from_supervisor_state_is_heai_not_program(step1: Step) -> None:
    cpu = step1(0x7D3E4AA6, msr=SUP)  # mflpcr r9
    assert cpu.nia == 0xE40
    assert cpu.spr_by_name(HSRR0) == CODE
    assert cpu.spr_by_name(HSRR1) == SUP


def test_mflpcr_from_problem_state_is_privileged(step1: Step) -> None:
    cpu = step1(0x7D3E4AA6, msr=PROB)  # mflpcr r9
    assert cpu.nia == 0x700
    assert cpu.spr_by_name(SRR1) == PROB | 0x40000


# -- FSCR-gated SPRs in problem state --------------------------------------------------
def test_mftar_in_problem_state_without_fscr_tar_is_facility_unavailable(step1: Step) -> None:
    cpu = step1(0x7D2FCAA6, msr=PROB_HV)  # mftar r9
    assert cpu.nia == 0xF60
    assert cpu.spr_by_name(SRR0) == CODE
    assert cpu.spr_by_name("fscr") >> 56 == 8  # FSCR[IC] = TAR


def test_mttar_in_problem_state_with_fscr_tar_writes(step1: Step) -> None:
    cpu = step1(0x7C8FCBA6, msr=PROB_HV, fscr=0x100, r4=0x1234)  # mttar r4
    assert cpu.nia == CODE + 4
    assert cpu.spr_by_name("tar") == 0x1234


def test_mftar_in_supervisor_state_ignores_fscr(step1: Step) -> None:
    cpu = step1(0x7D2FCAA6, msr=HV, tar=0x77)  # mftar r9
    assert cpu.gpr[9] == 0x77


def test_mfudscr_in_problem_state_without_fscr_dscr_is_facility_unavailable(step1: Step) -> None:
    cpu = step1(0x7D2302A6, msr=PROB_HV)  # mfspr r9,3 (QEMU 7.2 lacks it: HEAI there)
    assert cpu.nia == 0xF60
    assert cpu.spr_by_name("fscr") >> 56 == 2


# -- LPCR and DPDES --------------------------------------------------------------------
def test_mtlpcr_keeps_only_the_implemented_bits(step1: Step) -> None:
    cpu = step1(0x7C9E4BA6, msr=HV, r4=-1)  # mtlpcr r4
    assert cpu.spr_by_name("lpcr") == LPCR_WRITE_MASK == 0x7070_4000_03F7_FE1B


def test_mfdpdes_reads_the_pending_privileged_doorbell(step1: Step) -> None:
    from tests.engine.isa.conftest import make_cpu

    cpu = make_cpu([0x7D302AA6])  # mfdpdes r9
    cpu.pending |= PEND_DOORBELL
    cpu.step()
    assert cpu.gpr[9] == 1


@pytest.mark.parametrize(("value", "pending"), [(1, True), (0, False), (3, False)])
def test_mtdpdes_raises_or_withdraws_the_doorbell(step1: Step, value: int, pending: bool) -> None:
    cpu = step1(0x7C902BA6, msr=HV, r4=value)  # mtdpdes r4 (3: ignored, two threads)
    assert bool(cpu.pending & PEND_DOORBELL) is pending


def test_msgsndp_of_a_server_message_makes_the_doorbell_pending(step1: Step) -> None:
    cpu = step1(0x7C00391C, msr=HV, r7=0x2800_0000)  # msgsndp r7
    assert cpu.pending & PEND_DOORBELL
    assert cpu.read_spr(176) == 1


# -- tlbie / tlbiel / tlbsync from HV=0 ----------------------------------------------
@pytest.mark.parametrize(
    ("word", "lpcr", "where"),
    [
        (0x7C013224, LPCR_HR, 0xE40),  # tlbiel r6,0,0,0,1: PRS=0 with HR: hypervisor
        (0x7C033224, LPCR_HR, CODE + 4),  # tlbiel r6,0,0,1,1: process-scoped, fine
        (0x7C033264, LPCR_HR, 0xE40),  # tlbie r6,0,0,1,1 without GTSE
        (0x7C033264, LPCR_HR | LPCR_GTSE, CODE + 4),  # ...with GTSE
        (0x7C00046C, 0, 0xE40),  # tlbsync without GTSE
        (0x7C00046C, LPCR_GTSE, CODE + 4),
    ],
)
def test_translation_invalidations_from_supervisor_state(
    step1: Step, word: int, lpcr: int, where: int
) -> None:
    from tests.engine.isa.conftest import make_cpu

    cpu = make_cpu([word], msr=SUP)
    cpu.spr[318] = lpcr  # LPCR as the hypervisor left it
    cpu.step()
    assert cpu.nia == where


def test_tlbie_by_address_drops_only_that_page() -> None:
    from tests.engine.isa.conftest import make_cpu

    cpu = make_cpu([0x7C013264], msr=HV, r6=0x20_5000)  # tlbie r6,0,0,0,1
    dropped: list[int | None] = []

    class Spy:
        def flush_page(self, ea: int) -> set[int]:
            dropped.append(ea)
            return set()

    cpu.mmu = Spy()  # type: ignore[assignment]
    cpu.step()
    assert dropped == [0x20_5000]


def test_tlbie_of_everything_drops_all(step1: Step) -> None:
    from tests.engine.isa.conftest import make_cpu

    cpu = make_cpu([0x7C013264], msr=HV, r6=0xC00)  # IS=3
    dropped: list[int | None] = []

    class Spy:
        def flush_stale(self) -> None:
            return None  # cannot tell what stays: everything goes

        def flush(self, ea: int | None = None) -> None:
            dropped.append(ea)

        def exact_again(self) -> None:
            pass

    cpu.mmu = Spy()  # type: ignore[assignment]
    cpu.step()
    assert dropped == [None]


# -- MSR moves and returns -------------------------------------------------------------
def test_mtmsrd_cannot_change_hv_me_or_le(step1: Step) -> None:
    cpu = step1(0x7C800164, msr=HV, r4=0x8000_0000_0000_1001)  # mtmsrd r4
    assert cpu.msr == HV


def test_mtmsrd_l1_moves_only_ee_and_ri(step1: Step) -> None:
    cpu = step1(0x7C810164, msr=HV, r4=-1)  # mtmsrd r4,1
    assert cpu.msr == HV | 0x8002


def test_mtmsr_keeps_the_upper_word(step1: Step) -> None:
    cpu = step1(0x7C800124, msr=HV, r4=0x8002)  # mtmsr r4
    assert cpu.msr == HV | 0x8002


def test_mtmsrd_pr_brings_ee_ir_dr(step1: Step) -> None:
    cpu = step1(0x7C800164, msr=HV, r4=HV | 0x4000)  # mtmsrd r4
    assert cpu.msr == HV | 0xC030


def test_mtmsrd_keeps_only_implemented_bits(step1: Step) -> None:
    cpu = step1(0x7C800164, msr=HV, r4=0xFFFF_FFFF_FFFF_B9FE)  # mtmsrd r4 (no PR/SE/BE/LE)
    assert cpu.msr == 0x9000_0001_0280_A936  # measured on QEMU 7.2 (sv_msr.S)


def test_rfid_from_supervisor_state_never_changes_me(step1: Step) -> None:
    # The ISA: MSR[ME] follows SRR1 only when MSR[HV]=1; QEMU 7.2 clears it.
    cpu = step1(0x4C000024, msr=SUP | 0x1000, srr0=0x2000, srr1=HV)  # rfid
    assert cpu.msr == SUP | 0x1000
    assert cpu.nia == 0x2000


def test_hrfid_from_hv_enters_supervisor_state(step1: Step) -> None:
    cpu = step1(0x4C000224, msr=HV, hsrr0=0x2003, hsrr1=SUP | 0x1002)  # hrfid
    assert cpu.msr == SUP | 0x1002
    assert cpu.nia == 0x2000


def test_rfid_into_32_bit_mode_truncates_the_nia(step1: Step) -> None:
    cpu = step1(0x4C000024, msr=HV, srr0=0xFFFF_FFFF_0000_1500, srr1=0x2)  # rfid
    assert cpu.msr == 0x2
    assert cpu.nia == 0x1500


def test_mtdec_negative_is_negative_at_once(step1: Step) -> None:
    cpu = step1(0x7C9603A6, msr=HV, r4=-1)  # mtdec r4
    assert cpu.dec_negative()


# -- scv / rfscv (QEMU 7.2 excp_helper.c POWERPC_EXCP_SYSCALL_VECTORED, helper_rfscv) ---------
SCV_0, SCV_1, RFSCV = 0x44000001, 0x44000021, 0x4C0000A4
FSCR_SCV = 1 << (63 - 51)
USER = PROB | 0xC032  # problem state, EE, IR, DR, RI (the kernel's user MSR, BE)
AIL3_ILE = (3 << 23) | (1 << (63 - 38))


def run_at(word: int, **regs: int) -> VCPU:
    """Execute ``word`` at CODE by its closure (no fetch: MSR[IR] may be on without a MMU)."""
    cpu = make_cpu([word], **regs)
    msr = cpu.msr
    fn = make_exec(decode(word), word, Ctx(CODE, msr & MSR_DECODE_CONTEXT, True, "big"))
    try:
        cpu.nia = fn(cpu)
    except Resync as r:  # resyncs=True lines hand their next address over this way
        cpu.nia = r.npc
    except Interrupt as exc:
        deliver(cpu, exc, CODE)
    return cpu


def test_scv_needs_fscr_scv() -> None:
    cpu = run_at(SCV_0, msr=USER, fscr=0)
    assert cpu.nia == 0xF60 and cpu.spr_by_name("srr0") == CODE
    assert cpu.spr_by_name("fscr") >> 56 == 12  # interruption cause: scv


def test_scv_saves_the_next_instruction_in_lr_and_the_msr_in_ctr() -> None:
    cpu = run_at(SCV_1, msr=USER, fscr=FSCR_SCV, lpcr=AIL3_ILE, srr0=0x55, srr1=0x66)
    assert cpu.lr == CODE + 4 and cpu.ctr == USER
    assert cpu.nia == 0xC000_0000_0000_3000 + 0x20  # AIL=3 moves scv's base, + 0x20 * LEV
    assert cpu.msr == SUP | 0x8033  # EE, IR, DR, RI kept; LE from LPCR[ILE]; PR gone
    assert (cpu.spr_by_name("srr0"), cpu.spr_by_name("srr1")) == (0x55, 0x66)  # untouched


def test_scv_with_translation_off_or_no_ail_goes_to_0x17000() -> None:
    cpu = run_at(SCV_1, msr=PROB, fscr=FSCR_SCV, lpcr=AIL3_ILE)  # IR = DR = 0
    assert cpu.nia == 0x17020 and not cpu.msr & 0x30
    cpu = run_at(SCV_0, msr=USER, fscr=FSCR_SCV, lpcr=0)
    assert cpu.nia == 0x17000 and not cpu.msr & 0x30


def test_rfscv_returns_to_lr_with_the_msr_from_ctr() -> None:
    cpu = run_at(RFSCV, msr=SUP | 0x1000, lr=0x10002003, ctr=USER)
    assert cpu.nia == 0x10002000 and cpu.msr == USER | 0x1000
    assert cpu.cfar == CODE


def test_rfscv_is_privileged() -> None:
    cpu = run_at(RFSCV, msr=PROB)
    assert cpu.nia == 0x700
