# The little-endian half of vsx_storage_le (MSR[LE]=1 from 0x2000); its data is
# its own little-endian copy at 0x3800, its store area at 0x4800.
    .set VDATA, 0x3800
    .set VSTORE, 0x4800
    .org 0x2000
    .include "vsx_storage.inc"
done:
    b done

    .org 0x3800
    .include "vsx_storage_data.inc"
    .org 0x4800
    .fill 0x200, 1, 0
