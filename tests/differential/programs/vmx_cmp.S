# steps: 220
# vcpus: 1
# regs: vscr,vs32,vs33,vs38,vs39,vs40,vs41,vs42,vs43,vs44,vs45,vs46,vs47
# VMX integer compares (vcmpequ*, vcmpgtu*, vcmpgts*, vcmpne*, vcmpnez*) and their
# Rc=1 forms, big-endian. CR starts with every bit set so that a compare that
# clobbers a field other than CR6 shows; each Rc=1 form then runs on all-true
# (a == a, 0 == 0), none-true (kG vs kH differ in every element), mixed extremes
# (kA vs kB) and string-like data with zero bytes/halfwords/words (vr10, vr11).
    .include "common.inc"
    .include "vmx_ldv.inc"
    entry
    .org 0xe40
    mfspr 30, 314            # HSRR0: skip a word that raises HEAI
    addi 30, 30, 4
    mtspr 314, 30
    hrfid
    begin
    ldk 3, vec_msr
    mtmsrd 3, 0              # MSR[FP|VEC|VSX] := 1
    ldinputs
    ldv 10, kS1
    ldv 11, kS2
    li 5, -1
    mtcrf 255, 5             # CR <- 0xffffffff
    vcmpequb 8, 0, 1
    vcmpequb. 9, 0, 0
    vcmpequb. 10, 0, 1
    vcmpequb. 11, 1, 0
    vcmpequb. 12, 6, 7
    vcmpequb. 13, 7, 6
    vcmpequb. 14, 10, 11
    vcmpequb. 15, 11, 10
    vcmpequb. 9, 4, 4
    vcmpequb. 10, 2, 5
    vcmpequh 8, 0, 1
    vcmpequh. 9, 0, 0
    vcmpequh. 10, 0, 1
    vcmpequh. 11, 1, 0
    vcmpequh. 12, 6, 7
    vcmpequh. 13, 7, 6
    vcmpequh. 14, 10, 11
    vcmpequh. 15, 11, 10
    vcmpequh. 9, 4, 4
    vcmpequh. 10, 2, 5
    vcmpequw 8, 0, 1
    vcmpequw. 9, 0, 0
    vcmpequw. 10, 0, 1
    vcmpequw. 11, 1, 0
    vcmpequw. 12, 6, 7
    vcmpequw. 13, 7, 6
    vcmpequw. 14, 10, 11
    vcmpequw. 15, 11, 10
    vcmpequw. 9, 4, 4
    vcmpequw. 10, 2, 5
    vcmpequd 8, 0, 1
    vcmpequd. 9, 0, 0
    vcmpequd. 10, 0, 1
    vcmpequd. 11, 1, 0
    vcmpequd. 12, 6, 7
    vcmpequd. 13, 7, 6
    vcmpequd. 14, 10, 11
    vcmpequd. 15, 11, 10
    vcmpequd. 9, 4, 4
    vcmpequd. 10, 2, 5
    vcmpgtub 8, 0, 1
    vcmpgtub. 9, 0, 0
    vcmpgtub. 10, 0, 1
    vcmpgtub. 11, 1, 0
    vcmpgtub. 12, 6, 7
    vcmpgtub. 13, 7, 6
    vcmpgtub. 14, 10, 11
    vcmpgtub. 15, 11, 10
    vcmpgtub. 9, 4, 4
    vcmpgtub. 10, 2, 5
    vcmpgtuh 8, 0, 1
    vcmpgtuh. 9, 0, 0
    vcmpgtuh. 10, 0, 1
    vcmpgtuh. 11, 1, 0
    vcmpgtuh. 12, 6, 7
    vcmpgtuh. 13, 7, 6
    vcmpgtuh. 14, 10, 11
    vcmpgtuh. 15, 11, 10
    vcmpgtuh. 9, 4, 4
    vcmpgtuh. 10, 2, 5
    vcmpgtuw 8, 0, 1
    vcmpgtuw. 9, 0, 0
    vcmpgtuw. 10, 0, 1
    vcmpgtuw. 11, 1, 0
    vcmpgtuw. 12, 6, 7
    vcmpgtuw. 13, 7, 6
    vcmpgtuw. 14, 10, 11
    vcmpgtuw. 15, 11, 10
    vcmpgtuw. 9, 4, 4
    vcmpgtuw. 10, 2, 5
    vcmpgtud 8, 0, 1
    vcmpgtud. 9, 0, 0
    vcmpgtud. 10, 0, 1
    vcmpgtud. 11, 1, 0
    vcmpgtud. 12, 6, 7
    vcmpgtud. 13, 7, 6
    vcmpgtud. 14, 10, 11
    vcmpgtud. 15, 11, 10
    vcmpgtud. 9, 4, 4
    vcmpgtud. 10, 2, 5
    vcmpgtsb 8, 0, 1
    vcmpgtsb. 9, 0, 0
    vcmpgtsb. 10, 0, 1
    vcmpgtsb. 11, 1, 0
    vcmpgtsb. 12, 6, 7
    vcmpgtsb. 13, 7, 6
    vcmpgtsb. 14, 10, 11
    vcmpgtsb. 15, 11, 10
    vcmpgtsb. 9, 4, 4
    vcmpgtsb. 10, 2, 5
    vcmpgtsh 8, 0, 1
    vcmpgtsh. 9, 0, 0
    vcmpgtsh. 10, 0, 1
    vcmpgtsh. 11, 1, 0
    vcmpgtsh. 12, 6, 7
    vcmpgtsh. 13, 7, 6
    vcmpgtsh. 14, 10, 11
    vcmpgtsh. 15, 11, 10
    vcmpgtsh. 9, 4, 4
    vcmpgtsh. 10, 2, 5
    vcmpgtsw 8, 0, 1
    vcmpgtsw. 9, 0, 0
    vcmpgtsw. 10, 0, 1
    vcmpgtsw. 11, 1, 0
    vcmpgtsw. 12, 6, 7
    vcmpgtsw. 13, 7, 6
    vcmpgtsw. 14, 10, 11
    vcmpgtsw. 15, 11, 10
    vcmpgtsw. 9, 4, 4
    vcmpgtsw. 10, 2, 5
    vcmpgtsd 8, 0, 1
    vcmpgtsd. 9, 0, 0
    vcmpgtsd. 10, 0, 1
    vcmpgtsd. 11, 1, 0
    vcmpgtsd. 12, 6, 7
    vcmpgtsd. 13, 7, 6
    vcmpgtsd. 14, 10, 11
    vcmpgtsd. 15, 11, 10
    vcmpgtsd. 9, 4, 4
    vcmpgtsd. 10, 2, 5
    vcmpneb 8, 0, 1
    vcmpneb. 9, 0, 0
    vcmpneb. 10, 0, 1
    vcmpneb. 11, 1, 0
    vcmpneb. 12, 6, 7
    vcmpneb. 13, 7, 6
    vcmpneb. 14, 10, 11
    vcmpneb. 15, 11, 10
    vcmpneb. 9, 4, 4
    vcmpneb. 10, 2, 5
    vcmpneh 8, 0, 1
    vcmpneh. 9, 0, 0
    vcmpneh. 10, 0, 1
    vcmpneh. 11, 1, 0
    vcmpneh. 12, 6, 7
    vcmpneh. 13, 7, 6
    vcmpneh. 14, 10, 11
    vcmpneh. 15, 11, 10
    vcmpneh. 9, 4, 4
    vcmpneh. 10, 2, 5
    vcmpnew 8, 0, 1
    vcmpnew. 9, 0, 0
    vcmpnew. 10, 0, 1
    vcmpnew. 11, 1, 0
    vcmpnew. 12, 6, 7
    vcmpnew. 13, 7, 6
    vcmpnew. 14, 10, 11
    vcmpnew. 15, 11, 10
    vcmpnew. 9, 4, 4
    vcmpnew. 10, 2, 5
    vcmpnezb 8, 0, 1
    vcmpnezb. 9, 0, 0
    vcmpnezb. 10, 0, 1
    vcmpnezb. 11, 1, 0
    vcmpnezb. 12, 6, 7
    vcmpnezb. 13, 7, 6
    vcmpnezb. 14, 10, 11
    vcmpnezb. 15, 11, 10
    vcmpnezb. 9, 4, 4
    vcmpnezb. 10, 2, 5
    vcmpnezh 8, 0, 1
    vcmpnezh. 9, 0, 0
    vcmpnezh. 10, 0, 1
    vcmpnezh. 11, 1, 0
    vcmpnezh. 12, 6, 7
    vcmpnezh. 13, 7, 6
    vcmpnezh. 14, 10, 11
    vcmpnezh. 15, 11, 10
    vcmpnezh. 9, 4, 4
    vcmpnezh. 10, 2, 5
    vcmpnezw 8, 0, 1
    vcmpnezw. 9, 0, 0
    vcmpnezw. 10, 0, 1
    vcmpnezw. 11, 1, 0
    vcmpnezw. 12, 6, 7
    vcmpnezw. 13, 7, 6
    vcmpnezw. 14, 10, 11
    vcmpnezw. 15, 11, 10
    vcmpnezw. 9, 4, 4
    vcmpnezw. 10, 2, 5
done:
    b done

    .org 0x3000
    .include "vmx_data.inc"
kS1: .quad 0x6162630064650000, 0x0000000000006f00   # "abc\0de\0\0...": zero b/h/w/d
kS2: .quad 0x6162630064660000, 0x0000000000000000
