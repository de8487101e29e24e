# steps: 380
# vcpus: 1
# regs: vscr,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41,vs42,vs43,vs44,vs45,vs46,vs47,vs48,vs49,vs50,vs51,vs52,vs53,vs54,vs55,vs56,vs57,vs58,vs59,vs60
# VMX 2**x and log2 estimates (vexptefp, vlogefp), big-endian (vmx_est_le is the same in
# little-endian mode), on +-0, +-inf, NaNs signalling and quiet, denormals, extremes,
# values next to 1 and powers of two, and random ones; with VSCR[NJ] = 1 (reset), then 0.
# The bits are QEMU 7.2's softfloat estimates (engine/isa/vmx_fp_est.py). The last words
# set the reserved VRA, on which QEMU 7.2 raises HEAI (the handler skips them).
    .include "common.inc"
    .include "vmx_ldv.inc"
    .include "vmx_est_ldv.inc"
    entry
    .org 0xe40               # HEAI: skip the word
    mfspr 30, 314            # HSRR0
    addi 30, 30, 4
    mtspr 314, 30
    hrfid
    begin
    ldk 3, vec_msr
    mtmsrd 3, 0              # MSR[FP|VEC|VSX] := 1
    ldinputs
    ldest
    .include "vmx_est.inc"
done:
    b done

    .org 0x3000
    .include "vmx_data.inc"
    .include "vmx_est_data.inc"
