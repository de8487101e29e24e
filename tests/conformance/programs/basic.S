# Every kind of step the controller must carry out exactly, in one program:
# arithmetic, loads and stores, calls and returns, every branch shape, mfmsr,
# mtmsrd of EE, mtsrr0/mtsrr1, sc, a taken trap, an alignment fault, an
# illegal word (reflected as a program interrupt), hypercalls, rfid.
    .include "common.inc"
    vectors
    .org 0x1000
    .globl _start
_start:
    lis 28, 0x7fff            # DEC far ahead: EE goes on below
    mtdec 28
    li 3, 1
    addi 3, 3, 2
    bl func
    mfmsr 4
    li 5, 0x3000
    std 3, 0(5)
    ldu 6, 8(5)
    stw 3, 4(5)
    li 7, 0
    ori 7, 7, 0x8000
    mtmsrd 7, 1               # EE on (L=1)
    li 7, 0
    mtmsrd 7, 1               # EE off
    sc
    tweq 3, 3                 # taken trap: 0x700, handler skips it
    twne 3, 3                 # not taken
    li 8, 0x3001
    lwarx 9, 0, 8             # unaligned: alignment 0x600, handler skips it
    .long 0                   # illegal: HEAI to the host, reflected as 0x700
    mtsrr0 3
    mtsrr1 3
    mfsrr0 10
    mfsrr1 11
    li 12, 3
    mtctr 12
1:  addi 13, 13, 1
    bdnz 1b
    cmpdi 13, 3
    beq 2f
    li 14, -1
2:  hcall_putc 0x41
    li 3, 0x7777              # an unknown hypercall: H_FUNCTION
    sc 1
    li 15, 0x1100
    mtctr 15
    bctrl
    li 16, 0x1200
    mtsrr0 16
    mfmsr 17
    mtsrr1 17
    rfid                      # untraced: lands at 0x1200
    .org 0x1100
    addi 18, 18, 1
    blr
    .org 0x1200
    li 19, 5
done:
    b done

func:
    addi 3, 3, 10
    blr
