# The little-endian half of vmx_int_le (MSR[LE]=1 from 0x2000); its constants
# are its own little-endian copy at 0x3800.
    .include "vmx_ldv.inc"
    .org 0x2000
    ldinputs
    .include "vmx_int.inc"
    vsubsws 8, 0, 1
    vsubsws 9, 2, 3
    vsubshs 8, 0, 1
    vsubshs 9, 2, 3
    vsubsbs 8, 0, 1
    vsubsbs 9, 2, 3
    vsubuws 8, 0, 1
    vsubuws 9, 2, 3
    vsubuhs 8, 0, 1
    vsubuhs 9, 2, 3
    vsububs 8, 0, 1
    vsububs 9, 2, 3
    vaddsws 8, 0, 1
    vaddsws 9, 2, 3
    vaddshs 8, 0, 1
    vaddshs 9, 2, 3
    vaddsbs 8, 0, 1
    vaddsbs 9, 2, 3
    vadduws 8, 0, 1
    vadduws 9, 2, 3
    vadduhs 8, 0, 1
    vadduhs 9, 2, 3
    vaddubs 8, 0, 1
    vaddubs 9, 2, 3
done:
    b done

    .org 0x3800
    .include "vmx_data.inc"
