"""VSX scalar binary64/binary32 floating-point instructions (xs*dp, xs*sp).

The arithmetic is engine.fpu's (exact integer values rounded once, every
FPSCR[RN] mode); this module adds the FPSCR bookkeeping the VSX unit does,
in the order QEMU 7.2 does it:

1. each element's invalid-operation cause (one per element: VXISI before
   VXSNAN for add, VXIMZ before VXSNAN for multiply...) and zero-divide are
   recorded as they happen; with VE/ZE set and MSR[FE0|FE1] != 0 the program
   interrupt is taken at once and XT is not written;
2. XT is written (a scalar result leaves doubleword 1 zero), FPRF set from the
   result (scalar forms only);
3. overflow, underflow and inexact, accumulated over the elements, are
   recorded, FI set or cleared (scalar forms only: vector forms leave FI and
   FPRF alone), and an enabled one raises the deferred program interrupt.

As in engine.isa.fp, FPSCR[FR] is never set (QEMU 7.2 never sets it).

Where QEMU 7.2 differs from the ISA and we follow QEMU:
- xsaddsp, xssubsp, xsmulsp, xsdivsp, xssqrtsp, xsresp and xsrsqrtesp round
  the binary64 result a second time to single precision (the ISA rounds the
  exact result once); the fused multiply-adds (xsmaddasp...) round once.
- xsredp/xsresp and the reciprocal square-root estimates are correctly
  rounded 1/x and 1/sqrt(x), not estimates, and a zero operand gives an
  infinity without setting ZX.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import fpu
from ..fpu import (
    FPSCR_C,
    FPSCR_FEX,
    FPSCR_FI,
    FPSCR_FPCC,
    FPSCR_FPRF,
    FPSCR_FR,
    FPSCR_FU,
    FPSCR_FX,
    FPSCR_OE,
    FPSCR_OX,
    FPSCR_UE,
    FPSCR_UX,
    FPSCR_VE,
    FPSCR_VX,
    FPSCR_VX_ALL,
    FPSCR_VXSNAN,
    FPSCR_XE,
    FPSCR_XX,
    FPSCR_ZE,
    FPSCR_ZX,
)
from ..interrupts import EXCP_PROGRAM, Interrupt
from ..msr import MSR_FE0, MSR_FE1, SRR1_PROGRAM_FPE
from .fields import XX2, XX3_NORC
from .insn import Insn, table

if TYPE_CHECKING:
    from ..state import CPUState

MSR_FE = MSR_FE0 | MSR_FE1
MODE = fpu.MODE_MASK
STATUS = FPSCR_OX | FPSCR_UX | FPSCR_XX
ONE = fpu.ONE
VSX = "vsx"


# -- FPSCR bookkeeping (the VSX helpers' order) ------------------------------------------
def fp_interrupt() -> Interrupt:
    return Interrupt(EXCP_PROGRAM, SRR1_PROGRAM_FPE)


def invalid(c: CPUState, cause: int, set_fpcc: bool) -> None:
    """Record one element's invalid-operation cause; raise at once when enabled.

    A signalling-NaN operand only sets VXSNAN; any other cause also clears FR
    and FI and, when VE=0 and the form sets FPRF, sets FPCC to C|FU.
    """
    fs = c.fpscr | cause
    if cause != FPSCR_VXSNAN:
        fs &= ~(FPSCR_FR | FPSCR_FI)
        if set_fpcc and not fs & FPSCR_VE:
            fs = (fs & ~FPSCR_FPCC) | FPSCR_C | FPSCR_FU
    fs |= FPSCR_VX | FPSCR_FX
    if fs & FPSCR_VE:
        fs |= FPSCR_FEX
        c.fpscr = fs
        if c.msr & MSR_FE:
            raise fp_interrupt()
    c.fpscr = fs


def zero_divide(c: CPUState) -> None:
    fs = (c.fpscr | FPSCR_ZX | FPSCR_FX) & ~(FPSCR_FR | FPSCR_FI)
    if fs & FPSCR_ZE:
        fs |= FPSCR_FEX
        c.fpscr = fs
        if c.msr & MSR_FE:
            raise fp_interrupt()
    c.fpscr = fs


def element(c: CPUState, exc: int, set_fpcc: bool) -> int:
    """Steps 1 for one element's ``exc``; returns its overflow/underflow/inexact bits."""
    if exc & FPSCR_VX_ALL:
        invalid(c, exc & FPSCR_VX_ALL, set_fpcc)
    if exc & FPSCR_ZX:
        zero_divide(c)
    return exc & STATUS


def status(c: CPUState, exc: int, change_fi: bool, pending: bool = False) -> None:
    """Step 3: OX (else UX), XX, FI; a pending enabled exception raises now."""
    fs = c.fpscr
    if exc & FPSCR_OX:
        fs |= FPSCR_OX | FPSCR_FX
        if fs & FPSCR_OE:
            fs |= FPSCR_FEX
            pending = True
    elif exc & FPSCR_UX:
        fs |= FPSCR_UX | FPSCR_FX
        if fs & FPSCR_UE:
            fs |= FPSCR_FEX
            pending = True
    if exc & FPSCR_XX:
        fs |= FPSCR_XX | FPSCR_FX
        if fs & FPSCR_XE:
            fs |= FPSCR_FEX
            pending = True
        if change_fi:
            fs |= FPSCR_FI
    elif change_fi:
        fs &= ~FPSCR_FI
    c.fpscr = fs
    if pending and c.msr & MSR_FE:
        raise fp_interrupt()


def set_fprf(c: CPUState, r: int) -> None:
    c.fpscr = (c.fpscr & ~FPSCR_FPRF) | fpu.fprf(r)


# -- one binary64 element ------------------------------------------------------------------
def rsqrt(b: int, single: bool, mode: int) -> tuple[int, int]:
    """1/sqrt(b): the square root and the division each rounded (QEMU's "estimate")."""
    r, exc = fpu.f_sqrt(b, single, mode)
    if exc & FPSCR_VX_ALL or fpu.is_nan(r):
        return r, exc
    q, exc2 = fpu.f_div(ONE, r, single, mode)
    return q, exc | (exc2 & ~FPSCR_ZX)


def recip(b: int, single: bool, mode: int) -> tuple[int, int]:
    """1/b; only a signalling NaN counts as invalid, a zero divide sets nothing."""
    r, exc = fpu.f_div(ONE, b, single, mode)
    return r, exc & (STATUS | FPSCR_VXSNAN)


def arith(kind: str, a: int, b: int, single: bool, mode: int) -> tuple[int, int]:
    """One two-operand (or one-operand: ``b``) operation on binary64 images."""
    if kind == "add":
        return fpu.f_add(a, b, single, mode)
    if kind == "sub":
        return fpu.f_add(a, b, single, mode, True)
    if kind == "mul":
        return fpu.f_mul(a, b, single, mode)
    if kind == "div":
        return fpu.f_div(a, b, single, mode)
    if kind == "sqrt":
        return fpu.f_sqrt(b, single, mode)
    if kind == "re":
        return recip(b, single, mode)
    return rsqrt(b, single, mode)


def scalar(c: CPUState, kind: str, sp: bool, a: int, b: int) -> tuple[int, int]:
    """A scalar operation's result and status bits, steps 1 and FPRF done.

    The single-precision forms compute in binary64 and then round the result
    to single (as QEMU 7.2's helpers do, through frsp).
    """
    mode = c.fpscr & MODE
    r, exc = arith(kind, a, b, False, mode)
    st = element(c, exc, True)
    if sp:
        r, exc2 = fpu.round_to_single(r, mode)
        st |= exc2 & STATUS
    c.fpscr = (c.fpscr & ~FPSCR_FPRF) | fpu.fprf(r)
    return r, st


def fma(c: CPUState, a: int, m: int, add: int, sp: bool, neg_add: bool,
        neg: bool) -> tuple[int, int]:  # fmt: skip
    """±(a × m ± add) rounded once (to single for the sp forms), steps 1 and FPRF done."""
    r, exc = fpu.f_madd(a, m, add, sp, c.fpscr & MODE, neg_add, neg)
    if sp and fpu.is_nan(r):
        r &= ~0x1FFF_FFFF  # a NaN leaves a single operation with a single's payload
    st = element(c, exc, True)
    c.fpscr = (c.fpscr & ~FPSCR_FPRF) | fpu.fprf(r)
    return r, st


# -- semantics -------------------------------------------------------------------------------
def xs_arith2(c: CPUState, xt: int, xa: int, xb: int, *, kind: str, sp: bool) -> None:
    """xsadddp/xssubdp/xsmuldp/xsdivdp and their sp forms: XT.dw0 <- XA.dw0 op XB.dw0."""
    vs = c.vsr
    r, st = scalar(c, kind, sp, vs[xa] >> 64, vs[xb] >> 64)
    vs[xt] = r << 64
    status(c, st, True)


def xs_arith1(c: CPUState, xt: int, xb: int, *, kind: str, sp: bool) -> None:
    """xssqrtdp/xsredp/xsrsqrtedp and their sp forms: XT.dw0 <- op XB.dw0."""
    vs = c.vsr
    r, st = scalar(c, kind, sp, 0, vs[xb] >> 64)
    vs[xt] = r << 64
    status(c, st, True)


def xs_madd(c: CPUState, xt: int, xa: int, xb: int, *, mtype: bool, sp: bool, neg_add: bool,
            neg: bool) -> None:  # fmt: skip
    """xs[n]m{add,sub}{a,m}{dp,sp}: A-type XT <- ±(XA×XB ± XT), M-type XT <- ±(XA×XT ± XB).

    NaN operands are taken XA first, then the addend, then the other factor.
    """
    vs = c.vsr
    a = vs[xa] >> 64
    b = vs[xb] >> 64
    t = vs[xt] >> 64
    if mtype:
        r, st = fma(c, a, t, b, sp, neg_add, neg)
    else:
        r, st = fma(c, a, b, t, sp, neg_add, neg)
    vs[xt] = r << 64
    status(c, st, True)


def _x3(name: str, xo: int, kind: str, sp: bool) -> Insn:
    return Insn(name, XX3_NORC(60, xo), xs_arith2, {"kind": kind, "sp": sp}, facility=VSX)


def _x2(name: str, xo: int, kind: str, sp: bool) -> Insn:
    # QEMU 7.2 decodes these XX2 forms without checking bits 11:15 (reserved).
    return Insn(name, XX2(60, xo), xs_arith1, {"kind": kind, "sp": sp}, facility=VSX,
                syntax="xt, xb")  # fmt: skip


def _fma(name: str, xo: int, mtype: bool, sp: bool, neg_add: bool, neg: bool) -> Insn:
    params = {"mtype": mtype, "sp": sp, "neg_add": neg_add, "neg": neg}
    return Insn(name, XX3_NORC(60, xo), xs_madd, params, facility=VSX)


ARITH_OPS: list[Insn] = [
    _x3("xsadddp", 32, "add", False),
    _x3("xssubdp", 40, "sub", False),
    _x3("xsmuldp", 48, "mul", False),
    _x3("xsdivdp", 56, "div", False),
    _x3("xsaddsp", 0, "add", True),
    _x3("xssubsp", 8, "sub", True),
    _x3("xsmulsp", 16, "mul", True),
    _x3("xsdivsp", 24, "div", True),
    _x2("xssqrtdp", 75, "sqrt", False),
    _x2("xsredp", 90, "re", False),
    _x2("xsrsqrtedp", 74, "rsqrte", False),
    _x2("xssqrtsp", 11, "sqrt", True),
    _x2("xsresp", 26, "re", True),
    _x2("xsrsqrtesp", 10, "rsqrte", True),
    _fma("xsmaddadp", 33, False, False, False, False),
    _fma("xsmaddmdp", 41, True, False, False, False),
    _fma("xsmsubadp", 49, False, False, True, False),
    _fma("xsmsubmdp", 57, True, False, True, False),
    _fma("xsnmaddadp", 161, False, False, False, True),
    _fma("xsnmaddmdp", 169, True, False, False, True),
    _fma("xsnmsubadp", 177, False, False, True, True),
    _fma("xsnmsubmdp", 185, True, False, True, True),
    _fma("xsmaddasp", 1, False, True, False, False),
    _fma("xsmaddmsp", 9, True, True, False, False),
    _fma("xsmsubasp", 17, False, True, True, False),
    _fma("xsmsubmsp", 25, True, True, True, False),
    _fma("xsnmaddasp", 129, False, True, False, True),
    _fma("xsnmaddmsp", 137, True, True, False, True),
    _fma("xsnmsubasp", 145, False, True, True, True),
    _fma("xsnmsubmsp", 153, True, True, True, True),
]

OPS: list[Insn] = table(*ARITH_OPS)
