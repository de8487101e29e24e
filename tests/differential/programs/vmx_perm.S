# steps: 150
# vcpus: 1
# regs: srr0,srr1,vscr,vr0,vr1,vr2,vr3,vr4,vr5,vr6,vr7,vr8,vr9,vr10,vr11,vr12,vr13,vr14,vr15
# VMX permute, select, shift, splat and merge (vmx_perm.inc) big-endian,
# then again little-endian at 0x2000 (vmx_perm.le.S) after an rfid to
# MSR[LE]=1. Reserved-bit forms QEMU 7.2 executes are included as words; the
# HEAI vector skips a word that is not executed, so a disagreement shows up
# as a step, not a hang.
    .include "common.inc"
    entry
    .org 0xe40
    mfspr 30, 314            # HSRR0
    addi 30, 30, 4
    mtspr 314, 30
    hrfid
    begin
    ldk 3, vec_msr
    mtmsrd 3, 0              # MSR[FP|VEC|VSX] := 1
    .include "vmx_perm.inc"
    ldk 3, le_msr
    li 4, 0x2000
    mtsrr0 4
    mtsrr1 3
    rfid

    .org 0x3000
vec_msr: .quad 0x9000000002802000
le_msr: .quad 0x9000000002802001
k1: .quad 0x0123456789abcdef
k2: .quad 0xfedcba9876543210
k3: .quad 0x8000000000000001
k4: .quad 0x7fffffffffff80ff
sel1: .quad 0x001f10e0ff3f2a05
sel2: .quad 0x1e0f7c83c4119a33
