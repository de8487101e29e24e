# Entry of benchmark (c): a stack, a call into C, and `done: b done`.
    .section .text.start, "ax"
    .org 0x10
    .globl _start
_start:
    lis 1, 0x80             # stack top at 0x800000
    li 0, 0
    stdu 0, -128(1)
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
