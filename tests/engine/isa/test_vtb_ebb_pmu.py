"""The virtual time base, the event-based branch and performance monitor SPRs, and the count
of SPRs ppcdbg does not implement (engine/isa/system.py, engine/cpu.py)."""

from __future__ import annotations

from engine.cpu import VCPU
from engine.sprs import SPR_VTB

from .conftest import CODE, make_cpu

HV = 0x9000_0000_0000_0000  # SF|HV
SUP = 0x8000_0000_0000_0000  # SF, HV=0
PROB = SUP | 0x4000


def _spr_field(n: int) -> int:
    return ((n & 0x1F) << 5 | n >> 5) << 11


def mfspr(rt: int, n: int) -> int:
    return 31 << 26 | rt << 21 | _spr_field(n) | 339 << 1


def mtspr(n: int, rs: int) -> int:
    return 31 << 26 | rs << 21 | _spr_field(n) | 467 << 1


def run(words: list[int], msr: int, **regs: int) -> VCPU:
    cpu = make_cpu(words, msr=msr, **regs)
    for _ in words:
        cpu.step()
    return cpu


# -- VTB ------------------------------------------------------------------------------
def test_vtb_counts_at_the_time_base_rate_from_virtual_time() -> None:
    cpu = make_cpu([mfspr(4, SPR_VTB), mfspr(5, SPR_VTB)], msr=SUP)
    cpu.tb_ratio = 8
    cpu.step()
    cpu.step()
    assert cpu.gpr[5] - cpu.gpr[4] == 8  # one slot apart
    assert cpu.gpr[4] == cpu.vtb - 2 * 8


def test_a_hypervisor_write_to_vtb_moves_its_own_offset_not_the_time_base() -> None:
    cpu = make_cpu([mtspr(SPR_VTB, 4), mfspr(5, SPR_VTB)], msr=HV, r4=0x1234_0000_0000_0000)
    tb = cpu.timebase
    cpu.step()
    cpu.step()
    assert cpu.gpr[5] == 0x1234_0000_0000_0000 + cpu.tb_ratio  # written, then one slot
    assert cpu.timebase - tb == 2 * cpu.tb_ratio


def test_vtb_is_readable_in_supervisor_state_and_writable_only_by_the_hypervisor() -> None:
    assert run([mtspr(SPR_VTB, 4)], SUP, r4=5).nia == 0xE40  # HEAI from HV=0
    assert run([mfspr(4, SPR_VTB)], PROB).nia == 0x700  # privileged from problem state
    assert run([mfspr(4, SPR_VTB)], SUP).nia == CODE + 4


def test_a_checkpoint_holds_the_vtb_offset_and_an_older_one_restores_the_reset_value() -> None:
    cpu = make_cpu([mtspr(SPR_VTB, 4)], msr=HV, r4=0x4000_0000)
    cpu.step()
    state = cpu.get_state()
    vtb = cpu.vtb
    cpu.set_vtb(7)
    cpu.set_state(state)
    assert cpu.vtb == vtb
    del state["vtb_offset"]
    cpu.set_state(state)
    assert cpu.vtb_offset == 0


# -- SPRs ppcdbg does not implement -------------------------------------------------------
def test_an_unimplemented_spr_is_counted_per_direction_and_number_when_it_executes() -> None:
    cpu = make_cpu([mfspr(4, 777), mtspr(777, 4), mfspr(4, 777)], msr=SUP, r4=0x55)
    assert cpu.unsupported_sprs == {}
    for _ in range(3):
        cpu.step()
    assert cpu.unsupported_sprs == {"read 777": 2, "write 777": 1}
    assert cpu.gpr[4] == 0x55  # the no-op left RT alone: what the count warns of


def test_an_unimplemented_spr_that_raises_is_counted_too() -> None:
    cpu = run([mfspr(4, 777)], PROB)
    assert cpu.nia == 0xE40
    assert cpu.unsupported_sprs == {"read 777": 1}


def test_an_implemented_spr_is_not_counted() -> None:
    assert run([mfspr(4, SPR_VTB), mfspr(4, 8)], SUP).unsupported_sprs == {}


# -- event-based branch SPRs (QEMU 7.2 register_power8_ebb_sprs) ---------------------------
FSCR, FSCR_EBB = 153, 1 << 7


def test_ebb_sprs_in_problem_state_need_fscr_ebb() -> None:
    cpu = run([mfspr(4, 804)], PROB)  # EBBHR
    assert cpu.nia == 0xF60
    assert cpu.spr[FSCR] >> 56 == 7  # the EBB cause
    cpu = make_cpu([mtspr(806, 4), mfspr(5, 806)], msr=PROB, r4=0x55)
    cpu.spr[FSCR] = FSCR_EBB
    cpu.step()
    cpu.step()
    assert cpu.gpr[5] == 0x55


def test_bescrsu_is_the_upper_word_of_bescrs_and_bescr_is_apart() -> None:
    cpu = run([mtspr(800, 4), mtspr(801, 5), mfspr(6, 800), mfspr(7, 806)], HV,
              r4=0x1111_2222_3333_4444, r5=0xAAAA_BBBB_CCCC_DDDD)  # fmt: skip
    assert cpu.gpr[6] == 0xCCCC_DDDD_3333_4444
    assert cpu.gpr[7] == 0  # QEMU 7.2 keeps BESCRS apart from BESCR


# -- performance monitor SPRs -----------------------------------------------------------
MMCR0, PMC1, PMC5 = 795, 787, 791
PMCC_00, PMCC_01, PMCC_10, PMCC_11 = (0x8000_0000 | p << 18 for p in range(4))


def test_mmcr0_resets_to_freeze_counters() -> None:
    assert run([mfspr(4, MMCR0)], SUP).gpr[4] == 0x8000_0000


def test_problem_state_sees_the_user_bits_of_mmcr0_and_writes_only_them() -> None:
    cpu = make_cpu([mtspr(779, 4), mfspr(5, 779)], msr=PROB, r4=(1 << 64) - 1)
    cpu.spr[MMCR0] = PMCC_10
    cpu.step()
    cpu.step()
    fc, pmae, pmao = 1 << 31, 1 << 26, 1 << 7
    assert cpu.spr[MMCR0] == PMCC_10 | fc | pmae | pmao
    assert cpu.gpr[5] == fc | pmae | pmao


def test_pmcc_gates_the_problem_state_pmcs() -> None:
    def one(word: int, mmcr0: int) -> VCPU:
        cpu = make_cpu([word], msr=PROB, r4=9)
        cpu.spr[MMCR0] = mmcr0
        cpu.step()
        return cpu

    assert one(mfspr(5, 771), PMCC_00).nia == CODE + 4  # reads allowed
    assert one(mtspr(771, 4), PMCC_00).nia == 0xE40  # writes: HEAI
    cpu = one(mfspr(5, 771), PMCC_01)
    assert cpu.nia == 0xF60 and cpu.spr[FSCR] >> 56 == 3  # PMU facility unavailable
    assert one(mtspr(771, 4), PMCC_10).spr[PMC1] == 9
    assert one(mfspr(5, 775), PMCC_11).nia == 0xF60  # PMC5/6 left out with PMCC = 11
    assert one(mtspr(775, 4), PMCC_10).spr[PMC5] == 9
    assert one(mtspr(782, 4), PMCC_11).nia == 0x700  # UMMCR1: read-only in problem state


def test_a_checkpoint_from_before_an_spr_existed_restores_its_reset_value() -> None:
    cpu = make_cpu([mfspr(4, MMCR0)], msr=SUP)
    state = cpu.get_state()
    spr = state["spr"]
    assert isinstance(spr, dict)
    del spr[MMCR0], spr[804]
    cpu.set_state(state)
    cpu.step()
    assert cpu.gpr[4] == 0x8000_0000 and cpu.spr[804] == 0
