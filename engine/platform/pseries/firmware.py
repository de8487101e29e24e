"""Small pieces of guest code and layout for the pseries platform (docs/pseries.md).

- ``RTAS_STUB``: the RTAS entry placed at ``linux,rtas-entry``: it hands the argument block to
  the host with the KVMPPC_H_RTAS hypercall.
- ``initrd_address``: where the initrd goes after the kernel, as QEMU places it.
- ``loader_firmware``: a tiny ``-bios`` image for QEMU's pseries machine that copies a device
  tree and the RTAS stub into place and enters the kernel at 0x400000 with r3 = the tree,
  r4 = r5 = 0: the direct boot, run under QEMU without SLOF. The tests boot the stock kernel
  this way to check the tree against the real thing.
"""

from __future__ import annotations

import struct

KVMPPC_H_RTAS = 0xF000
QEMU_KERNEL_BASE = 0x400000  # where QEMU's pseries loads the kernel
FIRMWARE_ENTRY = 0x100  # where QEMU's pseries starts vCPU 0 in the -bios image

# Big-endian (RTAS runs 32-bit big-endian): mr r4,r3; lis r3,0; ori r3,r3,0xf000; sc 1; blr.
RTAS_STUB = struct.pack(">5I", 0x7C641B78, 0x3C600000, 0x60630000 | KVMPPC_H_RTAS, 0x44000022,
                        0x4E800020)  # fmt: skip

# Offsets inside the loader image (all below QEMU's 4 MiB firmware limit).
_STUB_OFFSET = 0x800
_TREE_OFFSET = 0x1000
MAX_FIRMWARE = 0x400000


def initrd_address(kernel_base: int, kernel_memsz: int) -> int:
    """A 64 KiB boundary at least 64 KiB past the kernel's memory image (QEMU's choice)."""
    return (kernel_base + kernel_memsz + 0x1FFFF) & ~0xFFFF


def _load(reg: int, value: int) -> list[int]:
    """lis reg,hi; ori reg,reg,lo (32-bit constants: the loader runs with MSR[SF] = 0)."""
    if not 0 <= value < 1 << 32:
        raise ValueError(f"{value:#x} is not a 32-bit address")
    return [
        0x3C000000 | reg << 21 | value >> 16,
        0x60000000 | reg << 21 | reg << 16 | value & 0xFFFF,
    ]


def _copy_words(src: int, dst: int, nbytes: int) -> list[int]:
    """Copy nbytes (a multiple of 4) from src to dst: lwzu/stwu in a bdnz loop."""
    code = _load(4, src - 4) + _load(5, dst - 4) + _load(6, nbytes // 4)
    code += [0x7CC903A6]  # mtctr r6
    code += [0x84C40004, 0x94C50004, 0x4200FFF8]  # lwzu r6,4(r4); stwu r6,4(r5); bdnz .-8
    return code


def loader_firmware(tree: bytes, tree_address: int, rtas_base: int) -> bytes:
    """A raw ``-bios`` image: at 0x100, copy ``tree`` to ``tree_address`` and the RTAS stub to
    ``rtas_base`` (the kernel overwrites the low 40 MiB or so with itself, so neither may stay
    in the image), then enter the kernel at 0x400000 with r3 = the tree, r4 = r5 = 0."""
    tree = tree + b"\0" * (-len(tree) % 4)
    stub = RTAS_STUB + b"\0" * (-len(RTAS_STUB) % 4)
    code = _copy_words(_TREE_OFFSET, tree_address, len(tree))
    code += _copy_words(_STUB_OFFSET, rtas_base, len(stub))
    code += _load(3, tree_address) + [0x38800000, 0x38A00000]  # li r4,0; li r5,0
    code += _load(6, QEMU_KERNEL_BASE) + [0x7CC903A6, 0x4E800420]  # mtctr r6; bctr
    if FIRMWARE_ENTRY + 4 * len(code) > _STUB_OFFSET:
        raise AssertionError("loader code overlaps the stub")
    image = bytearray(_TREE_OFFSET + len(tree))
    if len(image) > MAX_FIRMWARE:
        raise ValueError(f"a {len(tree)}-byte tree does not fit a firmware image")
    image[FIRMWARE_ENTRY : FIRMWARE_ENTRY + 4 * len(code)] = struct.pack(f">{len(code)}I", *code)
    image[_STUB_OFFSET : _STUB_OFFSET + len(stub)] = stub
    image[_TREE_OFFSET:] = tree
    return bytes(image)
