# steps: 180
# vcpus: 1
# regs: srr0,srr1,sprg0
# MSR[SE] single step and MSR[BE] branch trace (docs/machine.md "Trace"): the
# mtmsrd that sets SE is not traced, every following instruction is (SRR0 =
# the next instruction, the target for taken branches), the mtmsrd that
# clears SE is; sc, rfid and an instruction that takes another interrupt
# (trap, alignment) are not; after rfid with SE in SRR1 the first instruction
# at the target is traced. BE traces branches only, taken or not. The 0xd00
# handler counts in r27 and returns. SRR1 bit 33 of a trace is masked in the
# comparison (QEMU 7.2); the traced code stays above 0xf00.
    .include "common.inc"
    entry
    .org 0x600
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
    mfsrr1 28
    rfid
    .org 0xd00
    addi 27, 27, 1
    mfsrr0 26                # not SRR1: its bit 33 is only normalised in the srr1 field
    mtsprg 0, 26
    rfid

    begin
    mfmsr 3
    ori 4, 3, 0x400          # SE
    ori 5, 3, 0x200          # BE
    mtmsrd 4, 0              # sets SE: not traced
    li 6, 1                  # traced
    addi 6, 6, 1
    cmpdi 6, 2
    beq 1f                   # taken: SRR0 = 1f
    li 6, 99
1:  bne 2f                   # not taken: SRR0 = next
    li 7, 7
2:  bl 3f
    b 4f
3:  blr                      # traced to the return address
4:  li 0, 1
    sc                       # not traced; the handler returns to SE code
    li 8, 8                  # traced
    tw 31, 0, 0              # taken trap: 0x700, not traced
    li 9, 9
    li 20, 0x4001
    lwarx 10, 0, 20          # alignment: not traced
    li 11, 11
    mtmsrd 3, 0              # clears SE: traced (a trace would overwrite SRR0/1 below)
    li 12, 0x1200
    mtsrr0 12
    mtsrr1 4                 # SE in SRR1
    rfid                     # the first instruction at 0x1200 is traced
    .org 0x1200
    li 13, 13                # traced
    mtmsrd 3, 0              # clears SE: traced
    li 14, 14                # not traced
    mtmsrd 5, 0              # sets BE
    li 15, 15                # not traced
    cmpdi 15, 15
    bne 5f                   # not taken: traced
    beq 5f                   # taken: traced
    nop
5:  li 16, 16
    bl 6f                    # traced
    b 7f
6:  blr                      # traced
7:  li 17, 3
    mtctr 17
8:  addi 18, 18, 1
    bdnz 8b                  # traced, taken twice, not taken once
    mtmsrd 3, 0
    li 19, 19
    mtmsrd 4, 1              # L=1 leaves SE alone: not set
    li 21, 21
    ori 22, 3, 0x600         # SE|BE together
    mtmsrd 22, 0
    b 9f                     # one trace interrupt
9:  li 23, 23
    mtmsrd 3, 0
done:
    b done
