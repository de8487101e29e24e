# steps: 383
# vcpus: 1
# regs: vscr,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41,vs42,vs43,vs44,vs45,vs46,vs47,vs48,vs49,vs50,vs51,vs52,vs53,vs54,vs55,vs56,vs57,vs58,vs59,vs60
# vmx_est in little-endian mode: the boot code (big-endian) enters vmx_est_le.le.S at
# 0x2000 with MSR[LE|VEC|VSX|FP] by rfid. The HEAI vector runs big-endian and returns to
# the little-endian code with hrfid.
    .include "common.inc"
    entry
    .org 0xe40               # HEAI: skip the word
    mfspr 30, 314            # HSRR0
    addi 30, 30, 4
    mtspr 314, 30
    hrfid
    begin
    ldk 3, le_msr
    li 4, 0x2000
    mtsrr0 4
    mtsrr1 3
    rfid

    .org 0x3000
    .include "vmx_data.inc"
