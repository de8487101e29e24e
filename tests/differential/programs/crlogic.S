# steps: 42
# vcpus: 1
# regs: srr0,srr1
# CR logical instructions on every bit pattern, CR field moves (mcrf, mtcrf,
# mtocrf, mfocrf, mcrxrx) and isel with RA=0 and each CR bit.
    .include "common.inc"
    entry
    begin
    ldk 3, crpat
    mtcrf 0xff, 3            # CR = 0x5a3c96e1
    crand 0, 1, 3
    cror 5, 6, 8
    crxor 9, 9, 9            # crclr
    crnand 10, 11, 12
    crnor 13, 14, 15
    creqv 16, 16, 16         # crset
    crandc 17, 18, 19
    crorc 20, 21, 22
    mfcr 4
    mcrf 7, 0
    mcrf 0, 5
    mfcr 5
    li 6, 0
    mtocrf 0x08, 6           # one field: CR4
    mfocrf 7, 0x80
    mtcrf 0x81, 6
    mfcr 8
    ldk 9, xerbits
    mtxer 9
    mcrxrx 3
    mfcr 10
    li 11, 11
    li 12, 12
    isel 13, 11, 12, 12      # CR bit 12 (CR3[LT])
    isel 14, 11, 12, 13
    isel 15, 0, 12, 14       # RA=0 reads as 0
    isel 16, 0, 12, 15
    mtcrf 0xff, 3
    isel 17, 11, 12, 1
    isel 18, 11, 12, 31
    isel 19, 11, 12, 30
    iseleq 20, 11, 12
    isellt 21, 11, 12
    iselgt 22, 11, 12
    mfcr 23
done:
    b done

    .org 0x3000
crpat:   .quad 0x000000005a3c96e1
xerbits: .quad 0x00000000400c0000
