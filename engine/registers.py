"""Registers by name (docs/api.md): r0-r31, pc/nia, msr, cr, lr, ctr, xer, f0-f31, fpscr, SPRs,
and the vector facility's vr0-vr31, vs0-vs63 (128 bits) and vscr."""

from __future__ import annotations

from .bits import M32, M64
from .cpu import VCPU
from .sprs import SPR_BY_NAME


class UnknownRegister(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown register {self.name!r}"


M128 = (1 << 128) - 1
# Registers whose architected width is 32 bits (the trace format prints them as 0x%08x).
WIDTH32 = frozenset({"cr", "xer", "fpscr", "vscr"})
# The 128-bit ones (printed as 0x%032x, byte 0 most significant). They are not in
# ARCHITECTED (a register dump without names), so that a stop does not carry
# 64 x 128 bits unless a client asks for them by name or as the VECTOR group.
VECTOR = (*(f"vr{i}" for i in range(32)), *(f"vs{i}" for i in range(64)), "vscr")
WIDTH128 = frozenset(n for n in VECTOR if n != "vscr")
ARCHITECTED = (
    [f"r{i}" for i in range(32)]
    + ["pc", "msr", "cr", "lr", "ctr", "xer", "fpscr"]
    + [f"f{i}" for i in range(32)]
    + [s for s in SPR_BY_NAME if s not in ("xer", "lr", "ctr")]
)


def canonical(name: str) -> str:
    n = name.strip().lower()
    if n == "nia":
        return "pc"
    if (
        _is_indexed(n, "r")
        or _is_indexed(n, "f")
        or _is_indexed(n, "vr")
        or _is_indexed(n, "vs", 64)
        or n in _SIMPLE
        or n in SPR_BY_NAME
    ):
        return n
    raise UnknownRegister(name)


def width(name: str) -> int:
    """The architected width in bits of canonical register ``name``: 32, 64 or 128."""
    return 128 if name in WIDTH128 else 32 if name in WIDTH32 else 64


def _is_indexed(n: str, prefix: str, count: int = 32) -> bool:
    k = len(prefix)
    return (
        n.startswith(prefix)
        and n[k:].isdigit()
        and 0 <= int(n[k:]) < count
        and n[k:] == str(int(n[k:]))
    )


_SIMPLE = frozenset({"pc", "msr", "cr", "lr", "ctr", "xer", "fpscr", "vscr"})


def read_register(cpu: VCPU, name: str) -> int:
    n = canonical(name)
    if n[0] == "r" and n[1:].isdigit():
        return cpu.gpr[int(n[1:])]
    if n[0] == "f" and n[1:].isdigit():
        return cpu.vsr[int(n[1:])] >> 64
    if n in WIDTH128:  # vr0-vr31, vs0-vs63 (not vrsave)
        return cpu.vsr[int(n[2:]) + (32 if n[1] == "r" else 0)]
    if n == "vscr":
        return cpu.vscr
    if n == "pc":
        return cpu.nia
    if n == "msr":
        return cpu.msr
    if n == "cr":
        return cpu.cr
    if n == "lr":
        return cpu.lr
    if n == "ctr":
        return cpu.ctr
    if n == "xer":
        return cpu.xer & M32
    if n == "fpscr":
        return cpu.fpscr
    return cpu.read_spr(SPR_BY_NAME[n].number)


def write_register(cpu: VCPU, name: str, value: int) -> None:
    n = canonical(name)
    if n in WIDTH128:
        value &= M128
        cpu.vsr[int(n[2:]) + (32 if n[1] == "r" else 0)] = value
        return
    value &= M64
    if n == "vscr":
        cpu.vscr = value & M32  # all 32 bits are kept as written, as QEMU 7.2 does
    elif n[0] == "r" and n[1:].isdigit():
        cpu.gpr[int(n[1:])] = value
    elif n[0] == "f" and n[1:].isdigit():
        i = int(n[1:])
        cpu.vsr[i] = (value << 64) | (cpu.vsr[i] & M64)  # FPR i is VSR i's high doubleword
    elif n == "pc":
        cpu.nia = value & ~3
    elif n == "msr":
        cpu.set_msr(value)
    elif n == "cr":
        cpu.cr = value & M32
    elif n == "lr":
        cpu.lr = value
    elif n == "ctr":
        cpu.ctr = value
    elif n == "xer":
        cpu.xer = value
    elif n == "fpscr":
        cpu.fpscr = value & M32
    else:
        cpu.write_spr(SPR_BY_NAME[n].number, value)
