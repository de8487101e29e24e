# steps: 40
# vcpus: 1
# regs: srr0,srr1,vscr,vs0,vs1,vs31,vs32,vs33,vs34,vs35,vs36,vs63,vr0,vr2,f0,f1
# The vector-scalar state as QEMU shows it: moves between GPRs and VSRs (both
# halves of the register file, FPRs as VSR high doublewords, VRs as VSRs
# 32-63) and the VMX logical operations, with MSR[FP|VEC|VSX] = 1.
    .include "common.inc"
    entry
    begin
    ldk 3, vec_msr
    mtmsrd 3, 0              # MSR[FP|VEC|VSX] := 1
    ldk 4, k1
    ldk 5, k2
    mtvsrdd 0, 4, 5          # vs0 = k1 || k2 (f0 = k1)
    mtvsrdd 32, 5, 4         # vr0 = k2 || k1
    mtvsrdd 33, 0, 4         # vr1 = 0 || k1 (RA=0 reads as 0)
    mtvsrdd 63, 4, 4
    mtvsrd 1, 5              # f1 = k2, doubleword 1 as it was
    mtvsrd 34, 4
    mfvsrd 6, 0
    mfvsrld 7, 0
    mfvsrd 8, 32
    mfvsrld 9, 63
    vand 3, 0, 1
    vandc 4, 0, 1
    vor 2, 0, 1
    vorc 5, 0, 1
    vnor 31, 0, 1
    vxor 3, 0, 0
    vnand 4, 0, 1
    veqv 5, 0, 1
    mfvsrd 10, 35
    mfvsrld 11, 37
done:
    b done

    .org 0x3000
vec_msr: .quad 0x9000000002802000
k1: .quad 0x0123456789abcdef
k2: .quad 0xfedcba9876543210
