# The little-endian half of vmx_pack_le (MSR[LE]=1 from 0x2000); its constants are its
# own little-endian copy at 0x3800.
    .include "vmx_ldv.inc"
    .org 0x2000
    .include "vmx_pack.inc"
    .include "vmx_pack_sat.inc"
    vpkudus 14, 5, 10
    vpksdss 14, 3, 10
    vpksdss 13, 4, 5
    vpksdus 13, 4, 5
    vpkudus 13, 3, 4
    vpkswss 12, 2, 10
    vpkswus 12, 1, 2
    vpkuwus 12, 1, 2
    vpkshss 11, 0, 10
    vpkshus 11, 0, 7
    vpkuhus 12, 6, 0
    vpkuhus 11, 0, 7
done:
    b done

    .org 0x3800
    .include "vmx_pack_data.inc"
