"""Loads and stores: one semantics function per shape, every width and form as parameters.

Plain loads/stores (every width, update, indexed, byte-reversed), load/store
multiple, the string instructions, and load-and-reserve / store-conditional.
Data byte order is MSR[LE] (the decode context's ``order``); 32-bit mode
truncates every effective address, including the one written back by update
forms (QEMU does the same).

The plain forms go through the vCPU's data TLB maps (engine/memory.py
DataTLB) when the page is there and the access does not cross it, else
through ``c.read``/``c.write``; a store that hits the store TLB cannot land
on decoded code (such pages are never mapped there), so only the slow path
is a ``code_check()``.

Reserved bits: X-form loads and stores ignore bit 31 (ISA 3.0B 1.3.3 lets
the processor ignore reserved fields; QEMU 7.2 executes ``lbzx`` with it
set), while the string instructions reject it as QEMU 7.2 does.
"""

from __future__ import annotations

from struct import pack_into, unpack_from
from typing import TYPE_CHECKING, Literal

from ..bits import M64
from ..interrupts import EXCP_ALIGN, EXCP_HV_EMU, EXCP_PROGRAM, Interrupt
from ..msr import SRR1_PROGRAM_ILLEGAL
from .common import CR0_CLEAR
from .fields import DSD, XM, D, X, reserved
from .insn import Insn, table
from .specialize import code_check, pure

if TYPE_CHECKING:
    from ..state import CPUState


ByteOrder = Literal["big", "little"]


@pure
def swapped(order: ByteOrder, reverse: bool) -> ByteOrder:
    """The data byte order of an access: MSR[LE]'s, or the other one for the brx forms."""
    if not reverse:
        return order
    return "little" if order == "big" else "big"


@pure
def fmt(size: int, order: ByteOrder, signed: bool = False) -> str:
    """The ``struct`` format of a ``size``-byte access in ``order``.

    The TLB hit paths use ``struct.unpack_from``/``pack_into`` on the page
    itself: no slice is copied, about 3x faster than ``int.from_bytes`` of a slice.
    """
    code = {1: "B", 2: "H", 4: "I", 8: "Q"}[size]
    return ("<" if order == "little" else ">") + (code.lower() if signed else code)


def load_d(c: CPUState, rt: int, ra: int, d: int, *, size: int, amask: int, order: ByteOrder,
           signed: bool = False, update: bool = False) -> None:  # fmt: skip
    """lbz/lhz/lha/lwz/lwa/ld and their update forms: RT <- MEM((RA|0) + D, size)."""
    if update and (ra == 0 or ra == rt):
        # An invalid form (ISA 3.0B 3.3.2); QEMU 7.2 takes the illegal-instruction path.
        raise Interrupt(EXCP_HV_EMU)
    g = c.gpr
    tl = c.tlb_load
    if not ra:
        ea = d & amask
    elif not d:
        ea = g[ra] if amask == M64 else g[ra] & amask  # a GPR is already a 64-bit value
    else:
        ea = (g[ra] + d) & amask
    p = tl.get(ea >> 12)
    o = ea & 0xFFF
    if signed:
        if p is not None and o <= 0x1000 - size:
            g[rt] = unpack_from(fmt(size, order, True), p, o)[0] & M64
        else:
            v = c.read(ea, size, order)
            if v >> (size * 8 - 1):
                v = (v - (1 << (size * 8))) & M64
            g[rt] = v
    elif p is not None and o <= 0x1000 - size:
        g[rt] = p[o] if size == 1 else unpack_from(fmt(size, order), p, o)[0]
    else:
        g[rt] = c.read(ea, size, order)
    if update:
        g[ra] = ea


def load_x(c: CPUState, rt: int, ra: int, rb: int, *, size: int, amask: int, order: ByteOrder,
           signed: bool = False, update: bool = False, reverse: bool = False) -> None:  # fmt: skip
    """lbzx/lhzx/lhax/lwzx/lwax/ldx, their update forms and lhbrx/lwbrx/ldbrx."""
    if update and (ra == 0 or ra == rt):
        raise Interrupt(EXCP_HV_EMU)
    g = c.gpr
    tl = c.tlb_load
    if ra:
        ea = (g[ra] + g[rb]) & amask
    elif amask == M64:
        ea = g[rb]
    else:
        ea = g[rb] & amask
    p = tl.get(ea >> 12)
    o = ea & 0xFFF
    if signed:
        if p is not None and o <= 0x1000 - size:
            g[rt] = unpack_from(fmt(size, order, True), p, o)[0] & M64
        else:
            v = c.read(ea, size, order)
            if v >> (size * 8 - 1):
                v = (v - (1 << (size * 8))) & M64
            g[rt] = v
    elif p is not None and o <= 0x1000 - size:
        g[rt] = p[o] if size == 1 else unpack_from(fmt(size, swapped(order, reverse)), p, o)[0]
    else:
        g[rt] = c.read(ea, size, swapped(order, reverse))
    if update:
        g[ra] = ea


def store_d(c: CPUState, rs: int, ra: int, d: int, *, size: int, amask: int, order: ByteOrder,
            update: bool = False) -> None:  # fmt: skip
    """stb/sth/stw/std and their update forms: MEM((RA|0) + D, size) <- RS."""
    if update and ra == 0:
        raise Interrupt(EXCP_HV_EMU)
    g = c.gpr
    ts = c.tlb_store
    if not ra:
        ea = d & amask
    elif not d:
        ea = g[ra] if amask == M64 else g[ra] & amask
    else:
        ea = (g[ra] + d) & amask
    p = ts.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0x1000 - size:
        if size == 1:
            p[o] = g[rs] & 0xFF
        else:
            pack_into(
                fmt(size, order), p, o, g[rs] if size == 8 else g[rs] & ((1 << (size * 8)) - 1)
            )
        if update:
            g[ra] = ea
    else:
        c.write(ea, size, g[rs] if size == 8 else g[rs] & ((1 << (size * 8)) - 1), order)
        if update:
            g[ra] = ea
        code_check()


def store_x(c: CPUState, rs: int, ra: int, rb: int, *, size: int, amask: int, order: ByteOrder,
            update: bool = False, reverse: bool = False) -> None:  # fmt: skip
    """stbx/sthx/stwx/stdx, their update forms and sthbrx/stwbrx/stdbrx."""
    if update and ra == 0:
        raise Interrupt(EXCP_HV_EMU)
    g = c.gpr
    ts = c.tlb_store
    if ra:
        ea = (g[ra] + g[rb]) & amask
    elif amask == M64:
        ea = g[rb]
    else:
        ea = g[rb] & amask
    p = ts.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0x1000 - size:
        if size == 1:
            p[o] = g[rs] & 0xFF
        else:
            pack_into(
                fmt(size, swapped(order, reverse)),
                p,
                o,
                g[rs] if size == 8 else g[rs] & ((1 << (size * 8)) - 1),
            )
        if update:
            g[ra] = ea
    else:
        c.write(
            ea,
            size,
            g[rs] if size == 8 else g[rs] & ((1 << (size * 8)) - 1),
            swapped(order, reverse),
        )
        if update:
            g[ra] = ea
        code_check()


# -- alignment ---------------------------------------------------------------------
def alignment(ea: int, fields: int) -> Interrupt:
    """The alignment interrupt (0x600) at effective address ``ea``.

    DAR = EA (ISA 3.0B 6.5.8). DSISR carries the RT/RS and RA fields in bits
    54:63 (``fields`` = RT || RA, the word's bits 6:15): QEMU 7.2 measured 0xe0
    for ``lwarx r7,0,r5`` and docs/machine.md's 0x80 is ``lwarx r4,0,rX``. QEMU ORs
    them into the old DSISR and leaves DAR alone for the LE multiple/string
    case; we set both.
    """
    return Interrupt(EXCP_ALIGN, dar=ea, dsisr=fields)


# -- load/store multiple ------------------------------------------------------------
def lmw(c: CPUState, rt: int, ra: int, d: int, *, amask: int, le: bool) -> None:
    """lmw: registers RT..r31 from big-endian words at (RA|0)+D.

    In little-endian mode it raises alignment (docs/machine.md; QEMU 7.2 too). RA
    in the range is an invalid form (ISA); QEMU 7.2 loads every register, RA
    included, from the EA computed first, and so do we.
    """
    g = c.gpr
    ea = ((g[ra] if ra else 0) + d) & amask
    if le:
        raise alignment(ea, (rt << 5) | ra)
    # Read everything before writing a register, so a fault leaves them intact.
    words = [c.read((ea + 4 * k) & amask, 4, "big") for k in range(32 - rt)]
    g[rt:] = words


def stmw(c: CPUState, rs: int, ra: int, d: int, *, amask: int, le: bool) -> None:
    """stmw: registers RS..r31 as big-endian words at (RA|0)+D (alignment in LE mode)."""
    g = c.gpr
    ea = ((g[ra] if ra else 0) + d) & amask
    if le:
        raise alignment(ea, (rs << 5) | ra)
    for k in range(32 - rs):
        c.write((ea + 4 * k) & amask, 4, g[rs + k] & 0xFFFF_FFFF, "big")
    code_check()


# -- move assist (string) instructions --------------------------------------------------
@pure
def in_range(start: int, nregs: int, r: int) -> bool:
    """Whether register ``r`` is among ``nregs`` registers from ``start`` (wrapping past r31)."""
    return (r - start) % 32 < nregs


def string_load(c: CPUState, rt: int, ra: int, rb: int, *, amask: int, le: bool,
                indexed: bool) -> None:  # fmt: skip
    """lswi/lswx: bytes in big-endian order into RT, RT+1... (wrapping to r0).

    The byte count is NB (the RB field; 0 means 32) or XER[57:63].
    Little-endian mode raises alignment before anything else (docs/machine.md).
    Invalid forms as QEMU 7.2 measured: ``lswi`` with RA (even RA=0) among
    the loaded registers is refused (HEAI); ``lswx`` with RA≠0 or RB among
    them is found at run time and raises a program interrupt with SRR1
    0x80000. A last partial register is zero-filled on the right; a count of
    0 does nothing.
    """
    if not indexed and not le and in_range(rt, ((rb if rb else 32) + 3) // 4, ra):
        raise Interrupt(EXCP_HV_EMU)
    g = c.gpr
    if indexed:
        ea = ((g[ra] if ra else 0) + g[rb]) & amask
    else:
        ea = (g[ra] if ra else 0) & amask
    if le:
        raise alignment(ea, (rt << 5) | ra)
    n = c.xer_rest & 0x7F if indexed else (rb if rb else 32)
    if n:
        nregs = (n + 3) // 4
        if indexed and ((ra and in_range(rt, nregs, ra)) or in_range(rt, nregs, rb)):
            raise Interrupt(EXCP_PROGRAM, SRR1_PROGRAM_ILLEGAL)
        data = bytes(c.read((ea + k) & amask, 1, "big") for k in range(n)) + bytes(-n % 4)
        for k in range(nregs):
            g[(rt + k) & 31] = int.from_bytes(data[4 * k : 4 * k + 4], "big")


def string_store(c: CPUState, rs: int, ra: int, rb: int, *, amask: int, le: bool,
                 indexed: bool) -> None:  # fmt: skip
    """stswi/stswx: bytes of RS, RS+1... (wrapping to r0) in big-endian order."""
    g = c.gpr
    if indexed:
        ea = ((g[ra] if ra else 0) + g[rb]) & amask
    else:
        ea = (g[ra] if ra else 0) & amask
    if le:
        raise alignment(ea, (rs << 5) | ra)
    n = c.xer_rest & 0x7F if indexed else (rb if rb else 32)
    for k in range(n):
        v = g[(rs + (k >> 2)) & 31] >> (24 - 8 * (k & 3))
        c.write((ea + k) & amask, 1, v & 0xFF, "big")
    code_check()


# -- load and reserve / store conditional ----------------------------------------------
def larx(
    c: CPUState, rt: int, ra: int, rb: int, *, size: int, amask: int, order: ByteOrder
) -> None:
    """lbarx/lharx/lwarx/ldarx: load and set a reservation on the 128-byte granule.

    EH (bit 31) is a hint and changes nothing. An EA not a multiple of the
    size raises alignment (docs/machine.md; QEMU 7.2: DAR = EA, DSISR from the word).
    """
    g = c.gpr
    ea = ((g[ra] if ra else 0) + g[rb]) & amask
    if ea & (size - 1):
        raise alignment(ea, (rt << 5) | ra)
    v = c.read(ea, size, order)
    c.reserve(ea, size)
    g[rt] = v


def stcx(
    c: CPUState, rs: int, ra: int, rb: int, *, size: int, amask: int, order: ByteOrder
) -> None:
    """stbcx./sthcx./stwcx./stdcx.: store if the reservation covers EA; CR0 = 0b00 || ok || SO.

    Success follows docs/machine.md: the reservation exists and covers the address
    (same 128-byte granule, ``VCPU.holds_reservation``). QEMU 7.2 also wants
    the larx's exact address and compares the old value; the ISA leaves a
    different address in the granule undefined, so differential programs use
    the larx's address. The reservation is cleared whatever the outcome.
    An unaligned EA raises alignment even without a reservation, as
    docs/machine.md lists (QEMU 7.2 just fails the store: its address check comes
    first).
    """
    g = c.gpr
    ea = ((g[ra] if ra else 0) + g[rb]) & amask
    if ea & (size - 1):
        raise alignment(ea, (rs << 5) | ra)
    ok = c.holds_reservation(ea, size)
    if ok:
        c.write(ea, size, g[rs] & ((1 << (size * 8)) - 1), order)
    c.lose_reservation()
    c.cr = (c.cr & CR0_CLEAR) | (((2 if ok else 0) | c.so) << 28)
    code_check()


def _ld(name: str, enc: object, size: int, **kw: object) -> Insn:
    sem = load_x if enc.format is XM else load_d  # type: ignore[attr-defined]
    return Insn(name, enc, sem, {"size": size, **kw}, access="load", size=size)  # type: ignore[arg-type]


def _st(name: str, enc: object, size: int, **kw: object) -> Insn:
    sem = store_x if enc.format is XM else store_d  # type: ignore[attr-defined]
    return Insn(name, enc, sem, {"size": size, **kw}, access="store", size=size)  # type: ignore[arg-type]


_U = {"update": True}
_S = {"signed": True}
_R = {"reverse": True}
# The string instructions' bit 31 is reserved, and QEMU 7.2 rejects it set.
_NO_RC = 0x1

OPS: list[Insn] = table(
    _ld("lbz", D(34), 1),
    _ld("lbzu", D(35), 1, **_U),
    _ld("lhz", D(40), 2),
    _ld("lhzu", D(41), 2, **_U),
    _ld("lha", D(42), 2, **_S),
    _ld("lhau", D(43), 2, **_S, **_U),
    _ld("lwz", D(32), 4),
    _ld("lwzu", D(33), 4, **_U),
    _ld("ld", DSD(58, 0), 8),
    _ld("ldu", DSD(58, 1), 8, **_U),
    _ld("lwa", DSD(58, 2), 4, **_S),
    _ld("lbzx", XM(31, 87), 1),
    _ld("lbzux", XM(31, 119), 1, **_U),
    _ld("lhzx", XM(31, 279), 2),
    _ld("lhzux", XM(31, 311), 2, **_U),
    _ld("lhax", XM(31, 343), 2, **_S),
    _ld("lhaux", XM(31, 375), 2, **_S, **_U),
    _ld("lwzx", XM(31, 23), 4),
    _ld("lwzux", XM(31, 55), 4, **_U),
    _ld("lwax", XM(31, 341), 4, **_S),
    _ld("lwaux", XM(31, 373), 4, **_S, **_U),
    _ld("ldx", XM(31, 21), 8),
    _ld("ldux", XM(31, 53), 8, **_U),
    _ld("lhbrx", XM(31, 790), 2, **_R),
    _ld("lwbrx", XM(31, 534), 4, **_R),
    _ld("ldbrx", XM(31, 532), 8, **_R),
    _st("stb", D(38), 1),
    _st("stbu", D(39), 1, **_U),
    _st("sth", D(44), 2),
    _st("sthu", D(45), 2, **_U),
    _st("stw", D(36), 4),
    _st("stwu", D(37), 4, **_U),
    _st("std", DSD(62, 0), 8),
    _st("stdu", DSD(62, 1), 8, **_U),
    _st("stbx", XM(31, 215), 1),
    _st("stbux", XM(31, 247), 1, **_U),
    _st("sthx", XM(31, 407), 2),
    _st("sthux", XM(31, 439), 2, **_U),
    _st("stwx", XM(31, 151), 4),
    _st("stwux", XM(31, 183), 4, **_U),
    _st("stdx", XM(31, 149), 8),
    _st("stdux", XM(31, 181), 8, **_U),
    _st("sthbrx", XM(31, 918), 2, **_R),
    _st("stwbrx", XM(31, 662), 4, **_R),
    _st("stdbrx", XM(31, 660), 8, **_R),
    Insn("lmw", D(46), lmw, access="load", size=4),
    Insn("stmw", D(47), stmw, access="store", size=4),
    Insn(
        "lswi", reserved(X(31, 597), _NO_RC), string_load, {"indexed": False}, access="load", size=1
    ),
    Insn(
        "lswx", reserved(X(31, 533), _NO_RC), string_load, {"indexed": True}, access="load", size=1
    ),
    Insn(
        "stswi",
        reserved(X(31, 725), _NO_RC),
        string_store,
        {"indexed": False},
        access="store",
        size=1,
    ),
    Insn(
        "stswx",
        reserved(X(31, 661), _NO_RC),
        string_store,
        {"indexed": True},
        access="store",
        size=1,
    ),
    Insn("lbarx", XM(31, 52), larx, {"size": 1}, access="load", size=1, atomic="larx"),
    Insn("lharx", XM(31, 116), larx, {"size": 2}, access="load", size=2, atomic="larx"),
    Insn("lwarx", XM(31, 20), larx, {"size": 4}, access="load", size=4, atomic="larx"),
    Insn("ldarx", XM(31, 84), larx, {"size": 8}, access="load", size=8, atomic="larx"),
    # Bit 31 is part of the stcx. opcode (ISA 3.0B); QEMU 7.2 also runs it with bit 31 clear.
    Insn("stbcx.", X(31, 694, rc=1), stcx, {"size": 1}, access="store", size=1, atomic="stcx"),
    Insn("sthcx.", X(31, 726, rc=1), stcx, {"size": 2}, access="store", size=2, atomic="stcx"),
    Insn("stwcx.", X(31, 150, rc=1), stcx, {"size": 4}, access="store", size=4, atomic="stcx"),
    Insn("stdcx.", X(31, 214, rc=1), stcx, {"size": 8}, access="store", size=8, atomic="stcx"),
)
