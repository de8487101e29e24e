# The little-endian pass of vsx_permute (MSR[LE] = 1 from 0x2000).
    .include "common.inc"
    .org 0x2000
    .include "vsx_permute.inc"
done:
    b done
