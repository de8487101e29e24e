# steps: 478
# vcpus: 1
# regs: srr0,srr1,hsrr0,hsrr1,vs0,vs1,vs2,vs3,vs4,vs5,vs6,vs7,vs8,vs9,vs10,vs11,vs12,vs13,vs14,vs15,vs16,vs17,vs18,vs19,vs20,vs21,vs22,vs23,vs24,vs25,vs26,vs27,vs28,vs29,vs30,vs31,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41,vs42,vs43,vs44,vs45,vs46,vs47,vs48,vs49,vs50,vs51,vs52,vs53,vs54,vs55,vs56,vs57,vs58,vs59,vs60,vs61,vs62,vs63
# VSX storage access big-endian (vsx_storage_le: the same in little-endian mode):
# the X-form 16-byte loads (element order), splats and scalar loads (extension,
# DOUBLE() of binary32 specials, doubleword 1 kept), unaligned addresses, lxvx's
# ignored bit 25; the X-form stores (element order, SINGLE() of binary64 specials);
# the DS and DQ forms; lxvl/lxvll/stxvl/stxvll (lengths 0, 1, 7, 16 and clamped);
# stores read back with lxvb16x. Then the facilities as QEMU 7.2 checks them: with
# MSR[VSX]=0, MSR[VEC]=0 and both, each load or store either runs or raises VSX
# unavailable (0xf40) or vector unavailable (0xf20) and changes nothing. Last,
# MSR[SF]=0: effective addresses truncated to 32 bits.
    .include "common.inc"
    .set VDATA, 0x3000
    .set VSTORE, 0x4000
    entry

    .org 0xe40               # HEAI: skip the word
    mfspr 20, 314
    addi 20, 20, 4
    mtspr 314, 20
    hrfid

    .org 0xf20               # vector unavailable: skip the word
    mfsrr0 20
    addi 20, 20, 4
    mtsrr0 20
    rfid

    .org 0xf40               # VSX unavailable: skip the word
    mfsrr0 20
    addi 20, 20, 4
    mtsrr0 20
    rfid

    begin
    ldk 3, vs_msr
    mtmsrd 3, 0
    .include "vsx_storage.inc"
    # MSR[VSX] = 0: the legacy X forms and lxvwsx/lxvx by their register half
    ldk 3, vs_novsx
    mtmsrd 3, 0
    lxvd2x 0, 10, 7          # VSX unavailable
    lxvd2x 33, 10, 7
    lxsdx 9, 10, 7
    lxvwsx 8, 10, 7          # VSR 0-31: VSX unavailable
    lxvwsx 40, 10, 7         # VR 8: needs MSR[VEC] only, runs
    lxvx 4, 10, 7            # VSR 0-31: VSX unavailable
    lxvx 37, 10, 7           # VR 5: runs
    li 3, 0xe0
    stxvd2x 1, 11, 3         # VSX unavailable, nothing stored
    stxsdx 1, 11, 3
    stxvx 1, 11, 3
    stxvx 33, 11, 3          # VR 1: stored
    # MSR[VEC] = 0
    lxsd 27, 0(10)           # the DS forms: which facility each needs
    stxsd 27, 0x1c0(11)
    lxssp 28, 0x40(10)
    stxssp 28, 0x1c8(11)
    lxv 13, 0(10)            # TX = 0: VSX unavailable
    lxv 63, 0(10)            # TX = 1: runs
    stxv 13, 0x1d0(11)
    lxvl 0, 10, 4            # VSR 0-31: VSX unavailable
    lxvl 32, 10, 4           # VR 0: runs
    stxvl 0, 11, 4
    lxvll 1, 10, 4
    addi 3, 11, 0x1e0
    stxvll 33, 3, 4
    ldk 3, vs_novec
    mtmsrd 3, 0
    lxsd 28, 8(10)
    stxsd 28, 0x1cc(11)
    lxssp 29, 0x44(10)
    stxssp 29, 0x1d4(11)
    lxv 14, 0x10(10)         # TX = 0: runs
    lxv 62, 0x10(10)         # TX = 1: vector unavailable
    stxv 62, 0x1f0(11)
    lxvl 34, 10, 4           # VR 2: vector unavailable
    lxvll 2, 10, 4           # runs
    addi 3, 11, 0x1e8
    stxvl 34, 3, 4
    lxvd2x 33, 10, 5         # MSR[VSX] is enough, runs
    lxvwsx 39, 10, 7         # VR 7: vector unavailable
    lxvwsx 7, 10, 5          # runs
    lxvx 5, 10, 7            # runs
    lxvx 38, 10, 7           # VR 6: vector unavailable
    li 3, 0xf0
    stxvx 34, 11, 3          # vector unavailable, nothing stored
    stxvw4x 34, 11, 3        # MSR[VSX] is enough: stored
    stxsiwx 35, 11, 5        # stored
    ldk 3, vs_nofac
    mtmsrd 3, 0
    lxsiwzx 42, 10, 7        # VSX unavailable
    lxvx 36, 10, 7           # VR 4: vector unavailable
    lxvx 3, 10, 7            # VSX unavailable
    stxsspx 3, 11, 5         # VSX unavailable
    ldk 3, vs_msr
    mtmsrd 3, 0
    li 3, 0xe0
    lxvb16x 56, 11, 3        # what the stores with a facility off left
    li 3, 0xf0
    lxvb16x 57, 11, 3
    lxvb16x 58, 0, 11
    addi 3, 11, 0x1c0
    lxvb16x 56, 0, 3
    addi 3, 11, 0x1d0
    lxvb16x 57, 0, 3
    addi 3, 11, 0x1e0
    lxvb16x 58, 0, 3
    addi 3, 11, 0x1f0
    lxvb16x 55, 0, 3
    # MSR[SF] = 0: the effective addresses keep their low 32 bits only
    li 12, -1
    sldi 12, 12, 32
    or 13, 12, 11            # 0xffffffff_00000000 | VSTORE
    or 12, 12, 10            # 0xffffffff_00000000 | VDATA
    li 4, 16
    sldi 4, 4, 56
    li 5, 0x1f0
    li 9, 0x44               # the QNaN binary32
    ldk 3, vs_32bit
    mtmsrd 3, 0
    lxvd2x 0, 0, 12
    lxvx 1, 12, 7
    lxv 2, 0x20(12)
    lxsd 3, 0x28(12)
    lxsspx 4, 12, 9
    lxvl 5, 12, 4
    stxvw4x 1, 13, 5
    stxsd 3, 0x1f8(13)
    lxvb16x 55, 13, 5
    ldk 3, vs_msr
    mtmsrd 3, 0
done:
    b done

    .org 0x3000
    .include "vsx_storage_data.inc"
    .org 0x4000
    .fill 0x200, 1, 0
