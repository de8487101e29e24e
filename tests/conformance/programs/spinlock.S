# A lwarx/stwcx. retry loop (atomic increment) and a spinlock, to show that
# stepping each instruction of the sequence with a trace interrupt in between
# never succeeds (every interrupt clears the reservation), and stepping the
# whole sequence as gdb's stepi does always does.
    .include "common.inc"
    vectors
    .org 0x1000
    .globl _start
_start:
    li 5, 0x3000
    li 6, 0
1:  lwarx 4, 0, 5
    addi 4, 4, 1
    stwcx. 4, 0, 5
    bne- 1b
    addi 6, 6, 1
    cmpdi 6, 3
    blt 1b
done:
    b done
