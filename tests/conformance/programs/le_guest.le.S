# Little-endian half of le_guest: its interrupt handlers and its code, placed
# by le_guest.S with .incbin. Linked at 0, so .org gives real addresses.
    .org 0x700
    addi 22, 22, 1
    mfsrr0 27
    addi 27, 27, 4
    mtsrr0 27
    rfid
    .org 0xc00
    addi 24, 24, 1
    rfid
    .org 0xd00
    addi 25, 25, 1
    rfid
    .org 0x2000
le_code:
    li 3, 0x1234
    addi 3, 3, 1
    li 5, 0x3000
    stw 3, 0(5)
    lwz 6, 0(5)
    lhbrx 7, 0, 5
    sc                        # to the LE handler at 0xc00
    tweq 3, 3                 # LE program handler skips it
    mfmsr 8
    ori 8, 8, 0x400           # the guest single-steps itself, in LE
    mtmsrd 8
    addi 9, 9, 1
    addi 9, 9, 1
    li 10, 0x400
    andc 8, 8, 10
    mtmsrd 8
    li 3, 0x58                # H_PUT_TERM_CHAR 'L' from LE code
    li 4, 0
    li 5, 1
    li 6, 0x4c
    sldi 6, 6, 56
    sc 1
le_done:
    b le_done
