# steps: 50
# vcpus: 1
# regs: srr0,srr1,hsrr0,hsrr1,sprg0,sprg1,sprg2,sprg3,hsprg0,hsprg1
# The supervisor instructions the foundation needs: mfmsr, mtmsrd with L=0
# and L=1 (L=1 changes only EE and RI), SPRG and HSPRG moves, SRR0/1, rfid,
# hrfid, and sc taken as an interrupt (SRR0 = the next instruction) returning
# with rfid.
    .include "common.inc"
    entry

    .org 0xc00
    mfsrr0 24
    mfsrr1 25
    rfid                     # SRR0 = the instruction after sc

    begin
    mfmsr 3
    ldk 4, ee_ri
    mtmsrd 4, 1              # only EE and RI change
    mfmsr 5
    ldk 6, no_ee
    mtmsrd 6, 1
    mfmsr 7
    ldk 8, try_le
    mtmsrd 8, 0              # cannot change HV, ME or LE
    mfmsr 9
    mtmsrd 3, 0
    li 10, 10
    mtsprg 0, 10
    li 10, 11
    mtsprg 1, 10
    li 10, 12
    mtsprg 2, 10
    li 10, 13
    mtsprg 3, 10
    mfsprg 11, 0
    mfsprg 12, 3
    li 10, 14
    mtspr 304, 10            # HSPRG0
    mtspr 305, 11            # HSPRG1
    mfspr 13, 305
    li 14, 0x1100
    mtsrr0 14
    ldk 15, msr_ri
    mtsrr1 15
    mfsrr0 16
    mfsrr1 17
    rfid                     # to 0x1100 with RI set
    .org 0x1100
    mfmsr 18
    li 19, 0x1200
    mtspr 314, 19            # HSRR0
    mtspr 315, 3             # HSRR1
    hrfid
    .org 0x1200
    mfmsr 20
    li 0, 0x77
    sc                       # to 0xc00
    mfsrr0 21                # back here from the handler
    mfsrr1 22
done:
    b done

    .org 0x3000
ee_ri:  .quad 0x9000000000008002
no_ee:  .quad 0x0000000000000000
try_le: .quad 0x0000000000001001
msr_ri: .quad 0x9000000000000002
