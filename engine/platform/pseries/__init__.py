"""The pseries platform: a PAPR logical partition as QEMU's ``-M pseries`` provides it,
booted without Open Firmware (docs/pseries.md)."""
