"""Floating-point facility: loads/stores, arithmetic, conversions, compares, FPSCR moves.

Results are bit-exact (``engine.fpu`` rounds exact integer values once, in
every FPSCR[RN] mode); the FPSCR is updated in the order QEMU 7.2 does it:

1. the operation's invalid-operation causes (and ZX) are recorded; with the
   exception enabled (VE/ZE) and MSR[FE0|FE1] != 0 the program interrupt is
   taken at once and FRT is not written;
2. FRT is written, then FPRF is set from it;
3. OX/UX/XX/FI are recorded (FI cleared when exact); an enabled OX/UX/XX, or
   an enabled VXVC from step 1, now raises the program interrupt (SRR1
   0x100000, SRR0 = the instruction) when MSR[FE0|FE1] != 0;
4. CR1 <- FPSCR[FX FEX VX OX] when Rc = 1.

QEMU treats every nonzero FE0/FE1 combination as precise (ISA 3.0B 4.4
allows that), and so do we. FPSCR[FR] is never set by QEMU 7.2; we follow
it: FR only ever changes when an invalid operation or a zero divide clears it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import fpu
from ..bits import M64
from ..fpu import (
    FPSCR_C,
    FPSCR_EX_CLEAR,
    FPSCR_FEX,
    FPSCR_FI,
    FPSCR_FPCC,
    FPSCR_FPRF,
    FPSCR_FR,
    FPSCR_FU,
    FPSCR_FX,
    FPSCR_OE,
    FPSCR_OX,
    FPSCR_RN,
    FPSCR_UE,
    FPSCR_UX,
    FPSCR_VE,
    FPSCR_VX,
    FPSCR_VX_ALL,
    FPSCR_VXCVI,
    FPSCR_VXIDI,
    FPSCR_VXIMZ,
    FPSCR_VXISI,
    FPSCR_VXSNAN,
    FPSCR_VXSQRT,
    FPSCR_VXVC,
    FPSCR_VXZDZ,
    FPSCR_XE,
    FPSCR_XX,
    FPSCR_ZE,
    FPSCR_ZX,
)
from ..interrupts import EXCP_HV_EMU, EXCP_PROGRAM, Interrupt
from ..msr import MSR_FE0, MSR_FE1, SRR1_PROGRAM_FPE
from .fields import XM, D, Encoding, reserved
from .forms import Ctx, Exec, Form, Op, f_bf, f_ra, f_rb, f_rc_field, f_rt, op
from .insn import Insn
from .loadstore import ByteOrder
from .specialize import code_check

if TYPE_CHECKING:
    from ..state import CPUState

MSR_FE = MSR_FE0 | MSR_FE1
CR1_CLEAR = ~0x0F00_0000
EXP = fpu.EXP
MODE = fpu.MODE_MASK
HALF = 0x3FE0_0000_0000_0000
NAN_TEST = ~fpu.SIGN
INF = fpu.INF


_pack_q = struct.Struct("<Q").pack
_unpack_q = struct.Struct("<Q").unpack
_pack_d = struct.Struct("<d").pack
_unpack_d = struct.Struct("<d").unpack


def b2f(b: int) -> float:
    return _unpack_d(_pack_q(b))[0]  # type: ignore[no-any-return]


def f2b(x: float) -> int:
    return _unpack_q(_pack_d(x))[0]  # type: ignore[no-any-return]


def fp_interrupt() -> Interrupt:
    return Interrupt(EXCP_PROGRAM, SRR1_PROGRAM_FPE)


# -- FPSCR bookkeeping (QEMU 7.2 fpu_helper.c order) ------------------------------------
# Invalid-operation causes in the order QEMU's helpers record them; each may
# raise at once, so the order decides which bits are set when VE=1.
_INVALID_ORDER = (
    FPSCR_VXVC, FPSCR_VXCVI, FPSCR_VXSNAN, FPSCR_VXIMZ, FPSCR_VXISI, FPSCR_VXIDI,
    FPSCR_VXZDZ, FPSCR_VXSQRT,
)  # fmt: skip
_IMMEDIATE = FPSCR_VX_ALL | FPSCR_ZX


def record_immediate(c: CPUState, exc: int, set_fpcc: bool = True) -> bool:
    """Step 1: invalid-operation causes and zero-divide. Returns "an interrupt is pending".

    Raises the program interrupt at once for an enabled cause (other than
    VXVC, which QEMU defers until after the target is written).
    """
    pending = False
    fs = c.fpscr
    for bit in _INVALID_ORDER:
        if not exc & bit:
            continue
        fs |= bit
        if bit == FPSCR_VXVC:
            if set_fpcc:
                fs = (fs & ~FPSCR_FPCC) | FPSCR_C | FPSCR_FU
            fs |= FPSCR_VX | FPSCR_FX
            if fs & FPSCR_VE:
                fs |= FPSCR_FEX
                pending = True
            continue
        if bit == FPSCR_VXCVI:
            # QEMU's float_invalid_cvt records VXSNAN with VXCVI before raising.
            fs |= exc & FPSCR_VXSNAN
            exc &= ~FPSCR_VXSNAN
        if bit != FPSCR_VXSNAN:
            fs &= ~(FPSCR_FR | FPSCR_FI)
            if not fs & FPSCR_VE and set_fpcc:
                fs = (fs & ~FPSCR_FPCC) | FPSCR_C | FPSCR_FU
        fs |= FPSCR_VX | FPSCR_FX
        if fs & FPSCR_VE:
            fs |= FPSCR_FEX
            if c.msr & MSR_FE:
                c.fpscr = fs
                raise fp_interrupt()
    if exc & FPSCR_ZX:
        fs = (fs | FPSCR_ZX | FPSCR_FX) & ~(FPSCR_FR | FPSCR_FI)
        if fs & FPSCR_ZE:
            fs |= FPSCR_FEX
            if c.msr & MSR_FE:
                c.fpscr = fs
                raise fp_interrupt()
    c.fpscr = fs
    return pending


def check_status(c: CPUState, exc: int, pending: bool) -> None:
    """Step 3: overflow, underflow, inexact and FI; raise a pending enabled exception."""
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
        fs |= FPSCR_XX | FPSCR_FI | FPSCR_FX
        if fs & FPSCR_XE:
            fs |= FPSCR_FEX
            pending = True
    else:
        fs &= ~FPSCR_FI
    c.fpscr = fs
    if pending and c.msr & MSR_FE:
        raise fp_interrupt()


def set_cr1(c: CPUState) -> None:
    c.cr = (c.cr & CR1_CLEAR) | ((c.fpscr >> 28) << 24)


def finish(c: CPUState, rt: int, r: int, exc: int, set_fprf: bool, rc: bool) -> None:
    """Steps 1-4 for an instruction whose result ``r`` goes to FPR ``rt``."""
    pending = record_immediate(c, exc) if exc & _IMMEDIATE else False
    c.vsr[rt] = (r) << 64
    if set_fprf:
        c.fpscr = (c.fpscr & ~FPSCR_FPRF) | fpu.fprf(r)
    check_status(c, exc, pending)
    if rc:
        set_cr1(c)


# -- arithmetic ---------------------------------------------------------------------
def _odd(v: int) -> int:
    return v >> ((v & -v).bit_length() - 1)


def _sig(b: int) -> int:
    return (b & fpu.FRAC) | fpu.IMPL


_FAST_OFF = FPSCR_RN | FPSCR_XE  # directed rounding or XE=1: no fast path


def _fast_add(a: int, b: int, sub: bool) -> int | None:
    """fadd/fsub of two normal numbers in round-to-nearest when the sum is normal.

    Returns the result bits with bit 64 set when inexact (a two-sum error
    term is exact for finite operands without overflow), or None.
    """
    x, y = b2f(a), b2f(b)
    if sub:
        y = -y
    s = x + y
    r = f2b(s)
    er = r & EXP
    if er == 0 or er == EXP:
        return None
    bb = s - x
    err = (x - (s - bb)) + (y - bb)
    return r | (1 << 64) if err else r


def _fast_mul(a: int, b: int) -> int | None:
    r = f2b(b2f(a) * b2f(b))
    er = r & EXP
    if er == 0 or er == EXP:
        return None
    # A normal product is exact iff the significands' product fits in 53 bits.
    inexact = _odd(_sig(a) * _sig(b)).bit_length() > 53
    return r | (1 << 64) if inexact else r


def _fast_div(a: int, b: int) -> int | None:
    r = f2b(b2f(a) / b2f(b))
    er = r & EXP
    if er == 0 or er == EXP:
        return None
    # q × b = a exactly iff their odd parts agree (q is within an ulp of a/b).
    inexact = _odd(_sig(r) * _sig(b)) != _odd(_sig(a))
    return r | (1 << 64) if inexact else r


_FAST: dict[str, Callable[..., int | None]] = {"add": _fast_add, "mul": _fast_mul, "div": _fast_div}


def arith(
    w: int,
    x: Ctx,
    *,
    kind: str,
    single: bool,
    sub: bool = False,
    neg_b: bool = False,
    neg_r: bool = False,
) -> Exec:
    """fadd/fsub/fmul/fdiv/fsqrt/fmadd family (A form) and their single forms.

    kind is "add", "mul", "div", "sqrt", "madd", "re" (reciprocal estimate)
    or "rsqrte"; operand fields follow the form: FRA+FRB, FRA×FRC, FRA÷FRB,
    √FRB, FRA×FRC±FRB.
    """
    rt, ra, rb, rcf = f_rt(w), f_ra(w), f_rb(w), f_rc_field(w)
    rc = bool(w & 1)
    npc = x.npc
    compute: Callable[[list[int], int], tuple[int, int]]
    if kind == "add":

        def compute(f: list[int], rn: int) -> tuple[int, int]:
            return fpu.f_add((f[ra] >> 64), (f[rb] >> 64), single, rn, sub)
    elif kind == "mul":

        def compute(f: list[int], rn: int) -> tuple[int, int]:
            return fpu.f_mul((f[ra] >> 64), (f[rcf] >> 64), single, rn)
    elif kind == "div":

        def compute(f: list[int], rn: int) -> tuple[int, int]:
            return fpu.f_div((f[ra] >> 64), (f[rb] >> 64), single, rn)
    elif kind == "sqrt":

        def compute(f: list[int], rn: int) -> tuple[int, int]:
            return fpu.f_sqrt((f[rb] >> 64), single, rn)
    elif kind == "madd":

        def compute(f: list[int], rn: int) -> tuple[int, int]:
            return fpu.f_madd(f[ra] >> 64, f[rcf] >> 64, f[rb] >> 64, single, rn, neg_b, neg_r)
    elif kind == "re":
        # QEMU 7.2 "estimates" with a correctly rounded division (fpu_helper.c
        # helper_fre), and fre of a zero gives ±0.5 (with ZX) rather than ±inf.
        def compute(f: list[int], rn: int) -> tuple[int, int]:
            b = f[rb] >> 64
            if not b & ~fpu.SIGN:
                return (b & fpu.SIGN) | HALF, FPSCR_ZX
            return fpu.f_div(fpu.ONE, b, single, rn)
    else:  # rsqrte

        def compute(f: list[int], rn: int) -> tuple[int, int]:
            return fpu.f_rsqrt((f[rb] >> 64), single, rn)

    def slow(c: CPUState) -> int:
        r, exc = compute(c.vsr, c.fpscr & MODE)
        if single and r & NAN_TEST > INF:
            r &= ~0x1FFF_FFFF  # a NaN leaves a single operation with a single's payload
        finish(c, rt, r, exc, True, rc)
        return npc

    fast = _FAST.get(kind) if not single else None
    if fast is None:
        return slow
    second = rcf if kind == "mul" else rb
    fast_fn = fast
    is_add = kind == "add"

    def ex(c: CPUState) -> int:
        fs = c.fpscr
        if not fs & _FAST_OFF:
            f = c.vsr
            a, b = (f[ra] >> 64), (f[second] >> 64)
            ea, eb = a & EXP, b & EXP
            if ea and eb and ea != EXP and eb != EXP:
                r = fast_fn(a, b, sub) if is_add else fast_fn(a, b)
                if r is not None:
                    cls = 0x8000 if r >> 63 & 1 else 0x4000
                    if r >> 64:
                        r &= M64
                        fs = (fs & ~FPSCR_FPRF) | cls | FPSCR_FI | FPSCR_XX | FPSCR_FX
                    else:
                        fs = (fs & ~(FPSCR_FPRF | FPSCR_FI)) | cls
                    f[rt] = (r) << 64
                    c.fpscr = fs
                    if rc:
                        c.cr = (c.cr & CR1_CLEAR) | ((fs >> 28) << 24)
                    return npc
        return slow(c)

    return ex


def frsp(w: int, x: Ctx) -> Exec:
    rt, rb, rc, npc = f_rt(w), f_rb(w), bool(w & 1), x.npc

    def ex(c: CPUState) -> int:
        r, exc = fpu.round_to_single((c.vsr[rb] >> 64), c.fpscr & MODE)
        finish(c, rt, r, exc, True, rc)
        return npc

    return ex


# -- conversions ----------------------------------------------------------------------
_CTI = {  # (lo, hi, word): the integer range and whether it is a word result
    "w": (-(1 << 31), (1 << 31) - 1, True),
    "wu": (0, (1 << 32) - 1, True),
    "d": (-(1 << 63), (1 << 63) - 1, False),
    "du": (0, (1 << 64) - 1, False),
}


def fcti(w: int, x: Ctx, *, to: str, z: bool) -> Exec:
    """fctiw[u][z]/fctid[u][z]: FRB converted to an integer in FRT.

    As QEMU 7.2: a NaN gives 0x8000_0000 (word), 0x8000_0000_0000_0000
    (doubleword) or 0 (unsigned), out-of-range values saturate, and a signed
    word result is sign-extended into the FPR (the ISA leaves FRT[0:31]
    undefined). FPRF is not changed.
    """
    rt, rb, rc, npc = f_rt(w), f_rb(w), bool(w & 1), x.npc
    lo, hi, word = _CTI[to]
    nanval = (1 << 31 if word else 1 << 63) if lo else 0

    def ex(c: CPUState) -> int:
        b = c.vsr[rb] >> 64
        v, exc = fpu.to_int(b, fpu.RN_ZERO if z else c.fpscr & FPSCR_RN, lo, hi)
        if fpu.is_nan(b):
            v = nanval
        finish(c, rt, v & M64, exc, False, rc)
        return npc

    return ex


def fcfi(w: int, x: Ctx, *, signed: bool, single: bool, set_fprf: bool) -> Exec:
    """fcfid[u][s]: the doubleword integer in FRB converted to floating-point.

    An enabled inexact exception leaves FRT unchanged (QEMU 7.2 raises it from
    inside the conversion helper). QEMU 7.2 sets FPRF for fcfid only and
    leaves it unchanged for fcfidu, fcfids and fcfidus (the ISA sets it for
    all four); we follow QEMU.
    """
    rt, rb, rc, npc = f_rt(w), f_rb(w), bool(w & 1), x.npc

    def ex(c: CPUState) -> int:
        v = c.vsr[rb] >> 64
        if signed and v >> 63:
            v -= 1 << 64
        r, exc = fpu.from_int(v, single, c.fpscr & MODE)
        # QEMU's helper checks the status (and raises an enabled XX/OX) before
        # FRT is written, unlike the arithmetic instructions.
        check_status(c, exc, False)
        c.vsr[rt] = (r) << 64
        if set_fprf:
            c.fpscr = (c.fpscr & ~FPSCR_FPRF) | fpu.fprf(r)
        if rc:
            set_cr1(c)
        return npc

    return ex


# -- moves without FPSCR effects --------------------------------------------------------
_SIGN = fpu.SIGN


def fmove(w: int, x: Ctx, *, how: str) -> Exec:
    """fmr/fneg/fabs/fnabs/fcpsgn: sign-bit operations; FPSCR is not touched."""
    rt, ra, rb, rc, npc = f_rt(w), f_ra(w), f_rb(w), bool(w & 1), x.npc
    fn: Callable[[list[int]], int] = {
        "mr": lambda f: f[rb] >> 64,
        "neg": lambda f: (f[rb] >> 64) ^ _SIGN,
        "abs": lambda f: (f[rb] >> 64) & ~_SIGN,
        "nabs": lambda f: (f[rb] >> 64) | _SIGN,
        "cpsgn": lambda f: ((f[ra] >> 64) & _SIGN) | ((f[rb] >> 64) & ~_SIGN),
    }[how]

    def ex(c: CPUState) -> int:
        f = c.vsr
        f[rt] = (fn(f)) << 64
        if rc:
            set_cr1(c)
        return npc

    return ex


def fsel(w: int, x: Ctx) -> Exec:
    """fsel: FRT <- FRC if FRA >= 0 (not NaN; -0 counts), else FRB."""
    rt, ra, rb, rcf, rc, npc = f_rt(w), f_ra(w), f_rb(w), f_rc_field(w), bool(w & 1), x.npc

    def ex(c: CPUState) -> int:
        f = c.vsr
        a = f[ra] >> 64
        ge = (not a >> 63 or not a & ~_SIGN) and not fpu.is_nan(a)
        f[rt] = ((f[rcf] >> 64) if ge else (f[rb] >> 64)) << 64
        if rc:
            set_cr1(c)
        return npc

    return ex


# -- compare ------------------------------------------------------------------------
def fcmp(w: int, x: Ctx, *, ordered: bool) -> Exec:
    """fcmpu/fcmpo: CR[BF] and FPSCR[FPCC] <- FL FG FE FU; VXSNAN (and VXVC if ordered)."""
    bf, ra, rb, npc = f_bf(w), f_ra(w), f_rb(w), x.npc
    shift = 4 * (7 - bf)
    keep = ~(0xF << shift)

    def ex(c: CPUState) -> int:
        f = c.vsr
        a, b = (f[ra] >> 64), (f[rb] >> 64)
        exc = 0
        if fpu.is_nan(a) or fpu.is_nan(b):
            r = 1
            if fpu.is_snan(a) or fpu.is_snan(b):
                exc = FPSCR_VXSNAN
            if ordered:
                exc |= FPSCR_VXVC
        else:
            va, vb = _ordered_key(a), _ordered_key(b)
            r = 8 if va < vb else 4 if va > vb else 2
        c.fpscr = (c.fpscr & ~FPSCR_FPCC) | (r << 12)
        c.cr = (c.cr & keep) | (r << shift)
        pending = record_immediate(c, exc, set_fpcc=True) if exc else False
        check_status(c, 0, pending)
        return npc

    return ex


def _ordered_key(b: int) -> int:
    """An integer that orders non-NaN binary64 values as their values (±0 equal)."""
    mag = b & ~_SIGN
    return -mag if b >> 63 else mag


# -- FPSCR moves ------------------------------------------------------------------------
def store_fpscr(c: CPUState, new: int, nibbles: int) -> bool:
    """QEMU 7.2 helper_store_fpscr: replace the selected 4-bit fields of the FPSCR.

    FEX and VX are never written directly: VX becomes the OR of the VX*
    causes and FEX the OR of the enabled exceptions. Returns "FEX is set"
    (an enabled exception is pending).
    """
    prev = c.fpscr
    new = (new & ~(FPSCR_FEX | FPSCR_VX)) | (prev & (FPSCR_FEX | FPSCR_VX))
    fs = prev
    for i in range(8):
        if nibbles & (1 << i):
            m = 0xF << (4 * i)
            fs = (fs & ~m) | (new & m)
    return _summaries(c, fs)


def _summaries(c: CPUState, fs: int) -> bool:
    fs &= ~0x800  # FPSCR bit 52 is reserved: QEMU never stores it
    fs = (fs | FPSCR_VX) if fs & FPSCR_VX_ALL else (fs & ~FPSCR_VX)
    if (fs >> 25) & (fs >> 3) & 0x1F:
        fs |= FPSCR_FEX
        c.fpscr = fs
        return True
    c.fpscr = fs & ~FPSCR_FEX
    return False


def mffs(w: int, x: Ctx) -> Exec:
    rt, rc, npc = f_rt(w), bool(w & 1), x.npc

    def ex(c: CPUState) -> int:
        c.vsr[rt] = (c.fpscr) << 64
        if rc:
            set_cr1(c)
        return npc

    return ex


def mtfsf(w: int, x: Ctx) -> Exec:
    """mtfsf FLM,FRB,L,W: FPSCR fields under FLM (or all with L=1) <- FRB[32:63].

    The W=1 fields live in FPSCR[0:31] (DRN), which this FPSCR does not hold.
    """
    rb, rc, npc = f_rb(w), bool(w & 1), x.npc
    lbit, flm, wbit = (w >> 25) & 1, (w >> 17) & 0xFF, (w >> 16) & 1
    nibbles = 0xFF if lbit else (0 if wbit else flm)

    def ex(c: CPUState) -> int:
        pending = store_fpscr(c, (c.vsr[rb] >> 64) & 0xFFFF_FFFF, nibbles)
        if rc:
            set_cr1(c)
        if pending and c.msr & MSR_FE:
            raise fp_interrupt()
        return npc

    return ex


def mtfsfi(w: int, x: Ctx) -> Exec:
    """mtfsfi BF,U,W: FPSCR field BF <- U (W=1 names a DRN field: ignored here)."""
    bf, rc, npc = f_bf(w), bool(w & 1), x.npc
    u, wbit = (w >> 12) & 0xF, (w >> 16) & 1
    sh = 7 - bf
    nibbles = 0 if wbit else 1 << sh

    def ex(c: CPUState) -> int:
        pending = store_fpscr(c, u << (4 * sh), nibbles)
        if rc:
            set_cr1(c)
        if pending and c.msr & MSR_FE:
            raise fp_interrupt()
        return npc

    return ex


def mtfsb(w: int, x: Ctx, *, value: int) -> Exec:
    """mtfsb0/mtfsb1 BT: one FPSCR bit (FEX and VX cannot be set or cleared: ISA 4.6.10).

    As QEMU 7.2, VX and FEX are then recomputed as summaries and FX is left
    alone; mtfsb1 leaving an enabled exception set raises the interrupt.
    """
    bt, rc, npc = f_rt(w), bool(w & 1), x.npc
    bit = 1 << (31 - bt)
    writable = bit not in (FPSCR_FEX, FPSCR_VX)

    def clear(c: CPUState) -> int:
        if writable and c.fpscr & bit:
            _summaries(c, c.fpscr & ~bit)
        if rc:
            set_cr1(c)
        return npc

    def setb(c: CPUState) -> int:
        if writable and not c.fpscr & bit:
            _summaries(c, c.fpscr | bit)
        if rc:
            set_cr1(c)
        if c.fpscr & FPSCR_FEX and c.msr & MSR_FE:
            raise fp_interrupt()
        return npc

    return setb if value else clear


def mcrfs(w: int, x: Ctx) -> Exec:
    """mcrfs BF,BFA: CR[BF] <- FPSCR field BFA, whose exception bits are then cleared."""
    bf, bfa, npc = f_bf(w), (w >> 18) & 7, x.npc
    cshift = 4 * (7 - bf)
    fshift = 4 * (7 - bfa)

    def ex(c: CPUState) -> int:
        fs = c.fpscr
        c.cr = (c.cr & ~(0xF << cshift)) | (((fs >> fshift) & 0xF) << cshift)
        _summaries(c, fs & ~((0xF << fshift) & FPSCR_EX_CLEAR))
        return npc

    return ex


# -- loads and stores -------------------------------------------------------------------
# lfs converts with the ISA's DOUBLE() (exact: an SNaN stays signalling), stfs with
# SINGLE() (no rounding); lfiwax sign-extends the word, lfiwzx zero-extends it, stfiwx
# stores the FPR's low word. An update form with RA = 0 is an invalid form, which
# QEMU 7.2 takes as illegal (HEAI on POWER9).
def fload_d(c: CPUState, rt: int, ra: int, d: int, *, kind: str, size: int, amask: int,
            order: ByteOrder, update: bool = False) -> None:  # fmt: skip
    """lfs/lfd and lfsu/lfdu: FRT <- MEM((RA|0) + D, size), converted as ``kind`` says."""
    if update and ra == 0:
        raise Interrupt(EXCP_HV_EMU)
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
    elif kind == "iwa" and v >> 31:
        v |= 0xFFFF_FFFF_0000_0000
    c.vsr[rt] = v << 64
    if update:
        g[ra] = ea


def fload_x(c: CPUState, rt: int, ra: int, rb: int, *, kind: str, size: int, amask: int,
            order: ByteOrder, update: bool = False) -> None:  # fmt: skip
    """lfsx/lfdx/lfiwax/lfiwzx and lfsux/lfdux: FRT <- MEM((RA|0) + RB, size)."""
    if update and ra == 0:
        raise Interrupt(EXCP_HV_EMU)
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
    elif kind == "iwa" and v >> 31:
        v |= 0xFFFF_FFFF_0000_0000
    c.vsr[rt] = v << 64
    if update:
        g[ra] = ea


def fstore_d(c: CPUState, rs: int, ra: int, d: int, *, kind: str, size: int, amask: int,
             order: ByteOrder, update: bool = False) -> None:  # fmt: skip
    """stfs/stfd and stfsu/stfdu: MEM((RA|0) + D, size) <- FRS, converted as ``kind`` says."""
    if update and ra == 0:
        raise Interrupt(EXCP_HV_EMU)
    g = c.gpr
    ts = c.tlb_store
    ea = ((g[ra] if ra else 0) + d) & amask
    v = c.vsr[rs] >> 64
    if kind == "s":
        v = fpu.double_to_single(v)
    elif kind == "iw":
        v &= 0xFFFF_FFFF
    p = ts.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0x1000 - size:
        p[o : o + size] = v.to_bytes(size, order)
        if update:
            g[ra] = ea
    else:
        c.write(ea, size, v, order)
        if update:
            g[ra] = ea
        code_check()


def fstore_x(c: CPUState, rs: int, ra: int, rb: int, *, kind: str, size: int, amask: int,
             order: ByteOrder, update: bool = False) -> None:  # fmt: skip
    """stfsx/stfdx/stfiwx and stfsux/stfdux: MEM((RA|0) + RB, size) <- FRS."""
    if update and ra == 0:
        raise Interrupt(EXCP_HV_EMU)
    g = c.gpr
    ts = c.tlb_store
    ea = ((g[ra] if ra else 0) + g[rb]) & amask
    v = c.vsr[rs] >> 64
    if kind == "s":
        v = fpu.double_to_single(v)
    elif kind == "iw":
        v &= 0xFFFF_FFFF
    p = ts.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0x1000 - size:
        p[o : o + size] = v.to_bytes(size, order)
        if update:
            g[ra] = ea
    else:
        c.write(ea, size, v, order)
        if update:
            g[ra] = ea
        code_check()


def _fls(name: str, enc: Encoding, kind: str, **kw: object) -> Insn:
    """One FP load or store line, its semantics chosen by direction and format."""
    store = name.startswith("st")
    size = 8 if kind == "d" else 4
    sem = (fstore_x if store else fload_x) if enc.format is XM else (fstore_d if store else fload_d)
    return Insn(name, enc, sem, {"kind": kind, "size": size, **kw}, facility="fp",
                access="store" if store else "load", size=size)  # fmt: skip


# -- the table ------------------------------------------------------------------------
_FP = {"facility": "fp"}
_RC = {"suffixes": ("rc",), "facility": "fp"}
# Reserved operand fields that must be 0 in the A-form arithmetic (else illegal, as QEMU).
_NO_C = (0x7C0, 0)
_NO_B = (0xF800, 0)
_ONLY_B = (0x1F07C0, 0)


def _a(name: str, opcd: int, xo: int, fixed: tuple[int, int], **kw: object) -> Op:
    return op(name, Form.A, opcd, xo, arith, fixed=fixed, **_RC, **kw)


def _arith_lines(sfx: str, opcd: int, single: bool) -> list[Op]:
    s = {"single": single}
    return [
        _a("fdiv" + sfx, opcd, 18, _NO_C, kind="div", **s),
        _a("fsub" + sfx, opcd, 20, _NO_C, kind="add", sub=True, **s),
        _a("fadd" + sfx, opcd, 21, _NO_C, kind="add", **s),
        _a("fsqrt" + sfx, opcd, 22, _ONLY_B, kind="sqrt", **s),
        _a("fre" + sfx, opcd, 24, _ONLY_B, kind="re", **s),
        _a("fmul" + sfx, opcd, 25, _NO_B, kind="mul", **s),
        _a("frsqrte" + sfx, opcd, 26, _ONLY_B, kind="rsqrte", **s),
        _a("fmsub" + sfx, opcd, 28, (0, 0), kind="madd", neg_b=True, **s),
        _a("fmadd" + sfx, opcd, 29, (0, 0), kind="madd", **s),
        _a("fnmsub" + sfx, opcd, 30, (0, 0), kind="madd", neg_b=True, neg_r=True, **s),
        _a("fnmadd" + sfx, opcd, 31, (0, 0), kind="madd", neg_r=True, **s),
    ]


def _x63(
    name: str,
    xo: int,
    factory: Callable[..., Exec],
    fixed: tuple[int, int] = (0, 0),
    rc: bool = True,
    **kw: object,
) -> Op:
    meta = _RC if rc else _FP
    return op(name, Form.X, 63, xo, factory, fixed=fixed, **meta, **kw)


_NO_A = (0x1F_0000, 0)

OPS: list[Op | Insn] = [
    _fls("lfs", D(48), "s"),
    _fls("lfsu", D(49), "s", update=True),
    _fls("lfd", D(50), "d"),
    _fls("lfdu", D(51), "d", update=True),
    _fls("stfs", D(52), "s"),
    _fls("stfsu", D(53), "s", update=True),
    _fls("stfd", D(54), "d"),
    _fls("stfdu", D(55), "d", update=True),
    _fls("lfsx", XM(31, 535), "s"),
    _fls("lfsux", XM(31, 567), "s", update=True),
    _fls("lfdx", XM(31, 599), "d"),
    _fls("lfdux", XM(31, 631), "d", update=True),
    # lfiwax, lfiwzx and stfiwx reject bit 31 set, as QEMU 7.2 does.
    _fls("lfiwax", reserved(XM(31, 855), 1), "iwa"),
    _fls("lfiwzx", reserved(XM(31, 887), 1), "iwz"),
    _fls("stfsx", XM(31, 663), "s"),
    _fls("stfsux", XM(31, 695), "s", update=True),
    _fls("stfdx", XM(31, 727), "d"),
    _fls("stfdux", XM(31, 759), "d", update=True),
    _fls("stfiwx", reserved(XM(31, 983), 1), "iw"),
    *_arith_lines("", 63, False),
    *_arith_lines("s", 59, True),
    op("fsel", Form.A, 63, 23, fsel, **_RC),
    _x63("fcmpu", 0, fcmp, (0x60_0001, 0), rc=False, ordered=False),
    _x63("fcmpo", 32, fcmp, (0x60_0001, 0), rc=False, ordered=True),
    _x63("frsp", 12, frsp, _NO_A),
    _x63("fctiw", 14, fcti, _NO_A, to="w", z=False),
    _x63("fctiwz", 15, fcti, _NO_A, to="w", z=True),
    _x63("fctiwu", 142, fcti, _NO_A, to="wu", z=False),
    _x63("fctiwuz", 143, fcti, _NO_A, to="wu", z=True),
    _x63("fctid", 814, fcti, _NO_A, to="d", z=False),
    _x63("fctidz", 815, fcti, _NO_A, to="d", z=True),
    _x63("fctidu", 942, fcti, _NO_A, to="du", z=False),
    _x63("fctiduz", 943, fcti, _NO_A, to="du", z=True),
    _x63("fcfid", 846, fcfi, _NO_A, signed=True, single=False, set_fprf=True),
    _x63("fcfidu", 974, fcfi, _NO_A, signed=False, single=False, set_fprf=False),
    op(
        "fcfids",
        Form.X,
        59,
        846,
        fcfi,
        fixed=_NO_A,
        signed=True,
        single=True,
        set_fprf=False,
        **_RC,
    ),
    op(
        "fcfidus",
        Form.X,
        59,
        974,
        fcfi,
        fixed=_NO_A,
        signed=False,
        single=True,
        set_fprf=False,
        **_RC,
    ),
    _x63("fmr", 72, fmove, _NO_A, how="mr"),
    _x63("fneg", 40, fmove, _NO_A, how="neg"),
    _x63("fabs", 264, fmove, _NO_A, how="abs"),
    _x63("fnabs", 136, fmove, _NO_A, how="nabs"),
    _x63("fcpsgn", 8, fmove, how="cpsgn"),
    _x63("mffs", 583, mffs, (0x1F_F800, 0)),
    op("mtfsf", Form.XFX, 63, 711, mtfsf, **_RC),
    _x63("mtfsfi", 134, mtfsfi, (0x7E_0800, 0)),
    _x63("mtfsb0", 70, mtfsb, (0x1F_F800, 0), value=0),
    _x63("mtfsb1", 38, mtfsb, (0x1F_F800, 0), value=1),
    _x63("mcrfs", 64, mcrfs, (0x63_F801, 0), rc=False),
]
