# Benchmark (b): a load/store mix (ld/std/add/cmpd/bne). The iteration count N is the
# doubleword at 0x1000 (the benchmark patches it); 6*N + 3 instructions run to `done`.
    .org 0x10
_start:
    ld 3, 0x1000(0)
    li 5, 0
    lis 6, 2                # buffer at 0x20000
loop:
    ld 7, 0(6)
    add 7, 7, 5
    std 7, 8(6)
    addi 5, 5, 1
    cmpd 5, 3
    bne loop
done:
    b done
    .org 0x1000
count:
    .quad 1000
