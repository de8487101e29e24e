# steps: 51
# vcpus: 1
# regs: srr0,srr1
# The branch family: every BO form of bc (CR test true/false/ignored, CTR
# decremented and tested zero/non-zero), taken and not taken; b/ba; bl, bcl,
# bclrl, bcctrl LR updates (LR is read before it is written); bcl 20,31 idiom.
    .include "common.inc"
    entry
    begin
    li 3, 3
    mtctr 3
    cmpdi 0, 3, 3            # CR0 = EQ
    bc 12, 2, 1f             # BO=011zy: branch if CR bit true
    li 4, -1
1:  bc 4, 2, 2f              # BO=001zy: branch if false (not taken)
    bc 4, 0, 2f              # taken: LT is clear
    li 4, -2
2:  bc 20, 0, 3f             # BO=1z1zz: always
    li 4, -3
3:  bc 16, 0, 4f             # BO=1z00y: --CTR != 0 (2 != 0: taken)
    li 4, -4
4:  bc 18, 0, 5f             # BO=1z01y: --CTR == 0 (1: not taken)
    bc 18, 0, 5f             # --CTR == 0: taken
    li 4, -5
5:  li 5, 4
    mtctr 5
    bc 8, 2, 6f              # BO=01000: --CTR != 0 and CR true (3, EQ: taken)
    li 4, -6
6:  bc 0, 2, 7f              # BO=00000: --CTR != 0 and CR false (not taken)
    bc 10, 2, 7f             # BO=01010: --CTR == 0 and CR true (1: not taken)
    bc 2, 0, 7f              # BO=00010: --CTR == 0 and CR false: taken
    li 4, -7
7:  bl 8f                    # LR = next
    b 9f
8:  mflr 6
    blr
9:  bcl 20, 31, 10f          # the PIC idiom: LR = 10f
10: mflr 7
    li 8, 0
    mtctr 8
    bdnz 11f                 # CTR wraps to -1, taken
    li 4, -8
11: bdz 12f                  # -2: not taken
    li 9, 0x1200
    mtctr 9
    bcctrl 20, 0             # to 0x1200, LR = next
    mflr 10
    ba absolute              # AA=1
    li 4, -9
    .org 0x1180
absolute:
    li 11, 0x1240
    mtlr 11
    bclrl 20, 0              # target read before LR is written
    mflr 12
    li 9, 0x1280
    mtctr 9
    bcctr 20, 0              # LR unchanged
    .org 0x1200
    mflr 13
    bdnzlr                   # CTR was 0x1200: --CTR != 0, to LR
    nop
    .org 0x1240
    mflr 14
    cmpwi 1, 14, 0
    bgt 1, 13f
    li 4, -10
13: beqlr 1                  # not taken, LR unchanged
    bnelrl 1                 # taken, LR updated
12: li 15, 1
    b done
    .org 0x1280
    li 16, 2
done:
    b done
