# The little-endian half of vmx_mul_le (MSR[LE]=1 from 0x2000); its constants
# are its own little-endian copy at 0x3800.
    .include "vmx_ldv.inc"
    .org 0x2000
    ldinputs
    .include "vmx_mul.inc"
    vsumsws 8, 5, 5
    vsumsws 9, 2, 1
    vsumsws 8, 0, 1
    vsum2sws 9, 2, 0
    vsum2sws 8, 0, 1
    vsum4shs 9, 2, 0
    vsum4shs 8, 0, 1
    vsum4sbs 9, 2, 5
    vsum4sbs 8, 0, 1
    vsum4ubs 9, 0, 1
    vsum4ubs 8, 2, 2
    vmhraddshs 9, 5, 5, 0
    vmhraddshs 8, 0, 1, 2
    vmhaddshs 9, 5, 5, 0
    vmhaddshs 8, 0, 1, 2
    vmsumshs 9, 5, 5, 5
    vmsumshs 8, 0, 0, 0
    vmsumuhs 9, 2, 2, 2
    vmsumuhs 8, 0, 1, 2
done:
    b done

    .org 0x3800
    .include "vmx_data.inc"
