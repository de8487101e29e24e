# steps: 47
# vcpus: 1
# regs: srr0,srr1
# Multiply and divide at the edges: overflow (OE), division by zero and
# MIN/-1 (undefined RT: QEMU's value is the reference), high products, modulo
# and multiply-add (ISA 3.0B 3.3.9-3.3.10).
    .include "common.inc"
    entry
    begin
    ldk 3, max64
    ldk 4, min64
    li 5, -1
    li 6, 7
    li 7, -3
    ldk 8, big
    li 0, 0
    mulld 10, 8, 8
    mulldo. 11, 3, 6
    mulhd 12, 8, 7
    mulhdu 13, 8, 5
    mullw 14, 8, 6
    mullwo. 15, 8, 8
    mulhw 16, 8, 7
    mulhwu. 17, 8, 5
    mulli 18, 8, -1000
    divd 19, 8, 6
    divdo. 20, 4, 5          # MIN / -1 overflows
    divdo 21, 8, 0           # divide by zero
    divdu 22, 5, 6
    divduo. 23, 8, 0
    divw 24, 8, 7
    divwo. 25, 4, 5
    divwu 26, 5, 6
    divwuo 27, 6, 0
    divde 28, 6, 8
    divdeo. 29, 8, 6         # dividend too large: overflow
    divdeu 30, 6, 5
    divdeuo 31, 5, 6
    li 9, 0
    mtxer 9
    modsd 10, 8, 7
    modud 11, 8, 6
    modsw 12, 7, 6
    moduw 13, 5, 6
    modsd 14, 8, 0
    maddld 15, 8, 6, 7
    maddhd 16, 8, 8, 5
    maddhdu 17, 8, 8, 5
    mulhd. 18, 4, 4
    mulldo 19, 4, 5
    mfxer 20
done:
    b done

    .org 0x3000
max64: .quad 0x7fffffffffffffff
min64: .quad 0x8000000000000000
big:   .quad 0x123456789abcdef1
