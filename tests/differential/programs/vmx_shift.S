# steps: 452
# vcpus: 1
# regs: vscr,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41,vs42,vs43,vs44,vs45,vs46,vs47,vs48,vs49,vs50,vs51,vs52,vs53,vs54,vs55,vs56,vs57
# VMX element shifts and rotates (vsl*, vsr*, vsra*, vrl* with counts 0, w-1, w, 2w-1 and
# all-ones, so the count wraps modulo the element width), rotate-and-mask (vrlwnm/vrlwmi,
# vrldnm/vrldmi with all-ones, single-bit and mb > me wrap-around masks, and bits above
# the 5/6-bit fields set; vrldmi only where QEMU 7.2 agrees with the ISA, see
# vmx_shift.inc), counts (vclz*, vctz*, vpopcnt*, vclzlsbb/vctzlsbb) and bit
# gathers/permutes (vgbbd, vbpermq/vbpermd with indexes past the end), big-endian
# (vmx_shift_le is the same in little-endian mode). The last words set the reserved VRA
# of vclz*/vpopcnt*/vgbbd, which QEMU 7.2 executes; a HEAI would skip the word.
    .include "common.inc"
    .include "vmx_ldv.inc"
    .include "vmx_shift_ldv.inc"
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
    ldshift
    .include "vmx_shift.inc"
done:
    b done

    .org 0x3000
    .include "vmx_data.inc"
    .include "vmx_shift_data.inc"
