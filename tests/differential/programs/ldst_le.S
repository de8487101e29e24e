# steps: 67
# vcpus: 1
# regs: srr0,srr1
# Every load/store form in little-endian mode. The boot code (big-endian)
# switches MSR[LE] with rfid to the little-endian part at 0x2000, which lives
# in ldst_le.le.S (assembled with the little-endian assembler).
    .include "common.inc"
    entry
    begin
    ldk 3, le_msr
    li 4, 0x2000
    mtsrr0 4
    mtsrr1 3
    rfid

    .org 0x3000
le_msr: .quad 0x9000000000000001
    .org 0x4000
    .quad 0x8081828384858687, 0x88898a8b8c8d8e8f, 0xf0e1d2c3b4a59687, 0x0123456789abcdef
    .quad 0xfedcba9876543210, 0x7f6e5d4c3b2a1908, 0x1122334455667788, 0x99aabbccddeeff00
