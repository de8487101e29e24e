# steps: 158
# vcpus: 1
# regs: vscr,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41
# vmx_mul in little-endian mode: the boot code (big-endian) enters
# vmx_mul_le.le.S at 0x2000 with MSR[LE|VEC|VSX|FP] by rfid; the saturating
# cases run in the reverse order (vsumsws sets VSCR[SAT] first).
    .include "common.inc"
    entry
    begin
    ldk 3, le_msr
    li 4, 0x2000
    mtsrr0 4
    mtsrr1 3
    rfid

    .org 0x3000
    .include "vmx_data.inc"
