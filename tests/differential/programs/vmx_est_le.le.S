# The little-endian half of vmx_est_le (MSR[LE]=1 from 0x2000); its constants are its
# own little-endian copy at 0x3800.
    .include "vmx_ldv.inc"
    .include "vmx_est_ldv.inc"
    .org 0x2000
    ldinputs
    ldest
    .include "vmx_est.inc"
done:
    b done

    .org 0x3800
    .include "vmx_data.inc"
    .include "vmx_est_data.inc"
