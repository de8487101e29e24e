# The boot ROM for QEMU's pseries -bios contract, as kvm-unit-tests builds its own: the machine
# enters a -bios image at 0x100 (MSR = 0, r3 = the device tree, r1 = r4 = r5 = 0) and loads the
# -kernel ELF at 0x400000, so one branch is all the firmware there is. Registers pass through.
    .text
    .org 0x100
    b . + (0x400000 - 0x100)
