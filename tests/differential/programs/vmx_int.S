# steps: 194
# vcpus: 1
# regs: vscr,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41
# VMX integer add/subtract (modulo, saturating, carries, quadword), average,
# max/min, absolute difference, negate, parity, sign extension, big-endian
# (vmx_int_le is the same in little-endian mode). VSCR[SAT] is sticky and
# there is no way to clear it here, so every saturating form first runs on
# inputs that do not saturate (SAT stays 0), then on ones that do: vaddubs is
# the first to set it (vmx_int_le starts with vsubsws instead).
    .include "common.inc"
    .include "vmx_ldv.inc"
    entry
    begin
    ldk 3, vec_msr
    mtmsrd 3, 0              # MSR[FP|VEC|VSX] := 1
    ldinputs
    .include "vmx_int.inc"
    vaddubs 8, 0, 1
    vaddubs 9, 2, 3
    vadduhs 8, 0, 1
    vadduhs 9, 2, 3
    vadduws 8, 0, 1
    vadduws 9, 2, 3
    vaddsbs 8, 0, 1
    vaddsbs 9, 2, 3
    vaddshs 8, 0, 1
    vaddshs 9, 2, 3
    vaddsws 8, 0, 1
    vaddsws 9, 2, 3
    vsububs 8, 0, 1
    vsububs 9, 2, 3
    vsubuhs 8, 0, 1
    vsubuhs 9, 2, 3
    vsubuws 8, 0, 1
    vsubuws 9, 2, 3
    vsubsbs 8, 0, 1
    vsubsbs 9, 2, 3
    vsubshs 8, 0, 1
    vsubshs 9, 2, 3
    vsubsws 8, 0, 1
    vsubsws 9, 2, 3
done:
    b done

    .org 0x3000
    .include "vmx_data.inc"
