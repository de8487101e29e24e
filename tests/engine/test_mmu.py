"""The radix MMU against ISA 3.0B 5.7 and QEMU 7.2's mmu-radix64.c.

Page tables are built in memory with ``build_radix_tables``; the MMU runs on
a small stand-in vCPU (MSR, SPRs, memory) so each test names exactly the
state translation reads. The last tests attach the MMU to a real VCPU.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.interrupts import Interrupt
from engine.memory import PhysicalMemory
from engine.mmu import (
    DSISR_ISSTORE,
    DSISR_NOPTE,
    DSISR_PROTFAULT,
    DSISR_PRTABLE_FAULT,
    DSISR_R_BADCONFIG,
    PAGE_1G,
    PAGE_2M,
    PAGE_4K,
    PAGE_64K,
    R_PTE_ATT_NI_IO,
    R_PTE_C,
    R_PTE_R,
    SRR1_NOEXEC_GUARD,
    PageMapping,
    RadixMMU,
    RadixTables,
    build_radix_tables,
    rts_field,
)
from engine.msr import LPCR_HR, MSR_DR, MSR_HV, MSR_IR, MSR_LE, MSR_PR, MSR_SF

LPCR_UPRT = 1 << (63 - 42)
HV_VIRT = MSR_SF | MSR_HV | MSR_IR | MSR_DR
SUP_VIRT = MSR_SF | MSR_IR | MSR_DR
TABLES = 0x10_0000
from engine.sprs import (  # noqa: E402
    SPR_AMR,
    SPR_ASDR,
    SPR_HDAR,
    SPR_HDSISR,
    SPR_HRMOR,
    SPR_IAMR,
    SPR_LPCR,
    SPR_LPIDR,
    SPR_PIDR,
    SPR_PTCR,
)

Q3 = 0xC000_0000_0000_0000  # quadrant 3: PID 0, the kernel's


class FakeCPU:
    """What the MMU reads of a vCPU: MSR, SPRs, memory."""

    def __init__(self, mem: PhysicalMemory, msr: int) -> None:
        self.mem = mem
        self.msr = msr
        nums = (29, 48, 61, 306, 307, 313, 318, 319, 464, 816)
        self.spr: dict[int, int] = dict.fromkeys(nums, 0)


def setup(
    mappings: list[PageMapping],
    msr: int = HV_VIRT,
    partitions: dict[int, list[PageMapping]] | None = None,
) -> tuple[FakeCPU, RadixMMU, RadixTables]:
    mem = PhysicalMemory(64 << 20)
    tables = build_radix_tables(mem, TABLES, mappings, partitions)
    cpu = FakeCPU(mem, msr)
    cpu.spr[SPR_PTCR] = tables.ptcr
    cpu.spr[SPR_LPCR] = LPCR_HR | LPCR_UPRT
    return cpu, RadixMMU(cpu), tables  # type: ignore[arg-type]


def fault(mmu: RadixMMU, ea: int, access: str) -> Interrupt:
    with pytest.raises(Interrupt) as info:
        mmu.translate(ea, access)
    return info.value


def pte(cpu: FakeCPU, tables: RadixTables, ea: int, pid: int = 0) -> int:
    return cpu.mem.read(tables.pte_address(ea, pid), 8, "big")


# -- page sizes ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "ea", "pa", "offset"),
    [
        (PAGE_4K, 0x1234_5000, 0x0070_3000, 0xABC),
        (PAGE_64K, 0x1234_0000, 0x0071_0000, 0xFABC),
        (PAGE_2M, 0x1240_0000, 0x0080_0000, 0x1F_FABC),
        (PAGE_1G, 0x4000_0000, 0x8000_0000, 0x3FFF_FABC),
    ],
)
def test_each_page_size_keeps_its_offset_bits(size: int, ea: int, pa: int, offset: int) -> None:
    cpu, mmu, _ = setup([PageMapping(ea, pa, size)])
    assert mmu.translate(ea + offset, "r") == pa + offset
    assert mmu.translate(ea, "w") == pa
    assert mmu.translate(ea + size - 4, "x") == pa + size - 4


def test_the_top_of_the_52_bit_space_translates() -> None:
    cpu, mmu, _ = setup([PageMapping(0x000F_FFFF_FFFF_F000, 0x1000)])
    assert mmu.translate(0xC00F_FFFF_FFFF_F123, "r") == 0x1123


def test_the_page_after_a_mapping_is_unmapped() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1_0000, 0x20_0000, PAGE_64K)])
    assert mmu.translate(0x1_FFFF, "r") == 0x20_FFFF
    exc = fault(mmu, 0x2_0000, "r")
    assert (exc.vector, exc.dar, exc.dsisr) == (0x300, 0x2_0000, DSISR_NOPTE)


def test_builder_writes_big_endian_entries_with_the_power9_geometry() -> None:
    mem = PhysicalMemory(16 << 20)
    t = build_radix_tables(mem, TABLES, [PageMapping(0x5000, 0x9000, perms="r")])
    prtbe0 = mem.read(t.process_table, 8, "big")
    assert prtbe0 == rts_field(52) | t.roots[0] | 13  # RTS = 52 bits, root NLS = 13
    assert rts_field(52) == 0x4000_0000_0000_00A0
    assert mem.read(t.pte_address(0x5000), 8, "big") == 0xC000_0000_0000_9004  # V L RPN EAA=R


def test_builder_rejects_mixed_4k_and_64k_pages_in_one_2m_block() -> None:
    with pytest.raises(ValueError):
        setup([PageMapping(0x1000, 0x1000), PageMapping(0x1_0000, 0x1_0000, PAGE_64K)])


# -- quadrants -------------------------------------------------------------------
def test_quadrant_0_uses_pidr_and_quadrant_3_uses_pid_0() -> None:
    cpu, mmu, _ = setup(
        [PageMapping(0x1_0000, 0x30_0000, pid=5), PageMapping(0x1_0000, 0x40_0000, pid=0)]
    )
    assert mmu.translate(0x1_0010, "r") == 0x40_0010  # PIDR = 0
    cpu.spr[SPR_PIDR] = 5
    assert mmu.translate(0x1_0010, "r") == 0x30_0010
    assert mmu.translate(Q3 | 0x1_0010, "r") == 0x40_0010


def test_pid_change_needs_no_flush_because_the_pid_is_part_of_the_cache_key() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x30_0000, pid=1), PageMapping(0x1000, 0x40_0000)])
    assert mmu.translate(0x1000, "r") == 0x40_0000
    cpu.spr[SPR_PIDR] = 1
    assert mmu.translate(0x1000, "r") == 0x30_0000


def test_hv_quadrants_1_and_2_with_lpidr_0_act_as_quadrants_0_and_3() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x30_0000, pid=2), PageMapping(0x1000, 0x40_0000)])
    cpu.spr[SPR_PIDR] = 2
    assert mmu.translate(0x4000_0000_0000_1000, "r") == 0x30_0000  # LPIDR, PIDR
    assert mmu.translate(0x8000_0000_0000_1000, "r") == 0x40_0000  # LPIDR, PID 0


def test_hv_quadrant_2_with_a_guest_lpid_adds_partition_scoped_translation() -> None:
    cpu, mmu, _ = setup(
        [PageMapping(0x5000, 0x20_1000)],
        partitions={1: [PageMapping(0x20_0000, 0x80_0000, PAGE_2M)]},
    )
    cpu.spr[SPR_LPIDR] = 1
    assert mmu.translate(0x8000_0000_0000_5008, "r") == 0x80_1008
    assert mmu.translate(Q3 | 0x5008, "r") == 0x20_1008  # quadrant 3: LPID 0, no second stage


@pytest.mark.parametrize("quadrant", [0x4000_0000_0000_0000, 0x8000_0000_0000_0000])
def test_supervisor_quadrants_1_and_2_raise_segment_interrupts(quadrant: int) -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000)], msr=SUP_VIRT)
    mmu.process_table_override = build_radix_tables(
        cpu.mem, 0x20_0000, [PageMapping(0x1000, 0x1000)]
    ).process_table
    exc = fault(mmu, quadrant | 0x1000, "w")
    assert (exc.vector, exc.dar, exc.dsisr) == (0x380, quadrant | 0x1000, None)
    exc = fault(mmu, quadrant | 0x1000, "x")
    assert (exc.vector, exc.srr1) == (0x480, 0)


@pytest.mark.parametrize("ea", [0x0010_0000_0000_0000, 0xC010_0000_0000_0000, 1 << 61])
def test_ea_bits_2_to_11_set_raise_a_segment_interrupt(ea: int) -> None:
    cpu, mmu, _ = setup([PageMapping(0, 0)])
    exc = fault(mmu, ea, "r")
    assert (exc.vector, exc.dar) == (0x380, ea)
    assert fault(mmu, ea, "x").vector == 0x480


# -- not mapped ------------------------------------------------------------------
def test_load_from_an_unmapped_page_is_a_dsi_with_dsisr_nopte() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000)])
    exc = fault(mmu, 0x2008, "r")
    assert (exc.vector, exc.dar, exc.dsisr, exc.srr1) == (0x300, 0x2008, 0x4000_0000, 0)


def test_store_to_an_unmapped_page_adds_the_store_bit() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000)])
    exc = fault(mmu, Q3 | 0x7FF0_0000, "w")  # no directory at all on the way
    assert (exc.vector, exc.dar, exc.dsisr) == (0x300, Q3 | 0x7FF0_0000, 0x4200_0000)


def test_fetch_from_an_unmapped_page_is_an_isi_with_srr1_nopte() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000)])
    exc = fault(mmu, 0x3000, "x")
    assert (exc.vector, exc.srr1, exc.dar, exc.dsisr) == (0x400, 0x4000_0000, None, None)


def test_pid_beyond_the_process_table_is_nopte() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000)])
    cpu.spr[SPR_PIDR] = 256  # PRTS = 0: 4 KiB, 256 entries
    assert fault(mmu, 0x1000, "r").dsisr == DSISR_NOPTE


def test_pid_without_a_process_table_entry_is_a_bad_radix_config() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000)])
    cpu.spr[SPR_PIDR] = 9  # an all-zero entry: RTS 31 bits, NLS 0
    exc = fault(mmu, 0x1000, "w")
    assert (exc.vector, exc.dsisr) == (0x300, DSISR_R_BADCONFIG | DSISR_ISSTORE)
    assert fault(mmu, 0x1000, "x").srr1 == DSISR_R_BADCONFIG


@pytest.mark.parametrize("rts_bits", [48, 56])
def test_a_tree_size_other_than_52_bits_is_a_bad_radix_config(rts_bits: int) -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000)])
    cpu.mem.write(t.process_table, 8, rts_field(rts_bits) | t.roots[0] | 13, "big")
    assert fault(mmu, 0x1000, "r").dsisr == DSISR_R_BADCONFIG


def test_a_misaligned_process_table_is_a_bad_radix_config() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000)])
    cpu.mem.write(t.ptcr + 8, 8, t.process_table | 1, "big")  # PRTS 1: 8 KiB, base not aligned
    assert fault(mmu, 0x1000, "r").dsisr == DSISR_R_BADCONFIG


# -- partition table faults: hypervisor storage interrupts ------------------------------
def test_a_pate_without_hr_is_an_hdsi_with_badconfig() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000)])
    cpu.mem.write(t.ptcr, 8, 0, "big")
    exc = fault(mmu, 0x1008, "w")
    assert (exc.vector, exc.dar, exc.dsisr) == (0xE00, None, None)
    assert cpu.spr[SPR_HDSISR] == DSISR_R_BADCONFIG | DSISR_ISSTORE
    assert (cpu.spr[SPR_HDAR], cpu.spr[SPR_ASDR]) == (0x1008, 0x1008)
    exc = fault(mmu, 0x1008, "x")
    assert (exc.vector, exc.srr1) == (0xE20, DSISR_R_BADCONFIG)


def test_a_misaligned_partition_table_is_an_hdsi() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000)])
    cpu.spr[SPR_PTCR] = (t.ptcr + 0x1000) | 1  # PATS 1: 8 KiB, base only 4 KiB aligned
    assert fault(mmu, 0x1000, "r").vector == 0xE00
    assert cpu.spr[SPR_HDSISR] == DSISR_R_BADCONFIG


def test_lpid_0_from_supervisor_state_is_an_hdsi_as_qemu_validates_the_pate() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000)], msr=SUP_VIRT)
    assert fault(mmu, 0x1000, "r").vector == 0xE00
    assert cpu.spr[SPR_HDSISR] == DSISR_R_BADCONFIG


# -- a supervisor-state partition on powernv: two-stage translation ----------------------
def guest_partition() -> tuple[FakeCPU, RadixMMU, RadixTables]:
    # LPID 1: guest real 0..1 GiB is host real 0..1 GiB (so the guest's tables
    # are where the builder put them), guest 0x4000_0000 + 2 MiB is host 0x60_0000.
    cpu, mmu, t = setup(
        [PageMapping(0x5000, 0x4000_1000), PageMapping(0x6000, 0x8000_0000)],
        msr=SUP_VIRT,
        partitions={1: [PageMapping(0, 0, PAGE_1G), PageMapping(0x4000_0000, 0x60_0000, PAGE_2M)]},
    )
    cpu.spr[SPR_LPIDR] = 1
    return cpu, mmu, t


def test_guest_partition_translates_process_then_partition_scope() -> None:
    cpu, mmu, t = guest_partition()
    assert mmu.translate(0x5010, "r") == 0x60_1010
    assert mmu.translate(Q3 | 0x5010, "w") == 0x60_1010


def test_guest_partition_fault_in_partition_scope_is_an_hdsi_with_asdr() -> None:
    cpu, mmu, t = guest_partition()
    exc = fault(mmu, 0x6010, "w")
    assert exc.vector == 0xE00
    assert cpu.spr[SPR_HDSISR] == DSISR_NOPTE | DSISR_ISSTORE
    assert (cpu.spr[SPR_HDAR], cpu.spr[SPR_ASDR]) == (0x6010, 0x8000_0010)
    exc = fault(mmu, 0x6010, "x")
    assert (exc.vector, exc.srr1, cpu.spr[SPR_ASDR]) == (0xE20, DSISR_NOPTE, 0x8000_0010)


def test_guest_partition_process_scope_fault_is_an_ordinary_dsi() -> None:
    cpu, mmu, t = guest_partition()
    exc = fault(mmu, 0x7000, "r")
    assert (exc.vector, exc.dar, exc.dsisr) == (0x300, 0x7000, DSISR_NOPTE)


def test_guest_partition_page_table_address_fault_is_a_load_hdsi_with_prtable_fault() -> None:
    cpu, mmu, t = guest_partition()
    # Take the guest's tables out of the partition: its identity 1 GiB leaf goes.
    cpu.mem.write(t.partition_roots[1], 8, 0, "big")
    exc = fault(mmu, 0x5000, "w")  # a store, but the failing access was a table read
    assert exc.vector == 0xE00
    assert cpu.spr[SPR_HDSISR] == DSISR_NOPTE | DSISR_PRTABLE_FAULT
    assert cpu.spr[SPR_ASDR] == t.process_table  # PID 0's process table entry
    exc = fault(mmu, 0x5000, "x")
    assert exc.vector == 0xE00  # still a data interrupt


def test_guest_partition_sets_r_and_c_in_both_scopes() -> None:
    cpu, mmu, t = guest_partition()
    mmu.translate(0x5000, "w")
    assert pte(cpu, t, 0x5000) & (R_PTE_R | R_PTE_C) == R_PTE_R | R_PTE_C
    root = t.partition_roots[1]
    l1 = cpu.mem.read(root, 8, "big") & 0x0FFF_FFFF_FFFF_FF00
    gig0 = cpu.mem.read(l1, 8, "big")  # the identity 1 GiB leaf: page-table reads
    assert gig0 & (R_PTE_R | R_PTE_C) == R_PTE_R
    leaf2 = cpu.mem.read(cpu.mem.read(l1 + 8, 8, "big") & 0x0FFF_FFFF_FFFF_FF00, 8, "big")
    assert leaf2 & (R_PTE_R | R_PTE_C) == R_PTE_R | R_PTE_C


# -- permissions ------------------------------------------------------------------
def test_store_to_a_read_only_page_is_a_protection_dsi() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000, perms="rx")])
    assert mmu.translate(0x1000, "r") == 0x1000
    exc = fault(mmu, 0x1004, "w")
    assert (exc.vector, exc.dar, exc.dsisr) == (0x300, 0x1004, 0x0A00_0000)


def test_load_from_an_execute_only_page_is_a_protection_dsi() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000, perms="x")])
    assert mmu.translate(0x1000, "x") == 0x1000
    assert fault(mmu, 0x1000, "r").dsisr == DSISR_PROTFAULT


def test_write_permission_implies_read() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000, perms="w")])
    assert mmu.translate(0x1000, "r") == 0x1000
    assert fault(mmu, 0x1000, "x").srr1 == SRR1_NOEXEC_GUARD


def test_fetch_from_a_no_execute_page_is_an_isi_with_srr1_noexec() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000, perms="rw")])
    exc = fault(mmu, 0x1000, "x")
    assert (exc.vector, exc.srr1) == (0x400, 0x1000_0000)


def test_fetch_from_non_idempotent_io_is_guarded_even_when_executable() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000, att=R_PTE_ATT_NI_IO)])
    assert mmu.translate(0x1000, "w") == 0x1000
    assert fault(mmu, 0x1000, "x").srr1 == SRR1_NOEXEC_GUARD


def test_problem_state_access_to_a_privileged_page_is_a_protection_fault() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000, privileged=True)], msr=HV_VIRT | MSR_PR)
    assert fault(mmu, 0x1000, "r").dsisr == DSISR_PROTFAULT
    assert fault(mmu, 0x1000, "w").dsisr == DSISR_PROTFAULT | DSISR_ISSTORE
    assert fault(mmu, 0x1000, "x").srr1 == SRR1_NOEXEC_GUARD
    cpu.msr = HV_VIRT
    assert mmu.translate(0x1000, "w") == 0x1000


def test_amr_key_0_guards_privileged_access_to_problem_state_pages() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000), PageMapping(0x2000, 0x2000, privileged=True)])
    cpu.spr[SPR_AMR] = 0x8000_0000_0000_0000  # key 0: stores prohibited
    assert mmu.translate(0x1000, "r") == 0x1000
    assert fault(mmu, 0x1000, "w").dsisr == DSISR_PROTFAULT | DSISR_ISSTORE
    assert mmu.translate(0x2000, "w") == 0x2000  # privileged pages ignore the AMR
    mmu.flush()
    cpu.spr[SPR_AMR] = 0x4000_0000_0000_0000  # key 0: loads prohibited
    assert fault(mmu, 0x1000, "r").dsisr == DSISR_PROTFAULT
    assert mmu.translate(0x1000, "w") == 0x1000


def test_amr_does_not_apply_in_problem_state_as_in_qemu() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000)], msr=HV_VIRT | MSR_PR)
    cpu.spr[SPR_AMR] = 0xC000_0000_0000_0000
    cpu.spr[SPR_IAMR] = 0x4000_0000_0000_0000
    assert mmu.translate(0x1000, "w") == 0x1000
    assert mmu.translate(0x1000, "x") == 0x1000


def test_iamr_key_0_prohibits_privileged_fetch_from_problem_state_pages() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000)])
    cpu.spr[SPR_IAMR] = 0x4000_0000_0000_0000
    exc = fault(mmu, 0x1000, "x")
    assert (exc.vector, exc.srr1) == (0x400, SRR1_NOEXEC_GUARD)
    assert mmu.translate(0x1000, "r") == 0x1000


# -- reference and change bits ---------------------------------------------------------
def test_load_sets_r_and_store_sets_r_and_c() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000), PageMapping(0x2000, 0x2000)])
    mmu.translate(0x1000, "r")
    assert pte(cpu, t, 0x1000) & (R_PTE_R | R_PTE_C) == R_PTE_R
    mmu.translate(0x2000, "w")
    assert pte(cpu, t, 0x2000) & (R_PTE_R | R_PTE_C) == R_PTE_R | R_PTE_C


def test_fetch_sets_r_only() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000)])
    mmu.translate(0x1000, "x")
    assert pte(cpu, t, 0x1000) & (R_PTE_R | R_PTE_C) == R_PTE_R


def test_store_after_a_cached_load_still_sets_c() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000)])
    mmu.translate(0x1000, "r")
    mmu.translate(0x1008, "r")
    mmu.translate(0x1010, "w")
    assert pte(cpu, t, 0x1000) & R_PTE_C


def test_a_faulting_access_leaves_r_and_c_alone() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000, perms="r")])
    before = pte(cpu, t, 0x1000)
    fault(mmu, 0x1000, "w")
    assert pte(cpu, t, 0x1000) == before


def test_r_and_c_are_written_big_endian_whatever_msr_le_says() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000)], msr=HV_VIRT | MSR_LE)
    mmu.translate(0x1000, "w")
    raw = cpu.mem.read_bytes(t.pte_address(0x1000), 8)
    assert raw == (0xC000_0000_0000_1000 | R_PTE_R | R_PTE_C | 0x7).to_bytes(8, "big")


def test_preset_r_and_c_are_not_rewritten() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000, referenced=True, changed=True)])
    stores: list[int] = []
    cpu.mem.watch_code(t.pte_address(0x1000), lambda: stores.append(1))
    mmu.translate(0x1000, "w")
    assert stores == []


# -- the translation cache -------------------------------------------------------------
def test_cached_translation_survives_a_page_table_change_until_flushed() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000)])
    assert mmu.translate(0x1000, "r") == 0x1000
    cpu.mem.write(t.pte_address(0x1000), 8, PageMapping(0x1000, 0x9000).pte(), "big")
    assert mmu.translate(0x1004, "r") == 0x1004  # a TLB: stale until tlbie
    mmu.flush(0x1000)
    assert mmu.translate(0x1004, "r") == 0x9004


def test_flush_by_address_leaves_other_pages_cached() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000), PageMapping(0x2000, 0x2000)])
    mmu.translate(0x1000, "r")
    mmu.translate(0x2000, "r")
    cpu.mem.write(t.pte_address(0x2000), 8, 0, "big")
    cpu.mem.write(t.pte_address(0x1000), 8, 0, "big")
    mmu.flush(0x2000)
    assert fault(mmu, 0x2000, "r").dsisr == DSISR_NOPTE
    assert mmu.translate(0x1000, "r") == 0x1000


def test_flush_by_address_drops_every_piece_of_a_large_page_in_every_quadrant() -> None:
    cpu, mmu, t = setup([PageMapping(0x20_0000, 0x40_0000, PAGE_2M)])
    assert mmu.translate(0x20_0000, "r") == 0x40_0000
    assert mmu.translate(Q3 | 0x3F_F000, "r") == 0x5F_F000
    cpu.mem.write(t.pte_address(0x20_0000), 8, 0, "big")
    mmu.flush(0x30_0000)  # tlbie of any address in the 2 MiB page
    assert fault(mmu, 0x20_0000, "r").vector == 0x300
    assert fault(mmu, Q3 | 0x3F_F000, "r").vector == 0x300


def test_a_flush_of_everything_drops_only_what_was_walked_through_a_written_table() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000), PageMapping(0x20_0000, 0x20_0000)])
    mmu.translate(0x1000, "r")
    mmu.translate(0x20_0000, "r")
    # Both walks read the same upper levels; only 0x1000's leaf table is stored to.
    cpu.mem.write(t.pte_address(0x1000), 8, PageMapping(0x1000, 0x9000).pte(), "big")
    assert mmu.translate(0x1004, "r") == 0x1004  # stale until the flush, as before
    gone = mmu.flush_stale()
    assert gone is not None and 0x1 in gone and 0x200 not in gone
    assert mmu.translate(0x1004, "r") == 0x9004
    assert mmu.translate(0x20_0004, "r") == 0x20_0004


def test_a_flush_of_everything_with_no_table_written_keeps_every_translation() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000)])
    mmu.translate(0x1000, "r")  # sets R: a store to its own table, seen by the next flush
    mmu.flush_stale()
    mmu.translate(0x1000, "r")  # walked again: R is set, nothing is written now
    assert mmu.flush_stale() == set()


def test_a_store_to_an_upper_level_table_drops_every_walk_through_it() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000), PageMapping(0x20_0000, 0x20_0000)])
    mmu.translate(0x1000, "r")
    mmu.translate(0x20_0000, "r")
    mmu.flush_stale()
    mmu.translate(0x1000, "r")
    mmu.translate(0x20_0000, "r")
    ptcr_table = (cpu.spr[SPR_PTCR] & ~0xFFF) & ((1 << 60) - 1)
    cpu.mem.write(ptcr_table + 24, 8, cpu.mem.read(ptcr_table + 24, 8, "big"), "big")
    gone = mmu.flush_stale()
    assert gone == {0x1, 0x200}  # the partition table: every walk read it


def test_after_the_cache_starts_over_a_flush_cannot_tell_what_stays() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000)])
    mmu.translate(0x1000, "r")
    mmu.flush()  # the vCPU's data maps and decoded code may still hold the translation
    assert mmu.flush_stale() is None
    mmu.exact_again()  # the vCPU dropped them all
    assert mmu.flush_stale() == set()


def test_restoring_memory_counts_as_a_store_to_every_table() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000)])
    snap = cpu.mem.snapshot()
    mmu.translate(0x1000, "r")
    mmu.flush_stale()
    mmu.translate(0x1000, "r")
    cpu.mem.restore(snap)
    assert mmu.flush_stale() == {0x1}


def test_flush_all() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x1000)])
    mmu.translate(0x1000, "x")
    cpu.spr[SPR_LPCR] = 0  # to hash: only takes effect once the cache is dropped
    assert mmu.translate(0x1000, "x") == 0x1000
    mmu.flush()
    assert fault(mmu, 0x1000, "x").vector == 0x480


def test_cache_separates_privilege_states() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000, privileged=True)])
    assert mmu.translate(0x1000, "r") == 0x1000
    cpu.msr |= MSR_PR
    assert fault(mmu, 0x1000, "r").dsisr == DSISR_PROTFAULT


# -- the guest profile ----------------------------------------------------------------
def guest(mappings: list[PageMapping]) -> tuple[FakeCPU, RadixMMU, RadixTables]:
    mem = PhysicalMemory(64 << 20)
    t = build_radix_tables(mem, TABLES, mappings)
    cpu = FakeCPU(mem, SUP_VIRT)
    cpu.spr[SPR_LPCR] = LPCR_HR | LPCR_UPRT  # set by the host on H_REGISTER_PROC_TBL
    mmu = RadixMMU(cpu)  # type: ignore[arg-type]
    mmu.process_table_override = t.process_table
    return cpu, mmu, t


def test_guest_uses_the_registered_process_table_and_identity_partition_scope() -> None:
    cpu, mmu, t = guest([PageMapping(0x1000, 0x30_0000), PageMapping(0x1000, 0x50_0000, pid=3)])
    assert cpu.spr[SPR_PTCR] == 0  # no partition table at all
    assert mmu.translate(Q3 | 0x1010, "r") == 0x30_0010
    cpu.spr[SPR_PIDR] = 3
    assert mmu.translate(0x1010, "w") == 0x50_0010
    assert pte(cpu, t, 0x1000, pid=3) & R_PTE_C


def test_guest_faults_are_ordinary_dsi_and_isi() -> None:
    cpu, mmu, _ = guest([PageMapping(0x1000, 0x30_0000, perms="r")])
    exc = fault(mmu, Q3 | 0x1000, "w")
    assert (exc.vector, exc.dar, exc.dsisr) == (0x300, Q3 | 0x1000, 0x0A00_0000)
    exc = fault(mmu, Q3 | 0x2000, "x")
    assert (exc.vector, exc.srr1) == (0x400, 0x4000_0000)


def test_registering_a_process_table_flushes_the_cache() -> None:
    cpu, mmu, _ = guest([PageMapping(0x1000, 0x30_0000)])
    assert mmu.translate(0x1000, "r") == 0x30_0000
    other = build_radix_tables(cpu.mem, 0x40_0000, [PageMapping(0x1000, 0x70_0000)])
    mmu.process_table_override = other.process_table
    assert mmu.translate(0x1000, "r") == 0x70_0000


def test_guest_real_mode_is_the_identity_without_hrmor() -> None:
    cpu, mmu, _ = guest([])
    cpu.msr = MSR_SF
    cpu.spr[SPR_HRMOR] = 0x1000_0000
    assert mmu.translate(0xC000_0000_0000_1234, "r") == 0x1234


# -- hash mode and real mode -------------------------------------------------------------
def test_hash_mode_data_access_is_a_data_segment_interrupt() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000)])
    cpu.spr[SPR_LPCR] = 0
    exc = fault(mmu, Q3 | 0x1000, "r")
    assert (exc.vector, exc.dar, exc.dsisr, exc.srr1) == (0x380, Q3 | 0x1000, None, 0)
    assert fault(mmu, 0x1000, "w").vector == 0x380


def test_hash_mode_fetch_is_an_instruction_segment_interrupt() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000)], msr=SUP_VIRT)
    cpu.spr[SPR_LPCR] = 0
    exc = fault(mmu, 0x1000, "x")
    assert (exc.vector, exc.srr1, exc.dar) == (0x480, 0, None)


def test_hv_real_mode_ignores_ea_bits_0_to_3_and_applies_hrmor() -> None:
    cpu, mmu, _ = setup([], msr=MSR_SF | MSR_HV)
    cpu.spr[SPR_HRMOR] = 0x100_0000
    assert mmu.translate(0x1234, "r") == 0x100_1234
    assert mmu.translate(0x8000_0000_0000_1234, "w") == 0x1234
    cpu.msr |= MSR_IR  # data translation still off
    assert mmu.translate(0x1234, "w") == 0x100_1234


# -- probe ----------------------------------------------------------------------------
def test_probe_translates_without_touching_r_c_or_raising() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x7000, perms="r")])
    before = pte(cpu, t, 0x1000)
    assert mmu.probe(0x1010) == 0x7010
    assert mmu.probe(0x1010, "w") is None  # protection
    assert mmu.probe(0x2000) is None  # not mapped
    assert mmu.probe(0x0010_0000_0000_0000) is None  # segment
    assert pte(cpu, t, 0x1000) == before
    assert cpu.spr[SPR_HDSISR] == 0


def test_probe_returns_none_for_a_broken_partition_table() -> None:
    cpu, mmu, _ = setup([PageMapping(0x1000, 0x1000)])
    cpu.spr[SPR_PTCR] = 63 << 20  # past the end of RAM
    assert mmu.probe(0x1000) is None
    assert cpu.spr[SPR_ASDR] == 0


# -- attached to a real vCPU -------------------------------------------------------------
def test_a_vcpu_with_the_mmu_takes_a_dsi_at_0x300() -> None:
    from engine.cpu import VCPU

    mem = PhysicalMemory(16 << 20)
    t = build_radix_tables(
        mem, TABLES, [PageMapping(0x1000, 0x1000, perms="rx"), PageMapping(0x2000, 0x5000)]
    )
    mem.write_bytes(0x1000, (0xE8830000).to_bytes(4, "big"), None)  # ld r4,0(r3)
    mem.write_bytes(0x1004, (0x90830000).to_bytes(4, "big"), None)  # stw r4,0(r3)
    mem.write_bytes(0x5008, (0x1122334455667788).to_bytes(8, "big"), None)
    cpu = VCPU(mem, 0)
    cpu.mmu = RadixMMU(cpu)
    cpu.spr[SPR_PTCR] = t.ptcr
    cpu.spr[SPR_LPCR] = LPCR_HR | LPCR_UPRT
    cpu.set_msr(HV_VIRT | 0x1000)
    cpu.nia = Q3 | 0x1000
    cpu.gpr[3] = Q3 | 0x2008
    cpu.step()
    assert (cpu.nia, cpu.gpr[4]) == (Q3 | 0x1004, 0x1122334455667788)
    cpu.gpr[3] = 0x3000  # unmapped
    cpu.step()
    assert cpu.nia == 0x300
    assert cpu.spr[26] == Q3 | 0x1004  # SRR0: the store
    assert (cpu.spr[19], cpu.spr[18]) == (0x3000, 0x4200_0000)  # DAR, DSISR


# -- against QEMU powernv9 ---------------------------------------------------------------
# Faults of every class a powernv program meets with radix on, each handler
# recording DAR/DSISR/SRR0/SRR1 in r20-r23 and resuming; run step by step on
# QEMU and here, compared field by field, then the PTEs' R/C bits.
QEMU_PROGRAM = r"""
    .machine power9
    .org 0x10
    b start
    .org 0x300                  # DSI: record, skip the access
    mfspr 20,19
    mfspr 21,18
    mfsrr0 22
    mfsrr1 23
    addi 22,22,4
    mtsrr0 22
    rfid
    .org 0x380                  # data segment
    mfspr 20,19
    li 21,-1
    mfsrr0 22
    mfsrr1 23
    addi 22,22,4
    mtsrr0 22
    rfid
    .org 0x400                  # ISI: back to the caller
    mfsrr0 22
    mfsrr1 23
    mflr 24
    mtsrr0 24
    rfid
    .org 0x1000
start:
    lis 0,0x7fff                # DEC far away: QEMU's steps run without timers
    mtspr 22,0
    lis 1,0x10                  # PTCR = 0x100000
    mtspr 464,1
    mfspr 2,318
    oris 2,2,0x30               # LPCR[UPRT|HR]
    mtspr 318,2
    mfmsr 3
    ori 3,3,0x30
    mtmsrd 3                    # IR|DR: this code is identity-mapped by a 2 MiB page
    lis 6,0xc000
    sldi 6,6,32
    oris 6,6,0x40               # r6 = 0xc000000000400000
    ld 5,8(6)
    std 5,0x10(6)
    ld 7,0x1008(6)              # read-only page
    std 5,0x1010(6)             # DSI 0x0a000000
    ld 8,0x5000(6)              # DSI 0x40000000
    stw 8,0x5000(6)             # DSI 0x42000000
    lis 9,0x10
    sldi 9,9,32
    ld 10,0(9)                  # EA bits 2:11: data segment
    lis 11,0x40
    ori 11,11,0x2000
    mtctr 11
    bctrl                       # no-execute page: ISI 0x10000000
    lis 11,0x40
    ori 11,11,0x6000
    mtctr 11
    bctrl                       # unmapped: ISI 0x40000000
    lis 12,0x61
    ld 13,0x1238(12)            # 64 KiB page
    stb 13,0x7ff0(12)
    lis 12,0x80
    ld 14,0(12)                 # 2 MiB page
    lis 15,0x4000
    lwz 16,0x1000(15)           # 1 GiB page onto physical 0
    lis 18,0x4
    sldi 18,18,45
    mtspr 29,18                 # AMR key 0: stores prohibited
    std 5,0x4008(6)             # DSI 0x0a000000
    ld 19,0x4008(6)
    li 18,0
    mtspr 29,18
    ld 27,0x3000(6)             # privileged page from PR=0
    mfmsr 25
    ori 25,25,0x4000
    bl 1f
1:  mflr 26
    addi 26,26,20
    mtsrr0 26
    mtsrr1 25
    rfid                        # to problem state
    ld 27,0x3000(6)             # privileged page: DSI 0x08000000
    ld 28,0(6)
done:
    b done
"""


def _qemu_image(work: object) -> tuple[bytes, int, RadixTables]:
    import subprocess
    from pathlib import Path

    from tests.conftest import require_tool

    w = Path(str(work))
    as_, ld = require_tool("powerpc64-linux-gnu-as"), require_tool("powerpc64-linux-gnu-ld")
    objcopy = require_tool("powerpc64-linux-gnu-objcopy")
    (w / "p.S").write_text(QEMU_PROGRAM)
    subprocess.run([as_, "-mpower9", "-o", w / "p.o", w / "p.S"], check=True)
    subprocess.run([ld, "-Ttext=0", "-e", "0", "-o", w / "p.elf", w / "p.o"], check=True)
    subprocess.run([objcopy, "-O", "binary", w / "p.elf", w / "p.bin"], check=True)
    code = (w / "p.bin").read_bytes()
    done = code.rindex((0x48000000).to_bytes(4, "big"))  # `b done`, the last word
    mem = PhysicalMemory(4 << 20)
    mem.write_bytes(0, code, None)
    for a in range(0x30_0000, 0x33_0000, 8):
        mem.write_bytes(a, (0x1111_0000_0000_0000 + a).to_bytes(8, "big"), None)
    t = build_radix_tables(
        mem,
        TABLES,
        [
            PageMapping(0, 0, PAGE_2M),
            PageMapping(0x40_0000, 0x30_0000, perms="rw"),
            PageMapping(0x40_1000, 0x30_1000, perms="r"),
            PageMapping(0x40_2000, 0x30_2000, perms="rw"),
            PageMapping(0x40_3000, 0x30_3000, privileged=True),
            PageMapping(0x40_4000, 0x30_4000, perms="rw"),
            PageMapping(0x61_0000, 0x32_0000, PAGE_64K),
            PageMapping(0x80_0000, 0x20_0000, PAGE_2M, perms="r"),
            PageMapping(0x4000_0000, 0, PAGE_1G, perms="r"),
        ],
    )
    return mem.read_bytes(0, 0x33_0000), done, t


@pytest.mark.qemu
@pytest.mark.binutils
def test_radix_faults_and_rc_bits_match_qemu_powernv9(tmp_path: object) -> None:
    from engine.cpu import VCPU
    from tests.conftest import require_tool

    require_tool("qemu-system-ppc64")
    from tests.differential.qemu import QemuMachine

    image, done, t = _qemu_image(tmp_path)
    sprs = {"srr0": 26, "srr1": 27, "dar": 19, "dsisr": 18}

    mem = PhysicalMemory(1 << 30)
    mem.write_bytes(0, image, None)
    cpu = VCPU(mem, 0)
    cpu.mmu = RadixMMU(cpu)
    cpu.set_msr(MSR_SF | MSR_HV)
    cpu.nia, cpu.gpr[3], cpu.spr[SPR_LPCR] = 0x10, 0x0100_0000, 0xC
    ours = []
    while len(ours) < 300:
        ours.append((cpu.nia, cpu.msr, cpu.lr, *cpu.gpr, *(cpu.read_spr(n) for n in sprs.values())))
        if cpu.nia == done:
            break
        cpu.step()
    our_ptes = [mem.read(a, 8, "big") for a in t.leaves.values()]

    theirs = []
    with QemuMachine(image) as q:
        while len(theirs) < 300:
            r = q.core(0)
            spr_values = (q.register(0, name, r.order) for name in sprs)
            theirs.append((r.pc, r.msr, r.lr, *r.gpr, *spr_values))
            if r.pc == done:
                break
            q.step(0)
        their_ptes = [int.from_bytes(q.read_memory(a, 8), "big") for a in t.leaves.values()]

    assert ours[-1][0] == done
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == b, f"step {i} at 0x{b[0]:x}"
    assert [hex(v) for v in our_ptes] == [hex(v) for v in their_ptes]


# -- remembered walks --------------------------------------------------------------------
# A miss whose table words and registers read as its last walk left them takes that walk's
# outcome (RadixMMU._walks), and a flush of everything keeps what no table store touched
# (flush_stale). Held here to a cache that always walks and flushes everything, on random
# runs of accesses, flushes, PTE rewrites, R/C clearing and register changes.
class _AlwaysWalks(RadixMMU):
    def _still(self, walk: object) -> bool:  # type: ignore[override]
        return False


# The pages each twin maps (``_twin``), then one it does not.
_PAGES = {False: [0x1000, 0x2000, 0x3000, 0x20_0000], True: [0x5000, 0x6000, 0x7000]}
_OP = st.one_of(
    st.tuples(
        st.just("access"),
        st.integers(0, 3),
        st.sampled_from(["r", "w", "x"]),
        st.booleans(),  # quadrant 3
    ),
    st.tuples(st.just("flush")),
    st.tuples(st.just("flush stale")),
    st.tuples(st.just("flush page"), st.integers(0, 3)),
    st.tuples(
        st.just("rewrite"),
        st.integers(0, 1),
        st.sampled_from([0x5000, 0x6000, 0x7000, None]),  # None: invalid
        st.sampled_from(["rwx", "r", "x", "rw"]),
        st.booleans(),  # privileged
    ),
    st.tuples(st.just("clear rc"), st.integers(0, 1)),
    st.tuples(st.just("spr"), st.sampled_from([SPR_AMR, SPR_IAMR, SPR_PIDR, SPR_LPCR])),
    st.tuples(st.just("problem state")),
)


def _twin(guest: bool, cls: type[RadixMMU]) -> tuple[FakeCPU, RadixMMU, RadixTables]:
    if guest:
        cpu, _, t = guest_partition()
    else:
        cpu, _, t = setup([PageMapping(ea, ea) for ea in _PAGES[False][:3]], msr=HV_VIRT)
    return cpu, cls(cpu), t  # type: ignore[arg-type]


def _apply(
    cpu: FakeCPU, mmu: RadixMMU, t: RadixTables, pages: list[int], op: tuple[object, ...]
) -> object:
    kind = op[0]
    if kind == "access":
        _, i, access, q3 = op
        ea = pages[i % len(pages)] | (Q3 if q3 else 0) | 0x18  # type: ignore[operator]
        try:
            return mmu.translate(ea, access)  # type: ignore[arg-type]
        except Interrupt as e:
            return (e.vector, e.srr1, e.dar, e.dsisr)
    if kind == "flush":
        mmu.flush()
    elif kind == "flush stale":
        # A tlbie of everything (VCPU.flush_tlb): the reference drops all it caches.
        if isinstance(mmu, _AlwaysWalks) or mmu.flush_stale() is None:
            mmu.flush()
            mmu.exact_again()
    elif kind == "flush page":
        mmu.flush(pages[op[1] % len(pages)])  # type: ignore[operator]
    elif kind == "rewrite":
        _, i, pa, perms, priv = op
        value = 0 if pa is None else PageMapping(0, pa, perms=perms, privileged=priv).pte()  # type: ignore[arg-type]
        cpu.mem.write(t.pte_address(pages[i]), 8, value, "big")  # type: ignore[index]
    elif kind == "clear rc":
        addr = t.pte_address(pages[op[1]])  # type: ignore[index]
        cpu.mem.write(addr, 8, cpu.mem.read(addr, 8, "big") & ~(R_PTE_R | R_PTE_C), "big")
    elif kind == "spr":
        cpu.spr[op[1]] ^= {SPR_AMR: 3 << 62, SPR_IAMR: 1 << 62, SPR_PIDR: 1, SPR_LPCR: LPCR_HR}[
            op[1]  # type: ignore[index]
        ]
    else:
        cpu.msr ^= MSR_PR
    return None


@settings(max_examples=200, deadline=None)
@given(guest=st.booleans(), ops=st.lists(_OP, min_size=10, max_size=40))
@example(
    guest=False,
    ops=[("access", 0, "r", False), ("rewrite", 0, 0x5000, "rwx", False), ("flush",)]
    + [("access", 0, "r", False)],
)
def test_a_remembered_walk_finds_what_walking_again_finds(
    guest: bool, ops: list[tuple[object, ...]]
) -> None:
    cpu, mmu, t = _twin(guest, RadixMMU)
    ref_cpu, ref, ref_t = _twin(guest, _AlwaysWalks)
    pages = _PAGES[guest]
    for op in ops:
        assert _apply(cpu, mmu, t, pages, op) == _apply(ref_cpu, ref, ref_t, pages, op), op
        assert cpu.mem.read_bytes(TABLES, 1 << 20) == ref_cpu.mem.read_bytes(TABLES, 1 << 20)
        # What undo_fetch_rc acts on: the R/C update of the last walk, if it made one. (A
        # kept translation is not walked, so the last walk itself may be an older one.)
        assert mmu.last_rc == ref.last_rc
        if ref.last_rc is not None:
            assert mmu.last_fill == ref.last_fill


def test_a_flush_with_the_tables_unchanged_translates_without_walking() -> None:
    cpu, mmu, t = setup([PageMapping(0x1000, 0x7000)])
    assert mmu.translate(0x1010, "w") == 0x7010
    mmu.flush()
    words: list[int] = []
    cpu.mem.watch_code(t.pte_address(0x1000), lambda: words.append(1))
    walks: list[int] = []
    original = mmu._walk
    mmu._walk = lambda *a: walks.append(1) or original(*a)  # type: ignore[method-assign]
    assert mmu.translate(0x1020, "w") == 0x7020
    assert (walks, words) == ([], [])
    cpu.mem.write(t.pte_address(0x1000), 8, PageMapping(0, 0x9000).pte(), "big")
    assert mmu.translate(0x1020, "w") == 0x7020  # cached: stale until flushed, as before
    mmu.flush()
    assert mmu.translate(0x1020, "w") == 0x9020
    assert walks == [1]
