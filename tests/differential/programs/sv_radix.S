# steps: 105
# vcpus: 1
# regs: srr0,srr1,dar,dsisr
# DSI and ISI under radix translation (HV, IR=DR=1, sv_radix.inc): load and
# store to an unmapped page (DSISR 0x40000000 | 0x02000000 for stores), store
# to a read-only page and load from an execute-only page (protection,
# 0x08000000), EA bits 2:11 set (data segment, 0x380), fetch from a
# no-execute page (SRR1 0x10000000) and from an unmapped page (0x40000000),
# problem-state access to a privileged page, R/C updates on a preset page;
# then tlbie: a PTE rewritten without tlbie keeps translating the old way,
# and after a tlbie of another page and a ptesync; after tlbie of that page
# + ptesync the new mapping applies.
    .include "common.inc"
    .include "sv_radix.inc"
    entry

    .org 0x300
    mfsrr0 30
    addi 30, 30, 4
    mtsrr0 30
    rfid
    .org 0x380
    mfsrr0 30
    addi 30, 30, 4
    mtsrr0 30
    rfid
    .org 0x400
    mflr 30                  # fetch faults: return to the caller
    mtsrr0 30
    rfid
    .org 0xc00
    mtsrr1 29
    rfid

    begin
    lis 3, 0x7fff
    mtspr 22, 3
    radix_on
    mfmsr 20
    ori 21, 20, 0x30
    mr 29, 21
    mtmsrd 21, 0             # IR|DR
    lis 6, 0x20              # r6 = 0x200000: the 4 KiB pages
    li 3, 0x5a
    std 3, 0(6)              # rw page
    ld 4, 0(6)
    ld 5, 0x1000(6)          # read-only page: fine
    std 3, 0x1000(6)         # protection, store
    ld 7, 0x2000(6)          # execute-only page: protection
    ld 8, 0x4000(6)          # unmapped
    stb 8, 0x4000(6)         # unmapped, store
    ld 9, 0x5000(6)          # R and C preset
    std 9, 0x5008(6)
    ld 10, 0x3000(6)         # privileged page from PR=0: fine
    lis 11, 0x10
    sldi 11, 11, 32
    ld 12, 0(11)             # EA bit 11 set: data segment
    ld 12, 0x6000(6)         # no-access page: protection
    addi 13, 6, 0x6000       # no-execute page (also unreadable: QEMU's gdbstub reads
    mtctr 13                 # the word at pc with a data access, the trace with a fetch)
    bctrl
    addi 13, 6, 0x4000       # unmapped
    mtctr 13
    bctrl
    ori 22, 21, 0x4000       # problem state
    mtmsrd 22, 0
    ld 14, 0x3000(6)         # privileged page: protection
    ld 15, 0(6)              # fine
    sc                       # back (SRR1 = r29)
    # -- tlbie --
    ld 16, 0x5000(6)         # cached translation of 0x205000 -> 0x45000
    mtmsrd 20, 0             # real mode: rewrite the PTE to point at 0x40000
    ldk 17, new_pte
    lis 18, 3
    ori 18, 18, 0x2028       # PTE of 0x205000 (0x32000 + 5 * 8)
    std 17, 0(18)
    mtmsrd 21, 0
    ld 19, 0x5000(6)         # no tlbie yet: the old page
    mtmsrd 20, 0
    tlbie 6, 0, 0, 0, 1      # RIC=0 PRS=0 R=1 IS=0: another page (0x200000)
    eieio
    tlbsync
    ptesync                  # orders only: it drops no translation a tlbie did not name
    mtmsrd 21, 0
    ld 25, 0x5000(6)         # still the old page
    mtmsrd 20, 0
    addi 26, 6, 0x5000
    tlbie 26, 0, 0, 0, 1     # this page
    eieio
    tlbsync
    ptesync
    mtmsrd 21, 0
    ld 23, 0x5000(6)         # the new page
    ld 24, 0(6)
done:
    b done

    .org 0x3000
new_pte: .quad 0xc000000000040186

    radix_tables
