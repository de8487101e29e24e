"""VMX storage access and VSCR moves: lvx lvxl lvebx lvehx lvewx, stvx stvxl stvebx stvehx
stvewx, lvsl lvsr, the data stream hints dst dstt dstst dststt dss dssall, mfvscr mtvscr.

Byte and element order (ISA 3.0B 6.7.2, 6.7.3). lvx/stvx access the aligned
quadword at EA & ~15. Big-endian, byte k of storage is byte k of the VR;
little-endian, it is byte 15-k (the quadword is one little-endian 128-bit
value). The element forms align EA down to the element size and access
element (EA & 15) / size of the VR, counted from the other end in
little-endian mode, the element itself in the current byte order; either
way the element sits 8 * (EA & 15) bits from the VR's byte 0 end in BE and
from its byte 15 end in LE. The ISA leaves the other elements of an
element load undefined; POWER9 (and QEMU 7.2, which the differential tests
compare against) leaves them as they were, and so do we.

Every access is aligned to its size, so none crosses a page: a fault
(DSI, DAR = the aligned EA) is raised before any register or byte is
written. Loads and stores take the data TLB maps when the page is there,
else ``c.read``/``c.write`` (translation, watchpoints, reservations,
decoded code) exactly as the scalar loads and stores do, and a store's slow
path is a ``code_check()``.

lvxl/stvxl are lvx/stvx (no cache to hint at). The stream hints change
nothing but are legal; as on the reference machine they need no facility
(MSR[VEC]=0 runs them), and dst/dstst with RA=0 (an invalid form) take
the illegal-instruction path. mtvscr keeps all 32 bits of VRB's last word,
mfvscr returns VSCR zero-extended to 128 bits (the reference keeps the
bits the ISA reserves too).

Reserved fields as the reference's invalid-bits masks: bit 31 of the X
forms, bits 7:8 (and RA, RB for dss), and VRA/VRB (mfvscr), VRT/VRA (mtvscr).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..interrupts import EXCP_HV_EMU, Interrupt
from .fields import VX, XDST, X
from .insn import Insn, table
from .loadstore import ByteOrder
from .specialize import code_check
from .vector import M128

if TYPE_CHECKING:
    from ..state import CPUState

# lvsl's result for EA & 15 = 0 (bytes 0x00..0x0f) and lvsr's (0x10..0x1f); any other
# shift adds (lvsl) or subtracts (lvsr) it from every byte, and no byte carries or borrows.
LVSL0 = 0x000102030405060708090A0B0C0D0E0F
LVSR0 = 0x101112131415161718191A1B1C1D1E1F
BYTES1 = M128 // 0xFF  # 0x0101...01


def lvx(c: CPUState, vrt: int, ra: int, rb: int, *, amask: int, order: ByteOrder) -> None:
    """lvx/lvxl: VRT <- the quadword at ((RA|0) + RB) & ~15, in the current byte order."""
    g = c.gpr
    tl = c.tlb_load
    ea = ((g[ra] if ra else 0) + g[rb]) & (amask & -16)
    p = tl.get(ea >> 12)
    if p is not None:
        o = ea & 0xFFF
        c.vsr[32 + vrt] = int.from_bytes(p[o : o + 16], order)
    else:
        c.vsr[32 + vrt] = c.read(ea, 16, order)


def stvx(c: CPUState, vrs: int, ra: int, rb: int, *, amask: int, order: ByteOrder) -> None:
    """stvx/stvxl: the quadword at ((RA|0) + RB) & ~15 <- VRS, in the current byte order."""
    g = c.gpr
    ts = c.tlb_store
    ea = ((g[ra] if ra else 0) + g[rb]) & (amask & -16)
    p = ts.get(ea >> 12)
    if p is not None:
        o = ea & 0xFFF
        p[o : o + 16] = c.vsr[32 + vrs].to_bytes(16, order)
    else:
        c.write(ea, 16, c.vsr[32 + vrs], order)
        code_check()


def lve(
    c: CPUState, vrt: int, ra: int, rb: int, *, size: int, amask: int, order: ByteOrder
) -> None:
    """lvebx/lvehx/lvewx: one element of VRT from EA aligned to its size; the others kept."""
    g = c.gpr
    tl = c.tlb_load
    ea = ((g[ra] if ra else 0) + g[rb]) & (amask & -size)
    p = tl.get(ea >> 12)
    if p is not None:
        o = ea & 0xFFF
        v = int.from_bytes(p[o : o + size], order)
    else:
        v = c.read(ea, size, order)
    if order == "little":
        sh = 8 * (ea & 15)
    else:
        sh = 8 * (16 - size - (ea & 15))
    vs = c.vsr
    vs[32 + vrt] = (vs[32 + vrt] & ~(((1 << (8 * size)) - 1) << sh)) | (v << sh)


def stve(
    c: CPUState, vrs: int, ra: int, rb: int, *, size: int, amask: int, order: ByteOrder
) -> None:
    """stvebx/stvehx/stvewx: the element of VRS that lve would load, stored at EA aligned."""
    g = c.gpr
    ts = c.tlb_store
    ea = ((g[ra] if ra else 0) + g[rb]) & (amask & -size)
    if order == "little":
        sh = 8 * (ea & 15)
    else:
        sh = 8 * (16 - size - (ea & 15))
    v = (c.vsr[32 + vrs] >> sh) & ((1 << (8 * size)) - 1)
    p = ts.get(ea >> 12)
    if p is not None:
        o = ea & 0xFFF
        p[o : o + size] = v.to_bytes(size, order)
    else:
        c.write(ea, size, v, order)
        code_check()


def lvs(c: CPUState, vrt: int, ra: int, rb: int, *, right: bool) -> None:
    """lvsl: VRT <- bytes sh..sh+15 of 0x00..0x1f, sh = EA & 15; lvsr: bytes 16-sh..31-sh.

    No storage is accessed and the byte order does not matter (the ISA defines
    the result by register bytes).
    """
    g = c.gpr
    sh = ((g[ra] if ra else 0) + g[rb]) & 15
    if right:
        c.vsr[32 + vrt] = LVSR0 - sh * BYTES1
    else:
        c.vsr[32 + vrt] = LVSL0 + sh * BYTES1


def dst(c: CPUState, ra: int) -> None:
    """dst/dstt/dstst/dststt: a stream touch hint, no effect; RA=0 is an invalid form."""
    if not ra:
        raise Interrupt(EXCP_HV_EMU)


def dss(c: CPUState) -> None:
    """dss/dssall: stop data streams; there are none."""
    pass


def mfvscr(c: CPUState, vrt: int) -> None:
    """VRT <- 96 zero bits || VSCR."""
    c.vsr[32 + vrt] = c.vscr


def mtvscr(c: CPUState, vrb: int) -> None:
    """VSCR <- the last word of VRB (every bit kept, NJ and SAT included)."""
    c.vscr = c.vsr[32 + vrb] & 0xFFFF_FFFF


def _mem(mnemonic: str, xo: int, sem: object, size: int, access: str) -> Insn:
    """An X-form VMX load or store line; the element forms get their size as a static."""
    params = {"size": size} if size < 16 else {}
    return Insn(mnemonic, X(31, xo, rc=0), sem, params, facility="vec", access=access, size=size)  # type: ignore[arg-type]


_DST = "ra, rb, strm"

OPS: list[Insn] = table(
    _mem("lvx", 103, lvx, 16, "load"),
    _mem("lvxl", 359, lvx, 16, "load"),
    _mem("lvebx", 7, lve, 1, "load"),
    _mem("lvehx", 39, lve, 2, "load"),
    _mem("lvewx", 71, lve, 4, "load"),
    _mem("stvx", 231, stvx, 16, "store"),
    _mem("stvxl", 487, stvx, 16, "store"),
    _mem("stvebx", 135, stve, 1, "store"),
    _mem("stvehx", 167, stve, 2, "store"),
    _mem("stvewx", 199, stve, 4, "store"),
    Insn("lvsl", X(31, 6, rc=0), lvs, {"right": False}, facility="vec"),
    Insn("lvsr", X(31, 38, rc=0), lvs, {"right": True}, facility="vec"),
    Insn("mfvscr", VX(4, 1540, vra=0, vrb=0), mfvscr, facility="vec"),
    Insn("mtvscr", VX(4, 1604, vrt=0, vra=0), mtvscr, facility="vec"),
    # T (bit 6) picks the transient forms, A (bit 6) dssall; no facility (see above).
    Insn("dst", XDST(31, 342, t=0, b7=0, rc=0), dst, syntax=_DST),
    Insn("dstt", XDST(31, 342, t=1, b7=0, rc=0), dst, syntax=_DST),
    Insn("dstst", XDST(31, 374, t=0, b7=0, rc=0), dst, syntax=_DST),
    Insn("dststt", XDST(31, 374, t=1, b7=0, rc=0), dst, syntax=_DST),
    Insn("dss", XDST(31, 822, t=0, b7=0, ra=0, rb=0, rc=0), dss, syntax="strm"),
    Insn("dssall", XDST(31, 822, t=1, b7=0, ra=0, rb=0, rc=0), dss, syntax=""),
)
