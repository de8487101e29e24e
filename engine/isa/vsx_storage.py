"""VSX storage access (ISA 3.0B 7.6.1): the X-form scalar and vector loads and stores
lxsdx lxsiwax lxsiwzx lxsspx lxsibzx lxsihzx lxvd2x lxvdsx lxvw4x lxvh8x lxvb16x lxvx
lxvwsx lxvl lxvll, stxsdx stxsiwx stxsspx stxsibx stxsihx stxvd2x stxvw4x stxvh8x
stxvb16x stxvx stxvl stxvll, the DS forms lxsd lxssp stxsd stxssp (VSR 32+VRT) and the
DQ forms lxv stxv.

Byte and element order. ``c.vsr[n]`` holds byte 0 of the register in its most
significant byte. Big-endian, every 16-byte form moves storage byte k to
register byte k. Little-endian they differ by element size:

* lxvx/stxvx and lxv/stxv access the quadword as one little-endian 128-bit
  value (storage byte k is register byte 15-k);
* lxvd2x/lxvw4x/lxvh8x/stxv*x keep the elements in big-endian element order
  (element 0 at EA) and access each element little-endian: a byte swap
  within each doubleword, word or halfword of the big-endian image;
* lxvb16x/stxvb16x move bytes in the same order in both modes;
* the splats (lxvdsx, lxvwsx) and the scalars access one element in the
  current byte order.

The scalar loads write doubleword 0 of VSR[XT]; lxsspx/lxssp convert the
binary32 word with the ISA's DOUBLE() as lfs does, stxsspx/stxssp store
SINGLE() as stfs does (bits moved, never rounded; an SNaN stays
signalling); lxsiwax sign-extends, the byte, halfword and word forms
zero-extend. lxvl/lxvll take
the length from RB bits 0:7 (clamped to 16; 0 accesses nothing): lxvl fills
the register from byte 0 big-endian and from byte 15 down little-endian (the
loaded bytes are the low-order end of the register, as one little-endian
value), lxvll always from byte 0; the other bytes become 0. stxvl/stxvll
store the same bytes back. EA is (RA|0) for these four, RB only gives the
length.

No alignment is required and none is checked (the reference machine raises
no alignment interrupt for any of these, in either byte order). An access
that crosses into an unmapped page raises the DSI with DAR = the first byte
of that page (the EA itself when its own page is unmapped), the DSISR of a
load or a store, and changes no register and no byte of storage: ``c.read``
and ``c.write`` translate both pages before anything moves. Loads and stores
take the data TLB maps when the access lies within one mapped page.

Where QEMU 7.2 differs from the ISA (followed here, as the reference machine):

* the X-form scalar loads (lxsdx, lxsiwax, lxsiwzx, lxsspx, lxsibzx, lxsihzx)
  leave doubleword 1 of VSR[XT] as it was (the ISA: undefined), while lxsd
  and lxssp set it to 0;
* lxvx/stxvx, lxvwsx and lxvl/lxvll/stxvl/stxvll pick the facility by the
  register as the ISA says (MSR[VSX] for VSRs 0-31, MSR[VEC] for 32-63), the
  other X forms need MSR[VSX] whatever the register (as the ISA says too).
  The reference binary (Debian's 7.2.22) checks lxvx's halves as the ISA
  does, not swapped as the 7.2.0 source's decodetree translator would, and
  lxv/stxv likewise by TX; programs/vsx_storage.S runs each case;
* lxsd needs MSR[VSX] (the ISA: MSR[VEC]); stxsd, lxssp and stxssp need
  MSR[VEC] as the ISA says;
* lxvx ignores bit 25 (the ISA reserves it; the word with it set executes
  as lxvx);
* QEMU moves 16 bytes as two doubleword accesses and writes the first
  doubleword before it accesses the second (lxvd2x, lxvx, lxv) or stores
  the first 8 bytes before the second (stores), so a page fault on the
  second half leaves half the register or half the storage written; stxvl
  stores byte by byte. That is an emulator artefact (not the POWER9's
  atomic-per-instruction fault behaviour the ISA requires of a DSI): a
  faulting access here changes nothing (tests/engine/isa/test_vsx_storage.py
  runs these faults on QEMU: DAR, DSISR and SRR0 agree at every step, the
  half-written registers and bytes are exactly the ones described here).

Reserved fields: none are checked by the reference machine (the legacy
X-form handlers have an empty invalid mask; lxvx's bit 25 is a don't-care).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import fpu
from .fields import DQ, DSD, XX1, Encoding
from .insn import Insn, table
from .loadstore import ByteOrder
from .specialize import code_check
from .vector import M64

if TYPE_CHECKING:
    from ..state import CPUState

# Byte-swap masks of the 128-bit image: the even bytes of every halfword, the even
# halfwords of every word. Swapping words is two steps, halfwords one.
SWAP8 = 0x00FF_00FF_00FF_00FF_00FF_00FF_00FF_00FF
SWAP16 = 0x0000_FFFF_0000_FFFF_0000_FFFF_0000_FFFF
SPLAT32 = (1 << 96) | (1 << 64) | (1 << 32) | 1  # x * SPLAT32: the word x in all 4 words
SPLAT64 = (1 << 64) | 1
M128 = (1 << 128) - 1


# -- scalar loads and stores ------------------------------------------------------------
def lxs(c: CPUState, xt: int, ra: int, rb: int, *, kind: str, size: int, amask: int,
        order: ByteOrder) -> None:  # fmt: skip
    """lxsdx/lxsspx/lxsiwax/lxsiwzx/lxsihzx/lxsibzx: VSR[XT] dword 0 <- MEM((RA|0) + RB).

    Doubleword 1 is kept (QEMU 7.2).
    """
    g = c.gpr
    tl = c.tlb_load
    ea = ((g[ra] if ra else 0) + g[rb]) & amask
    p = tl.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0x1000 - size:
        v = int.from_bytes(p[o : o + size], order)
    else:
        v = c.read(ea, size, order)
    if kind == "s":
        v = fpu.single_to_double(v)
    elif kind == "wa" and v >> 31:
        v |= 0xFFFF_FFFF_0000_0000
    vs = c.vsr
    vs[xt] = (v << 64) | (vs[xt] & M64)


def lxsd(c: CPUState, vrt: int, ra: int, d: int, *, kind: str, size: int, amask: int,
         order: ByteOrder) -> None:  # fmt: skip
    """lxsd/lxssp: VSR[32+VRT] <- MEM((RA|0) + DS) in dword 0, 0 in dword 1."""
    g = c.gpr
    tl = c.tlb_load
    ea = ((g[ra] if ra else 0) + d) & amask
    p = tl.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0x1000 - size:
        v = int.from_bytes(p[o : o + size], order)
    else:
        v = c.read(ea, size, order)
    if kind == "s":
        v = fpu.single_to_double(v)
    c.vsr[32 + vrt] = v << 64


def stxs(c: CPUState, xs: int, ra: int, rb: int, *, kind: str, size: int, amask: int,
         order: ByteOrder) -> None:  # fmt: skip
    """stxsdx/stxsspx/stxsiwx/stxsihx/stxsibx: MEM((RA|0) + RB) <- VSR[XS] dword 0
    (SINGLE() of it for stxsspx, its low-order bytes for the integer forms)."""
    g = c.gpr
    ts = c.tlb_store
    ea = ((g[ra] if ra else 0) + g[rb]) & amask
    v = c.vsr[xs] >> 64
    if kind == "s":
        v = fpu.double_to_single(v)
    elif size < 8:
        v &= (1 << (8 * size)) - 1
    p = ts.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0x1000 - size:
        p[o : o + size] = v.to_bytes(size, order)
    else:
        c.write(ea, size, v, order)
        code_check()


def stxsd(c: CPUState, vrs: int, ra: int, d: int, *, kind: str, size: int, amask: int,
          order: ByteOrder) -> None:  # fmt: skip
    """stxsd/stxssp: MEM((RA|0) + DS) <- VSR[32+VRS] dword 0 (SINGLE() for stxssp)."""
    g = c.gpr
    ts = c.tlb_store
    ea = ((g[ra] if ra else 0) + d) & amask
    v = c.vsr[32 + vrs] >> 64
    if kind == "s":
        v = fpu.double_to_single(v)
    p = ts.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0x1000 - size:
        p[o : o + size] = v.to_bytes(size, order)
    else:
        c.write(ea, size, v, order)
        code_check()


# -- quadword loads and stores ------------------------------------------------------------
# ``elem`` is the element size whose order the instruction keeps: 16 for lxvx/lxv (the
# quadword in the current byte order), 8/4/2 for lxvd2x/lxvw4x/lxvh8x, 1 for lxvb16x.
def lxvx(c: CPUState, xt: int, ra: int, rb: int, *, elem: int, amask: int,
         order: ByteOrder) -> None:  # fmt: skip
    """lxvx/lxvd2x/lxvw4x/lxvh8x/lxvb16x: VSR[XT] <- the 16 bytes at (RA|0) + RB."""
    g = c.gpr
    tl = c.tlb_load
    ea = ((g[ra] if ra else 0) + g[rb]) & amask
    p = tl.get(ea >> 12)
    o = ea & 0xFFF
    if order == "little" and elem == 16:
        if p is not None and o <= 0xFF0:
            v = int.from_bytes(p[o : o + 16], "little")
        else:
            v = c.read(ea, 16, "little")
    elif order == "little" and elem == 8:
        # the quadword little-endian has the doublewords swapped: swap them back
        if p is not None and o <= 0xFF0:
            v = int.from_bytes(p[o : o + 16], "little")
        else:
            v = c.read(ea, 16, "little")
        v = ((v & M64) << 64) | (v >> 64)
    else:
        if p is not None and o <= 0xFF0:
            v = int.from_bytes(p[o : o + 16], "big")
        else:
            v = c.read(ea, 16, "big")
        if order == "little" and elem == 4:
            v = ((v & SWAP8) << 8) | ((v >> 8) & SWAP8)
            v = ((v & SWAP16) << 16) | ((v >> 16) & SWAP16)
        elif order == "little" and elem == 2:
            v = ((v & SWAP8) << 8) | ((v >> 8) & SWAP8)
    vs = c.vsr
    vs[xt] = v


def lxv(c: CPUState, xt: int, ra: int, dq: int, *, amask: int, order: ByteOrder) -> None:
    """lxv: VSR[XT] <- the 16 bytes at (RA|0) + DQ, as one value in the current byte order."""
    g = c.gpr
    tl = c.tlb_load
    ea = ((g[ra] if ra else 0) + dq) & amask
    p = tl.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0xFF0:
        c.vsr[xt] = int.from_bytes(p[o : o + 16], order)
    else:
        c.vsr[xt] = c.read(ea, 16, order)


def stxvx(c: CPUState, xs: int, ra: int, rb: int, *, elem: int, amask: int,
          order: ByteOrder) -> None:  # fmt: skip
    """stxvx/stxvd2x/stxvw4x/stxvh8x/stxvb16x: the 16 bytes at (RA|0) + RB <- VSR[XS]."""
    g = c.gpr
    ts = c.tlb_store
    ea = ((g[ra] if ra else 0) + g[rb]) & amask
    v = c.vsr[xs]
    if order == "little" and elem == 16:
        b = v.to_bytes(16, "little")
    elif order == "little" and elem == 8:
        b = (((v & M64) << 64) | (v >> 64)).to_bytes(16, "little")
    elif order == "little" and elem == 4:
        v = ((v & SWAP8) << 8) | ((v >> 8) & SWAP8)
        b = (((v & SWAP16) << 16) | ((v >> 16) & SWAP16)).to_bytes(16, "big")
    elif order == "little" and elem == 2:
        b = (((v & SWAP8) << 8) | ((v >> 8) & SWAP8)).to_bytes(16, "big")
    else:
        b = v.to_bytes(16, "big")
    p = ts.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0xFF0:
        p[o : o + 16] = b
    else:
        c.write(ea, 16, int.from_bytes(b, "big"), "big")
        code_check()


def stxv(c: CPUState, xs: int, ra: int, dq: int, *, amask: int, order: ByteOrder) -> None:
    """stxv: the 16 bytes at (RA|0) + DQ <- VSR[XS], as one value in the current byte order."""
    g = c.gpr
    ts = c.tlb_store
    ea = ((g[ra] if ra else 0) + dq) & amask
    p = ts.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0xFF0:
        p[o : o + 16] = c.vsr[xs].to_bytes(16, order)
    else:
        c.write(ea, 16, c.vsr[xs], order)
        code_check()


def lxvsplat(c: CPUState, xt: int, ra: int, rb: int, *, size: int, amask: int,
             order: ByteOrder) -> None:  # fmt: skip
    """lxvdsx/lxvwsx: the doubleword or word at (RA|0) + RB in every element of VSR[XT]."""
    g = c.gpr
    tl = c.tlb_load
    ea = ((g[ra] if ra else 0) + g[rb]) & amask
    p = tl.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0x1000 - size:
        v = int.from_bytes(p[o : o + size], order)
    else:
        v = c.read(ea, size, order)
    c.vsr[xt] = v * (SPLAT64 if size == 8 else SPLAT32)


# -- with length -----------------------------------------------------------------------
def lxvl(c: CPUState, xt: int, ra: int, rb: int, *, left: bool, amask: int,
         order: ByteOrder) -> None:  # fmt: skip
    """lxvl/lxvll: the first RB[0:7] bytes (at most 16) at (RA|0) into VSR[XT], 0 elsewhere.

    lxvl little-endian puts them at the register's low-order end (byte 15 first),
    lxvll and lxvl big-endian at its high-order end (byte 0 first).
    """
    g = c.gpr
    tl = c.tlb_load
    n = g[rb] >> 56
    if n > 16:
        n = 16
    ea = (g[ra] & amask) if ra else 0
    p = tl.get(ea >> 12)
    o = ea & 0xFFF
    if not n:
        v = 0
    elif p is not None and o <= 0x1000 - n:
        v = int.from_bytes(p[o : o + n], "little" if order == "little" and not left else "big")
    else:
        v = c.read(ea, n, "little" if order == "little" and not left else "big")
    if n and not (order == "little" and not left):
        v <<= 128 - 8 * n
    c.vsr[xt] = v


def stxvl(c: CPUState, xs: int, ra: int, rb: int, *, left: bool, amask: int,
          order: ByteOrder) -> None:  # fmt: skip
    """stxvl/stxvll: the bytes lxvl/lxvll would load, from VSR[XS] to (RA|0)."""
    g = c.gpr
    ts = c.tlb_store
    n = g[rb] >> 56
    if n > 16:
        n = 16
    ea = (g[ra] & amask) if ra else 0
    if order == "little" and not left:
        b = (c.vsr[xs] & ((1 << (8 * n)) - 1)).to_bytes(n, "little")
    else:
        b = (c.vsr[xs] >> (128 - 8 * n)).to_bytes(n, "big")
    p = ts.get(ea >> 12)
    o = ea & 0xFFF
    # no bytes (n = 0) is no access at all: nothing to translate, nothing can fault
    if p is not None and o <= 0x1000 - n:
        p[o : o + n] = b
    elif n:
        c.write(ea, n, int.from_bytes(b, "big"), "big")
        code_check()


# -- the table ------------------------------------------------------------------------
def by_tx(tx_bit: int, tx0: str, tx1: str) -> Callable[[int], str]:
    """The facility a VSR-half-checked line needs: ``tx0`` for VSRs 0-31, ``tx1`` for 32-63."""

    def facility(word: int) -> str:
        return tx1 if word & tx_bit else tx0

    return facility


BY_HALF = by_tx(1, "vsx", "vec")  # lxvx, lxvwsx, lxvl...: TX is bit 31
BY_HALF_DQ = by_tx(8, "vsx", "vec")  # lxv/stxv: TX is bit 28
LXSD_FACILITY = "vsx"  # QEMU 7.2 (the ISA: MSR[VEC]); see the docstring


def _x(name: str, xo: int, sem: Callable[..., None], size: int, facility: object = "vsx",
       enc: Encoding | None = None, **params: object) -> Insn:  # fmt: skip
    """An X-form line; the semantics that take ``size`` get the access size as a static."""
    access = "store" if name.startswith("st") else "load"
    if "size" in inspect.signature(sem).parameters:
        params["size"] = size
    return Insn(name, enc or XX1(31, xo), sem, params, facility=facility, access=access,  # type: ignore[arg-type]
                size=size)  # fmt: skip


def _ds(name: str, po: int, xo: int, sem: Callable[..., None], kind: str,
        facility: str) -> Insn:  # fmt: skip
    """A DS-form line (VSR 32+VRT): lxsd/lxssp (opcode 57), stxsd/stxssp (61)."""
    size = 8 if kind == "d" else 4
    store = name.startswith("st")
    return Insn(name, DSD(po, xo), sem, {"kind": kind, "size": size}, facility=facility,
                access="store" if store else "load", size=size,
                syntax=("vrs" if store else "vrt") + ", d, ra")  # fmt: skip


def _ignoring(enc: Encoding, bits: int) -> Encoding:
    """``enc`` with ``bits`` left out of its mask: reserved bits the reference ignores."""
    return Encoding(enc.format, enc.po, enc.xo, enc.mask & ~bits, enc.match, enc.fixed)


OPS: list[Insn] = table(
    _x("lxsiwzx", 12, lxs, 4, kind="wz"),
    _x("lxsiwax", 76, lxs, 4, kind="wa"),
    _x("lxsspx", 524, lxs, 4, kind="s"),
    _x("lxsdx", 588, lxs, 8, kind="d"),
    _x("lxsibzx", 781, lxs, 1, kind="z"),
    _x("lxsihzx", 813, lxs, 2, kind="z"),
    _x("lxvx", 268, lxvx, 16, BY_HALF, _ignoring(XX1(31, 268), 0x40), elem=16),
    _x("lxvd2x", 844, lxvx, 16, elem=8),
    _x("lxvw4x", 780, lxvx, 16, elem=4),
    _x("lxvh8x", 812, lxvx, 16, elem=2),
    _x("lxvb16x", 876, lxvx, 16, elem=1),
    _x("lxvdsx", 332, lxvsplat, 8),
    _x("lxvwsx", 364, lxvsplat, 4, BY_HALF),
    _x("stxsiwx", 140, stxs, 4, kind="w"),
    _x("stxsspx", 652, stxs, 4, kind="s"),
    _x("stxsdx", 716, stxs, 8, kind="d"),
    _x("stxsibx", 909, stxs, 1, kind="b"),
    _x("stxsihx", 941, stxs, 2, kind="h"),
    _x("stxvx", 396, stxvx, 16, BY_HALF, elem=16),
    _x("stxvd2x", 972, stxvx, 16, elem=8),
    _x("stxvw4x", 908, stxvx, 16, elem=4),
    _x("stxvh8x", 940, stxvx, 16, elem=2),
    _x("stxvb16x", 1004, stxvx, 16, elem=1),
    _x("lxvl", 269, lxvl, 16, BY_HALF, left=False),
    _x("lxvll", 301, lxvl, 16, BY_HALF, left=True),
    _x("stxvl", 397, stxvl, 16, BY_HALF, left=False),
    _x("stxvll", 429, stxvl, 16, BY_HALF, left=True),
    _ds("lxsd", 57, 2, lxsd, "d", LXSD_FACILITY),
    _ds("lxssp", 57, 3, lxsd, "s", "vec"),
    _ds("stxsd", 61, 2, stxsd, "d", "vec"),
    _ds("stxssp", 61, 3, stxsd, "s", "vec"),
    Insn("lxv", DQ(61, 1), lxv, facility=BY_HALF_DQ, access="load", size=16, syntax="xt, dq, ra"),
    Insn(
        "stxv", DQ(61, 5), stxv, facility=BY_HALF_DQ, access="store", size=16, syntax="xs, dq, ra"
    ),
)
