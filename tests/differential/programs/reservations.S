# steps: 36
# vcpus: 1
# regs: srr0,srr1
# Load-and-reserve / store-conditional of every width on one vCPU: success,
# failure without a reservation (st*cx. always clears it), CR0 = 0b00||ok||SO,
# a reservation taken by a wider/narrower access, and the retry loop idiom.
    .include "common.inc"
    entry
    begin
    li 20, 0x4000
    li 21, 0x4080            # another granule
    li 3, 0x55
    lwarx 4, 0, 20
    stwcx. 3, 0, 20          # succeeds
    mfcr 5
    stwcx. 3, 0, 20          # no reservation: fails
    mfcr 6
    ldarx 7, 0, 20
    addi 7, 7, 1
    stdcx. 7, 0, 20
    mfcr 8
    lbarx 9, 0, 21
    stbcx. 3, 0, 21
    lharx 10, 0, 21
    sthcx. 3, 0, 21
    lwarx 11, 0, 21
    stwcx. 3, 0, 21          # same granule, same size (a different size is ISA-undefined:
                             # docs/machine.md lets it succeed, QEMU 7.2 fails it; not compared)
    mfcr 12
    li 13, -1
    mtxer 13                 # SO = 1 goes into CR0
    stwcx. 3, 0, 21
    mfcr 14
    li 13, 0
    mtxer 13
1:  lwarx 15, 0, 20          # atomic increment loop
    addi 15, 15, 1
    stwcx. 15, 0, 20
    bne- 1b
    ld 16, 0(20)
    lwz 17, 0(21)
done:
    b done

    .org 0x4000
    .quad 0x1122334455667788
    .org 0x4080
    .quad 0x99aabbccddeeff00
