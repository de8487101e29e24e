# Asynchronous interrupts under stepping: the decrementer fires every 40
# slots while the guest counts; its handler re-arms it. With the step flag
# noirq off, a step may be the delivery of the interrupt instead of an
# instruction (docs/stepping.md case 3).
    .include "common.inc"
    .org 0x900
    addi 23, 23, 1
    li 28, 40
    mtdec 28
    rfid
    .org 0x1000
    .globl _start
_start:
    li 28, 40
    mtdec 28
    mfmsr 1
    ori 1, 1, 0x8000
    mtmsrd 1, 1               # EE on
    li 3, 0
1:  addi 3, 3, 1
    li 5, 0x3000
    stw 3, 0(5)
    b 1b
