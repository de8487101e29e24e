# steps: 70
# vcpus: 1
# regs: srr0,srr1
# Every load/store form in big-endian mode, then load/store multiple and dcbz.
    .include "common.inc"
    entry
    begin
    li 20, 0x4000
    li 21, 0x5000
    .include "ldst.inc"
    li 21, 0x5100
    lmw 24, 0(20)
    stmw 26, 8(21)
    ld 12, 8(21)
    ld 13, 16(21)
    li 14, 0x5100
    dcbz 0, 14
    ld 15, 8(21)
done:
    b done

    .org 0x4000
    .quad 0x8081828384858687, 0x88898a8b8c8d8e8f, 0xf0e1d2c3b4a59687, 0x0123456789abcdef
    .quad 0xfedcba9876543210, 0x7f6e5d4c3b2a1908, 0x1122334455667788, 0x99aabbccddeeff00
