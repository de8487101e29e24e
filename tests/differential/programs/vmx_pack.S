# steps: 376
# vcpus: 1
# regs: vscr,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41,vs42,vs43,vs44,vs45,vs46,vs47
# VMX pack/unpack, extract/insert (vmx_pack.inc) and the saturating packs, big-endian
# (vmx_pack_le is the same in little-endian mode). VSCR[SAT] is sticky and cannot be
# cleared here, so every saturating pack first runs on inputs that need no clamping
# (SAT stays 0), then on ones that do; vpkuhus is the first to set it (vpkudus in
# vmx_pack_le). Words QEMU 7.2 rejects go to the HEAI vector, which skips them.
    .include "common.inc"
    .include "vmx_ldv.inc"
    entry
    .org 0xe40               # HEAI: skip the word
    mfspr 30, 314            # HSRR0
    addi 30, 30, 4
    mtspr 314, 30
    hrfid
    begin
    ldk 3, vec_msr
    mtmsrd 3, 0              # MSR[FP|VEC|VSX] := 1
    .include "vmx_pack.inc"
    .include "vmx_pack_sat.inc"
    .include "vmx_pack_sat_be.inc"
done:
    b done

    .org 0x3000
    .include "vmx_pack_data.inc"
