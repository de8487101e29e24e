# steps: 24
# vcpus: 1
# regs: srr0,srr1,hsrr0,hsrr1
# Illegal and reserved words raise HEAI (0xe40) in HV state, not a program
# interrupt (docs/qemu-reference.md): HSRR0 = the instruction, HSRR1 = the MSR image.
# The handler skips the word and returns with hrfid.
    .include "common.inc"
    entry

    .org 0xe40
    mfspr 20, 314            # HSRR0
    addi 20, 20, 4
    mtspr 314, 20
    hrfid

    begin
    li 3, 1
    .long 0x00000000         # the zero word
    li 4, 2
    .long 0x00dddd00         # the debug instruction
    li 5, 3
    .long 0x04000000         # primary opcode 1: prefixes are not POWER9
    li 6, 4
done:
    b done
