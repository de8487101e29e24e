# A little-endian guest: it asks the host for little-endian interrupts
# (H_SET_MODE resource 4), then switches itself to LE through rfid. The
# trace-vector backend must plant its word in the handlers' byte order.
    .org 0x1000
    .globl _start
_start:
    li 3, 0x31c               # H_SET_MODE
    li 4, 1                   # mflags: little-endian interrupts
    li 5, 4                   # resource: LE
    li 6, 0
    li 7, 0
    sc 1
    li 12, 0x2000
    mtsrr0 12
    mfmsr 12
    ori 12, 12, 1             # MSR[LE]
    mtsrr1 12
    rfid
    .org 0x1ffc
done:                         # (the LE part's own loop is le_done)
    b done
    .org 0x2400               # room for the LE part laid over 0x2000
    .long 0
