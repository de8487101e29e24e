# steps: 130
# vcpus: 1
# regs: srr0,srr1,hsrr0,hsrr1,dar,dsisr,lpcr
# Alternate interrupt location (LPCR[AIL], docs/machine.md), computed at each
# delivery from the MSR in force: with radix off, AIL=3 never applies in real
# mode or with IR != DR (a DR=1 access under hash is a data segment interrupt
# at 0x380); with radix on and IR=DR=1, AIL=3 sends sc, traps, DSI and trace
# to 0xc000000000004000 + offset with IR|DR kept, AIL=2 to 0x18000 + offset,
# AIL=1 acts as 0. From HV=0 (LPIDR=1), an HV=0 -> HV=1 interrupt (HEAI,
# sc 1) is relocated too because LPCR[HR] is set.
    .include "common.inc"
    .include "sv_radix.inc"
    entry

    .org 0x380
    mfsrr0 30
    addi 30, 30, 4
    mtsrr0 30
    rfid
    .org 0x700
    mfsrr0 30
    addi 30, 30, 4
    mtsrr0 30
    rfid
    .org 0xc00
    mfmsr 28
    mtsrr1 29
    rfid
    .org 0xe40
    mfspr 30, 314
    addi 30, 30, 4
    mtspr 314, 30
    hrfid

    begin
    lis 3, 0x7fff
    mtspr 22, 3
    mfmsr 20                 # SF|HV
    ori 21, 20, 0x30         # SF|HV|IR|DR
    ori 22, 20, 0x10         # SF|HV|DR
    ori 23, 20, 0x20         # SF|HV|IR
    mr 29, 20
    mfspr 12, 318
    li 4, -1
    mtspr 318, 4             # every bit: LPCR keeps only the ones POWER9 implements
    mfspr 13, 318
    mtspr 318, 12
    mfspr 4, 318
    oris 4, 4, 0x180         # AIL=3
    mtspr 318, 4
    # -- radix off --
    sc                       # real mode: 0xc00
    mtmsrd 22, 0             # DR only
    ld 5, 0x100(0)           # hash, DR=1: data segment at 0x380 (IR != DR)
    mtmsrd 20, 0
    # -- radix on --
    radix_on
    mr 29, 21
    mtmsrd 21, 0             # IR|DR
    sc                       # 0xc000000000004c00, IR|DR kept
    tw 31, 0, 0              # 0xc000000000004700
    lis 6, 0x20
    ori 6, 6, 0x4000
    ld 7, 0(6)               # unmapped: DSI at 0xc000000000004300
    stw 7, -0x3000(6)        # read-only page: DSI, store
    ori 8, 21, 0x400
    mtmsrd 8, 0              # SE: the next instruction traces to 0x...4d00
    li 9, 9
    mfspr 4, 318
    lis 10, 0x180
    andc 4, 4, 10
    oris 4, 4, 0x100         # AIL=2
    mtspr 318, 4
    sc                       # 0x18c00
    tw 31, 0, 0              # 0x18700
    lis 10, 0x180
    andc 4, 4, 10
    oris 4, 4, 0x80          # AIL=1: as 0
    mtspr 318, 4
    sc                       # 0xc00, IR|DR cleared in the handler
    oris 4, 4, 0x180         # AIL=3
    mtspr 318, 4
    mr 29, 23
    mtmsrd 23, 0             # IR only: no relocation
    sc                       # 0xc00
    mr 29, 21
    mtmsrd 21, 0
    # -- HV=0 with IR|DR, LPIDR=1 --
    li 3, 1
    mtspr 319, 3
    lis 29, 0x8000
    rldicr 29, 29, 32, 31
    ori 29, 29, 0x30         # SF|IR|DR
    sc                       # HV=1 handler at 0x...4c00 returns to HV=0
    sc                       # HV=0 supervisor: 0x...4c00, HV stays 0
    .long 0                  # HEAI: HV=0 -> HV=1, relocated as LPCR[HR]=1
    li 0, 0x55
    sc 1                     # hypercall: HV=1 at 0x...4c00
    lis 29, 0x9000
    rldicr 29, 29, 32, 31
    ori 29, 29, 0x30         # back to SF|HV|IR|DR
    sc 1
    li 11, 11
done:
    b done

    .org 0x4300
    mfsrr0 30
    addi 30, 30, 4
    mtsrr0 30
    rfid
    .org 0x4700
    mfsrr0 30
    addi 30, 30, 4
    mtsrr0 30
    rfid
    .org 0x4c00
    mfmsr 28
    mtsrr1 29
    rfid
    .org 0x4d00
    mfmsr 27
    mtsrr1 21                # SE off (SRR1 is not copied: bit 33 is only normalised there)
    rfid
    .org 0x4e40
    mfspr 30, 314
    addi 30, 30, 4
    mtspr 314, 30
    hrfid
    radix_tables_low
    .org 0x18700
    mfsrr0 30
    addi 30, 30, 4
    mtsrr0 30
    rfid
    .org 0x18c00
    mfmsr 28
    mtsrr1 29
    rfid

    radix_tables_high
