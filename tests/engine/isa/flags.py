"""Assertion helpers for the fixed-point tests: XER bits and CR fields by name."""

from __future__ import annotations

from engine.cpu import VCPU

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1
SF = 0x8000_0000_0000_0000
HV = 0x1000_0000_0000_0000
MSR_32BIT = HV  # powernv reset MSR with SF cleared: 32-bit mode
XER_SO, XER_OV, XER_CA, XER_OV32, XER_CA32 = 0x8000_0000, 0x4000_0000, 0x2000_0000, 0x80000, 0x40000

# CR field values (LT GT EQ SO)
LT, GT, EQ, SO = 8, 4, 2, 1


def xer(cpu: VCPU) -> dict[str, int]:
    """The XER status bits, so a test can assert all of them at once."""
    return {"so": cpu.so, "ov": cpu.ov, "ov32": cpu.ov32, "ca": cpu.ca, "ca32": cpu.ca32}


def flags(so: int = 0, ov: int = 0, ov32: int = 0, ca: int = 0, ca32: int = 0) -> dict[str, int]:
    return {"so": so, "ov": ov, "ov32": ov32, "ca": ca, "ca32": ca32}


def crf(cpu: VCPU, n: int) -> int:
    """CR field ``n`` as a 4-bit value."""
    return (cpu.cr >> (28 - 4 * n)) & 0xF
