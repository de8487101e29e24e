# steps: 56
# vcpus: 2
# regs: srr0,srr1,hsrr0,hsrr1
# stepflags: notimer
# Two vCPUs stepped round-robin (vCPU i-1 mod 2 at step i, interrupts allowed
# so a doorbell is delivered by the step after it arrives). vCPU 1's store
# into the granule vCPU 0 reserved kills the reservation (stwcx. fails); a
# store to another granule does not (stdcx. succeeds). vCPU 0 then rings
# vCPU 1 (PIR 4) with msgsnd; with MSR[EE]=1 vCPU 1 takes the hypervisor
# doorbell at 0xe80. Instruction counts line the two paths up step by step.
# Not here: a store to another word of the reserved granule. It kills the
# reservation on POWER9 (docs/machine.md, and in the engine); QEMU 7.2's st*cx.
# compares the reserved word's value only (a cmpxchg) and succeeds.
# (QEMU 7.2 cannot read SPRs of vCPU 1 through the gdbstub: those are null.)
    .include "common.inc"
    entry
    .org 0xe80
    addi 25, 25, 1
    mfspr 26, 314            # HSRR0
    hrfid

    begin
    mfspr 3, 1023            # PIR: 0 or 4
    lis 9, 0x7fff
    mtspr 22, 9
    li 20, 0x4000
    cmpdi 3, 0
    bne cpu1
    lwarx 5, 0, 20           # step 13
    nop
    nop
    stwcx. 4, 0, 20          # step 19: vCPU 1 stored at step 16, fails
    mfcr 6
    li 7, 0x4080
    ldarx 8, 0, 7            # step 25
    stdcx. 8, 0, 7           # step 27: the store at step 26 was elsewhere, succeeds
    mfcr 10
    lis 11, 0x2800
    ori 11, 11, 4            # type 5, PIR 4
    msgsnd 11                # step 35
    li 12, 12
    b done
cpu1:
    li 12, 0x4000            # step 14
    stw 3, 0(12)             # step 16: the reserved word, a new value
    li 13, 0x4100
    nop
    nop
    nop
    stw 3, 0(13)             # step 26: another granule
    li 14, 0
    ori 14, 14, 0x8000
    mtmsrd 14, 1             # step 32: EE=1
    nop
    nop                      # the doorbell replaces this one (step 36)
    li 15, 15
done:
    b done
