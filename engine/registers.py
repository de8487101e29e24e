"""Registers by name (API.md): r0-r31, pc/nia, msr, cr, lr, ctr, xer, f0-f31, fpscr, SPRs."""

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


# Registers whose architected width is 32 bits (the trace format prints them as 0x%08x).
WIDTH32 = frozenset({"cr", "xer", "fpscr"})
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
    if _is_indexed(n, "r") or _is_indexed(n, "f") or n in _SIMPLE or n in SPR_BY_NAME:
        return n
    raise UnknownRegister(name)


def _is_indexed(n: str, prefix: str) -> bool:
    return (
        n.startswith(prefix)
        and n[1:].isdigit()
        and 0 <= int(n[1:]) < 32
        and n[1:] == str(int(n[1:]))
    )


_SIMPLE = frozenset({"pc", "msr", "cr", "lr", "ctr", "xer", "fpscr"})


def read_register(cpu: VCPU, name: str) -> int:
    n = canonical(name)
    if n[0] == "r" and n[1:].isdigit():
        return cpu.gpr[int(n[1:])]
    if n[0] == "f" and n[1:].isdigit():
        return cpu.vsr[int(n[1:])] >> 64
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
    value &= M64
    if n[0] == "r" and n[1:].isdigit():
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
