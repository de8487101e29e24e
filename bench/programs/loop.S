# Benchmark (a): an addi/bdnz loop. The iteration count N is the doubleword at 0x1000
# (the benchmark patches it); 2*N + 3 instructions run from _start to `done`.
    .org 0x10
_start:
    ld 3, 0x1000(0)
    mtctr 3
    li 4, 0
loop:
    addi 4, 4, 1
    bdnz loop
done:
    b done
    .org 0x1000
count:
    .quad 1000
