# steps: 155
# vcpus: 1
# regs: vscr,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41
# VMX multiplies, multiply-sums, sums across, multiply-adds and the vmul10
# quadword forms, big-endian (vmx_mul_le: little-endian). VSCR[SAT] cannot be
# cleared here: every saturating form first runs where nothing saturates,
# then where it does (vmsumuhs sets SAT first; vmx_mul_le starts with vsumsws).
    .include "common.inc"
    .include "vmx_ldv.inc"
    entry
    begin
    ldk 3, vec_msr
    mtmsrd 3, 0              # MSR[FP|VEC|VSX] := 1
    ldinputs
    .include "vmx_mul.inc"
    vmsumuhs 8, 0, 1, 2
    vmsumuhs 9, 2, 2, 2
    vmsumshs 8, 0, 0, 0
    vmsumshs 9, 5, 5, 5
    vmhaddshs 8, 0, 1, 2
    vmhaddshs 9, 5, 5, 0
    vmhraddshs 8, 0, 1, 2
    vmhraddshs 9, 5, 5, 0
    vsum4ubs 8, 2, 2
    vsum4ubs 9, 0, 1
    vsum4sbs 8, 0, 1
    vsum4sbs 9, 2, 5
    vsum4shs 8, 0, 1
    vsum4shs 9, 2, 0
    vsum2sws 8, 0, 1
    vsum2sws 9, 2, 0
    vsumsws 8, 0, 1
    vsumsws 9, 2, 1
    vsumsws 8, 5, 5
done:
    b done

    .org 0x3000
    .include "vmx_data.inc"
