# interrupts: takes every interrupt class it can from hypervisor real mode
# (powernv profile, one vCPU) and counts each one in `counts`.
#
# Every handler is a three-instruction stub at the real vector address that
# loads the class index and how far to move SRR0 (0 when SRR0 already holds
# the next instruction, 4 to skip a faulting one), then joins `common`
# (SRR0/SRR1, rfid) or `hcommon` (HSRR0/HSRR1, hrfid). Per class, the
# handler records the count and the last SRR0, SRR1, DAR and DSISR it saw,
# in five tables of 16 doublewords: counts, srr0s, srr1s, dars, dsisrs.
# Handlers use r26-r31 only; the main program never touches those.
#
# Class (index: vector, what raises it here, expected count):
#   0: 0x200 machine check        ld past the end of RAM (1 GiB)              1
#   1: 0x300 DSI                  ld from an unmapped EA, radix on             1
#   2: 0x380 data segment         ld with MSR[DR]=1 under hash (LPCR[HR]=0)    1
#   3: 0x400 ISI                  bctrl into a no-execute page, radix on       1
#   4: 0x480 instruction segment  rfid to IR=1 under hash                      1
#   5: 0x600 alignment            unaligned lwarx                              1
#   6: 0x700 program              tw 31,0,0 (trap); mfmsr with MSR[PR]=1       2
#   7: 0x800 FP unavailable       lfd with MSR[FP]=0                           1
#   8: 0x900 decrementer          DEC = 100, MSR[EE]=1                         1
#   9: 0x980 hyp. decrementer     HDEC = 100, LPCR[HDICE]=1, MSR[EE]=1         1
#  10: 0xa00 privileged doorbell  msgsndp to itself, MSR[EE]=1 (one-shot)     1
#  11: 0xc00 system call          sc in HV; sc from problem state (r0=0x5a)    2
#  12: 0xd00 trace                MSR[SE]: 4 (3 addi + the mtmsrd clearing SE) 6
#                                 MSR[BE]: 2 (a taken b, a not-taken beq)
#  13: 0xe40 HEAI                 the word 0 in HV and in problem state        2
# On POWER9 an illegal word raises HEAI (0xe40), not a program interrupt.
    .set MSR_EE, 0x8000
    .set MSR_PR, 0x4000
    .set MSR_ME, 0x1000
    .set MSR_SE, 0x0400
    .set MSR_BE, 0x0200
    .set MSR_IR, 0x0020
    .set MSR_DR, 0x0010
    .set SPR_DSISR, 18
    .set SPR_DAR, 19
    .set SPR_DEC, 22
    .set SPR_SRR0, 26
    .set SPR_SRR1, 27
    .set SPR_HDEC, 310
    .set SPR_HSRR0, 314
    .set SPR_HSRR1, 315
    .set SPR_LPCR, 318
    .set SPR_PTCR, 464
    .set LPCR_HDICE, 0x1        # bit 63
    .set LPCR_HR, 0x100000      # bit 43: radix
    .set LPCR_UPRT, 0x400000    # bit 41: process tables in use
    .set SYSCALL_MAGIC, 0x5a    # r0 for "sc from problem state: back to hypervisor state"

    .set C_MCHECK, 0
    .set C_DSI, 1
    .set C_DSEG, 2
    .set C_ISI, 3
    .set C_ISEG, 4
    .set C_ALIGN, 5
    .set C_PROGRAM, 6
    .set C_FPU, 7
    .set C_DECR, 8
    .set C_HDECR, 9
    .set C_DOORBELL, 10
    .set C_SYSCALL, 11
    .set C_TRACE, 12
    .set C_HEAI, 13

    .include "interrupts_tables.inc"

    .macro VECTOR addr, class, skip, join
    .org \addr
    li      31, \class
    li      30, \skip
    b       \join
    .endm

    .text
    VECTOR 0x200, C_MCHECK, 4, common
    VECTOR 0x300, C_DSI, 4, common
    VECTOR 0x380, C_DSEG, 4, common
    VECTOR 0x400, C_ISI, 0, common      # returns to LR: see common
    VECTOR 0x480, C_ISEG, 0, common     # re-runs the target untranslated: see common
    VECTOR 0x600, C_ALIGN, 4, common
    VECTOR 0x700, C_PROGRAM, 4, common
    VECTOR 0x800, C_FPU, 4, common
    .org 0x900
    li      31, C_DECR
    b       dec_handler
    .org 0x980
    li      31, C_HDECR
    b       hdec_handler
    VECTOR 0xa00, C_DOORBELL, 0, common
    VECTOR 0xc00, C_SYSCALL, 0, common
    VECTOR 0xd00, C_TRACE, 0, common
    VECTOR 0xe40, C_HEAI, 4, hcommon

    .org 0x1000
    .globl _start
_start:
    # DEC reads 0 at reset and goes negative at once: make it positive before
    # MSR[EE] is ever set.
    lis     3, 0x7fff
    ori     3, 3, 0xffff
    mtspr   SPR_DEC, 3
    # powernv starts with MSR[ME]=0, where a machine check is a checkstop;
    # mtmsrd cannot set ME, rfid can.
    mfmsr   3
    ori     3, 3, MSR_ME
    mtspr   SPR_SRR1, 3
    li      4, me_on
    mtspr   SPR_SRR0, 4
    rfid
me_on:
    li      20, scratch

    # -- program: a trap (SRR1 0x20000), and a trap whose condition is false
    .globl trap_insn
trap_insn:
    tw      31, 0, 0
    twi     4, 20, 0            # r20 == 0? no: no interrupt

    # -- system call from hypervisor state
    .globl sc_insn
sc_insn:
    sc

    # -- HEAI: the word 0
    .globl illegal_insn
illegal_insn:
    .long   0

    # -- FP unavailable: MSR[FP]=0
    lfd     0, 0(20)

    # -- alignment: lwarx at an odd address (DSISR 0x80 at 0x600... see dsisrs)
    addi    4, 20, 1
    .globl unaligned_insn
unaligned_insn:
    lwarx   5, 0, 4

    # -- machine check: a load past the end of the default 1 GiB of RAM
    lis     4, 0x4000
    .globl mcheck_insn
mcheck_insn:
    ld      5, 0(4)

    # -- trace, MSR[SE]: the mtmsrd that sets SE is not traced, the one that
    # clears it is: 4 trace interrupts.
    mfmsr   3
    ori     4, 3, MSR_SE
    mtmsrd  4
    .globl traced
traced:
    addi    5, 5, 1
    addi    5, 5, 1
    addi    5, 5, 1
    mtmsrd  3
    # -- trace, MSR[BE]: one interrupt after each branch, taken or not: 2.
    ori     4, 3, MSR_BE
    mtmsrd  4
    b       1f
1:  cmpdi   3, 0
    beq     2f                  # MSR is never 0: not taken
2:  mtmsrd  3

    # -- decrementer: DEC = 100, EE on, wait for the handler, EE off.
    li      4, 100
    mtspr   SPR_DEC, 4
    li      4, 0
    ori     4, 4, MSR_EE
    mtmsrd  4, 1
1:  ld      5, counts + 8 * C_DECR(0)
    cmpdi   5, 0
    beq     1b
    li      4, 0
    mtmsrd  4, 1

    # -- hypervisor decrementer (HSRR0/HSRR1), enabled by LPCR[HDICE].
    li      4, 100
    mtspr   SPR_HDEC, 4
    mfspr   6, SPR_LPCR
    ori     7, 6, LPCR_HDICE
    mtspr   SPR_LPCR, 7
    li      4, 0
    ori     4, 4, MSR_EE
    mtmsrd  4, 1
1:  ld      5, counts + 8 * C_HDECR(0)
    cmpdi   5, 0
    beq     1b
    li      4, 0
    mtmsrd  4, 1
    mtspr   SPR_LPCR, 6

    # -- data segment: MSR[DR]=1 while LPCR[HR]=0 (hash, whose SLB is empty).
    mfmsr   3
    ori     4, 3, MSR_DR
    mtmsrd  4
    .globl dseg_insn
dseg_insn:
    ld      5, 0(20)
    mtmsrd  3

    # -- instruction segment: rfid to IR=1 under hash; the handler clears IR
    # and DR in SRR1 and the target runs untranslated.
    ori     4, 3, MSR_IR
    mtspr   SPR_SRR1, 4
    li      4, iseg_target
    mtspr   SPR_SRR0, 4
    rfid
    .globl iseg_target
iseg_target:

    # -- radix on: PTCR and LPCR[HR|UPRT], then IR|DR through rfid.
    lis     4, RADIX_PTCR@h
    ori     4, 4, RADIX_PTCR@l
    mtspr   SPR_PTCR, 4
    mfspr   4, SPR_LPCR
    oris    4, 4, (LPCR_HR | LPCR_UPRT) >> 16
    mtspr   SPR_LPCR, 4
    mfmsr   3
    ori     4, 3, MSR_IR | MSR_DR
    mtspr   SPR_SRR1, 4
    li      4, translated
    mtspr   SPR_SRR0, 4
    rfid
translated:
    # -- DSI: EA 0x80000000 is not mapped (DAR, DSISR 0x40000000).
    li      4, 1
    sldi    4, 4, 31
    .globl dsi_insn
dsi_insn:
    ld      5, 0(4)
    # -- ISI: EA 0x40000000 is mapped read/write, not execute (SRR1 0x10000000);
    # the handler returns to LR.
    lis     4, 0x4000
    mtctr   4
    bctrl

    # -- problem state (PR=1 also sets EE, IR and DR): a privileged
    # instruction, an illegal word, and sc back to hypervisor state.
    mfmsr   3
    ori     4, 3, MSR_PR
    mtspr   SPR_SRR1, 4
    li      4, user
    mtspr   SPR_SRR0, 4
    rfid
    .globl user
user:
    .globl priv_insn
priv_insn:
    mfmsr   5
    .long   0
    li      0, SYSCALL_MAGIC
    sc
    li      0, 0

    # -- directed privileged doorbell: msgsndp (type 5, thread 0 = itself).
    # Last, because it is the one an engine might leave pending: the handler
    # returns with EE=0, and a second window with EE=1 must take nothing.
    lis     4, 0x2800
    msgsndp 4
    li      4, 0
    ori     4, 4, MSR_EE
    mtmsrd  4, 1
1:  ld      5, counts + 8 * C_DOORBELL(0)
    cmpdi   5, 0
    beq     1b
    li      4, 0
    ori     4, 4, MSR_EE
    mtmsrd  4, 1
    nop
    li      4, 0
    mtmsrd  4, 1

    .globl done
done:
    b       done

# -- the handlers' common tails ---------------------------------------------
# In: r31 = class, r30 = bytes to add to SRR0.
common:
    sldi    29, 31, 3
    li      28, counts
    ldx     27, 28, 29
    addi    27, 27, 1
    stdx    27, 28, 29
    mfspr   27, SPR_SRR0
    addi    28, 28, 128         # srr0s
    stdx    27, 28, 29
    add     27, 27, 30
    mtspr   SPR_SRR0, 27
    mfspr   27, SPR_SRR1
    addi    28, 28, 128         # srr1s
    stdx    27, 28, 29
    mfspr   27, SPR_DAR
    addi    28, 28, 128         # dars
    stdx    27, 28, 29
    mfspr   27, SPR_DSISR
    addi    28, 28, 128         # dsisrs
    stdx    27, 28, 29
    cmpdi   31, C_ISI
    beq     isi_fixup
    cmpdi   31, C_ISEG
    beq     iseg_fixup
    cmpdi   31, C_SYSCALL
    beq     sc_fixup
    cmpdi   31, C_DOORBELL
    beq     doorbell_fixup
    rfid
isi_fixup:                      # the faulting fetch was a bctrl's target
    mflr    27
    mtspr   SPR_SRR0, 27
    rfid
iseg_fixup:                     # run the target with translation off
    mfspr   27, SPR_SRR1
    li      26, MSR_IR | MSR_DR
    andc    27, 27, 26
    mtspr   SPR_SRR1, 27
    rfid
sc_fixup:                       # sc with r0 = SYSCALL_MAGIC: leave problem state
    cmpdi   0, SYSCALL_MAGIC
    bne     1f
    mfspr   27, SPR_SRR1
    li      26, 0
    ori     26, 26, MSR_PR | MSR_EE | MSR_IR | MSR_DR
    andc    27, 27, 26
    mtspr   SPR_SRR1, 27
1:  rfid
doorbell_fixup:                 # one-shot: return with MSR[EE]=0. Taking the
    mfspr   27, SPR_SRR1        # interrupt cleared the doorbell (ISA 3.0B; QEMU,
    li      26, 0               # Linux's doorbell_exception never msgclrp's);
    ori     26, 26, MSR_EE      # a second count means it stayed pending and
    andc    27, 27, 26          # fired again when MSR[PR]=1 forced EE on.
    mtspr   SPR_SRR1, 27
    rfid

hcommon:
    sldi    29, 31, 3
    li      28, counts
    ldx     27, 28, 29
    addi    27, 27, 1
    stdx    27, 28, 29
    mfspr   27, SPR_HSRR0
    addi    28, 28, 128
    stdx    27, 28, 29
    add     27, 27, 30
    mtspr   SPR_HSRR0, 27
    mfspr   27, SPR_HSRR1
    addi    28, 28, 128
    stdx    27, 28, 29
    hrfid

dec_handler:                    # DEC is level-triggered: make it positive again
    lis     30, 0x7fff
    ori     30, 30, 0xffff
    mtspr   SPR_DEC, 30
    li      30, 0
    b       common
hdec_handler:
    lis     30, 0x7fff
    ori     30, 30, 0xffff
    mtspr   SPR_HDEC, 30
    li      30, 0
    b       hcommon

    .org 0x3000
    .globl counts
counts:     .fill 16, 8, 0
    .globl srr0s
srr0s:      .fill 16, 8, 0
    .globl srr1s
srr1s:      .fill 16, 8, 0
    .globl dars
dars:       .fill 16, 8, 0
    .globl dsisrs
dsisrs:     .fill 16, 8, 0
    .org 0x3400
    .globl scratch
scratch:    .quad 0x0123456789abcdef, 0
    .org 0x3480
