# steps: 152
# vcpus: 1
# regs: srr0,srr1,hsrr0,hsrr1,vscr,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41,vs42,vs43,vs44,vs45,vs46,vs47,vs48,vs49,vs50,vs51,vs52,vs53,vs54,vs55,vs56
# VMX storage access big-endian (vmx_storage_le: the same in little-endian mode):
# lvx/lvxl/stvx/stvxl at EA & ~15, the element forms (the other elements keep
# their contents, as POWER9 does), lvsl/lvsr, mfvscr/mtvscr with every VSCR bit,
# the stream hints as no-ops. Then the invalid dst RA=0 and reserved bits (HEAI), and
# with MSR[VEC]=0:
# the stream hints still run, the VMX loads, stores and VSCR moves raise the
# vector unavailable interrupt (0xf20) and change nothing.
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

    begin
    ldk 3, vs_msr
    mtmsrd 3, 0
    .include "vmx_storage.inc"
    dst 0, 6, 0              # RA = 0: an invalid form
    li 3, 2
    dstst 0, 6, 0
    li 3, 3
    .long 0x7c0018cf         # lvx with bit 31 set: reserved, HEAI
    .long 0x7d0312ac         # dst with bit 7 set: reserved, HEAI
    .long 0x7e60066c         # dssall with STRM = 3: executed (STRM is not checked)
    ldk 3, vs_novec
    mtmsrd 3, 0
    dst 10, 6, 0             # no facility needed
    dss 0
    lvx 25, 10, 5            # vector unavailable: vr25 unchanged
    lvebx 25, 10, 5
    stvx 0, 0, 11
    stvewx 0, 0, 11
    lvsl 25, 0, 8
    mfvscr 25
    mtvscr 21
    ld 3, 0(11)
done:
    b done

    .org 0x3000
    .include "vmx_storage_data.inc"
    .org 0x4000
    .fill 0x40, 1, 0
