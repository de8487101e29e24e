# radix_ail: a guest (guest profile) that turns radix translation on and
# takes interrupts at the AIL=3 vectors, 0xc000000000004000 + offset.
#
# 1. H_REGISTER_PROC_TBL (flags new|radix = 0x18|0x04) registers the process
#    table prebuilt in the image (radix_ail_tables.inc, from
#    engine.mmu.build_radix_tables: one 1 GiB page, EA 0 -> RA 0, PID 0;
#    quadrant 3, 0xc000..., uses PID 0's tree too, so it maps the same RAM);
# 2. H_SET_MODE resource 3 (address translation mode), mflags 3: AIL = 3;
# 3. rfid to `virt` at 0xc000000000000000 + its address, with MSR[IR|DR];
# 4. `sc` lands at 0xc000000000004c00 with IR|DR still on: the handler
#    records its own address (sc_vector), MSR, SRR0 and SRR1;
# 5. sets MSR[SE]: the addi and the mtmsrd that clears SE are traced, each
#    landing at 0xc000000000004d00 (trace_count = 2, trace_vector, trace_msr,
#    trace_pcs);
# 6. stops at `done`, whose symbol is its quadrant-3 effective address.
# The real-mode vectors 0xc00 and 0xd00 count into real_hits: it must stay 0.
# `hcall_status` is the OR of both hypercalls' r3 (0 = H_SUCCESS).
    .set H_SET_MODE, 0x31c
    .set H_REGISTER_PROC_TBL, 0x37c
    .set PROC_TABLE_NEW_RADIX, 0x18 | 0x04
    .set H_SET_MODE_RESOURCE_ADDR_TRANS_MODE, 3
    .set AIL_3, 3
    .set MSR_SE, 0x0400
    .set MSR_IR_DR, 0x0030
    .set SPR_SRR0, 26
    .set SPR_SRR1, 27
    .set KERNEL_BASE, 0xc000000000000000

    .include "radix_ail_tables.inc"

    .text
    .org 0xc00
    ld      30, real_hits(0)
    addi    30, 30, 1
    std     30, real_hits(0)
    rfid
    .org 0xd00
    ld      30, real_hits(0)
    addi    30, 30, 1
    std     30, real_hits(0)
    rfid

    .org 0x1000
    .globl _start
_start:
    li      3, H_REGISTER_PROC_TBL
    li      4, PROC_TABLE_NEW_RADIX
    lis     5, RADIX_PROC_TBL@h
    ori     5, 5, RADIX_PROC_TBL@l
    li      6, 0                # page size: 0 (4 KiB)
    li      7, 0                # table size: PRTS = 0 (4 KiB, 256 PIDs)
    sc      1
    mr      20, 3
    li      3, H_SET_MODE
    li      4, AIL_3            # mflags
    li      5, H_SET_MODE_RESOURCE_ADDR_TRANS_MODE
    li      6, 0
    li      7, 0
    sc      1
    or      20, 20, 3
    std     20, hcall_status(0)

    # Into quadrant 3 with translation on.
    lis     4, KERNEL_BASE@highest
    sldi    4, 4, 32
    ori     4, 4, virt
    mtspr   SPR_SRR0, 4
    mfmsr   3
    ori     3, 3, MSR_IR_DR
    mtspr   SPR_SRR1, 3
    rfid

virt:
    mfmsr   3
    std     3, virt_msr(0)
    bcl     20, 31, 1f
1:  mflr    4
    addi    4, 4, virt - 1b
    std     4, virt_pc(0)       # 0xc000000000000000 + virt
    .globl sc_insn
sc_insn:
    sc

    mfmsr   3
    ori     4, 3, MSR_SE
    mtmsrd  4                   # sets SE: not traced
    .globl traced
traced:
    addi    5, 5, 1             # traced
    mtmsrd  3                   # clears SE: traced
virt_done:
    b       virt_done
    .globl done
    .set done, KERNEL_BASE + virt_done

    .org 0x4c00                 # 0xc000000000004c00: system call, AIL=3
ail_sc:
    mflr    29
    bcl     20, 31, 1f
1:  mflr    30
    addi    30, 30, ail_sc - 1b
    std     30, sc_vector(0)
    mtlr    29
    mfmsr   30
    std     30, sc_msr(0)
    mfspr   30, SPR_SRR0
    std     30, sc_srr0(0)
    mfspr   30, SPR_SRR1
    std     30, sc_srr1(0)
    ld      30, sc_count(0)
    addi    30, 30, 1
    std     30, sc_count(0)
    rfid

    .org 0x4d00                 # 0xc000000000004d00: trace, AIL=3
ail_trace:
    mflr    29
    bcl     20, 31, 1f
1:  mflr    30
    addi    30, 30, ail_trace - 1b
    std     30, trace_vector(0)
    mtlr    29
    mfmsr   30
    std     30, trace_msr(0)
    ld      30, trace_count(0)
    addi    30, 30, 1
    std     30, trace_count(0)
    sldi    30, 30, 3
    mfspr   31, SPR_SRR0
    std     31, trace_pcs - 8(30)   # trace_pcs[count - 1]
    rfid

    .org 0x6000
    .globl hcall_status
hcall_status:   .quad -1
    .globl virt_msr
virt_msr:       .quad 0
    .globl virt_pc
virt_pc:        .quad 0
    .globl real_hits
real_hits:      .quad 0
    .globl sc_count
sc_count:       .quad 0
    .globl sc_vector
sc_vector:      .quad 0
    .globl sc_msr
sc_msr:         .quad 0
    .globl sc_srr0
sc_srr0:        .quad 0
    .globl sc_srr1
sc_srr1:        .quad 0
    .globl trace_count
trace_count:    .quad 0
    .globl trace_vector
trace_vector:   .quad 0
    .globl trace_msr
trace_msr:      .quad 0
    .globl trace_pcs
trace_pcs:      .fill 4, 8, 0
    .org 0x6100
