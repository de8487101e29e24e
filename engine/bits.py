"""Bit helpers in IBM numbering (bit 0 is the most significant)."""

from __future__ import annotations

M64 = 0xFFFF_FFFF_FFFF_FFFF
M32 = 0xFFFF_FFFF


def ppc_bit(n: int) -> int:
    """The mask of IBM bit ``n`` of a 64-bit register."""
    return 1 << (63 - n)


def ppc_bit32(n: int) -> int:
    """The mask of IBM bit ``n`` of a 32-bit register or instruction word."""
    return 1 << (31 - n)


def ppc_mask(mb: int, me: int) -> int:
    """ISA MASK(mb, me) over 64 bits: ones from bit mb to bit me, wrapping when mb > me."""
    if mb <= me:
        return (M64 >> mb) & (M64 << (63 - me)) & M64
    return ((M64 >> mb) | (M64 << (63 - me))) & M64


def sext(value: int, bits: int) -> int:
    """Sign-extend the low ``bits`` of ``value`` to a Python int."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def s64(value: int) -> int:
    """A 64-bit register value as a signed int."""
    return value - (1 << 64) if value >> 63 else value


def s32(value: int) -> int:
    """The low 32 bits of a register value as a signed int."""
    value &= M32
    return value - (1 << 32) if value >> 31 else value


def rotl64(value: int, n: int) -> int:
    n &= 63
    return ((value << n) | (value >> (64 - n))) & M64


def rotl32(value: int, n: int) -> int:
    """ISA ROTL32: rotate the low word doubled into both halves (rlw* semantics)."""
    value &= M32
    value |= value << 32
    return rotl64(value, n)
