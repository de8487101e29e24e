"""Fixed-point rotate and shift instructions (ISA 3.0B 3.3.14).

Rotates: M form (rlw*), MD form (rld* with an immediate), MDS form (rldc*
with RB). Masks follow the ISA's MASK(mb, me), which wraps when mb > me; the
32-bit rotates use ROTL32, which doubles the word, so a wrapping mask keeps
bits of the rotated word in the high half too (as hardware and QEMU do).
Algebraic right shifts set CA and CA32 alike (ISA 3.0B: CA32 = CA for them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M32, M64, ppc_mask, rotl32, rotl64, s32, s64
from .common import cr0_for, cr0_src
from .forms import Ctx, Exec, Form, Op, f_mb64, f_ra, f_rb, f_rt, f_sh64, inline, op

if TYPE_CHECKING:
    from ..cpu import VCPU


def _finish(ex_plain: Exec, w: int, x: Ctx, ra: int) -> Exec:
    """Wrap a closure with CR0 from RA when the Rc bit is set."""
    if not w & 1:
        return ex_plain
    cr0 = cr0_for(x.sf)

    def dot(c: VCPU) -> int:
        npc = ex_plain(c)
        cr0(c, c.gpr[ra])
        return npc

    src = getattr(ex_plain, "src", None)
    if src is None:
        return dot
    return inline(dot, *src, *cr0_src(f"g[{ra}]", x.sf))


# -- rotates ---------------------------------------------------------------------
def rlw(w: int, x: Ctx, *, by_rb: bool, insert: bool) -> Exec:
    """rlwinm/rlwnm/rlwimi: RA <- ROTL32(RS, n) & MASK(mb+32, me+32) [| RA & ~mask]."""
    rs, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    sh, mb, me = rb, (w >> 6) & 31, (w >> 1) & 31
    m = ppc_mask(mb + 32, me + 32)
    keep = ~m & M64
    npc = x.npc
    ex: Exec
    if insert:

        def rlwimi(c: VCPU) -> int:
            g = c.gpr
            g[ra] = (rotl32(g[rs], sh) & m) | (g[ra] & keep)
            return npc

        ex = rlwimi
    elif by_rb:

        def rlwnm(c: VCPU) -> int:
            g = c.gpr
            g[ra] = rotl32(g[rs], g[rb] & 31) & m
            return npc

        ex = rlwnm
    elif mb <= me:
        # No wrap: the mask lies in the low word, so a plain 32-bit rotate will do.
        def rlwinm(c: VCPU) -> int:
            g = c.gpr
            v = g[rs] & M32
            g[ra] = ((v << sh) | (v >> (32 - sh))) & m
            return npc

        ex = inline(rlwinm, f"_v = g[{rs}] & M32",
                    f"g[{ra}] = ((_v << {sh}) | (_v >> {32 - sh})) & {m}")
    else:

        def rlwinm_wrap(c: VCPU) -> int:
            g = c.gpr
            g[ra] = rotl32(g[rs], sh) & m
            return npc

        ex = rlwinm_wrap
    return _finish(ex, w, x, ra)


def rld(w: int, x: Ctx, *, mask: str, by_rb: bool = False, insert: bool = False) -> Exec:
    """rldicl/rldicr/rldic/rldimi/rldcl/rldcr.

    ``mask`` is "l" (MASK(mb, 63)), "r" (MASK(0, me)) or "c" (MASK(mb, 63-sh));
    the 6-bit mb/me field is the same bits in every form.
    """
    rs, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    sh, b = f_sh64(w), f_mb64(w)
    if mask == "l":
        m = ppc_mask(b, 63)
    elif mask == "r":
        m = ppc_mask(0, b)
    else:
        m = ppc_mask(b, 63 - sh)
    keep = ~m & M64
    npc = x.npc
    ex: Exec
    if insert:

        def rldimi(c: VCPU) -> int:
            g = c.gpr
            g[ra] = (rotl64(g[rs], sh) & m) | (g[ra] & keep)
            return npc

        ex = rldimi
    elif by_rb:

        def rldc(c: VCPU) -> int:
            g = c.gpr
            g[ra] = rotl64(g[rs], g[rb] & 63) & m
            return npc

        ex = rldc
    elif mask == "l" and sh == 0:

        def clrldi(c: VCPU) -> int:
            g = c.gpr
            g[ra] = g[rs] & m
            return npc

        ex = inline(clrldi, f"g[{ra}] = g[{rs}] & {m}")
    else:
        rsh = 64 - sh

        def rldi(c: VCPU) -> int:
            g = c.gpr
            v = g[rs]
            g[ra] = ((v << sh) | (v >> rsh)) & m
            return npc

        ex = inline(rldi, f"_v = g[{rs}]", f"g[{ra}] = ((_v << {sh}) | (_v >> {rsh})) & {m}")
    return _finish(ex, w, x, ra)


# -- shifts ---------------------------------------------------------------------
def shift_logical(w: int, x: Ctx, *, width: int, left: bool) -> Exec:
    """slw/srw/sld/srd: the shift is RB's low log2(width)+1 bits; width or more gives 0."""
    rs, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    wmask = (1 << width) - 1
    nmask = 2 * width - 1  # 0x3F for words, 0x7F for doublewords
    npc = x.npc
    if left:

        def sl(c: VCPU) -> int:
            g = c.gpr
            n = g[rb] & nmask
            g[ra] = 0 if n >= width else (g[rs] << n) & wmask
            return npc

        ex = sl
    else:

        def sr(c: VCPU) -> int:
            g = c.gpr
            n = g[rb] & nmask
            g[ra] = 0 if n >= width else (g[rs] & wmask) >> n
            return npc

        ex = sr
    return _finish(ex, w, x, ra)


def shift_algebraic(w: int, x: Ctx, *, width: int, imm: bool) -> Exec:
    """sraw/srawi/srad/sradi: CA = CA32 = (RS negative and 1-bits shifted out)."""
    rs, ra, rb = f_rt(w), f_ra(w), f_rb(w)
    signed = s32 if width == 32 else s64
    nmask = 2 * width - 1
    fixed_n = (f_sh64(w) if width == 64 else rb) if imm else None
    npc = x.npc

    def ex(c: VCPU) -> int:
        g = c.gpr
        v = signed(g[rs])
        n = fixed_n if fixed_n is not None else g[rb] & nmask
        if n >= width:
            r, ca = v >> (width - 1), int(v < 0)
        else:
            r = v >> n
            ca = int(v < 0 and (v & ((1 << n) - 1)) != 0)
        g[ra] = r & M64
        c.ca = c.ca32 = ca
        return npc

    return _finish(ex, w, x, ra)


def extswsli(w: int, x: Ctx) -> Exec:
    """extswsli: RA <- EXTS(RS[32:63]) << sh (ISA 3.0B)."""
    rs, ra, sh = f_rt(w), f_ra(w), f_sh64(w)
    npc = x.npc

    def ex(c: VCPU) -> int:
        g = c.gpr
        g[ra] = (s32(g[rs]) << sh) & M64
        return npc

    return _finish(ex, w, x, ra)


_RC = ("rc",)

OPS: list[Op] = [
    op("rlwinm", Form.M, 21, None, rlw, by_rb=False, insert=False, suffixes=_RC),
    op("rlwnm", Form.M, 23, None, rlw, by_rb=True, insert=False, suffixes=_RC),
    op("rlwimi", Form.M, 20, None, rlw, by_rb=False, insert=True, suffixes=_RC),
    op("rldicl", Form.MD, 30, 0, rld, mask="l", suffixes=_RC),
    op("rldicr", Form.MD, 30, 1, rld, mask="r", suffixes=_RC),
    op("rldic", Form.MD, 30, 2, rld, mask="c", suffixes=_RC),
    op("rldimi", Form.MD, 30, 3, rld, mask="c", insert=True, suffixes=_RC),
    op("rldcl", Form.MDS, 30, 8, rld, mask="l", by_rb=True, suffixes=_RC),
    op("rldcr", Form.MDS, 30, 9, rld, mask="r", by_rb=True, suffixes=_RC),
    op("slw", Form.X, 31, 24, shift_logical, width=32, left=True, suffixes=_RC),
    op("srw", Form.X, 31, 536, shift_logical, width=32, left=False, suffixes=_RC),
    op("sld", Form.X, 31, 27, shift_logical, width=64, left=True, suffixes=_RC),
    op("srd", Form.X, 31, 539, shift_logical, width=64, left=False, suffixes=_RC),
    op("sraw", Form.X, 31, 792, shift_algebraic, width=32, imm=False, suffixes=_RC),
    op("srawi", Form.X, 31, 824, shift_algebraic, width=32, imm=True, suffixes=_RC),
    op("srad", Form.X, 31, 794, shift_algebraic, width=64, imm=False, suffixes=_RC),
    op("sradi", Form.XS, 31, 413, shift_algebraic, width=64, imm=True, suffixes=_RC),
    op("extswsli", Form.XS, 31, 445, extswsli, suffixes=_RC),
]
