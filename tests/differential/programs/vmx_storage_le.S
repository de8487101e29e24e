# steps: 92
# vcpus: 1
# regs: srr0,srr1,vscr,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41,vs42,vs43,vs44,vs45,vs46,vs47,vs48,vs49,vs50,vs51,vs52,vs53,vs54,vs55,vs56
# vmx_storage in little-endian mode: the boot code (big-endian) enters
# vmx_storage_le.le.S at 0x2000 with MSR[LE|VEC|VSX|FP] by rfid. lvx/stvx
# reverse the whole quadword, the element forms count elements from the other
# end and access each element little-endian.
    .include "common.inc"
    entry
    begin
    ldk 3, vs_le_msr
    li 4, 0x2000
    mtsrr0 4
    mtsrr1 3
    rfid

    .org 0x3000
    .include "vmx_storage_data.inc"
