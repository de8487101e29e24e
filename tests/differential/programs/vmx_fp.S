# steps: 145
# vcpus: 1
# regs: vscr,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41,vs42,vs43,vs44,vs45,vs46,vs47
# VMX floating point, big-endian (vmx_fp_le: little-endian), with VSCR[NJ] = 1 as at
# reset: denormal operands and tiny results are zeros of their sign. CR6 is compared
# with every step (the Rc compares).
    .include "common.inc"
    .include "vmx_fp_ldv.inc"
    entry
    begin
    ldk 3, vec_msr
    mtmsrd 3, 0              # MSR[FP|VEC|VSX] := 1
    ldfp
    .include "vmx_fp.inc"
done:
    b done

    .org 0x3000
    .include "vmx_fp_data.inc"
