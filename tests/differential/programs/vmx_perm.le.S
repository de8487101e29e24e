# The little-endian half of vmx_perm: the same instructions at 0x2000 with MSR[LE]=1.
    .org 0x2000
    .include "vmx_perm.inc"
done:
    b done
