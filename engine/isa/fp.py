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
from struct import pack_into, unpack_from
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
from .fields import XFPSCR, XM, A, D, Encoding, X, reserved
from .insn import Insn, table
from .loadstore import ByteOrder, fmt
from .specialize import code_check, pure

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


def _fre(b: int, single: bool, rn: int) -> tuple[int, int]:
    """fre[s]: QEMU 7.2 "estimates" with a correctly rounded division (helper_fre), and
    a zero operand gives ±0.5 with ZX rather than ±inf."""
    if not b & ~fpu.SIGN:
        return (b & fpu.SIGN) | HALF, FPSCR_ZX
    return fpu.f_div(fpu.ONE, b, single, rn)


def arith(c: CPUState, frt: int, fra: int, frb: int, frc: int, *, kind: str, single: bool,
          sub: bool = False, neg_b: bool = False, neg_r: bool = False,
          rc: int) -> None:  # fmt: skip
    """fadd/fsub/fmul/fdiv/fsqrt/fre/frsqrte/fmadd family (A form) and their single forms.

    Operands follow the form: FRA+FRB, FRA×FRC, FRA÷FRB, √FRB, FRA×FRC±FRB.
    Binary64 add, multiply and divide of two normal numbers in round-to-nearest
    with XE=0 take a host-float fast path when the result is normal.
    """
    vs = c.vsr
    fs = c.fpscr
    r = None
    if not single and (kind == "add" or kind == "mul" or kind == "div") and not fs & _FAST_OFF:
        a = vs[fra] >> 64
        b = vs[frc if kind == "mul" else frb] >> 64
        ea = a & EXP
        eb = b & EXP
        if ea and eb and ea != EXP and eb != EXP:
            if kind == "add":
                r = _fast_add(a, b, sub)
            elif kind == "mul":
                r = _fast_mul(a, b)
            else:
                r = _fast_div(a, b)
    if r is not None:
        # A normal result: FPRF from its sign; bit 64 marks it inexact (XX, FI, FX).
        cls = 0x8000 if r >> 63 & 1 else 0x4000
        if r >> 64:
            fs = (fs & ~FPSCR_FPRF) | cls | FPSCR_FI | FPSCR_XX | FPSCR_FX
        else:
            fs = (fs & ~(FPSCR_FPRF | FPSCR_FI)) | cls
        vs[frt] = (r & M64) << 64
        c.fpscr = fs
        if rc:
            c.cr = (c.cr & CR1_CLEAR) | ((fs >> 28) << 24)
    else:
        rn = fs & MODE
        if kind == "add":
            res, exc = fpu.f_add(vs[fra] >> 64, vs[frb] >> 64, single, rn, sub)
        elif kind == "mul":
            res, exc = fpu.f_mul(vs[fra] >> 64, vs[frc] >> 64, single, rn)
        elif kind == "div":
            res, exc = fpu.f_div(vs[fra] >> 64, vs[frb] >> 64, single, rn)
        elif kind == "sqrt":
            res, exc = fpu.f_sqrt(vs[frb] >> 64, single, rn)
        elif kind == "madd":
            res, exc = fpu.f_madd(vs[fra] >> 64, vs[frc] >> 64, vs[frb] >> 64, single, rn,
                                  neg_b, neg_r)  # fmt: skip
        elif kind == "re":
            res, exc = _fre(vs[frb] >> 64, single, rn)
        else:  # rsqrte
            res, exc = fpu.f_rsqrt(vs[frb] >> 64, single, rn)
        if single and res & NAN_TEST > INF:
            res &= ~0x1FFF_FFFF  # a NaN leaves a single operation with a single's payload
        finish(c, frt, res, exc, True, bool(rc))


def frsp(c: CPUState, frt: int, frb: int, *, rc: int) -> None:
    r, exc = fpu.round_to_single(c.vsr[frb] >> 64, c.fpscr & MODE)
    finish(c, frt, r, exc, True, bool(rc))


_AWAY = -2  # frin: round to nearest, ties away from zero


def fri(c: CPUState, frt: int, frb: int, *, rn: int, rc: int) -> None:
    """frin/friz/frip/frim: FRB rounded to an integral value (``rn`` -2: nearest, ties away).

    As QEMU 7.2 (and the ISA): an SNaN is quieted with VXSNAN, an inexact result sets
    neither XX nor FI (FI is cleared), FPRF describes the result.
    """
    b = c.vsr[frb] >> 64
    if fpu.is_nan(b):
        r, exc = b | fpu.QUIET, FPSCR_VXSNAN if fpu.is_snan(b) else 0
    else:
        r, exc = fpu.round_integral(b, fpu.BINARY64, rn, away=rn == _AWAY)[0], 0
    finish(c, frt, r, exc, True, bool(rc))


# -- conversions ----------------------------------------------------------------------
_CTI = {  # (lo, hi, word): the integer range and whether it is a word result
    "w": (-(1 << 31), (1 << 31) - 1, True),
    "wu": (0, (1 << 32) - 1, True),
    "d": (-(1 << 63), (1 << 63) - 1, False),
    "du": (0, (1 << 64) - 1, False),
}


@pure
def cti_range(to: str) -> tuple[int, int, int]:
    """(lo, hi, the NaN result) of an fcti* conversion to ``to``."""
    lo, hi, word = _CTI[to]
    return lo, hi, ((1 << 31 if word else 1 << 63) if lo else 0)


def fcti(c: CPUState, frt: int, frb: int, *, to: str, z: bool, rc: int) -> None:
    """fctiw[u][z]/fctid[u][z]: FRB converted to an integer in FRT.

    As QEMU 7.2: a NaN gives 0x8000_0000 (word), 0x8000_0000_0000_0000
    (doubleword) or 0 (unsigned), out-of-range values saturate, and a signed
    word result is sign-extended into the FPR (the ISA leaves FRT[0:31]
    undefined). FPRF is not changed.
    """
    lo, hi, nanval = cti_range(to)
    b = c.vsr[frb] >> 64
    v, exc = fpu.to_int(b, fpu.RN_ZERO if z else c.fpscr & FPSCR_RN, lo, hi)
    if fpu.is_nan(b):
        v = nanval
    finish(c, frt, v & M64, exc, False, bool(rc))


def fcfi(c: CPUState, frt: int, frb: int, *, signed: bool, single: bool, set_fprf: bool,
         rc: int) -> None:  # fmt: skip
    """fcfid[u][s]: the doubleword integer in FRB converted to floating-point.

    An enabled inexact exception leaves FRT unchanged (QEMU 7.2 raises it from
    inside the conversion helper). QEMU 7.2 sets FPRF for fcfid only and
    leaves it unchanged for fcfidu, fcfids and fcfidus (the ISA sets it for
    all four); we follow QEMU.
    """
    v = c.vsr[frb] >> 64
    if signed and v >> 63:
        v -= 1 << 64
    r, exc = fpu.from_int(v, single, c.fpscr & MODE)
    # QEMU's helper checks the status (and raises an enabled XX/OX) before
    # FRT is written, unlike the arithmetic instructions.
    check_status(c, exc, False)
    c.vsr[frt] = r << 64
    if set_fprf:
        c.fpscr = (c.fpscr & ~FPSCR_FPRF) | fpu.fprf(r)
    if rc:
        set_cr1(c)


# -- moves without FPSCR effects --------------------------------------------------------
_SIGN = fpu.SIGN


def fmove(c: CPUState, frt: int, fra: int, frb: int, *, how: str, rc: int) -> None:
    """fmr/fneg/fabs/fnabs/fcpsgn: sign-bit operations; FPSCR is not touched."""
    vs = c.vsr
    if how == "mr":
        vs[frt] = vs[frb] >> 64 << 64
    elif how == "neg":
        vs[frt] = ((vs[frb] >> 64) ^ _SIGN) << 64
    elif how == "abs":
        vs[frt] = ((vs[frb] >> 64) & ~_SIGN) << 64
    elif how == "nabs":
        vs[frt] = ((vs[frb] >> 64) | _SIGN) << 64
    else:  # cpsgn
        vs[frt] = (((vs[fra] >> 64) & _SIGN) | ((vs[frb] >> 64) & ~_SIGN)) << 64
    if rc:
        set_cr1(c)


def fsel(c: CPUState, frt: int, fra: int, frb: int, frc: int, *, rc: int) -> None:
    """fsel: FRT <- FRC if FRA >= 0 (not NaN; -0 counts), else FRB."""
    vs = c.vsr
    a = vs[fra] >> 64
    ge = (not a >> 63 or not a & ~_SIGN) and not fpu.is_nan(a)
    vs[frt] = ((vs[frc] >> 64) if ge else (vs[frb] >> 64)) << 64
    if rc:
        set_cr1(c)


# -- compare ------------------------------------------------------------------------
def fcmp(c: CPUState, bf: int, fra: int, frb: int, *, ordered: bool) -> None:
    """fcmpu/fcmpo: CR[BF] and FPSCR[FPCC] <- FL FG FE FU; VXSNAN (and VXVC if ordered)."""
    vs = c.vsr
    a = vs[fra] >> 64
    b = vs[frb] >> 64
    exc = 0
    if fpu.is_nan(a) or fpu.is_nan(b):
        r = 1
        if fpu.is_snan(a) or fpu.is_snan(b):
            exc = FPSCR_VXSNAN
        if ordered:
            exc |= FPSCR_VXVC
    else:
        va = _ordered_key(a)
        vb = _ordered_key(b)
        r = 8 if va < vb else 4 if va > vb else 2
    c.fpscr = (c.fpscr & ~FPSCR_FPCC) | (r << 12)
    c.cr = (c.cr & ~(0xF << (4 * (7 - bf)))) | (r << (4 * (7 - bf)))
    if exc:
        check_status(c, 0, record_immediate(c, exc, set_fpcc=True))
    else:
        check_status(c, 0, False)


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


def _fpscr_written(c: CPUState, pending: bool, rc: int) -> None:
    """After an FPSCR move: CR1 when Rc = 1, then a pending enabled exception."""
    if rc:
        set_cr1(c)
    if pending and c.msr & MSR_FE:
        raise fp_interrupt()


def mffs(c: CPUState, frt: int, *, rc: int) -> None:
    c.vsr[frt] = c.fpscr << 64
    if rc:
        set_cr1(c)


def mtfsf(c: CPUState, frb: int, fl: int, flm: int, wf: int, *, rc: int) -> None:
    """mtfsf FLM,FRB,L,W: FPSCR fields under FLM (or all with L=1) <- FRB[32:63].

    The W=1 fields live in FPSCR[0:31] (DRN), which this FPSCR does not hold.
    """
    nibbles = 0xFF if fl else (0 if wf else flm)
    _fpscr_written(c, store_fpscr(c, (c.vsr[frb] >> 64) & 0xFFFF_FFFF, nibbles), rc)


def mtfsfi(c: CPUState, bf: int, u: int, wf: int, *, rc: int) -> None:
    """mtfsfi BF,U,W: FPSCR field BF <- U (W=1 names a DRN field: ignored here)."""
    nibbles = 0 if wf else 1 << (7 - bf)
    _fpscr_written(c, store_fpscr(c, u << (4 * (7 - bf)), nibbles), rc)


def mtfsb(c: CPUState, bt: int, *, value: int, rc: int) -> None:
    """mtfsb0/mtfsb1 BT: one FPSCR bit (FEX and VX cannot be set or cleared: ISA 4.6.10).

    As QEMU 7.2, VX and FEX are then recomputed as summaries and FX is left
    alone; mtfsb1 leaving an enabled exception set raises the interrupt.
    """
    bit = 1 << (31 - bt)
    writable = bit != FPSCR_FEX and bit != FPSCR_VX
    if value:
        if writable and not c.fpscr & bit:
            _summaries(c, c.fpscr | bit)
        _fpscr_written(c, bool(c.fpscr & FPSCR_FEX), rc)
    else:
        if writable and c.fpscr & bit:
            _summaries(c, c.fpscr & ~bit)
        if rc:
            set_cr1(c)


def mcrfs(c: CPUState, bf: int, bfa: int) -> None:
    """mcrfs BF,BFA: CR[BF] <- FPSCR field BFA, whose exception bits are then cleared."""
    fs = c.fpscr
    cshift = 4 * (7 - bf)
    fshift = 4 * (7 - bfa)
    c.cr = (c.cr & ~(0xF << cshift)) | (((fs >> fshift) & 0xF) << cshift)
    _summaries(c, fs & ~((0xF << fshift) & FPSCR_EX_CLEAR))


# -- loads and stores -------------------------------------------------------------------
# lfs converts with the ISA's DOUBLE() (exact: an SNaN stays signalling), stfs with
# SINGLE() (no rounding); lfiwax sign-extends the word, lfiwzx zero-extends it, stfiwx
# stores the FPR's low word. An update form with RA = 0 is an invalid form, which
# QEMU 7.2 takes as illegal (HEAI on POWER9).
def fload_d(c: CPUState, frt: int, ra: int, d: int, *, kind: str, size: int, amask: int,
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
        v = unpack_from(fmt(size, order), p, o)[0]
    else:
        v = c.read(ea, size, order)
    if kind == "s":
        v = fpu.single_to_double(v)
    elif kind == "iwa" and v >> 31:
        v |= 0xFFFF_FFFF_0000_0000
    c.vsr[frt] = v << 64
    if update:
        g[ra] = ea


def fload_x(c: CPUState, frt: int, ra: int, rb: int, *, kind: str, size: int, amask: int,
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
        v = unpack_from(fmt(size, order), p, o)[0]
    else:
        v = c.read(ea, size, order)
    if kind == "s":
        v = fpu.single_to_double(v)
    elif kind == "iwa" and v >> 31:
        v |= 0xFFFF_FFFF_0000_0000
    c.vsr[frt] = v << 64
    if update:
        g[ra] = ea


def fstore_d(c: CPUState, frs: int, ra: int, d: int, *, kind: str, size: int, amask: int,
             order: ByteOrder, update: bool = False) -> None:  # fmt: skip
    """stfs/stfd and stfsu/stfdu: MEM((RA|0) + D, size) <- FRS, converted as ``kind`` says."""
    if update and ra == 0:
        raise Interrupt(EXCP_HV_EMU)
    g = c.gpr
    ts = c.tlb_store
    ea = ((g[ra] if ra else 0) + d) & amask
    v = c.vsr[frs] >> 64
    if kind == "s":
        v = fpu.double_to_single(v)
    elif kind == "iw":
        v &= 0xFFFF_FFFF
    p = ts.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0x1000 - size:
        pack_into(fmt(size, order), p, o, v)
        if update:
            g[ra] = ea
    else:
        c.write(ea, size, v, order)
        if update:
            g[ra] = ea
        code_check()


def fstore_x(c: CPUState, frs: int, ra: int, rb: int, *, kind: str, size: int, amask: int,
             order: ByteOrder, update: bool = False) -> None:  # fmt: skip
    """stfsx/stfdx/stfiwx and stfsux/stfdux: MEM((RA|0) + RB, size) <- FRS."""
    if update and ra == 0:
        raise Interrupt(EXCP_HV_EMU)
    g = c.gpr
    ts = c.tlb_store
    ea = ((g[ra] if ra else 0) + g[rb]) & amask
    v = c.vsr[frs] >> 64
    if kind == "s":
        v = fpu.double_to_single(v)
    elif kind == "iw":
        v &= 0xFFFF_FFFF
    p = ts.get(ea >> 12)
    o = ea & 0xFFF
    if p is not None and o <= 0x1000 - size:
        pack_into(fmt(size, order), p, o, v)
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
# Reserved operand fields that must be 0 (else illegal, as QEMU 7.2).
_NO_C = 0x7C0  # A form: FRC
_NO_B = 0xF800  # A form: FRB
_ONLY_B = 0x1F07C0  # A form: FRA and FRC
_NO_A = 0x1F_0000  # X form: FRA
_FP = {"facility": "fp"}


def _a(name: str, opcd: int, xo: int, mask: int, **params: object) -> Insn:
    enc = reserved(A(opcd, xo), mask) if mask else A(opcd, xo)
    return Insn(name, enc, arith, params, **_FP)  # type: ignore[arg-type]


def _arith_lines(sfx: str, opcd: int, single: bool) -> list[Insn]:
    s = {"single": single}
    return [
        _a("fdiv" + sfx, opcd, 18, _NO_C, kind="div", **s),
        _a("fsub" + sfx, opcd, 20, _NO_C, kind="add", sub=True, **s),
        _a("fadd" + sfx, opcd, 21, _NO_C, kind="add", **s),
        _a("fsqrt" + sfx, opcd, 22, _ONLY_B, kind="sqrt", **s),
        _a("fre" + sfx, opcd, 24, _ONLY_B, kind="re", **s),
        _a("fmul" + sfx, opcd, 25, _NO_B, kind="mul", **s),
        _a("frsqrte" + sfx, opcd, 26, _ONLY_B, kind="rsqrte", **s),
        _a("fmsub" + sfx, opcd, 28, 0, kind="madd", neg_b=True, **s),
        _a("fmadd" + sfx, opcd, 29, 0, kind="madd", **s),
        _a("fnmsub" + sfx, opcd, 30, 0, kind="madd", neg_b=True, neg_r=True, **s),
        _a("fnmadd" + sfx, opcd, 31, 0, kind="madd", neg_r=True, **s),
    ]


def _x(name: str, opcd: int, xo: int, sem: Callable[..., None], mask: int = 0,
       **params: object) -> Insn:  # fmt: skip
    enc = reserved(X(opcd, xo), mask) if mask else X(opcd, xo)
    return Insn(name, enc, sem, params, **_FP)  # type: ignore[arg-type]


def _mtfsf(name: str, xo: int, sem: Callable[..., None], mask: int = 0) -> Insn:
    enc = reserved(XFPSCR(63, xo), mask) if mask else XFPSCR(63, xo)
    return Insn(name, enc, sem, **_FP)  # type: ignore[arg-type]


OPS: list[Insn] = table(
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
    Insn("fsel", A(63, 23), fsel, **_FP),  # type: ignore[arg-type]
    _x("fcmpu", 63, 0, fcmp, 0x60_0001, ordered=False),
    _x("fcmpo", 63, 32, fcmp, 0x60_0001, ordered=True),
    _x("frsp", 63, 12, frsp, _NO_A),
    _x("frin", 63, 392, fri, _NO_A, rn=_AWAY),
    _x("friz", 63, 424, fri, _NO_A, rn=fpu.RN_ZERO),
    _x("frip", 63, 456, fri, _NO_A, rn=fpu.RN_UP),
    _x("frim", 63, 488, fri, _NO_A, rn=fpu.RN_DOWN),
    _x("fctiw", 63, 14, fcti, _NO_A, to="w", z=False),
    _x("fctiwz", 63, 15, fcti, _NO_A, to="w", z=True),
    _x("fctiwu", 63, 142, fcti, _NO_A, to="wu", z=False),
    _x("fctiwuz", 63, 143, fcti, _NO_A, to="wu", z=True),
    _x("fctid", 63, 814, fcti, _NO_A, to="d", z=False),
    _x("fctidz", 63, 815, fcti, _NO_A, to="d", z=True),
    _x("fctidu", 63, 942, fcti, _NO_A, to="du", z=False),
    _x("fctiduz", 63, 943, fcti, _NO_A, to="du", z=True),
    _x("fcfid", 63, 846, fcfi, _NO_A, signed=True, single=False, set_fprf=True),
    _x("fcfidu", 63, 974, fcfi, _NO_A, signed=False, single=False, set_fprf=False),
    _x("fcfids", 59, 846, fcfi, _NO_A, signed=True, single=True, set_fprf=False),
    _x("fcfidus", 59, 974, fcfi, _NO_A, signed=False, single=True, set_fprf=False),
    _x("fmr", 63, 72, fmove, _NO_A, how="mr"),
    _x("fneg", 63, 40, fmove, _NO_A, how="neg"),
    _x("fabs", 63, 264, fmove, _NO_A, how="abs"),
    _x("fnabs", 63, 136, fmove, _NO_A, how="nabs"),
    _x("fcpsgn", 63, 8, fmove, how="cpsgn"),
    _x("mffs", 63, 583, mffs, 0x1F_F800),
    _mtfsf("mtfsf", 711, mtfsf),
    _mtfsf("mtfsfi", 134, mtfsfi, 0x7E_0800),
    _x("mtfsb0", 63, 70, mtfsb, 0x1F_F800, value=0),
    _x("mtfsb1", 63, 38, mtfsb, 0x1F_F800, value=1),
    _x("mcrfs", 63, 64, mcrfs, 0x63_F801),
)
