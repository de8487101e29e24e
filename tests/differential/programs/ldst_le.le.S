# The little-endian half of ldst_le: runs at 0x2000 with MSR[LE]=1. The data
# at 0x4000 was laid down by the big-endian half, so loads see it byte-swapped.
    .org 0x2000
    li 20, 0x4000
    li 21, 0x5000
    .include "ldst.inc"
done:
    b done
