# steps: 236
# vcpus: 1
# regs: srr0,srr1,hsrr0,hsrr1,lpidr,fscr
# Privilege from problem state and from HV=0, with radix translation on
# (sv_radix.inc): privileged instructions and SPRs from PR=1 raise
# program/privileged (0x700, SRR1 0x40000); hypervisor SPRs and instructions
# from HV=0 supervisor state (those QEMU 7.2 gets right); SPR numbers that do not exist, with and without
# the privileged bit (0x10) of the SPR number, from PR=1, HV=0 and HV=1.
# `sc` is the mode switch: the 0xc00 handler returns with SRR1 = r29. `sc 1`
# from HV=0 enters HV state (a hypercall) and comes back the same way.
    .include "common.inc"
    .include "sv_radix.inc"
    entry

    .org 0x700
    mfsrr0 30
    addi 30, 30, 4
    mtsrr0 30
    rfid
    .org 0xc00
    mfsrr1 28
    mtsrr1 29
    rfid
    .org 0xe40
    mfspr 30, 314
    addi 30, 30, 4
    mtspr 314, 30
    hrfid
    .org 0xf60
    mfsrr0 30
    addi 30, 30, 4
    mtsrr0 30
    rfid

    begin
    lis 3, 0x7fff
    mtspr 22, 3              # DEC far away (PR=1 turns EE on)
    radix_on
    li 3, 0x77
    mtsprg 0, 3
    # -- problem state under HV=1 --
    lis 29, 0x9000
    rldicr 29, 29, 32, 31
    ori 29, 29, 0x4000       # SF|HV|PR: rfid adds EE|IR|DR
    sc
    li 4, 1
    mfmsr 5                  # privileged
    mtsprg 0, 4              # privileged
    mfsprg 5, 0              # privileged
    mfspr 5, 318             # LPCR, hypervisor: PR decides, privileged
    mtspr 318, 4
    mfspr 5, 1               # XER: user
    mfspr 6, 136             # CTRL read: user
    mtspr 152, 4             # CTRL write: privileged
    mfspr 7, 259             # SPRG3 read alias: user
    mfspr 8, 815             # TAR: FSCR[TAR]=0, facility unavailable (FSCR[IC]=8)
    mtspr 815, 4
# Not here: mfspr 3 (DSCR's problem-state number). QEMU 7.2 does not know it
# (HEAI); POWER9 gates it by FSCR[DSCR], as the engine does.
    mfspr 8, 896             # PPR: user
    mfspr 9, 0               # SPR 0 does not exist: HEAI
    mfspr 9, 2               # no 0x10 bit: HEAI from PR=1
    mfspr 9, 20              # 0x10 bit (20 = 0b10100): privileged
    mfspr 9, 777             # 777 = 0x309: HEAI
    mtspr 2, 4
    mtspr 20, 4
    mtspr 777, 4
    mfspr 9, 1023            # PIR: privileged
    hrfid                    # privileged
    rfid                     # privileged
    tlbiel 4                 # privileged
    ptesync                  # user
    lis 29, 0x9000
    rldicr 29, 29, 32, 31    # SF|HV: back to hypervisor state
    sc
    # -- unknown SPRs from HV=1 --
    mfspr 10, 2              # no-op
    mfspr 10, 0              # HEAI (0, 4, 5 and 6 always are)
    mfspr 10, 4
    mfspr 10, 20             # no-op
    mfspr 10, 777            # no-op
    mtspr 2, 4
    mtspr 0, 4
    mtspr 20, 4
    mtspr 777, 4
    li 10, 0x100
    mtspr 153, 10            # FSCR[TAR]
    # -- HV=0 supervisor state, LPIDR = 1 (the same tree, identity below 2 MiB) --
    li 3, 1
    mtspr 319, 3             # LPIDR
    lis 29, 0x8000
    rldicr 29, 29, 32, 31
    ori 29, 29, 0x30         # SF|IR|DR
    sc
    mfmsr 11                 # fine
    mfsprg 12, 0             # fine
    mfspr 13, 1023           # PIR: fine
    mfspr 13, 287            # PVR: fine
    mfspr 14, 2              # unknown, no 0x10: no-op
    mfspr 14, 0              # HEAI
    mfspr 14, 20             # no-op
    mtspr 2, 4
    mtspr 5, 4
    mtspr 20, 4
# Not here: hypervisor SPRs (LPCR, HSRR0, HSPRG0...) and instructions (hrfid,
# tlbie, msgsnd) from HV=0 supervisor state. The ISA and docs/machine.md raise HEAI
# (0xe40) and so does the engine; QEMU 7.2 raises program/privileged instead
# (0x700, SRR1 0x40000: gen_mfspr's SPR_NOACCESS path and CHK_HV). The engine's
# per-instruction tests cover them.
    tlbiel 4, 0, 0, 1, 1     # process-scoped (PRS=1): fine in supervisor state
    li 0, 0x55
    lis 29, 0x8000
    rldicr 29, 29, 32, 31    # SF: HV=0 real mode (partition-scoped, LPID 1)
    sc 1                     # hypercall: HV=1 at 0xc00, rfid back to HV=0
    mfmsr 15
    li 16, 16
    # -- problem state under HV=0 --
    lis 29, 0x8000
    rldicr 29, 29, 32, 31
    ori 29, 29, 0x4000       # SF|PR
    sc
    mfmsr 17                 # privileged
    mfspr 17, 318            # hypervisor SPR from PR=1: privileged
    mfspr 17, 0              # HEAI
    mfspr 17, 20             # privileged
    mfspr 17, 259            # user
    mtspr 815, 4             # TAR, enabled by FSCR now
    mfspr 17, 815
    hrfid                    # privileged
    lis 29, 0x9000
    rldicr 29, 29, 32, 31    # PR=1 HV=0 -> sc -> supervisor (HV stays 0)
    sc
    mfmsr 18
    li 0, 0x56
    lis 29, 0x9000
    rldicr 29, 29, 32, 31    # SF|HV
    sc 1                     # back to the hypervisor
    mfmsr 19
    li 20, 20
done:
    b done

    radix_tables
