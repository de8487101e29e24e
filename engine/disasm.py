"""Disassembly of PowerPC64 code with capstone, in Book3S terms.

Capstone 5 knows the instructions but not the Book3S SPR file: it prints many
``mfspr``/``mtspr`` operands as numbers, and for some numbers an extended
mnemonic from BookE or 32-bit parts (``mfesr``, ``mfibatl``, ``mfrtcu``) that
names a different register on POWER9. SPR moves are therefore rewritten from
``engine.sprs``: ``mfspr r3, srr0``; LR, CTR and XER keep their universal
extended mnemonics (``mflr``, ``mtctr``, ``mfxer``).

Words capstone cannot decode fall back to the instruction table (capstone 5
lacks, for example, the OE forms ``addo``... and ``bctar``), and words neither
knows become ``.long 0x...``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Literal, NamedTuple

import capstone

from .isa.forms import f_rt, f_spr
from .isa.insn import Insn
from .isa.specialize import analyse
from .isa.table import decode
from .sprs import SPR_BY_NUMBER


class Line(NamedTuple):
    address: int
    word: int
    mnemonic: str
    operands: str
    text: str  # "mnemonic operands", with branch targets annotated from the symbol map


_XFX_MOVES = {339: "mf", 467: "mt"}
_SPR_ALIASES = {1: "xer", 8: "lr", 9: "ctr"}
_TBR_NAMES = {268: "mftb", 269: "mftbu"}
_TARGET = re.compile(r"(?:^|, )(0x[0-9a-f]+)$")


@cache
def _engine(little: bool) -> capstone.Cs:
    mode = capstone.CS_MODE_64 | (
        capstone.CS_MODE_LITTLE_ENDIAN if little else capstone.CS_MODE_BIG_ENDIAN
    )
    return capstone.Cs(capstone.CS_ARCH_PPC, mode)


def spr_name(n: int) -> str:
    """The Book3S name of SPR ``n``, or its decimal number when the engine does not know it."""
    s = SPR_BY_NUMBER.get(n)
    return s.name if s is not None else str(n)


def symbolize(addr: int, symbols: Mapping[str, int] | None) -> str | None:
    """``name`` or ``name+0xoff`` for the nearest symbol at or below ``addr`` (within 64 KiB)."""
    if not symbols:
        return None
    best: tuple[int, str] | None = None
    for name, value in symbols.items():
        if value <= addr and addr - value < 0x10000 and (best is None or value > best[0]):
            best = (value, name)
    if best is None:
        return None
    off = addr - best[0]
    return best[1] if off == 0 else f"{best[1]}+0x{off:x}"


def _spr_move(word: int) -> tuple[str, str] | None:
    """Book3S spelling of mfspr/mtspr/mftb, or None for other words."""
    if word >> 26 != 31:
        return None
    xo = (word >> 1) & 0x3FF
    n = f_spr(word)
    rt = f_rt(word)
    if xo == 371:  # mftb
        if n in _TBR_NAMES:
            return _TBR_NAMES[n], f"r{rt}"
        return "mftb", f"r{rt}, {n}"
    kind = _XFX_MOVES.get(xo)
    if kind is None:
        return None
    if n in _SPR_ALIASES:
        return kind + _SPR_ALIASES[n], f"r{rt}"
    if kind == "mf":
        return "mfspr", f"r{rt}, {spr_name(n)}"
    return "mtspr", f"{spr_name(n)}, r{rt}"


_KIND_PREFIX = {"gpr": "r", "fpr": "f", "vr": "v", "vsr": "vs", "crf": "cr"}


def operands(o: Insn, word: int) -> str:
    """``o``'s operands in ``word``, from its line: the ``syntax`` order, or the
    semantics' field parameters in order, each printed as its field's kind says."""
    fields = o.enc.format.fields
    if o.syntax is not None:
        names = [n.strip() for n in o.syntax.split(",") if n.strip()]
    else:
        names = [p for p in analyse(o.sem).positional if p in fields]
    parts = []
    for n in names:
        if n not in fields or not o.enc.free(n):
            continue  # fixed by the encoding (RB = 0...): not an operand
        f = fields[n]
        v = eval(f.src, {"w": word})  # noqa: S307 - the field table's own expressions
        parts.append(_KIND_PREFIX.get(f.kind, "") + str(v))
    return ", ".join(parts)


def _from_table(word: int) -> tuple[str, str] | None:
    """Fallback spelling from the instruction table for words capstone does not know."""
    o = decode(word)
    if o is None:
        return None
    return o.name(word), operands(o, word)


def disassemble(
    data: bytes,
    address: int,
    count: int | None = None,
    *,
    little: bool = False,
    symbols: Mapping[str, int] | None = None,
) -> list[Line]:
    """Disassemble up to ``count`` words of ``data`` (all of it when None) placed at ``address``.

    ``little`` selects the instruction byte order (MSR[LE]). ``symbols`` maps
    names to addresses; branch targets are annotated ``<name+0xoff>``.
    """
    md = _engine(little)
    order: Literal["little", "big"] = "little" if little else "big"
    n = len(data) // 4 if count is None else min(count, len(data) // 4)
    out: list[Line] = []
    for i in range(n):
        chunk = data[4 * i : 4 * i + 4]
        word = int.from_bytes(chunk, order)
        pc = address + 4 * i
        # One word at a time: capstone stops at the first word it cannot decode.
        insn = next(md.disasm_lite(chunk, pc, 1), None)
        spelled = _spr_move(word)
        if spelled is not None and (insn is not None or decode(word) is not None):
            mnem, ops = spelled
        elif insn is not None:
            mnem, ops = insn[2], insn[3]
        else:
            fallback = _from_table(word)
            mnem, ops = fallback if fallback is not None else (".long", f"0x{word:08x}")
        text = f"{mnem} {ops}".rstrip()
        m = _TARGET.search(ops)
        if m is not None and mnem.startswith("b") and symbols:
            where = symbolize(int(m.group(1), 16), symbols)
            if where is not None:
                text += f" <{where}>"
        out.append(Line(pc, word, mnem, ops, text))
    return out


def disassemble_one(word: int, address: int = 0, *, little: bool = False) -> Line:
    """One instruction word (already a number, so independent of byte order)."""
    order: Literal["little", "big"] = "little" if little else "big"
    return disassemble(word.to_bytes(4, order), address, 1, little=little)[0]
