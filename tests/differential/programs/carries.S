# steps: 39
# vcpus: 1
# regs: srr0,srr1
# Multi-word carry chains (128- and 192-bit add and subtract), CA vs CA32 when
# the low words carry differently from the doubleword, addic/subfic immediates.
    .include "common.inc"
    entry
    begin
    ldk 3, a_lo
    ldk 4, a_hi
    ldk 5, b_lo
    ldk 6, b_hi
    addc 7, 3, 5             # low doubleword
    adde 8, 4, 6             # high doubleword with carry in
    addze 9, 0
    subfc 10, 5, 3           # a - b, 128-bit
    subfe 11, 6, 4
    subfme 12, 0
    ldk 13, w_carry          # 0x00000000ffffffff: CA32=1, CA=0
    li 14, 1
    addc 15, 13, 14
    mfxer 16
    ldk 17, d_carry          # 0xffffffff00000000 + 0x100000000: CA=1, CA32=0
    ldk 18, w_one
    addc 19, 17, 18
    mfxer 20
    adde. 21, 0, 0
    addic 22, 13, 1
    mfxer 23
    addic. 24, 17, -1
    subfic 25, 0, 0          # 0 - 0: CA = 1
    subfic 26, 14, 0         # 0 - 1: CA = 0
    mfxer 27
    subfic 28, 13, -1
    addze. 29, 13
    addme. 30, 0
    subfze 31, 0
    mfxer 3
    addc 4, 17, 17
    adde 5, 17, 17
    adde 6, 17, 17
    mfxer 7
done:
    b done

    .org 0x3000
a_lo:    .quad 0xfedcba9876543210
a_hi:    .quad 0x0123456789abcdef
b_lo:    .quad 0x89abcdeffedcba98
b_hi:    .quad 0x7654321001234567
w_carry: .quad 0x00000000ffffffff
d_carry: .quad 0xffffffff00000000
w_one:   .quad 0x0000000100000000
