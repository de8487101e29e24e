# steps: 67
# vcpus: 1
# regs: srr0,srr1,fpscr,f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12,f13
# The basic floating-point set with MSR[FP]=1: loads/stores of both widths
# (update and indexed forms), arithmetic double and single, fused multiply-add,
# sign moves, compares into CR and FPSCR[FPRF], conversions, mffs/mtfsf/mtfsfi.
    .include "common.inc"
    entry
    begin
    ldk 3, fp_msr
    mtmsrd 3, 0              # MSR[FP] := 1
    li 20, 0x4000
    li 21, 0x5000
    li 22, 8
    lfd 0, 0(20)             # 1.5
    lfdu 1, 8(20)            # -2.25
    lfdx 2, 20, 22           # 1e300
    lfs 3, 0x20(20)          # 0.1f
    lfsu 4, 0x24(20)         # -3.0f
    lfsx 5, 20, 22           # bits at 0x4034 as single
    lfdux 6, 20, 22
    fadd 7, 0, 1
    fsub 8, 0, 1
    fmul 9, 2, 2             # overflow to +inf
    fdiv 10, 0, 1
    fadds 11, 0, 3
    fsubs 12, 3, 4
    fmuls 13, 3, 3
    fdivs 7, 3, 4
    fmadd 8, 0, 1, 3
    fmsub 9, 0, 1, 3
    fnmadd 10, 0, 1, 3
    fnmsub 11, 0, 1, 3
    fmadds 12, 3, 4, 0
    fnmsubs 13, 3, 4, 0
    fabs 7, 1
    fneg 8, 0
    fmr 9, 2
    fcpsgn 10, 1, 0
    fnabs 11, 0
    fcmpu 1, 0, 1
    fcmpo 2, 1, 0
    fcmpu 3, 0, 0
    mfcr 23
    fctid 12, 10
    fctidz 13, 10
    fctiw 7, 1
    fctiwz 8, 1
    fcfid 9, 12
    fcfidu 10, 12
    frsp 11, 2               # out of single range
    fsqrt 12, 0
    mffs 13
    mtfsfi 7, 3              # round toward -inf
    fadd 7, 3, 4
    fctid 8, 0
    mtfsf 0xff, 13           # back to the saved FPSCR
    mffs 9
    stfd 0, 0(21)
    stfdu 1, 8(21)
    stfdx 2, 21, 22
    stfs 3, 0x20(21)
    stfsu 4, 0x24(21)
    stfsx 0, 21, 22
    stfdux 7, 21, 22
    ld 24, 0x5000(0)
    ld 25, 0x5008(0)
    ld 26, 0x5020(0)
    ld 27, 0x5028(0)
    fdiv 0, 1, 5
    fdiv 1, 7, 7
done:
    b done

    .org 0x3000
fp_msr: .quad 0x9000000000002000
    .org 0x4000
    .double 1.5, -2.25, 1e300, 0
    .float 0.1, -3.0, 7.0, 0
    .double 3.0e-310, 0
