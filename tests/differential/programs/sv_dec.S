# steps: 64
# vcpus: 1
# regs: srr0,srr1,hsrr0,hsrr1
# stepflags: notimer
# Asynchronous interrupts, stepped with interrupts allowed and timers held
# (QEMU's qqemu.sstep = SSTEP_ENABLE|SSTEP_NOTIMER; ppcdbg --step-flags notimer).
# A negative DEC is a level: nothing while MSR[EE]=0, then the step after the
# mtmsrd that sets EE delivers 0x900 (SRR0 = the next instruction); the
# handler writes DEC non-negative, which ends it. HDEC with LPCR[HDICE] goes
# to 0x980 (HSRR0/1) ahead of a pending DEC, once per expiry. msgsndp makes
# a directed privileged doorbell pending (DPDES), msgclrp withdraws it, msgsnd to our
# own PIR raises the hypervisor doorbell (0xe80). DEC and HDEC values are
# never read: QEMU's time base follows the host clock.
    .include "common.inc"
    entry
    .org 0x900
    mfsrr0 28
    lis 27, 0x7fff
    mtspr 22, 27             # DEC non-negative (and far away): the level is gone
    addi 26, 26, 1
    rfid
    .org 0x980
    mfspr 28, 314
    addi 25, 25, 1
    hrfid
    .org 0xa00
    mfsrr0 28
    addi 24, 24, 1
    rfid
    .org 0xe80
    mfspr 28, 314
    addi 23, 23, 1
    hrfid

    begin
    lis 3, 0x7fff
    mtspr 22, 3              # DEC far away
    li 3, -1
    mtspr 22, 3              # DEC negative: pending, EE=0 holds it
    nop
    li 4, 0
    ori 4, 4, 0x8000
    mtmsrd 4, 1              # EE=1: the next step delivers 0x900
    nop
    li 4, 0
    mtmsrd 4, 1              # EE=0
    li 5, -1
    mtspr 22, 5              # DEC negative again
    mtspr 310, 5             # HDEC negative
    mfspr 6, 318
    ori 6, 6, 1              # LPCR[HDICE]
    mtspr 318, 6
    nop
    ori 4, 4, 0x8000
    mtmsrd 4, 1              # EE=1: HDEC first, then DEC
    nop
    nop
    li 4, 0
    mtmsrd 4, 1              # EE=0
    lis 7, 0x2800            # message type 5 (server), thread 0
    msgsndp 7                # directed privileged doorbell, held by EE=0
    mfspr 10, 176            # DPDES shows it pending
    li 12, 0
    mtspr 176, 12            # withdrawn through DPDES
    mfspr 11, 176
    msgclrp 7                # nothing to withdraw
    mfspr 13, 176
    ori 4, 4, 0x8000
    mtmsrd 4, 1              # EE=1: nothing pending
    nop
# Not here: msgclrp of a pending doorbell (QEMU 7.2's leaves it pending:
# DPDES still reads 1), and the delivery of a directed privileged doorbell
# (0xa00): QEMU 7.2 aborts, "SDOOR exception not implemented".
    lis 8, 0x2800            # type 5, PIR 0: ourselves
    msgsnd 8                 # hypervisor doorbell
    nop
    li 9, 9
done:
    b done
