"""VMX pack/unpack and element extract/insert (ISA 3.0B 6.8.1, 6.8.2, 6.8.5).

Packs: vpkuhum..vpkudum (modulo), vpkuhus..vpksdss (saturating, VSCR[SAT]
sticky when any element is clamped), vpkpx (8-8-8-8 words to 1-5-5-5
pixels). Unpacks: vupkhs*/vupkls* (sign-extending the high/low half's
elements) and vupkhpx/vupklpx. Extract/insert: vextractub..vextractd (an
element of VRB to bits 0:63 of VRT, right-justified), vinsertb..vinsertd (the
right-justified element of VRB's doubleword 0 into VRT at byte UIM), and the
GPR-indexed vextu[bhw][lr]x (an element of VRB to RT, indexed by RA[60:63]).

Where the ISA leaves a result undefined, we follow what POWER9 / QEMU 7.2
produce (the differential programs pin each case):

* vextractuh/uw/d with UIM past the last whole element (15 for uh, 13..15
  for uw, 9..15 for d) extract from byte 0, as if UIM were 0;
* vinsertb..d with UIM past the last whole element leave VRT unchanged;
* vextu[bhw]lx/rx with an index past the last whole element read VRB as a
  signed 128-bit value shifted by the bit offset modulo 128: the bits above
  byte 0 are copies of VRB's sign bit, and a "negative" left-indexed offset
  wraps around (vextuwlx with RA=14 gives bits 0:15 of VRB, sign-extended
  into bits 32:47 of RT).

Reserved fields the reference ignores are not decoded as "not this
instruction": VRA of vupkhsw/vupklsw (the older unpacks require it 0), bit 11
of vextractub/uh/uw and of vinsertb..d (vextractd requires it 0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .fields import VX, reserved
from .insn import Insn, table
from .specialize import pure
from .vector import VSCR_SAT, elems, join, selems

if TYPE_CHECKING:
    from ..state import CPUState


# -- pack --------------------------------------------------------------------------------
def vpkm(c: CPUState, vrt: int, vra: int, vrb: int, *, w: int) -> None:
    """vpkuhum/vpkuwum/vpkudum: the low halves of VRA's then VRB's ``w``-bit elements."""
    vs = c.vsr
    vs[32 + vrt] = join(elems(vs[32 + vra], w) + elems(vs[32 + vrb], w), w // 2)


def vpks(
    c: CPUState, vrt: int, vra: int, vrb: int, *, w: int, signed: bool, lo: int, hi: int
) -> None:
    """vpk[us][hwd][us]s: VRA's then VRB's ``w``-bit elements (signed or not), each clamped
    to [lo, hi] in half the width; VSCR[SAT] when any was clamped."""
    vs = c.vsr
    if signed:
        t = selems(vs[32 + vra], w) + selems(vs[32 + vrb], w)
    else:
        t = elems(vs[32 + vra], w) + elems(vs[32 + vrb], w)
    r = [lo if v < lo else (hi if v > hi else v) for v in t]
    if r != list(t):
        c.vscr |= VSCR_SAT
    vs[32 + vrt] = join(r, w // 2)


def vpkpx(c: CPUState, vrt: int, vra: int, vrb: int) -> None:
    """Each word of VRA || VRB to a pixel: bit 7, bits 8:12, 16:20, 24:28 (ISA numbering)."""
    vs = c.vsr
    e = elems(vs[32 + vra], 32) + elems(vs[32 + vrb], 32)
    vs[32 + vrt] = join(
        [((x >> 9) & 0xFC00) | ((x >> 6) & 0x3E0) | ((x >> 3) & 0x1F) for x in e], 16
    )


# -- unpack ------------------------------------------------------------------------------
def vupks(c: CPUState, vrt: int, vrb: int, *, w: int, low: bool) -> None:
    """vupkhs*/vupkls*: the high (low) half's ``w // 2``-bit elements of VRB, sign-extended."""
    vs = c.vsr
    e = selems(vs[32 + vrb], w // 2)
    if low:
        vs[32 + vrt] = join(e[128 // w :], w)
    else:
        vs[32 + vrt] = join(e[: 128 // w], w)


def vupkpx(c: CPUState, vrt: int, vrb: int, *, low: bool) -> None:
    """vupkhpx/vupklpx: each 1-5-5-5 pixel of the high (low) half of VRB to a word:
    the 1-bit field sign-extended to a byte, the 5-bit fields zero-extended to bytes."""
    vs = c.vsr
    e = elems(vs[32 + vrb], 16)
    h = e[4:] if low else e[:4]
    vs[32 + vrt] = join(
        [
            ((0xFF000000 if x & 0x8000 else 0) | ((x & 0x7C00) << 6) | ((x & 0x3E0) << 3))
            | (x & 0x1F)
            for x in h
        ],
        32,
    )


# -- extract and insert ------------------------------------------------------------------
@pure
def extract_shift(uim: int, size: int) -> int:
    """Where the ``size``-byte element at byte ``uim`` of a register sits (from bit 127);
    an element that would not fit is taken from byte 0 (POWER9, QEMU 7.2)."""
    idx = uim if uim <= 16 - size else 0
    return 128 - 8 * (idx + size)


@pure
def insert_mask(uim: int, size: int) -> int:
    """The bits byte ``uim`` of a ``size``-byte element covers in a register; 0 (the insert
    does nothing) when the element would not fit (POWER9, QEMU 7.2)."""
    if uim > 16 - size:
        return 0
    return ((1 << (8 * size)) - 1) << (128 - 8 * (uim + size))


@pure
def insert_shift(uim: int, size: int) -> int:
    """How far VRB's right-justified doubleword-0 element moves to reach byte ``uim``."""
    return max(0, 128 - 8 * (uim + size))


def vextract(c: CPUState, vrt: int, vrb: int, uim4: int, *, size: int) -> None:
    """vextractub/uh/uw/d: VRT <- the ``size``-byte element at byte UIM of VRB in bits
    0:63, right-justified; all other bits 0."""
    vs = c.vsr
    m = (1 << (8 * size)) - 1
    vs[32 + vrt] = ((vs[32 + vrb] >> extract_shift(uim4, size)) & m) << 64


def vinsert(c: CPUState, vrt: int, vrb: int, uim4: int, *, size: int) -> None:
    """vinsertb/h/w/d: bytes UIM..UIM+size-1 of VRT <- the low ``size`` bytes of VRB's
    doubleword 0; the rest of VRT is kept."""
    vs = c.vsr
    m = insert_mask(uim4, size)
    e = ((vs[32 + vrb] >> 64) << insert_shift(uim4, size)) & m
    vs[32 + vrt] = (vs[32 + vrt] & ~m) | e


def vextux(c: CPUState, rt: int, ra: int, vrb: int, *, size: int, left: bool) -> None:
    """vextu[bhw]lx: RT <- the ``size``-bit element at byte RA[60:63] of VRB (counted from
    the left); vextu[bhw]rx: counted from the right. Zero-extended when it fits; past
    the end, VRB is read as signed and the bit offset taken modulo 128 (POWER9, QEMU 7.2)."""
    g = c.gpr
    v = c.vsr[32 + vrb]
    v -= (v >> 127) << 128  # as a signed 128-bit value
    if left:
        n = (128 - size - (g[ra] & 15) * 8) & 127
    else:
        n = (g[ra] & 15) * 8
    g[rt] = (v >> n) & ((1 << size) - 1)


# -- the table ---------------------------------------------------------------------------
BIT11 = 1 << 20  # IBM bit 11 of the word: the top bit of VX's 5-bit UIM field


def _vx(mn: str, xo: int, sem: object, **params: object) -> Insn:
    return Insn(mn, VX(4, xo), sem, params, facility="vec")  # type: ignore[arg-type]


def _vx1(mn: str, xo: int, sem: object, fix_vra: bool, **params: object) -> Insn:
    """A one-operand (VRT, VRB) line; VRA must be 0 where the reference checks it."""
    enc = VX(4, xo, vra=0) if fix_vra else VX(4, xo)
    return Insn(mn, enc, sem, params, facility="vec", syntax="vrt, vrb")  # type: ignore[arg-type]


def _ext(mn: str, xo: int, sem: object, fix11: bool, **params: object) -> Insn:
    enc = reserved(VX(4, xo), BIT11) if fix11 else VX(4, xo)
    return Insn(mn, enc, sem, params, facility="vec", syntax="vrt, vrb, uim4")  # type: ignore[arg-type]


_U = {16: 0xFF, 32: 0xFFFF, 64: 0xFFFF_FFFF}
_S = {16: 0x7F, 32: 0x7FFF, 64: 0x7FFF_FFFF}

OPS: list[Insn] = table(
    _vx("vpkuhum", 14, vpkm, w=16),
    _vx("vpkuwum", 78, vpkm, w=32),
    _vx("vpkudum", 1102, vpkm, w=64),
    _vx("vpkuhus", 142, vpks, w=16, signed=False, lo=0, hi=_U[16]),
    _vx("vpkuwus", 206, vpks, w=32, signed=False, lo=0, hi=_U[32]),
    _vx("vpkudus", 1230, vpks, w=64, signed=False, lo=0, hi=_U[64]),
    _vx("vpkshus", 270, vpks, w=16, signed=True, lo=0, hi=_U[16]),
    _vx("vpkswus", 334, vpks, w=32, signed=True, lo=0, hi=_U[32]),
    _vx("vpksdus", 1358, vpks, w=64, signed=True, lo=0, hi=_U[64]),
    _vx("vpkshss", 398, vpks, w=16, signed=True, lo=-_S[16] - 1, hi=_S[16]),
    _vx("vpkswss", 462, vpks, w=32, signed=True, lo=-_S[32] - 1, hi=_S[32]),
    _vx("vpksdss", 1486, vpks, w=64, signed=True, lo=-_S[64] - 1, hi=_S[64]),
    _vx("vpkpx", 782, vpkpx),
    _vx1("vupkhsb", 526, vupks, True, w=16, low=False),
    _vx1("vupkhsh", 590, vupks, True, w=32, low=False),
    _vx1("vupkhsw", 1614, vupks, False, w=64, low=False),
    _vx1("vupklsb", 654, vupks, True, w=16, low=True),
    _vx1("vupklsh", 718, vupks, True, w=32, low=True),
    _vx1("vupklsw", 1742, vupks, False, w=64, low=True),
    _vx1("vupkhpx", 846, vupkpx, True, low=False),
    _vx1("vupklpx", 974, vupkpx, True, low=True),
    _ext("vextractub", 525, vextract, False, size=1),
    _ext("vextractuh", 589, vextract, False, size=2),
    _ext("vextractuw", 653, vextract, False, size=4),
    _ext("vextractd", 717, vextract, True, size=8),
    _ext("vinsertb", 781, vinsert, False, size=1),
    _ext("vinserth", 845, vinsert, False, size=2),
    _ext("vinsertw", 909, vinsert, False, size=4),
    _ext("vinsertd", 973, vinsert, False, size=8),
    _vx("vextublx", 1549, vextux, size=8, left=True),
    _vx("vextuhlx", 1613, vextux, size=16, left=True),
    _vx("vextuwlx", 1677, vextux, size=32, left=True),
    _vx("vextubrx", 1805, vextux, size=8, left=False),
    _vx("vextuhrx", 1869, vextux, size=16, left=False),
    _vx("vextuwrx", 1933, vextux, size=32, left=False),
)
