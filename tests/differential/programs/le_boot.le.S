# The little-endian half of le_boot (MSR[LE]=1 from 0x2000).
    .org 0x2000
    li 3, 0x1234
    addis 3, 3, 0x5678
    addi 4, 3, -1
    subf. 5, 3, 4
    bl 1f
    b 2f
1:  mflr 6
    li 7, 3
    mtctr 7
3:  addi 8, 8, 5
    bdnz 3b
    blr
2:  li 9, 0x4000
    std 3, 0(9)
    stw 4, 8(9)
    lbz 10, 0(9)
    lwz 11, 8(9)
    ld 12, 0(9)
    sc
    mfsrr0 13
done:
    b done
