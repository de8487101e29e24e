# steps: 49
# vcpus: 1
# regs: srr0,srr1
# Rotates, masks and shifts: wrap-around masks (mb > me), 32-bit rotates
# replicating the low word, shift amounts >= width, algebraic shifts and CA.
    .include "common.inc"
    entry
    begin
    ldk 3, pat
    ldk 4, neg
    li 5, 3
    li 6, 37
    li 7, 64
    li 8, 127
    li 9, 32
    rlwinm 10, 3, 4, 0, 31
    rlwinm. 11, 3, 8, 24, 7     # wrap-around mask
    rlwinm 12, 4, 0, 16, 31
    rlwimi 13, 3, 16, 8, 15
    rlwimi. 14, 4, 4, 28, 3
    rlwnm 15, 3, 5, 0, 15
    rlwnm. 16, 4, 6, 4, 30
    rldicl 17, 3, 8, 0
    rldicl. 18, 4, 60, 4
    rldicr 19, 3, 4, 59
    rldicr. 20, 4, 0, 31
    rldic 21, 3, 12, 20
    rldic. 22, 4, 32, 0
    rldimi 23, 3, 16, 8
    rldimi. 24, 4, 48, 0
    rldcl 25, 3, 6, 0
    rldcr. 26, 4, 5, 62
    sld 27, 3, 5
    sld. 28, 3, 7               # shift >= 64 gives 0
    srd 29, 4, 6
    srd 30, 4, 8                # 127 & 0x7f: >= 64
    srad 31, 4, 5
    srad. 10, 4, 7              # all sign bits, CA set
    sradi 11, 4, 0
    sradi. 12, 4, 63
    sradi 13, 3, 17
    sraw 14, 4, 5
    sraw. 15, 4, 9              # shift >= 32
    srawi 16, 4, 31
    srawi. 17, 3, 0
    slw 18, 3, 5
    slw. 19, 3, 9
    srw 20, 4, 6
    srw 21, 4, 5
    extswsli 22, 4, 12
    extswsli. 23, 3, 63
    mfxer 24
done:
    b done

    .org 0x3000
pat: .quad 0x0123456789abcdef
neg: .quad 0xf00000018000000f
