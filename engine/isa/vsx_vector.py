"""VSX vector floating-point instructions (xv*dp on two binary64, xv*sp on four binary32 elements).

The arithmetic is engine.fpu's; the FPSCR bookkeeping is vsx_scalar's, with
the vector forms' differences (as QEMU 7.2 does them, which is the ISA's
order too):

- every element's invalid-operation cause and zero-divide is recorded in
  element order as it happens; an enabled one (VE/ZE with MSR[FE0|FE1] != 0)
  takes the program interrupt at once and XT is not written;
- FPRF and FI are left alone, FPCC is never set for an invalid operation;
- overflow, underflow and inexact are ORed over the elements and recorded
  after XT is written.

The binary32 forms compute each element with one rounding to single
precision (the ISA's and QEMU's float32 arithmetic; unlike the scalar
xs*sp forms, no double rounding): a binary32 element is widened exactly to
its binary64 image, engine.fpu rounds the exact result to single, and the
result is narrowed back exactly.

Where QEMU 7.2 differs from the ISA and we follow QEMU: xvredp/xvresp and
xvrsqrtedp/xvrsqrtesp return the correctly rounded 1/x and 1/sqrt(x) (not
an estimate), and a zero operand gives an infinity without setting ZX.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import fpu
from .fields import XX2, XX3_NORC
from .insn import Insn, table
from .vector import elems, join
from .vsx_scalar import MODE, arith, element, status

if TYPE_CHECKING:
    from ..state import CPUState

VSX = "vsx"
S2D = fpu.single_to_double
D2S = fpu.double_to_single


# -- arithmetic ----------------------------------------------------------------------------------
def xv_arith2(c: CPUState, xt: int, xa: int, xb: int, *, kind: str, sp: bool) -> None:
    """xv{add,sub,mul,div}{dp,sp}: XT[i] <- XA[i] op XB[i]."""
    vs = c.vsr
    mode = c.fpscr & MODE
    st = 0
    out: list[int] = []
    if sp:
        for a, b in zip(elems(vs[xa], 32), elems(vs[xb], 32), strict=True):
            r, exc = arith(kind, S2D(a), S2D(b), True, mode)
            st |= element(c, exc, False)
            out.append(D2S(r))
        vs[xt] = join(out, 32)
    else:
        for a, b in zip(elems(vs[xa], 64), elems(vs[xb], 64), strict=True):
            r, exc = arith(kind, a, b, False, mode)
            st |= element(c, exc, False)
            out.append(r)
        vs[xt] = join(out, 64)
    status(c, st, False)


def xv_arith1(c: CPUState, xt: int, xb: int, *, kind: str, sp: bool) -> None:
    """xv{sqrt,re,rsqrte}{dp,sp}: XT[i] <- op XB[i]."""
    vs = c.vsr
    mode = c.fpscr & MODE
    st = 0
    out: list[int] = []
    if sp:
        for b in elems(vs[xb], 32):
            r, exc = arith(kind, 0, S2D(b), True, mode)
            st |= element(c, exc, False)
            out.append(D2S(r))
        vs[xt] = join(out, 32)
    else:
        for b in elems(vs[xb], 64):
            r, exc = arith(kind, 0, b, False, mode)
            st |= element(c, exc, False)
            out.append(r)
        vs[xt] = join(out, 64)
    status(c, st, False)


def xv_madd(c: CPUState, xt: int, xa: int, xb: int, *, mtype: bool, sp: bool, neg_add: bool,
            neg: bool) -> None:  # fmt: skip
    """xv[n]m{add,sub}{a,m}{dp,sp}: A-type XT <- ±(XA×XB ± XT), M-type XT <- ±(XA×XT ± XB).

    Each element is rounded once; NaNs are taken XA first, then the addend,
    then the other factor (as the scalar forms).
    """
    vs = c.vsr
    mode = c.fpscr & MODE
    w = 32 if sp else 64
    ea = elems(vs[xa], w)
    if mtype:
        em = elems(vs[xt], w)
        eadd = elems(vs[xb], w)
    else:
        em = elems(vs[xb], w)
        eadd = elems(vs[xt], w)
    st = 0
    out: list[int] = []
    for a, m, d in zip(ea, em, eadd, strict=True):
        if sp:
            r, exc = fpu.f_madd(S2D(a), S2D(m), S2D(d), True, mode, neg_add, neg)
            r = D2S(r)
        else:
            r, exc = fpu.f_madd(a, m, d, False, mode, neg_add, neg)
        st |= element(c, exc, False)
        out.append(r)
    vs[xt] = join(out, w)
    status(c, st, False)


def _x3(name: str, xo: int, kind: str, sp: bool) -> Insn:
    return Insn(name, XX3_NORC(60, xo), xv_arith2, {"kind": kind, "sp": sp}, facility=VSX)


def _x2(name: str, xo: int, kind: str, sp: bool) -> Insn:
    # Bits 11:15 are reserved; QEMU 7.2 decodes these XX2 forms without checking them.
    return Insn(name, XX2(60, xo), xv_arith1, {"kind": kind, "sp": sp}, facility=VSX,
                syntax="xt, xb")  # fmt: skip


def _fma(name: str, xo: int, mtype: bool, sp: bool, neg_add: bool, neg: bool) -> Insn:
    params = {"mtype": mtype, "sp": sp, "neg_add": neg_add, "neg": neg}
    return Insn(name, XX3_NORC(60, xo), xv_madd, params, facility=VSX)


ARITH_OPS: list[Insn] = [
    _x3("xvadddp", 96, "add", False),
    _x3("xvsubdp", 104, "sub", False),
    _x3("xvmuldp", 112, "mul", False),
    _x3("xvdivdp", 120, "div", False),
    _x3("xvaddsp", 64, "add", True),
    _x3("xvsubsp", 72, "sub", True),
    _x3("xvmulsp", 80, "mul", True),
    _x3("xvdivsp", 88, "div", True),
    _x2("xvsqrtdp", 203, "sqrt", False),
    _x2("xvredp", 218, "re", False),
    _x2("xvrsqrtedp", 202, "rsqrte", False),
    _x2("xvsqrtsp", 139, "sqrt", True),
    _x2("xvresp", 154, "re", True),
    _x2("xvrsqrtesp", 138, "rsqrte", True),
    _fma("xvmaddadp", 97, False, False, False, False),
    _fma("xvmaddmdp", 105, True, False, False, False),
    _fma("xvmsubadp", 113, False, False, True, False),
    _fma("xvmsubmdp", 121, True, False, True, False),
    _fma("xvnmaddadp", 225, False, False, False, True),
    _fma("xvnmaddmdp", 233, True, False, False, True),
    _fma("xvnmsubadp", 241, False, False, True, True),
    _fma("xvnmsubmdp", 249, True, False, True, True),
    _fma("xvmaddasp", 65, False, True, False, False),
    _fma("xvmaddmsp", 73, True, True, False, False),
    _fma("xvmsubasp", 81, False, True, True, False),
    _fma("xvmsubmsp", 89, True, True, True, False),
    _fma("xvnmaddasp", 193, False, True, False, True),
    _fma("xvnmaddmsp", 201, True, True, False, True),
    _fma("xvnmsubasp", 209, False, True, True, True),
    _fma("xvnmsubmsp", 217, True, True, True, True),
]

OPS: list[Insn] = table(*ARITH_OPS)
