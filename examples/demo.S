# The demo `make run` traces: a counted loop, then a store and a load.
    .org 0x10
_start:
    li 4, 100
    mtctr 4
    li 5, 0
1:  addi 5, 5, 3
    bdnz 1b
    lis 6, 0x1234
    ori 6, 6, 0x5678
    std 6, 0x2000(0)
    ld 7, 0x2000(0)
done: b done
