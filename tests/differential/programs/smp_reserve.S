# steps: 58
# vcpus: 2
# regs: srr0,srr1
# Two vCPUs stepped round-robin on one granule: both reserve, vCPU 0 stores
# first and wins, vCPU 1's store-conditional then fails and its retry loop
# succeeds. The vCPUs tell themselves apart by PIR (0 and 4) and keep what they
# see in GPRs (QEMU 7.2 cannot read SPRs of CPU#1 through the gdbstub).
    .include "common.inc"
    entry
    begin
    mfspr 3, 1023            # PIR
    li 20, 0x4000
    li 21, 0x4100
    add 21, 21, 3            # per-vCPU slot
    addi 4, 3, 1             # the value each stores
    lwarx 5, 0, 20           # both reserve the same word
    nop
    cmpdi 3, 0
    bne 1f
    stwcx. 4, 0, 20          # vCPU 0 stores first: succeeds
    mfcr 6
    b 2f
1:  nop                      # vCPU 1 waits one step
    stwcx. 4, 0, 20          # reservation lost to vCPU 0's store: fails
    mfcr 6
2:  stw 6, 0(21)
3:  lwarx 7, 0, 20           # retry loop: both increment
    addi 7, 7, 16
    stwcx. 7, 0, 20
    bne- 3b
    lwz 8, 0(20)
    lwz 9, 0x100(20)
    lwz 10, 0x104(20)
done:
    b done

    .org 0x4000
    .long 0x100
