# The little-endian half of vmx_crypto_le (MSR[LE]=1 from 0x2000); its constants are its
# own little-endian copy at 0x3800.
    .include "vmx_ldv.inc"
    .include "vmx_crypto_ldv.inc"
    .org 0x2000
    ldinputs
    ldcrypto
    .include "vmx_crypto.inc"
done:
    b done

    .org 0x3800
    .include "vmx_data.inc"
    .include "vmx_crypto_data.inc"
