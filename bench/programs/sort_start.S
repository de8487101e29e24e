# Entry of benchmark (c): a stack, a call into C, and `done: b done` (at 0x3c).
    .section .text.start, "ax"
    .org 0x10
    .globl _start
_start:
    # Each vCPU sorts its own array on its own stack, so (g) runs eight
    # independent copies: PIR = 4 x index.
    mfspr 4, 1023
    sldi 5, 4, 14           # index x 64 KiB
    lis 1, 0x80
    subf 1, 5, 1            # stack top at 0x800000 - index x 64 KiB
    li 0, 0
    stdu 0, -128(1)
    sldi 6, 4, 10           # index x 4 KiB
    lis 3, 0x10
    add 3, 3, 6             # the array at 0x100000 + index x 4 KiB
    bl bench_main
    nop
    .globl done
done:
    b done
    .org 0x1000
count:
    .quad 1
result:
    .quad 0
    .org 0x1100
