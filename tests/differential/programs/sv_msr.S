# steps: 100
# vcpus: 1
# regs: srr0,srr1,hsrr0,hsrr1
# MSR writes (docs/machine.md "MSR"): mtmsrd L=0 cannot change HV, ME or LE and
# SF follows RS; mtmsr changes the low word only; L=1 moves EE and RI alone;
# only implemented bits stick; PR=1 brings EE|IR|DR: under hash an instruction
# segment interrupt (0x480) at once, under radix problem state; rfid/hrfid
# from HV=1 to HV=0, and from HV=0 rfid never sets HV, mtmsrd never changes ME; rfid
# into SF=0 truncates the NIA to 32 bits.
    .include "common.inc"
    .include "sv_radix.inc"
    entry

    .org 0x480
    mfsrr1 27                # the MSR with PR|EE|IR|DR
    mtsrr1 29                # re-fetch the same instruction as the hypervisor
    rfid
    .org 0xc00
    mfsrr1 28
    mtsrr1 29
    rfid

    begin
    lis 3, 0x7fff
    mtspr 22, 3
    mfmsr 20                 # SF|HV
    mr 29, 20
    ldk 4, sf_me_le
    mtmsrd 4, 0              # HV stays 1, ME stays 0, LE stays 0
    mfmsr 5
    li 4, 0
    mtmsrd 4, 0              # SF follows RS: 32-bit mode (HV stays)
    mfmsr 6
    mtmsrd 20, 0
    li 7, 0
    ori 7, 7, 0x8002         # EE|RI in the low word, upper word 0
    mtmsr 7                  # the upper word (SF, HV) is kept
    mfmsr 8
    li 7, 0
    mtmsr 7
    li 4, -1
    mtmsrd 4, 1              # L=1: EE and RI only
    mfmsr 9
    mtmsrd 20, 0
    ori 4, 20, 0x2900        # FP|FE0|FE1
    mtmsrd 4, 0
    mfmsr 10
    mtmsrd 20, 0
    ori 4, 20, 0x4000        # PR under hash
    mtmsrd 4, 0              # PR|EE|IR|DR: the next fetch is a segment interrupt
    mfmsr 11                 # re-fetched in HV state
    radix_on
    ldk 4, all_but_pr_se_be
    mtmsrd 4, 0              # the implemented bits stick (IR|DR: radix is on)
    mfmsr 12
    mtmsrd 20, 0
    ori 4, 20, 0x4000
    mtmsrd 4, 0              # problem state under radix
    li 13, 13
    sc                       # back (SRR1 = r29)
    # -- rfid to HV=0 and the HV=0 rules --
    li 3, 1
    mtspr 319, 3             # LPIDR = 1
    ldk 4, sf_me
    mtsrr1 4
    li 3, 0x1200
    mtsrr0 3
    rfid                     # HV=0, ME=1
    .org 0x1200
    mfmsr 14
    ldk 4, sf_hv_me
    mtsrr1 4
    li 3, 0x1300
    mtsrr0 3
    rfid                     # from HV=0: HV not set
# Not here: rfid from HV=0 with SRR1[ME]=0. The ISA (MSR[ME] changes only
# when MSR[HV]=1) and docs/machine.md keep ME, as the engine does; QEMU 7.2 clears it.
    .org 0x1300
    mfmsr 15
    mtmsrd 20, 0             # from HV=0: HV not set, ME unchanged
    mfmsr 16
    li 0, 0x66
    sc 1                     # to the hypervisor (SRR1 = r29)
    mfmsr 17
    ldk 4, sf_me_ri
    mtspr 315, 4             # HSRR1
    li 3, 0x1400
    mtspr 314, 3             # HSRR0
    hrfid                    # HV=1 -> HV=0
    .org 0x1400
    mfmsr 18
    sc 1
    ldk 3, high_nia
    mtsrr0 3
    li 4, 0
    ori 4, 4, 0x2            # SF=0, HV cleared from HV=1, RI
    mtsrr1 4
    rfid                     # NIA 0xffffffff00001500 truncated to 0x1500
    .org 0x1500
    mfmsr 19
    li 0, 0x67
    sc 1
    mfmsr 21
done:
    b done

    .org 0x3000
sf_me_le: .quad 0x8000000000001001
sf_me: .quad 0x8000000000001000
sf_hv_me: .quad 0x9000000000001000
sf_me_ri: .quad 0x8000000000001002
all_but_pr_se_be: .quad 0xffffffffffffb9fe
high_nia: .quad 0xffffffff00001500

    radix_tables
