# steps: 59
# vcpus: 1
# regs: srr0,srr1
# Add/subtract with OE and Rc at the signed and unsigned edges: OV/OV32, SO
# stickiness, CR0 from the 64-bit result, CA/CA32 (ISA 3.0B 3.3.9).
    .include "common.inc"
    entry
    begin
    ldk 4, max64
    ldk 5, min64
    ldk 6, ones
    ldk 7, max32
    li 8, 1
    add 10, 4, 8
    addo 11, 4, 8
    addo. 12, 4, 8
    add. 13, 5, 6
    addo 14, 5, 6
    addo 15, 8, 8            # no overflow: SO stays set
    subf 16, 8, 5
    subfo. 17, 8, 5
    subfo 18, 5, 4
    neg 19, 5
    nego. 20, 5
    nego 21, 8
    addc 22, 6, 8
    addc. 23, 7, 8           # CA32 from the low word
    adde 24, 8, 8
    addeo. 25, 4, 6
    addze 26, 6
    addzeo 27, 4
    addme 28, 8
    addmeo. 29, 5
    subfc 30, 8, 5
    subfco. 31, 6, 8
    subfe 10, 8, 6
    subfeo 11, 4, 5
    subfze 12, 6
    subfzeo. 13, 5
    subfme 14, 8
    subfmeo 15, 5
    mfxer 16
    li 17, 0
    mtxer 17                 # clear SO/OV/CA
    mfxer 18
    addo. 19, 7, 8           # 32-bit overflow only: OV32
    mfxer 20
    addic 21, 6, 1
    addic. 22, 5, -1
    subfic 23, 8, 0
    subfic 24, 5, 7
    addis 25, 0, -32768
    addi 26, 25, -1
    addis 27, 4, 1
    mtxer 17
    addeo 28, 4, 4
    mfxer 29
    li 9, -1
    mtxer 9                  # every writable XER bit
    mfxer 30
    add. 31, 8, 8            # CR0[SO] copies XER[SO]
    mtxer 17
done:
    b done

    .org 0x3000
max64: .quad 0x7fffffffffffffff
min64: .quad 0x8000000000000000
ones:  .quad 0xffffffffffffffff
max32: .quad 0x000000007fffffff
