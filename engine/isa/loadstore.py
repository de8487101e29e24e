"""Loads and stores: one factory per shape, every width and form as parameters.

Plain loads/stores (every width, update, indexed, byte-reversed), load/store
multiple, the string instructions, and load-and-reserve / store-conditional.
Data byte order is MSR[LE] (``Ctx.order``); 32-bit mode truncates every
effective address, including the one written back by update forms (QEMU
does the same).

Reserved bits: X-form loads and stores ignore bit 31 (ISA 3.0B 1.3.3 lets
the processor ignore reserved fields; QEMU 7.2 executes ``lbzx`` with it
set), while the string instructions reject it as QEMU 7.2 does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M64
from ..interrupts import EXCP_ALIGN, EXCP_PROGRAM, Interrupt
from ..msr import SRR1_PROGRAM_ILLEGAL
from .common import CR0_CLEAR, illegal
from .forms import Ctx, Exec, Form, Op, f_ds, f_ra, f_rb, f_rt, f_si, inline, op

if TYPE_CHECKING:
    from ..cpu import VCPU

_OTHER = {"big": "little", "little": "big"}


def load(
    w: int, x: Ctx, *, size: int, signed: bool = False, update: bool = False,
    indexed: bool = False, reverse: bool = False, ds: bool = False,
) -> Exec:
    """lbz/lhz/lha/lwz/lwa/ld and their u/x/ux/brx forms."""
    rt, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    if update and (ra == 0 or ra == rt):
        return illegal  # an invalid form: QEMU raises the illegal-instruction path
    d = (f_ds(w) if ds else f_si(w)) & M64
    order = _OTHER[x.order] if reverse else x.order
    amask, npc = x.amask, x.npc
    sign = 1 << (size * 8 - 1)
    wrap = 1 << (size * 8)

    if indexed:
        def ea_of(c: VCPU) -> int:
            g = c.gpr
            return ((g[ra] if ra else 0) + g[rb]) & amask
    else:
        def ea_of(c: VCPU) -> int:
            return ((c.gpr[ra] if ra else 0) + d) & amask

    lim = 0x1000 - size  # the last page offset an access can start at without crossing

    if not (indexed or update or signed):
        # The most common shape gets a closure with no helper calls when the
        # page is in the vCPU's load TLB (engine/memory.py DataTLB).
        def ld_d(c: VCPU) -> int:
            g = c.gpr
            ea = ((g[ra] if ra else 0) + d) & amask
            page = c.tlb_load.get(ea >> 12)
            off = ea & 0xFFF
            if page is not None and off <= lim:
                g[rt] = int.from_bytes(page[off : off + size], order)  # type: ignore[arg-type]
            else:
                g[rt] = c.read(ea, size, order)
            return npc
        return inline(ld_d, *_ea_src(ra, None, d, amask),
                      *_load_src(f"g[{rt}]", size, order, lim))

    def ex(c: VCPU) -> int:
        ea = ea_of(c)
        page = c.tlb_load.get(ea >> 12)
        off = ea & 0xFFF
        if page is not None and off <= lim:
            v = int.from_bytes(page[off : off + size], order)  # type: ignore[arg-type]
        else:
            v = c.read(ea, size, order)
        if signed and v & sign:
            v = (v - wrap) & M64
        g = c.gpr
        g[rt] = v
        if update:
            g[ra] = ea
        return npc

    lines = [*_ea_src(ra, rb if indexed else None, d, amask), *_load_src("_v", size, order, lim)]
    if signed:
        lines.append(f"if _v & {sign}: _v = (_v - {wrap}) & M64")
    lines.append(f"g[{rt}] = _v")
    if update:
        lines.append(f"g[{ra}] = _ea")
    return inline(ex, *lines)


def _ea_src(ra: int, rb: int | None, d: int, amask: int) -> tuple[str, ...]:
    """The effective address (RA|0) + (RB or D) as inline lines into ``_ea``."""
    if rb is None and not ra:
        return (f"_ea = {d & amask}",)
    terms = [f"g[{ra}]"] if ra else []
    if rb is not None:
        terms.append(f"g[{rb}]")
    elif d:
        terms.append(str(d))
    if len(terms) == 1 and amask == M64:
        return (f"_ea = {terms[0]}",)  # a GPR is already a 64-bit value
    return (f"_ea = ({' + '.join(terms)}) & {amask}",)


def _load_src(dest: str, size: int, order: str, lim: int) -> tuple[str, ...]:
    """A load through the load TLB, else ``c.read``, as inline lines."""
    return (
        "_p = tl.get(_ea >> 12)",
        "_o = _ea & 4095",
        f"if _p is not None and _o <= {lim}:",
        f"    {dest} = int.from_bytes(_p[_o : _o + {size}], {order!r})",
        "else:",
        f"    {dest} = c.read(_ea, {size}, {order!r})",
    )


def _store_src(rs: int, size: int, vmask: int, order: str, lim: int,
               update: int | None = None) -> tuple[str, ...]:
    """A store through the store TLB, else ``c.write``, as inline lines.

    A store that hits the TLB cannot land on decoded code (such pages are
    never mapped there), so only the slow path ends with ``@CHECK``: where
    the block compares its decode generation. ``update`` is RA of the
    update forms, written on both paths before that check.
    """
    value = f"g[{rs}]" if vmask == M64 else f"(g[{rs}] & {vmask})"
    then = [f"    g[{update}] = _ea"] if update is not None else []
    return (
        "_p = ts.get(_ea >> 12)",
        "_o = _ea & 4095",
        f"if _p is not None and _o <= {lim}:",
        f"    _p[_o : _o + {size}] = {value}.to_bytes({size}, {order!r})",
        *then,
        "else:",
        f"    c.write(_ea, {size}, {value}, {order!r})",
        *then,
        "    @CHECK",
    )


def store(
    w: int, x: Ctx, *, size: int, update: bool = False, indexed: bool = False,
    reverse: bool = False, ds: bool = False,
) -> Exec:
    """stb/sth/stw/std and their u/x/ux/brx forms."""
    rs, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    if update and ra == 0:
        return illegal
    d = (f_ds(w) if ds else f_si(w)) & M64
    order = _OTHER[x.order] if reverse else x.order
    amask, npc = x.amask, x.npc
    vmask = (1 << (size * 8)) - 1

    lim = 0x1000 - size

    if not (indexed or update):
        def st_d(c: VCPU) -> int:
            g = c.gpr
            ea = ((g[ra] if ra else 0) + d) & amask
            page = c.tlb_store.get(ea >> 12)
            off = ea & 0xFFF
            if page is not None and off <= lim:
                page[off : off + size] = (g[rs] & vmask).to_bytes(size, order)  # type: ignore[arg-type]
            else:
                c.write(ea, size, g[rs] & vmask, order)
            return npc
        return inline(st_d, *_ea_src(ra, None, d, amask), *_store_src(rs, size, vmask, order, lim))

    def ex(c: VCPU) -> int:
        g = c.gpr
        base = g[ra] if ra else 0
        ea = (base + (g[rb] if indexed else d)) & amask
        page = c.tlb_store.get(ea >> 12)
        off = ea & 0xFFF
        if page is not None and off <= lim:
            page[off : off + size] = (g[rs] & vmask).to_bytes(size, order)  # type: ignore[arg-type]
        else:
            c.write(ea, size, g[rs] & vmask, order)
        if update:
            g[ra] = ea
        return npc

    lines = [*_ea_src(ra, rb if indexed else None, d, amask),
             *_store_src(rs, size, vmask, order, lim, ra if update else None)]
    return inline(ex, *lines)


# -- alignment ---------------------------------------------------------------------
def alignment(w: int, ea: int) -> Interrupt:
    """The alignment interrupt (0x600) for instruction ``w`` at effective address ``ea``.

    DAR = EA (ISA 3.0B 6.5.8). DSISR carries the RT/RS and RA fields in bits
    54:63 (``(w >> 16) & 0x3ff``): QEMU 7.2 measured 0xe0 for ``lwarx r7,0,r5``
    and MACHINE.md's 0x80 is ``lwarx r4,0,rX``. QEMU ORs them into the old
    DSISR and leaves DAR alone for the LE multiple/string case; we set both.
    """
    return Interrupt(EXCP_ALIGN, dar=ea, dsisr=(w >> 16) & 0x3FF)


# -- load/store multiple ------------------------------------------------------------
def multiple(w: int, x: Ctx, *, store: bool) -> Exec:
    """lmw/stmw: registers RT..r31 as big-endian words at (RA|0)+D.

    In little-endian mode both raise alignment (MACHINE.md; QEMU 7.2 too). An
    ``lmw`` with RA in the range is an invalid form (ISA); QEMU 7.2 loads every
    register, RA included, from the EA computed first, and so do we.
    """
    rt, ra = f_rt(w), f_ra(w)
    d = f_si(w) & M64
    amask, npc = x.amask, x.npc
    little = x.order == "little"
    count = 32 - rt

    def ex(c: VCPU) -> int:
        g = c.gpr
        ea = ((g[ra] if ra else 0) + d) & amask
        if little:
            raise alignment(w, ea)
        if store:
            for i in range(count):
                c.write((ea + 4 * i) & amask, 4, g[rt + i] & 0xFFFF_FFFF, "big")
        else:
            # Read everything before writing a register, so a fault leaves them intact.
            g[rt:] = [c.read((ea + 4 * i) & amask, 4, "big") for i in range(count)]
        return npc

    return ex


# -- move assist (string) instructions --------------------------------------------------
def _in_range(start: int, nregs: int, r: int) -> bool:
    """Whether register ``r`` is among ``nregs`` registers from ``start`` (wrapping past r31)."""
    return (r - start) % 32 < nregs


def string(w: int, x: Ctx, *, store: bool, indexed: bool) -> Exec:
    """lswi/lswx/stswi/stswx: bytes in big-endian order through RT, RT+1... (wrapping to r0).

    The byte count is NB (0 means 32) or XER[0:6]. Little-endian mode raises
    alignment before anything else (MACHINE.md). Invalid forms as QEMU 7.2
    measured: ``lswi`` with RA (even RA=0) among the loaded registers is
    refused at decode (HEAI); ``lswx`` with RA≠0 or RB among them is found at
    run time and raises a program interrupt with SRR1 0x80000. A last partial
    register is zero-filled on the right; a count of 0 does nothing.
    """
    rt, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    amask, npc = x.amask, x.npc
    little = x.order == "little"
    nb_imm = rb or 32
    if not indexed and not store and not little and _in_range(rt, (nb_imm + 3) // 4, ra):
        return illegal

    def ex(c: VCPU) -> int:
        g = c.gpr
        ea = (g[ra] if ra else 0) + (g[rb] if indexed else 0)
        ea &= amask
        if little:
            raise alignment(w, ea)
        n = c.xer_rest & 0x7F if indexed else nb_imm
        if not n:
            return npc
        if store:
            for k in range(n):
                v = g[(rt + (k >> 2)) & 31] >> (24 - 8 * (k & 3))
                c.write((ea + k) & amask, 1, v & 0xFF, "big")
            return npc
        nregs = (n + 3) // 4
        if indexed and ((ra and _in_range(rt, nregs, ra)) or _in_range(rt, nregs, rb)):
            raise Interrupt(EXCP_PROGRAM, SRR1_PROGRAM_ILLEGAL)
        data = bytes(c.read((ea + k) & amask, 1, "big") for k in range(n))
        data += bytes(-n % 4)
        for i in range(nregs):
            g[(rt + i) & 31] = int.from_bytes(data[4 * i : 4 * i + 4], "big")
        return npc

    return ex


# -- load and reserve / store conditional ----------------------------------------------
def larx(w: int, x: Ctx, *, size: int) -> Exec:
    """lbarx/lharx/lwarx/ldarx: load and set a reservation on the 128-byte granule.

    EH (bit 31) is a hint and changes nothing. An EA not a multiple of the
    size raises alignment (MACHINE.md; QEMU 7.2: DAR = EA, DSISR from the word).
    """
    rt, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    order, amask, npc = x.order, x.amask, x.npc
    misalign = size - 1

    def ex(c: VCPU) -> int:
        g = c.gpr
        ea = ((g[ra] if ra else 0) + g[rb]) & amask
        if ea & misalign:
            raise alignment(w, ea)
        v = c.read(ea, size, order)
        c.reserve(ea, size)
        g[rt] = v
        return npc

    return ex


def stcx(w: int, x: Ctx, *, size: int) -> Exec:
    """stbcx./sthcx./stwcx./stdcx.: store if the reservation covers EA; CR0 = 0b00 || ok || SO.

    Success follows MACHINE.md: the reservation exists and covers the address
    (same 128-byte granule, ``VCPU.holds_reservation``). QEMU 7.2 also wants
    the larx's exact address and compares the old value; the ISA leaves a
    different address in the granule undefined, so differential programs use
    the larx's address. The reservation is cleared whatever the outcome.
    An unaligned EA raises alignment even without a reservation, as
    MACHINE.md lists (QEMU 7.2 just fails the store: its address check comes
    first).
    """
    rs, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    order, amask, npc = x.order, x.amask, x.npc
    misalign = size - 1
    vmask = (1 << (size * 8)) - 1

    def ex(c: VCPU) -> int:
        g = c.gpr
        ea = ((g[ra] if ra else 0) + g[rb]) & amask
        if ea & misalign:
            raise alignment(w, ea)
        ok = c.holds_reservation(ea, size)
        if ok:
            c.write(ea, size, g[rs] & vmask, order)
        c.lose_reservation()
        c.cr = (c.cr & CR0_CLEAR) | (((2 if ok else 0) | c.so) << 28)
        return npc

    return ex


def _ld(name: str, opcd: int, xo: int | None, form: Form = Form.D, **kw: object) -> Op:
    return op(name, form, opcd, xo, load, **kw)


def _st(name: str, opcd: int, xo: int | None, form: Form = Form.D, **kw: object) -> Op:
    return op(name, form, opcd, xo, store, **kw)


OPS: list[Op] = [
    _ld("lbz", 34, None, size=1),
    _ld("lbzu", 35, None, size=1, update=True),
    _ld("lhz", 40, None, size=2),
    _ld("lhzu", 41, None, size=2, update=True),
    _ld("lha", 42, None, size=2, signed=True),
    _ld("lhau", 43, None, size=2, signed=True, update=True),
    _ld("lwz", 32, None, size=4),
    _ld("lwzu", 33, None, size=4, update=True),
    _ld("ld", 58, 0, Form.DS, size=8, ds=True),
    _ld("ldu", 58, 1, Form.DS, size=8, ds=True, update=True),
    _ld("lwa", 58, 2, Form.DS, size=4, ds=True, signed=True),
    _ld("lbzx", 31, 87, Form.X, size=1, indexed=True),
    _ld("lbzux", 31, 119, Form.X, size=1, indexed=True, update=True),
    _ld("lhzx", 31, 279, Form.X, size=2, indexed=True),
    _ld("lhzux", 31, 311, Form.X, size=2, indexed=True, update=True),
    _ld("lhax", 31, 343, Form.X, size=2, indexed=True, signed=True),
    _ld("lhaux", 31, 375, Form.X, size=2, indexed=True, signed=True, update=True),
    _ld("lwzx", 31, 23, Form.X, size=4, indexed=True),
    _ld("lwzux", 31, 55, Form.X, size=4, indexed=True, update=True),
    _ld("lwax", 31, 341, Form.X, size=4, indexed=True, signed=True),
    _ld("lwaux", 31, 373, Form.X, size=4, indexed=True, signed=True, update=True),
    _ld("ldx", 31, 21, Form.X, size=8, indexed=True),
    _ld("ldux", 31, 53, Form.X, size=8, indexed=True, update=True),
    _ld("lhbrx", 31, 790, Form.X, size=2, indexed=True, reverse=True),
    _ld("lwbrx", 31, 534, Form.X, size=4, indexed=True, reverse=True),
    _ld("ldbrx", 31, 532, Form.X, size=8, indexed=True, reverse=True),
    _st("stb", 38, None, size=1),
    _st("stbu", 39, None, size=1, update=True),
    _st("sth", 44, None, size=2),
    _st("sthu", 45, None, size=2, update=True),
    _st("stw", 36, None, size=4),
    _st("stwu", 37, None, size=4, update=True),
    _st("std", 62, 0, Form.DS, size=8, ds=True),
    _st("stdu", 62, 1, Form.DS, size=8, ds=True, update=True),
    _st("stbx", 31, 215, Form.X, size=1, indexed=True),
    _st("stbux", 31, 247, Form.X, size=1, indexed=True, update=True),
    _st("sthx", 31, 407, Form.X, size=2, indexed=True),
    _st("sthux", 31, 439, Form.X, size=2, indexed=True, update=True),
    _st("stwx", 31, 151, Form.X, size=4, indexed=True),
    _st("stwux", 31, 183, Form.X, size=4, indexed=True, update=True),
    _st("stdx", 31, 149, Form.X, size=8, indexed=True),
    _st("stdux", 31, 181, Form.X, size=8, indexed=True, update=True),
    _st("sthbrx", 31, 918, Form.X, size=2, indexed=True, reverse=True),
    _st("stwbrx", 31, 662, Form.X, size=4, indexed=True, reverse=True),
    _st("stdbrx", 31, 660, Form.X, size=8, indexed=True, reverse=True),
    op("lmw", Form.D, 46, None, multiple, store=False),
    op("stmw", Form.D, 47, None, multiple, store=True),
    op("lswi", Form.X, 31, 597, string, store=False, indexed=False, fixed=(1, 0)),
    op("lswx", Form.X, 31, 533, string, store=False, indexed=True, fixed=(1, 0)),
    op("stswi", Form.X, 31, 725, string, store=True, indexed=False, fixed=(1, 0)),
    op("stswx", Form.X, 31, 661, string, store=True, indexed=True, fixed=(1, 0)),
    op("lbarx", Form.X, 31, 52, larx, size=1),
    op("lharx", Form.X, 31, 116, larx, size=2),
    op("lwarx", Form.X, 31, 20, larx, size=4),
    op("ldarx", Form.X, 31, 84, larx, size=8),
    # Bit 31 is part of the stcx. opcode (ISA 3.0B); QEMU 7.2 also runs it with bit 31 clear.
    op("stbcx.", Form.X, 31, 694, stcx, size=1, fixed=(1, 1)),
    op("sthcx.", Form.X, 31, 726, stcx, size=2, fixed=(1, 1)),
    op("stwcx.", Form.X, 31, 150, stcx, size=4, fixed=(1, 1)),
    op("stdcx.", Form.X, 31, 214, stcx, size=8, fixed=(1, 1)),
]
