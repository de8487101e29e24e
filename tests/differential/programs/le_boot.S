# steps: 38
# vcpus: 1
# regs: srr0,srr1,sprg0
# Little-endian boot: rfid into MSR[LE]=1 code (le_boot.le.S at 0x2000), which
# computes, calls and returns, stores, then takes sc. Interrupts in HV state
# use HID0[HILE]=0, so the handler at 0xc00 runs big-endian; it returns to the
# little-endian code with rfid (SRR1 still has LE set).
    .include "common.inc"
    entry

    .org 0xc00
    mfsrr1 30                # the interrupted MSR: LE set
    mfmsr 31                 # the handler's MSR: LE clear
    mtsprg 0, 30
    rfid

    begin
    ldk 3, le_msr
    li 4, 0x2000
    mtsrr0 4
    mtsrr1 3
    rfid

    .org 0x3000
le_msr: .quad 0x9000000000000001
