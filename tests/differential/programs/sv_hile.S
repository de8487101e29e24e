# steps: 38
# vcpus: 1
# regs: srr0,srr1,hsrr0,hsrr1,hid0
# Little-endian boot through rfid with HID0[HILE]: the hypervisor's
# interrupts then run little-endian (docs/qemu-reference.md: HILE, not LPCR[ILE],
# decides in HV state), so the handlers at 0xc00, 0x700 and 0xe40 are
# little-endian code (sv_hile.le.S) and return to the little-endian program
# with rfid/hrfid. LPCR[ILE] alone is set first and changes nothing in HV.
    .include "common.inc"
    entry

    begin
    mfspr 3, 318
    oris 3, 3, 0x200         # LPCR[ILE] (bit 38)
    mtspr 318, 3
    li 4, 1
    rldicr 4, 4, 59, 4       # HID0[HILE] = bit 4
    mtspr 1008, 4
    mfspr 5, 1008
    mfmsr 6
    ori 6, 6, 1              # LE
    li 7, 0x2000
    mtsrr0 7
    mtsrr1 6
    rfid                     # into the little-endian program
