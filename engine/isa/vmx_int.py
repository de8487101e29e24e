"""VMX integer arithmetic: add/subtract (modulo, saturating, carries, quadword), average,
maximum/minimum, absolute difference, negate, sign extension and parity.

Element-wise operations go through ``vector.elems``/``join`` (struct), and
the modulo adds and subtracts work on the whole 128-bit int at once with the
lane-carry trick: add the low bits of every lane with the lanes' top bits
cleared (no carry can cross a lane), then put the top bits back with XOR.

Saturating instructions set VSCR[SAT] (sticky) when any element was clamped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .fields import VA, VX
from .insn import Insn, table
from .specialize import pure
from .vector import M128, VSCR_SAT, elems, join, selems

if TYPE_CHECKING:
    from ..state import CPUState


@pure
def tops(w: int) -> int:
    """The top bit of every ``w``-bit lane of a 128-bit register."""
    lane = 1 << (w - 1)
    r = 0
    for i in range(128 // w):
        r |= lane << (i * w)
    return r


@pure
def lows(w: int) -> int:
    """Bit 0 (the least significant) of every ``w``-bit lane of a 128-bit register."""
    r = 0
    for i in range(128 // w):
        r |= 1 << (i * w)
    return r


def vaddm(c: CPUState, vrt: int, vra: int, vrb: int, *, w: int) -> None:
    """vaddubm..vaddudm, vadduqm: VRT <- VRA + VRB per lane, modulo 2**w."""
    vs = c.vsr
    a = vs[32 + vra]
    b = vs[32 + vrb]
    if w == 128:
        vs[32 + vrt] = (a + b) & M128
    else:
        # the lanes' top bits cleared, nothing carries into the next lane; XOR adds them back
        h = tops(w)
        low = M128 ^ h
        vs[32 + vrt] = ((a & low) + (b & low)) ^ ((a ^ b) & h)


def vsubm(c: CPUState, vrt: int, vra: int, vrb: int, *, w: int) -> None:
    """vsububm..vsubudm, vsubuqm: VRT <- VRA - VRB per lane, modulo 2**w."""
    vs = c.vsr
    a = vs[32 + vra]
    b = vs[32 + vrb]
    if w == 128:
        vs[32 + vrt] = (a - b) & M128
    else:
        # every lane's top bit set in A and cleared in B: no lane borrows from the next
        h = tops(w)
        low = M128 ^ h
        vs[32 + vrt] = ((a | h) - (b & low)) ^ ((a ^ b ^ h) & h)


def vadds(c: CPUState, vrt: int, vra: int, vrb: int, *, w: int, signed: bool, sub: bool) -> None:
    """vaddubs..vaddsws, vsububs..vsubsws: VRT <- clamp(VRA +/- VRB) per element; VSCR[SAT]."""
    vs = c.vsr
    if signed:
        ea = selems(vs[32 + vra], w)
        eb = selems(vs[32 + vrb], w)
        lo = -(1 << (w - 1))
        hi = (1 << (w - 1)) - 1
    else:
        ea = elems(vs[32 + vra], w)
        eb = elems(vs[32 + vrb], w)
        lo = 0
        hi = (1 << w) - 1
    if sub:
        t = [x - y for x, y in zip(ea, eb, strict=True)]
    else:
        t = [x + y for x, y in zip(ea, eb, strict=True)]
    r = [lo if v < lo else (hi if v > hi else v) for v in t]
    if r != t:
        c.vscr |= VSCR_SAT
    vs[32 + vrt] = join(r, w)


def vcarry(c: CPUState, vrt: int, vra: int, vrb: int, *, w: int, sub: bool) -> None:
    """vaddcuw/vaddcuq: the carry out of VRA + VRB; vsubcuw/vsubcuq: of VRA + ~VRB + 1
    (1 when VRA >= VRB unsigned), in bit 0 of each element."""
    vs = c.vsr
    a = vs[32 + vra]
    b = vs[32 + vrb]
    if w == 128:
        if sub:
            vs[32 + vrt] = 1 if a >= b else 0
        else:
            vs[32 + vrt] = (a + b) >> 128
    elif sub:
        vs[32 + vrt] = join([x >= y for x, y in zip(elems(a, w), elems(b, w), strict=True)], w)
    else:
        m = 1 << w
        vs[32 + vrt] = join([x + y >= m for x, y in zip(elems(a, w), elems(b, w), strict=True)], w)


def vaddeq(c: CPUState, vrt: int, vra: int, vrb: int, vrc: int, *, sub: bool, carry: bool) -> None:
    """vaddeuqm/vaddecuq: VRA + VRB + CI; vsubeuqm/vsubecuq: VRA + ~VRB + CI, with CI
    bit 127 of VRC; the sum modulo 2**128, or (the ...c... forms) its carry out."""
    vs = c.vsr
    b = vs[32 + vrb]
    s = vs[32 + vra] + (M128 ^ b if sub else b) + (vs[32 + vrc] & 1)
    if carry:
        vs[32 + vrt] = s >> 128
    else:
        vs[32 + vrt] = s & M128


def vavg(c: CPUState, vrt: int, vra: int, vrb: int, *, w: int, signed: bool) -> None:
    """vavgub..vavgsw: VRT <- (VRA + VRB + 1) >> 1 per element, without overflow."""
    vs = c.vsr
    if signed:
        ea = selems(vs[32 + vra], w)
        eb = selems(vs[32 + vrb], w)
    else:
        ea = elems(vs[32 + vra], w)
        eb = elems(vs[32 + vrb], w)
    vs[32 + vrt] = join([(x + y + 1) >> 1 for x, y in zip(ea, eb, strict=True)], w)


def vmaxmin(c: CPUState, vrt: int, vra: int, vrb: int, *, w: int, signed: bool, big: bool) -> None:
    """vmaxub..vmaxsd (``big``), vminub..vminsd: the larger (smaller) element of each pair."""
    vs = c.vsr
    if signed:
        ea = selems(vs[32 + vra], w)
        eb = selems(vs[32 + vrb], w)
    else:
        ea = elems(vs[32 + vra], w)
        eb = elems(vs[32 + vrb], w)
    if big:
        vs[32 + vrt] = join([x if x > y else y for x, y in zip(ea, eb, strict=True)], w)
    else:
        vs[32 + vrt] = join([x if x < y else y for x, y in zip(ea, eb, strict=True)], w)


def vabsdu(c: CPUState, vrt: int, vra: int, vrb: int, *, w: int) -> None:
    """vabsdub/uh/uw: VRT <- |VRA - VRB| per unsigned element."""
    vs = c.vsr
    ea = elems(vs[32 + vra], w)
    eb = elems(vs[32 + vrb], w)
    vs[32 + vrt] = join([x - y if x > y else y - x for x, y in zip(ea, eb, strict=True)], w)


def vneg(c: CPUState, vrt: int, vrb: int, *, w: int) -> None:
    """vnegw/vnegd: VRT <- -VRB per element, modulo 2**w."""
    vs = c.vsr
    vs[32 + vrt] = join([-x for x in elems(vs[32 + vrb], w)], w)


def vexts(c: CPUState, vrt: int, vrb: int, *, w: int, frm: int) -> None:
    """vextsb2w..vextsw2d: each ``w``-bit element <- its low ``frm`` bits, sign-extended."""
    vs = c.vsr
    m = (1 << frm) - 1
    sign = 1 << (frm - 1)
    vs[32 + vrt] = join([((x & m) ^ sign) - sign for x in elems(vs[32 + vrb], w)], w)


def vprtyb(c: CPUState, vrt: int, vrb: int, *, w: int) -> None:
    """vprtybw/d/q: bit 0 of each element <- the parity of bit 7 of its bytes (others 0)."""
    vs = c.vsr
    x = vs[32 + vrb] & lows(8)
    # fold each element's bytes onto its last one; only bit 0 of every element is kept,
    # and what the shifts bring in from the element above lands above it
    if w == 128:
        x ^= x >> 64
    if w >= 64:
        x ^= x >> 32
    x ^= x >> 16
    x ^= x >> 8
    vs[32 + vrt] = x & lows(w)


def _vx(mn: str, xo: int, sem: object, **params: object) -> Insn:
    return Insn(mn, VX(4, xo), sem, params, facility="vec")  # type: ignore[arg-type]


def _vx1(mn: str, xo: int, sel: int, sem: object, **params: object) -> Insn:
    """A one-operand VX line whose VRA field is part of the opcode."""
    return Insn(mn, VX(4, xo, vra=sel), sem, params, facility="vec", syntax="vrt, vrb")  # type: ignore[arg-type]


def _va(mn: str, xo: int, sem: object, **params: object) -> Insn:
    return Insn(mn, VA(4, xo), sem, params, facility="vec")  # type: ignore[arg-type]


_WIDTHS = (("b", 8), ("h", 16), ("w", 32), ("d", 64))

OPS: list[Insn] = table(
    # modulo add/subtract: xo 0,64,128,192 (+1024 for subtract); quadword 256/1280
    *(_vx(f"vaddu{s}m", 64 * i, vaddm, w=w) for i, (s, w) in enumerate(_WIDTHS)),
    *(_vx(f"vsubu{s}m", 1024 + 64 * i, vsubm, w=w) for i, (s, w) in enumerate(_WIDTHS)),
    _vx("vadduqm", 256, vaddm, w=128),
    _vx("vsubuqm", 1280, vsubm, w=128),
    # saturating: unsigned b/h/w at 512+64i, signed at 768+64i; subtract +1024
    *(_vx(f"vaddu{s}s", 512 + 64 * i, vadds, w=w, signed=False, sub=False)
      for i, (s, w) in enumerate(_WIDTHS[:3])),
    *(_vx(f"vadds{s}s", 768 + 64 * i, vadds, w=w, signed=True, sub=False)
      for i, (s, w) in enumerate(_WIDTHS[:3])),
    *(_vx(f"vsubu{s}s", 1536 + 64 * i, vadds, w=w, signed=False, sub=True)
      for i, (s, w) in enumerate(_WIDTHS[:3])),
    *(_vx(f"vsubs{s}s", 1792 + 64 * i, vadds, w=w, signed=True, sub=True)
      for i, (s, w) in enumerate(_WIDTHS[:3])),
    # carries
    _vx("vaddcuw", 384, vcarry, w=32, sub=False),
    _vx("vaddcuq", 320, vcarry, w=128, sub=False),
    _vx("vsubcuw", 1408, vcarry, w=32, sub=True),
    _vx("vsubcuq", 1344, vcarry, w=128, sub=True),
    _va("vaddeuqm", 60, vaddeq, sub=False, carry=False),
    _va("vaddecuq", 61, vaddeq, sub=False, carry=True),
    _va("vsubeuqm", 62, vaddeq, sub=True, carry=False),
    _va("vsubecuq", 63, vaddeq, sub=True, carry=True),
    # average: unsigned b/h/w at 1026+64i, signed at 1282+64i
    *(_vx(f"vavgu{s}", 1026 + 64 * i, vavg, w=w, signed=False)
      for i, (s, w) in enumerate(_WIDTHS[:3])),
    *(_vx(f"vavgs{s}", 1282 + 64 * i, vavg, w=w, signed=True)
      for i, (s, w) in enumerate(_WIDTHS[:3])),
    # maximum/minimum: max u 2+64i, max s 258+64i, min u 514+64i, min s 770+64i
    *(_vx(f"vmaxu{s}", 2 + 64 * i, vmaxmin, w=w, signed=False, big=True)
      for i, (s, w) in enumerate(_WIDTHS)),
    *(_vx(f"vmaxs{s}", 258 + 64 * i, vmaxmin, w=w, signed=True, big=True)
      for i, (s, w) in enumerate(_WIDTHS)),
    *(_vx(f"vminu{s}", 514 + 64 * i, vmaxmin, w=w, signed=False, big=False)
      for i, (s, w) in enumerate(_WIDTHS)),
    *(_vx(f"vmins{s}", 770 + 64 * i, vmaxmin, w=w, signed=True, big=False)
      for i, (s, w) in enumerate(_WIDTHS)),
    # absolute difference
    *(_vx(f"vabsdu{s}", 1027 + 64 * i, vabsdu, w=w) for i, (s, w) in enumerate(_WIDTHS[:3])),
    # one-operand forms of xo 1538, selected by VRA
    _vx1("vnegw", 1538, 6, vneg, w=32),
    _vx1("vnegd", 1538, 7, vneg, w=64),
    _vx1("vprtybw", 1538, 8, vprtyb, w=32),
    _vx1("vprtybd", 1538, 9, vprtyb, w=64),
    _vx1("vprtybq", 1538, 10, vprtyb, w=128),
    _vx1("vextsb2w", 1538, 16, vexts, w=32, frm=8),
    _vx1("vextsh2w", 1538, 17, vexts, w=32, frm=16),
    _vx1("vextsb2d", 1538, 24, vexts, w=64, frm=8),
    _vx1("vextsh2d", 1538, 25, vexts, w=64, frm=16),
    _vx1("vextsw2d", 1538, 26, vexts, w=64, frm=32),
)  # fmt: skip
