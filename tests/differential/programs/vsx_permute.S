# steps: 172
# vcpus: 1
# regs: srr0,srr1,vs0,vs1,vs2,vs3,vs4,vs5,vs6,vs7,vs8,vs9,vs40,vs41,vs63
# VSX logical, select and permute instructions and the GPR<->VSR word moves
# (vsx_permute.inc), first big-endian, then again little-endian from 0x2000
# (vsx_permute.le.S) with MSR[FP|VEC|VSX] = 1 in both. Special cases: XT equal
# to a source, VR-half operands, xxperm selector bytes >= 32, xxextractuw and
# xxinsertw past byte 12, xxspltw with its reserved bits set.
    .include "common.inc"
    entry
    begin
    ldk 3, 0x3000
    mtmsrd 3, 0              # MSR[FP|VEC|VSX] := 1
    .include "vsx_permute.inc"
    ldk 3, 0x3008
    li 4, 0x2000
    mtsrr0 4
    mtsrr1 3
    rfid                     # on to the little-endian pass

    .org 0x3000
    .quad 0x9000000002802000 # BE, FP|VEC|VSX
    .quad 0x9000000002802001 # LE, FP|VEC|VSX
    .org 0x3100
    .quad 0x0123456789abcdef, 0xfedcba9876543210, 0x8000000000000001, 0x7ff8000000000000
    .quad 0x001f100f213eff80, 0x1a2b3c4d5e6f7071
