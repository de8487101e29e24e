# steps: 146
# vcpus: 1
# regs: vscr,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41,vs42,vs43,vs44,vs45,vs46,vs47
# vmx_fp in little-endian mode: the boot code (big-endian) enters vmx_fp_le.le.S at
# 0x2000 with MSR[LE|VEC|VSX|FP] by rfid; the inputs are loaded from its own
# little-endian copy of the constants.
    .include "common.inc"
    entry
    begin
    ldk 3, le_msr
    li 4, 0x2000
    mtsrr0 4
    mtsrr1 3
    rfid

    .org 0x3000
    .include "vmx_fp_data.inc"
