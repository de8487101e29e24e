# The little-endian half of sv_hile: handlers (run little-endian by HILE) and
# the program at 0x2000.
    .org 0x700
    mfsrr0 30
    addi 30, 30, 4
    mtsrr0 30
    rfid
    .org 0xc00
    mfsrr1 29
    mfmsr 28
    rfid
    .org 0xe40
    mfspr 30, 314
    addi 30, 30, 4
    mtspr 314, 30
    hrfid

    .org 0x2000
    li 8, 8
    li 0, 1
    sc                       # 0xc00, little-endian handler
    tw 31, 0, 0              # 0x700
    .long 0                  # HEAI at 0xe40
    li 9, 0x4000
    li 10, 0x1234
    std 10, 0(9)
    lbz 11, 0(9)             # little-endian data: the low byte first
done:
    b done
