# steps: 80
# vcpus: 1
# compare: final
# regs: srr0,srr1
# VTB (SPR 849) against QEMU 7.2: written in hypervisor state, read there and
# from HV=0 supervisor state. Its low bits move with time (the time base's
# rate, host time in QEMU, instruction slots in ppcdbg), so each read is
# shifted right by 40 and the raw value cleared: only the final state is
# compared (`compare: final`), where the written high bits must be back.
    .include "common.inc"
    .include "sv_radix.inc"
    entry

    .org 0xc00
    mfsrr1 28
    mtsrr1 29
    rfid

    begin
    lis 3, 0x7fff
    mtspr 22, 3
    radix_on
    lis 11, 0x1234
    ori 11, 11, 0x5678
    sldi 11, 11, 32
    mtspr 849, 11            # VTB, hypervisor write
    mfspr 12, 849
    srdi 12, 12, 40          # 0x123456
    li 3, 1
    mtspr 319, 3             # LPIDR = 1
    lis 29, 0x8000
    rldicr 29, 29, 32, 31
    ori 29, 29, 0x30         # SF|IR|DR, HV=0
    sc
    mfspr 13, 849            # readable in supervisor state
    srdi 13, 13, 40
    li 11, 0
    li 28, 0
done:
    b done

    radix_tables
