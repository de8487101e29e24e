# steps: 278
# vcpus: 1
# regs: srr0,srr1,vs0,vs1,vs2,vs3,vs4,vs5,vs6,vs7,vs8,vs9,vs10,vs11,vs12,vs13,vs14,vs15,vs16,vs17,vs18,vs19,vs20,vs21,vs22,vs23,vs24,vs25,vs26,vs27,vs28,vs29,vs30,vs31,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41,vs42,vs43,vs44,vs45,vs46,vs47,vs48,vs49,vs50,vs51,vs52,vs53,vs54,vs55,vs59,vs60,vs61,vs62,vs63
# vsx_storage in little-endian mode: the boot code (big-endian) enters
# vsx_storage_le.le.S at 0x2000 with MSR[LE|VEC|VSX|FP] by rfid. lxvx loads the
# quadword as one little-endian value, lxvd2x/lxvw4x/lxvh8x keep big-endian element
# order with each element little-endian, lxvb16x moves bytes as in big-endian mode;
# the stores mirror them.
    .include "common.inc"
    entry
    begin
    ldk 3, vs_le_msr
    li 4, 0x2000
    mtsrr0 4
    mtsrr1 3
    rfid

    .org 0x3000
    .include "vsx_storage_data.inc"
