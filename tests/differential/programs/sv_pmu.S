# steps: 340
# vcpus: 1
# regs: srr0,srr1,hsrr0,hsrr1,fscr
# The performance monitor, event-based branch and virtual time base SPRs
# (engine/isa/pmu.py, engine/sprs.py) from hypervisor, supervisor (HV=0) and
# problem state, as QEMU 7.2 powernv9 implements them: MMCR0 resets to FC; the
# supervisor registers are plain storage; the problem-state views 769-782 read
# and write the register 16 above, UMMCR0/UMMCR2 only their user bits, gated by
# MMCR0[PMCC] (HEAI where denied); UMMCR1/UMMCRA/USIAR/USDAR are read-only
# there; USIER is a register of its own; EBBHR/EBBRR/BESCR/BESCRS/BESCRR and
# the upper halves BESCRSU/BESCRRU are user SPRs behind FSCR[EBB] (facility
# unavailable, FSCR[IC] = 7). VTB: written in HV state, privileged from problem
# state (its value moves with time: sv_vtb.S compares it at the end only).
# MMCR0[FC] stays set throughout: no counting.
# `sc` is the mode switch: the 0xc00 handler returns with SRR1 = r29.
# Not here: mtspr VTB from HV=0 (HEAI in the ISA and the engine, QEMU 7.2 raises
# program/privileged, as for the other hypervisor SPRs: see sv_priv.S).
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

    .macro to_problem
    lis 29, 0x8000
    rldicr 29, 29, 32, 31
    ori 29, 29, 0x4000       # SF|PR (rfid adds EE|IR|DR), HV=0
    sc
    .endm
    .macro to_super
    lis 29, 0x8000
    rldicr 29, 29, 32, 31
    ori 29, 29, 0x30         # SF|IR|DR, HV=0
    sc
    .endm

    begin
    lis 3, 0x7fff
    mtspr 22, 3              # DEC far away (PR=1 turns EE on)
    radix_on
    # -- hypervisor state: reset values and plain storage --
    mfspr 3, 795             # MMCR0 = FC
    mfspr 4, 798             # MMCR1
    mfspr 5, 787             # PMC1
    li 6, -1
    mtspr 787, 6             # PMC1 all ones
    mfspr 7, 787
    mtspr 790, 10            # PMC4
    mfspr 7, 790
    mtspr 792, 6             # PMC6
    mfspr 7, 792
    mtspr 786, 6             # MMCRA
    mfspr 7, 786
    mtspr 785, 6             # MMCR2
    mfspr 7, 785
    mtspr 784, 6             # SIER
    mfspr 7, 784
    mtspr 796, 6             # SIAR
    mfspr 7, 796
    mtspr 797, 6             # SDAR
    mfspr 7, 797
    lis 8, 0x1234
    ori 8, 8, 0x5678
    mtspr 798, 8             # MMCR1
    mfspr 7, 798
    mfspr 9, 779             # UMMCR0 from HV: all of MMCR0
    mfspr 9, 782             # UMMCR1: MMCR1
    mtspr 771, 8             # UPMC1 from HV: PMC1
    mfspr 9, 787
    li 10, 0x1234
    mtspr 768, 10            # USIER: its own storage
    mfspr 9, 768
    mfspr 9, 784             # SIER unchanged
    # EBB registers from HV
    mtspr 804, 8             # EBBHR
    mfspr 9, 804
    mtspr 805, 10            # EBBRR
    mfspr 9, 805
    mtspr 806, 6             # BESCR
    mfspr 9, 806
    mtspr 800, 8             # BESCRS
    mfspr 9, 800
    mfspr 9, 806             # BESCR unchanged (QEMU: separate storage)
    mtspr 801, 10            # BESCRSU: BESCRS's upper word
    mfspr 9, 800
    mfspr 9, 801
    mtspr 802, 10            # BESCRR
    mtspr 803, 8             # BESCRRU
    mfspr 9, 802
    mfspr 9, 803
    # VTB: written by the hypervisor
    lis 11, 0x1234
    sldi 11, 11, 32
    mtspr 849, 11
    # -- HV=0 supervisor state, LPIDR = 1 --
    li 3, 1
    mtspr 319, 3
    li 3, 0
    mtspr 153, 3             # FSCR = 0
    to_super
    mfspr 13, 795            # MMCR0
    mtspr 791, 8             # PMC5
    mfspr 13, 791
    mfspr 13, 806            # BESCR
    # -- problem state, FSCR[EBB] = 0, MMCR0[PMCC] = 00 --
    to_problem
    mfspr 14, 804            # facility unavailable, FSCR[IC] = 7
    mtspr 806, 6
    mfspr 14, 801
    mfspr 14, 779            # UMMCR0: FC PMAE PMAO only
    mtspr 779, 6             # PMCC = 00: HEAI
    mfspr 14, 771            # UPMC1 read
    mfspr 14, 775            # UPMC5 read
    mtspr 771, 6             # HEAI
    mfspr 14, 782            # UMMCR1 read
    mtspr 782, 6             # privileged
    mfspr 14, 770            # UMMCRA
    mtspr 770, 6
    mfspr 14, 780            # USIAR
    mfspr 14, 781            # USDAR
    mtspr 780, 6
    mfspr 14, 768            # USIER read
    mtspr 768, 6             # privileged
    mfspr 14, 769            # UMMCR2: the FCnP0 bits
    mtspr 769, 6             # HEAI
    mfspr 14, 795            # MMCR0: privileged
    mtspr 787, 6             # PMC1: privileged
    mfspr 14, 849            # VTB: privileged
    to_super
    # -- FSCR[EBB] = 1, MMCR0 = FC | PMCC 01 --
    li 3, 0x80
    mtspr 153, 3
    lis 3, 0x8004
    rldicl 3, 3, 0, 32
    mtspr 795, 3
    to_problem
    mtspr 804, 10            # EBBHR: fine now
    mfspr 15, 804
    mtspr 805, 8
    mfspr 15, 805
    mtspr 806, 10
    mfspr 15, 806
    mtspr 800, 6
    mfspr 15, 800
    mtspr 801, 8
    mfspr 15, 800
    mfspr 15, 801
    mtspr 803, 6
    mfspr 15, 803
    mfspr 15, 802
    mfspr 16, 779            # PMCC = 01: HEAI
    mfspr 16, 771
    mtspr 771, 6
    mfspr 16, 776            # UPMC6
    mtspr 779, 6
    mfspr 16, 782            # UMMCR1: no gate
    to_super
    # -- MMCR0 = FC | PMCC 10 --
    lis 3, 0x8008
    rldicl 3, 3, 0, 32
    mtspr 795, 3
    to_problem
    mfspr 17, 779
    mtspr 779, 6             # FC PMAE PMAO set, the rest kept
    mfspr 17, 779
    mtspr 775, 8             # UPMC5
    mfspr 17, 775
    mtspr 772, 10            # UPMC2
    mfspr 17, 772
    mtspr 774, 8             # UPMC4
    mfspr 17, 774
    mtspr 769, 6             # UMMCR2: FCnP0 bits only
    mfspr 17, 769
    to_super
    mfspr 18, 795            # the whole MMCR0
    mfspr 18, 785            # MMCR2
    mfspr 18, 791            # PMC5
    mfspr 18, 788            # PMC2
    # -- MMCR0 = FC | PMCC 11 --
    lis 3, 0x800c
    rldicl 3, 3, 0, 32
    mtspr 795, 3
    to_problem
    mfspr 19, 775            # PMC5/6 left out with PMCC = 11: HEAI
    mtspr 776, 6
    mfspr 19, 776
    mfspr 19, 773            # UPMC3
    mtspr 773, 8
    mfspr 19, 773
    mfspr 19, 779
    to_super
    mfspr 20, 789            # PMC3
    mfspr 20, 792            # PMC6
    mfspr 20, 795
    li 20, 20
done:
    b done

    radix_tables
