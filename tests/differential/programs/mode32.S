# steps: 32
# vcpus: 1
# regs: srr0,srr1
# 32-bit mode (MSR[SF]=0, cleared with mtmsrd L=0): CA and OV from the low
# word, CR0 from the low 32 bits, effective addresses truncated to 32 bits
# (ISA 3.0B 3.3.9, 2.3.3), then back to 64-bit mode.
    .include "common.inc"
    entry
    begin
    ldk 3, hi_bits           # 0xffffffff00001000: truncates to 0x1000-ish EAs
    ldk 4, max32
    ldk 5, ones
    ldk 6, msr32
    ldk 7, msr64
    li 8, 1
    li 9, 0
    mtmsrd 6, 0              # SF := 0
    addc. 10, 4, 8           # 0x80000000: negative in 32-bit mode, OV32 only
    addo. 11, 4, 8
    addc 12, 5, 8            # carry out of the low word
    adde. 13, 3, 9
    subfc. 14, 8, 9
    add. 15, 3, 3            # CR0 from the low word
    neg. 16, 4
    mfxer 17
    mtxer 9
    ld 18, 0x3000(3)         # EA = 0xffffffff00001000+0x3000 truncates to 0x4000
    lwz 19, 0x3004(3)
    ldu 20, 0x3008(3)        # RA gets the truncated EA
    ldx 21, 3, 8
    mfmsr 22
    mtmsrd 7, 0              # back to SF = 1
    mfmsr 23
    add. 24, 4, 8            # now positive
    addc 25, 5, 8
    mfxer 26
done:
    b done

    .org 0x3000
hi_bits: .quad 0xffffffff00001000
max32:   .quad 0x000000007fffffff
ones:    .quad 0xffffffffffffffff
msr32:   .quad 0x1000000000000000
msr64:   .quad 0x9000000000000000
    .org 0x4000
    .quad 0x1111222233334444
    .quad 0x5555666677778888
    .quad 0x99990000aaaabbbb
