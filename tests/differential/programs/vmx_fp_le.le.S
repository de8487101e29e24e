# The little-endian half of vmx_fp_le (MSR[LE]=1 from 0x2000); its constants are its
# own little-endian copy at 0x3800.
    .include "vmx_fp_ldv.inc"
    .org 0x2000
    ldfp
    .include "vmx_fp.inc"
done:
    b done

    .org 0x3800
    .include "vmx_fp_data.inc"
