"""The state fields of a ``ppcdbg trace`` line, as JSON text, fast (docs/trace-format.md).

A trace prints ~50 hex strings per line and most of them did not change
since the vCPU's previous line, so the formatter keeps what it printed:
values are formatted once and looked up afterwards, a vCPU's GPR list is
re-joined only when one of them changed, and the line is assembled from a
fixed template rather than through ``json.dumps`` of a dict. The text is
byte-for-byte what ``json.dumps(state(...), separators=(", ", ": "))``
prints (``engine.trace.state`` is the reference; tests compare the two).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from .bits import M32
from .cpu import VCPU
from .memory import MemoryFault
from .registers import WIDTH128, canonical, width
from .sprs import SPR_BY_NAME

Reader = Callable[[VCPU], int]
# Fixed fields an extra register of the same name would print identically; a
# dict keeps one key for both (json.dumps of state() prints it once, in place).
SAME_AS_FIXED = frozenset({"pc", "msr", "cr", "lr", "ctr", "xer"})
CACHE_LIMIT = 1 << 16  # formatted values kept per width before the cache starts afresh


class _Hex(dict[int, str]):
    """int -> its trace text, formatted on first use (``__missing__`` keeps hits in C)."""

    __slots__ = ("_fmt",)

    def __init__(self, fmt: Callable[[int], str]) -> None:
        super().__init__()
        self._fmt = fmt

    def __missing__(self, v: int) -> str:
        if len(self) >= CACHE_LIMIT:
            self.clear()
        s = self[v] = self._fmt(v)
        return s


def hex64(v: int) -> str:
    return f"0x{v:016x}"


def hex128(v: int) -> str:
    return f"0x{v:032x}"


def hex32(v: int) -> str:
    return f"0x{v & 0xFFFFFFFF:08x}"


def register_reader(name: str) -> Reader:
    """What ``registers.read_register(cpu, name)`` reads, with the name resolved once.

    An unknown name reads as a KeyError, as read_register raises it (the
    trace prints null).
    """
    try:
        n = canonical(name)
    except KeyError as e:
        err = e

        def unknown(cpu: VCPU) -> int:
            raise err

        return unknown
    if n[0] == "r" and n[1:].isdigit():
        i = int(n[1:])
        return lambda cpu: cpu.gpr[i]
    if n[0] == "f" and n[1:].isdigit():
        i = int(n[1:])
        return lambda cpu: cpu.vsr[i] >> 64
    if n in WIDTH128:
        i = int(n[2:]) + (32 if n[1] == "r" else 0)
        return lambda cpu: cpu.vsr[i]
    simple: dict[str, Reader] = {
        "pc": lambda cpu: cpu.nia,
        "msr": lambda cpu: cpu.msr,
        "cr": lambda cpu: cpu.cr,
        "lr": lambda cpu: cpu.lr,
        "ctr": lambda cpu: cpu.ctr,
        "xer": lambda cpu: cpu.xer & M32,
        "fpscr": lambda cpu: cpu.fpscr,
        "vscr": lambda cpu: cpu.vscr,
    }
    if n in simple:
        return simple[n]
    number = SPR_BY_NAME[n].number
    return lambda cpu: cpu.read_spr(number)


class _Last:
    """What the formatter printed for one vCPU's GPRs last time."""

    __slots__ = ("gpr", "text")

    def __init__(self) -> None:
        self.gpr: list[int] = []
        self.text = ""


class StateFormatter:
    """``"cpu": …, "pc": …, …`` (the state fields and the extra registers) of a vCPU."""

    def __init__(
        self,
        insn: Callable[[VCPU], int | None],
        regs: tuple[str, ...],
        reader: Callable[[str], Reader] | None = None,
    ) -> None:
        make = reader or register_reader
        self._insn = insn
        self._h64 = _Hex(hex64)
        self._h32 = _Hex(hex32)
        self._h128 = _Hex(hex128)
        self._last: dict[int, _Last] = {}
        # (', "name": ', reader, cache of its width) per extra register, in order;
        # a repeated name is one dict key, printed once at its first place
        names = [n for n in dict.fromkeys(regs) if n not in SAME_AS_FIXED]
        self._extra = [(f", {json.dumps(n)}: ", make(n), self._cache(n)) for n in names]

    def fields(self, cpu: VCPU) -> str:
        h64 = self._h64
        h32 = self._h32
        last = self._last.get(cpu.index)
        if last is None:
            last = self._last[cpu.index] = _Last()
        g = cpu.gpr
        if g != last.gpr:
            last.gpr = list(g)
            last.text = '", "'.join(map(h64.__getitem__, g))
        word = self._insn(cpu)
        insn = "null" if word is None else f'"{h32[word]}"'
        text = (
            f'"cpu": {cpu.index}, "pc": "{h64[cpu.nia]}", "msr": "{h64[cpu.msr]}", '
            f'"insn": {insn}, "gpr": ["{last.text}"], "cr": "{h32[cpu.cr]}", '
            f'"lr": "{h64[cpu.lr]}", "ctr": "{h64[cpu.ctr]}", "xer": "{h32[cpu.xer]}"'
        )
        if not self._extra:
            return text
        parts = [text]
        for key, read, cache in self._extra:
            try:
                v = read(cpu)
            except (KeyError, MemoryFault):
                parts.append(f"{key}null")
                continue
            parts.append(f'{key}"{cache[v]}"')
        return "".join(parts)

    def _cache(self, name: str) -> _Hex:
        try:
            w = width(canonical(name))
        except KeyError:
            w = 64
        return self._h128 if w == 128 else self._h32 if w == 32 else self._h64


class VectorFields:
    """The ``"vector"`` object of a line: VSR0-63 and VSCR, all of them or what changed.

    ``full`` prints every VSR and VSCR; ``changes`` only those that differ
    from what this vCPU's previous line printed (its first line is full), so
    a reader can rebuild the vector state at every line while the common step,
    which writes no vector register, costs one list comparison.
    """

    __slots__ = ("_h128", "_h32", "_last")

    def __init__(self) -> None:
        self._h128 = _Hex(hex128)
        self._h32 = _Hex(hex32)
        self._last: dict[int, tuple[list[int], int]] = {}

    def full(self, cpu: VCPU) -> str:
        h = self._h128
        vsr, vscr = cpu.vsr, cpu.vscr
        self._last[cpu.index] = (list(vsr), vscr)
        body = ", ".join([f'"vs{i}": "{h[v]}"' for i, v in enumerate(vsr)])
        return f'{{{body}, "vscr": "{self._h32[vscr]}"}}'

    def changes(self, cpu: VCPU) -> str:
        last = self._last.get(cpu.index)
        if last is None:
            return self.full(cpu)
        vsr, vscr = cpu.vsr, cpu.vscr
        old, old_vscr = last
        if vscr == old_vscr and vsr == old:
            return "{}"
        h = self._h128
        pairs = enumerate(zip(vsr, old, strict=True))
        parts = [f'"vs{i}": "{h[v]}"' for i, (v, o) in pairs if v != o]
        if vscr != old_vscr:
            parts.append(f'"vscr": "{self._h32[vscr]}"')
        self._last[cpu.index] = (list(vsr), vscr)
        return f"{{{', '.join(parts)}}}"
