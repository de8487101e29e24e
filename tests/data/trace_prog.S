# A small program for the `ppcdbg trace` conformance tests (tests/test_trace_cli.py).
# Built by tests/data/build.sh into trace_prog.bin (raw, entry 0x10) and
# trace_prog.elf (ELFv2, big-endian, linked at 0, same bytes, with symbols).
    .abiversion 2
    .text
    .globl _start
    .org 0x10
_start:
    li 3, 3
    mtctr 3
    li 4, 0
loop:
    addi 4, 4, 1
    bdnz loop
    lis 5, 0x1234
    ori 5, 5, 0x5678
    mfspr 6, 1023           # PIR: 4 x vCPU index
    std 5, 0x2000(6)        # each vCPU stores to its own doubleword (data + PIR)
    .globl done
done:
    b done
    .org 0x2000
    .globl data
data:
    .quad 0, 0
