"""CFAR (SPR 28): the address of the last taken branch, rfid or hrfid (docs/machine.md "CFAR")."""

from __future__ import annotations

from engine.isa.table import decode

from .conftest import CODE, make_cpu

MFCFAR_R5 = 0x7CBC02A6  # mfspr r5, CFAR


def _run(words: list[int], steps: int, **regs: int) -> int:
    cpu = make_cpu(words, **regs)
    for _ in range(steps):
        cpu.step()
    return cpu


def test_a_taken_branch_sets_cfar_to_its_own_address() -> None:
    cpu = _run([0x48000008, 0, MFCFAR_R5], 2)  # b +8; .long 0; mfspr r5,CFAR
    assert cpu.nia == CODE + 12
    assert cpu.gpr[5] == CODE


def test_bl_and_blr_both_set_cfar() -> None:
    # bl +8 -> blr returns to CODE+4 -> mfspr r5,CFAR
    cpu = _run([0x48000009, MFCFAR_R5, 0x4E800020], 3)
    assert cpu.gpr[5] == CODE + 8  # the blr


def test_a_branch_that_falls_through_leaves_cfar() -> None:
    # beq +8 with CR0[EQ] clear falls through; CFAR keeps what it was
    cpu = _run([0x41820008, MFCFAR_R5], 2, cr=0, cfar=0x1234)
    assert cpu.gpr[5] == 0x1234


def test_bdnz_sets_cfar_only_while_it_branches() -> None:
    # li r3,0; mtctr... use CTR = 2: bdnz . loops once then falls through
    cpu = _run([0x42000000, MFCFAR_R5], 3, ctr=2, cfar=0)
    assert cpu.gpr[5] == CODE


def test_rfid_sets_cfar() -> None:
    cpu = _run([0x4C000024], 1, srr0=CODE + 0x100, srr1=0x9000000000000000)
    assert cpu.nia == CODE + 0x100
    assert cpu.cfar == CODE


def test_hrfid_sets_cfar() -> None:
    cpu = _run([0x4C000224], 1, hsrr0=CODE + 0x200, hsrr1=0x9000000000000000)
    assert cpu.nia == CODE + 0x200
    assert cpu.cfar == CODE


def test_interrupt_delivery_leaves_cfar() -> None:
    cpu = _run([0x00000000], 1, cfar=0x4444)  # illegal word: HEAI
    assert cpu.nia == 0xE40
    assert cpu.cfar == 0x4444


def test_blocks_set_cfar_as_the_interpreter_does() -> None:
    # A loop run as a translated block: CFAR is the loop branch after it.
    words = [0x38630001, 0x4200FFFC, MFCFAR_R5]  # addi r3,r3,1; bdnz -4; mfspr r5,CFAR
    for blocks in (True, False):
        cpu = make_cpu(words, ctr=50)
        cpu.use_blocks = blocks
        cpu.run(101)
        assert cpu.gpr[3] == 50
        assert cpu.gpr[5] == CODE + 4
    assert decode(0x4200FFFC) is not None
