# steps: 56
# vcpus: 1
# regs: srr0,srr1
# Logical, extend, count, parity, byte permute and every compare form
# (cmp/cmpl with L=0 and L=1, cmprb, cmpeqb, setb).
    .include "common.inc"
    entry
    begin
    ldk 3, pat
    ldk 4, neg
    ldk 5, perm
    li 6, 0
    and 10, 3, 4
    and. 11, 3, 6
    andc 12, 3, 4
    or 13, 3, 4
    orc. 14, 3, 4
    xor 15, 3, 4
    nand 16, 3, 4
    nor. 17, 3, 4
    eqv 18, 3, 4
    andi. 19, 3, 0x8f0f
    andis. 20, 4, 0x8000
    ori 21, 3, 0xffff
    oris 22, 6, 0x1234
    xori 23, 4, 0xaaaa
    xoris 24, 4, 0xf000
    extsb 25, 3
    extsh. 26, 4
    extsw 27, 4
    cntlzw 28, 3
    cntlzd. 29, 3
    cnttzw 30, 6
    cnttzd 31, 4
    popcntb 10, 3
    popcntw 11, 4
    popcntd 12, 4
    prtyw 13, 3
    prtyd 14, 4
    bpermd 15, 5, 3
    cmpb 16, 3, 4
    cmpd 0, 3, 4
    cmpw 1, 3, 4
    cmpld 2, 3, 4
    cmplw 3, 3, 4
    cmpdi 4, 4, -1
    cmpwi 5, 3, 0x6f
    cmpldi 6, 3, 0xffff
    cmplwi 7, 4, 15
    li 17, 0x35
    ldk 18, ranges
    cmprb 0, 0, 17, 18
    cmprb 1, 1, 17, 18
    cmpeqb 2, 17, 3
    cmpeqb 3, 17, 4
    setb 19, 0
    setb 20, 1
    setb 21, 4
    mfcr 22
done:
    b done

    .org 0x3000
pat:    .quad 0x0123456789abcdef
neg:    .quad 0xf00000018000000f
perm:   .quad 0x00083f0910203f01
ranges: .quad 0x0000000039304130
