"""Disassembly: capstone in both byte orders, Book3S SPR names, symbols, fallbacks."""

from __future__ import annotations

from engine.disasm import Line, disassemble, disassemble_one, spr_name, symbolize
from engine.sprs import SPR_TABLE


def words(*ws: int, order: str = "big") -> bytes:
    return b"".join(w.to_bytes(4, order) for w in ws)


def test_big_endian_addi_is_li() -> None:
    # li r3, 1
    assert disassemble(words(0x38600001), 0x1000) == [
        Line(0x1000, 0x38600001, "li", "r3, 1", "li r3, 1")
    ]


def test_little_endian_reads_words_in_le_byte_order() -> None:
    # li r3, 1 ; blr
    lines = disassemble(words(0x38600001, 0x4E800020, order="little"), 0x2000, little=True)
    assert [(ln.address, ln.word, ln.text) for ln in lines] == [
        (0x2000, 0x38600001, "li r3, 1"),
        (0x2004, 0x4E800020, "blr"),
    ]


def test_count_limits_the_words_disassembled() -> None:
    assert len(disassemble(words(0x60000000, 0x60000000, 0x60000000), 0, 2)) == 2


def test_mfspr_gets_book3s_name_instead_of_number() -> None:
    # mfspr r3, SRR0 (26): capstone prints 0x1a
    assert disassemble_one(0x7C7A02A6).text == "mfspr r3, srr0"


def test_mtspr_gets_book3s_name_where_capstone_says_booke() -> None:
    # mtspr SPRG0 (272), r4: capstone would print a BookE/32-bit alias or a number
    ln = disassemble_one(0x7C9043A6)
    assert (ln.mnemonic, ln.operands) == ("mtspr", "sprg0, r4")


def test_hypervisor_sprs_are_named() -> None:
    # mtspr HSRR1 (315), r5 ; mfspr r6, LPCR (318)
    assert disassemble_one(0x7CBB4BA6).text == "mtspr hsrr1, r5"
    assert disassemble_one(0x7CDE4AA6).text == "mfspr r6, lpcr"


def test_lr_ctr_xer_keep_extended_mnemonics() -> None:
    # mflr r0 ; mtctr r9 ; mfxer r3
    assert disassemble_one(0x7C0802A6).text == "mflr r0"
    assert disassemble_one(0x7D2903A6).text == "mtctr r9"
    assert disassemble_one(0x7C6102A6).text == "mfxer r3"


def test_unknown_spr_prints_its_decimal_number() -> None:
    # mtspr 670, r4 (no such SPR in the engine's table)
    assert disassemble_one(0x7C9EA3A6).text == "mtspr 670, r4"


def test_mftb_and_mftbu() -> None:
    assert disassemble_one(0x7C6C42E6).text == "mftb r3"
    assert disassemble_one(0x7C6D42E6).text == "mftbu r3"


def test_every_spr_in_the_table_round_trips_by_name() -> None:
    for s in SPR_TABLE:
        assert spr_name(s.number) == s.name


def test_branch_target_annotated_with_symbol() -> None:
    # bl 0x1040 from 0x1000
    ln = disassemble(words(0x48000041), 0x1000, symbols={"func": 0x1040, "start": 0x1000})[0]
    assert ln.text == "bl 0x1040 <func>"


def test_branch_target_annotated_with_offset_from_nearest_symbol() -> None:
    # b 0x1048 from 0x1000
    ln = disassemble(words(0x48000048), 0x1000, symbols={"func": 0x1040})[0]
    assert ln.text == "b 0x1048 <func+0x8>"


def test_conditional_branch_target_annotated() -> None:
    # bdnz 0x1000 at 0x1008
    ln = disassemble(words(0x4200FFF8), 0x1008, symbols={"loop": 0x1000})[0]
    assert ln.text == "bdnz 0x1000 <loop>"


def test_symbolize_without_symbol_below_is_none() -> None:
    assert symbolize(0x10, {"x": 0x100}) is None
    assert symbolize(0x10, None) is None


def test_oe_form_unknown_to_capstone_falls_back_to_table() -> None:
    # addo r3, r4, r4 (capstone 5 has no OE forms)
    assert disassemble_one(0x7C642614).text == "addo r3, r4, r4"


def test_illegal_word_is_long() -> None:
    ln = disassemble_one(0x00000000)
    assert (ln.mnemonic, ln.text) == (".long", ".long 0x00000000")


def test_trailing_partial_word_is_ignored() -> None:
    assert len(disassemble(words(0x60000000) + b"\x00\x01", 0)) == 1
