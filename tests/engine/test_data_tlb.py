"""The per-vCPU data TLB (engine/memory.py DataTLB): fast loads and stores that stay exact.

Every test first puts the page in a TLB, then does the thing that must
invalidate it, then checks the guest sees what the reference (no TLB) sees.
"""

from __future__ import annotations

from engine.machine import Machine
from tests.asm import machine

DATA = 0x20000


def _fresh(source: str, vcpus: int = 1) -> Machine:
    m = machine(source, elf=False, vcpus=vcpus)
    for c in m.vcpus:
        c.dec_zero = 1 << 40
    return m


LOAD_TWICE = """
    .org 0x10
_start:
    lis 6, 2
    ld 3, 0(6)
    std 3, 8(6)
    ld 4, 0(6)
    b .
"""


def test_loads_and_stores_fill_the_tlbs_of_plain_pages() -> None:
    m = _fresh(LOAD_TWICE)
    cpu = m.vcpus[0]
    m.mem.write_bytes(DATA, (0x1122334455667788).to_bytes(8, "big"), None)
    cpu.run(5)
    assert cpu.gpr[3] == cpu.gpr[4] == 0x1122334455667788
    assert DATA >> 12 in cpu.tlb_load and DATA >> 12 in cpu.tlb_store
    assert m.mem.read(DATA + 8, 8, "big") == 0x1122334455667788


def test_a_copy_on_write_page_is_not_read_through_a_stale_mapping() -> None:
    m = _fresh(LOAD_TWICE, vcpus=2)
    reader, writer = m.vcpus
    m.mem.write_bytes(DATA, (1).to_bytes(8, "big"), None)
    reader.run(2)  # lis, ld: the page is in reader's load TLB
    assert reader.gpr[3] == 1 and DATA >> 12 in reader.tlb_load
    snap = m.mem.snapshot()
    m.mem.write_bytes(DATA, (2).to_bytes(8, "big"), writer)  # copies the shared page
    reader.nia = 0x14  # ld 3, 0(6) again
    reader.run(1)
    assert reader.gpr[3] == 2
    assert int.from_bytes(snap.pages[DATA >> 12][:8], "big") == 1


def test_restore_replaces_the_pages_the_tlbs_mapped() -> None:
    m = _fresh(LOAD_TWICE)
    cpu = m.vcpus[0]
    m.mem.write_bytes(DATA, (5).to_bytes(8, "big"), None)
    snap = m.mem.snapshot()
    m.mem.write_bytes(DATA, (6).to_bytes(8, "big"), None)
    cpu.run(2)
    assert cpu.gpr[3] == 6
    m.mem.restore(snap)
    cpu.nia = 0x14
    cpu.run(1)
    assert cpu.gpr[3] == 5


def test_a_watchpoint_added_later_still_sees_every_access() -> None:
    m = _fresh(LOAD_TWICE)
    cpu = m.vcpus[0]
    m.mem.write_bytes(DATA, bytes(16), None)
    cpu.run(3)  # both TLBs map the page
    assert DATA >> 12 in cpu.tlb_load and DATA >> 12 in cpu.tlb_store
    m.mem.add_watch("w", DATA + 8, 8, "access")
    m.mem.watch_exit = False
    cpu.nia = 0x18
    cpu.run(2)  # std then ld
    kinds = [h[3] for h in m.mem.watch_hits]
    assert kinds == ["write"]
    m.mem.watch_hits.clear()
    m.mem.add_watch("r", DATA, 8, "read")
    cpu.nia = 0x1C
    cpu.run(1)
    assert [h[3] for h in m.mem.watch_hits] == ["read"]


STORE_THEN_RUN = """
    .org 0x10
_start:
    lis 6, 2
    lis 9, 0x3860           # li 3, 99 = 0x38600063
    ori 9, 9, 99
    std 0, 16(6)            # the page is now in the store TLB
    mtctr 6
    bctrl                   # run the code at 0x20000 (decodes it)
    stw 9, 0(6)             # rewrite its first word through the store path
    bctrl
    b .
"""


def test_a_store_to_a_page_that_became_code_drops_the_decoded_word() -> None:
    for blocks in (False, True):
        m = _fresh(STORE_THEN_RUN)
        cpu = m.vcpus[0]
        cpu.use_blocks = blocks
        # at 0x20000: li 3, 1; blr
        m.mem.write_bytes(DATA, bytes.fromhex("38600001 4e800020"), None)
        cpu.run(14)
        assert cpu.gpr[3] == 99, blocks


def test_a_reservation_drops_the_other_vcpus_store_mapping() -> None:
    m = _fresh(LOAD_TWICE, vcpus=2)
    a, b = m.vcpus
    b.gpr[6] = DATA
    m.mem.write_bytes(DATA, bytes(8), None)  # allocated: a plain RAM page
    b.write(DATA + 16, 8, 1, "big")  # b maps the page for stores
    assert DATA >> 12 in b.tlb_store
    a.reserve(DATA, 4)
    assert DATA >> 12 not in b.tlb_store
    b.nia = 0x18  # std 3, 8(6): same reservation granule
    b.run(1)
    assert a.resv_addr is None


def test_a_page_mapped_again_after_leaving_the_fast_path_is_dropped_again() -> None:
    # Memory scans the store maps only for pages a store mapped since (its
    # record of them): each mapping must be recorded, not only the first.
    m = _fresh(LOAD_TWICE, vcpus=2)
    a, b = m.vcpus
    m.mem.write_bytes(DATA, bytes(8), None)
    for _ in range(2):
        b.write(DATA + 16, 8, 1, "big")
        assert DATA >> 12 in b.tlb_store
        a.flush_decoded()  # another vCPU's TLB emptied: b's mapping stays
        a.reserve(DATA, 4)
        assert DATA >> 12 not in b.tlb_store
        a.lose_reservation()  # the page is back on the fast path


def test_a_page_leaving_the_fast_path_drops_every_alias_mapping_it() -> None:
    # Memory deletes the store entries it recorded for the page, one per effective
    # page that mapped it: every alias must go, in every vCPU's map.
    m = _fresh(LOAD_TWICE, vcpus=2)
    a, b = m.vcpus
    m.mem.write_bytes(DATA, bytes(8), None)
    alias = 0xC000_0000_0000_0000 | DATA  # the same real page (real mode ignores the top bits)
    b.write(DATA + 16, 8, 1, "big")
    b.write(alias + 24, 8, 2, "big")
    a.write(alias, 8, 3, "big")
    assert {DATA >> 12, alias >> 12} <= set(b.tlb_store) and alias >> 12 in a.tlb_store
    a.reserve(DATA + 8, 4)
    assert not b.tlb_store and not a.tlb_store
    assert m.mem.read(DATA, 8, "big") == 3 and m.mem.read(DATA + 24, 8, "big") == 2


def test_a_stale_store_record_leaves_the_page_mapped_there_since() -> None:
    # A vCPU that empties its own maps leaves memory's record behind; when that
    # effective page maps another page by then, the entry is not the record's to drop.
    m = _fresh(LOAD_TWICE, vcpus=2)
    a, b = m.vcpus
    other = DATA + 0x1000
    m.mem.write_bytes(DATA, bytes(8), None)
    m.mem.write_bytes(other, bytes(8), None)
    b.write(DATA, 8, 1, "big")
    b.flush_decoded()
    page = m.mem.storable(other >> 12, b.dtlb, DATA >> 12)
    assert page is m.mem.pages[other >> 12]
    a.reserve(DATA, 4)
    assert b.tlb_store == {DATA >> 12: page}


def test_translation_changes_empty_the_tlb() -> None:
    m = _fresh(LOAD_TWICE)
    cpu = m.vcpus[0]
    m.mem.write_bytes(DATA, bytes(8), None)
    cpu.run(3)
    assert cpu.tlb_load and cpu.tlb_store
    cpu.set_msr(cpu.msr | (1 << 14))  # PR
    assert not cpu.tlb_load and not cpu.tlb_store
    cpu.set_msr(cpu.msr & ~(1 << 14))
    cpu.run(0)
    cpu.read(DATA, 8, "big")
    assert cpu.tlb_load
    cpu.flush_translation()
    assert not cpu.tlb_load
