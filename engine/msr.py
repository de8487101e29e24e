"""MSR, LPCR and other architected register bit names (ISA / Linux names)."""

from __future__ import annotations

from .bits import ppc_bit

MSR_SF = ppc_bit(0)
MSR_HV = ppc_bit(3)
MSR_VEC = ppc_bit(38)
MSR_VSX = ppc_bit(40)
MSR_EE = ppc_bit(48)
MSR_PR = ppc_bit(49)
MSR_FP = ppc_bit(50)
MSR_ME = ppc_bit(51)
MSR_FE0 = ppc_bit(52)
MSR_SE = ppc_bit(53)
MSR_BE = ppc_bit(54)
MSR_FE1 = ppc_bit(55)
MSR_IR = ppc_bit(58)
MSR_DR = ppc_bit(59)
MSR_RI = ppc_bit(62)
MSR_LE = ppc_bit(63)

# Bits 33:36 and 42:47 of the saved MSR image are interrupt-specific (docs/machine.md).
SRR1_INTERRUPT_BITS = 0x0000_0000_783F_0000
SRR1_TRACE = ppc_bit(33)
SRR1_PROGRAM_FPE = 0x100000
SRR1_PROGRAM_ILLEGAL = 0x80000
SRR1_PROGRAM_PRIV = 0x40000
SRR1_PROGRAM_TRAP = 0x20000
SRR1_PROGRAM_NEXT = 0x10000

# MSR bits that select how instructions decode and execute: the decode cache
# is kept per combination of these.
MSR_DECODE_CONTEXT = MSR_SF | MSR_HV | MSR_PR | MSR_FP | MSR_VEC | MSR_VSX | MSR_IR | MSR_LE

LPCR_AIL = 0x0000_0000_0180_0000
LPCR_AIL_SHIFT = 23
LPCR_ILE = ppc_bit(38)
LPCR_HR = ppc_bit(43)
LPCR_UPRT = ppc_bit(41)
LPCR_LD = ppc_bit(46)
LPCR_GTSE = ppc_bit(53)
LPCR_HDICE = ppc_bit(63)
LPCR_LPES0 = ppc_bit(60)
LPCR_LPES1 = ppc_bit(61)

HID0_HILE = ppc_bit(4)

XER_SO = 0x8000_0000
XER_OV = 0x4000_0000
XER_CA = 0x2000_0000
XER_OV32 = 0x0008_0000
XER_CA32 = 0x0004_0000
