# The guest single-steps itself (MSR[SE] via mtmsrd), under a debugger that
# steps it too: its trace handler counts in r25 and returns with SE still set;
# mfmsr while traced; the mtmsrd that clears SE (traced) and one that sets it
# (not traced); rfid into traced code; branch trace (MSR[BE]).
    .include "common.inc"
    vectors
    .org 0x1000
    .globl _start
_start:
    li 3, 0
    mfmsr 1
    ori 1, 1, 0x400           # SE
    mtmsrd 1                  # sets SE: not traced
    addi 3, 3, 1              # traced from here on
    mfmsr 4                   # sees SE set
    addi 3, 3, 1
    b 1f
1:  mfmsr 1
    li 2, 0x400
    andc 1, 1, 2
    mtmsrd 1                  # clears SE: traced
    mfmsr 5                   # SE clear again
    li 6, 0x2000
    mtsrr0 6
    mfmsr 7
    ori 7, 7, 0x400
    mtsrr1 7
    rfid                      # into 0x2000 with SE set
    .org 0x2000
    addi 3, 3, 100            # traced
    mfmsr 1
    li 2, 0x400
    andc 1, 1, 2
    ori 1, 1, 0x200           # BE instead
    mtmsrd 1
    addi 3, 3, 1              # not a branch: not traced
    b 2f                      # branch: traced
2:  cmpdi 3, 0
    bne 3f                    # taken: traced
3:  mfmsr 1
    li 2, 0x200
    andc 1, 1, 2
    mtmsrd 1                  # BE off
done:
    b done
