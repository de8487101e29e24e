"""Loads and stores: one factory per direction, every width and form as parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bits import M64
from .common import illegal
from .forms import Ctx, Exec, Form, Op, f_ds, f_ra, f_rb, f_rt, f_si, op

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

    if not (indexed or update or signed):
        # The most common shape gets a closure with no helper calls.
        if ra:
            def ld_d(c: VCPU) -> int:
                g = c.gpr
                g[rt] = c.read((g[ra] + d) & amask, size, order)
                return npc
        else:
            def ld_d(c: VCPU) -> int:
                c.gpr[rt] = c.read(d & amask, size, order)
                return npc
        return ld_d

    def ex(c: VCPU) -> int:
        ea = ea_of(c)
        v = c.read(ea, size, order)
        if signed and v & sign:
            v = (v - wrap) & M64
        g = c.gpr
        g[rt] = v
        if update:
            g[ra] = ea
        return npc

    return ex


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

    if not (indexed or update) and ra:
        def st_d(c: VCPU) -> int:
            g = c.gpr
            c.write((g[ra] + d) & amask, size, g[rs] & vmask, order)
            return npc
        return st_d

    def ex(c: VCPU) -> int:
        g = c.gpr
        base = g[ra] if ra else 0
        ea = (base + (g[rb] if indexed else d)) & amask
        c.write(ea, size, g[rs] & vmask, order)
        if update:
            g[ra] = ea
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
]
