"""Instruction forms, field extractors and the ``Op`` table entry.

Every instruction is one ``Op``: mnemonic, form, primary opcode, extended
opcode, a handler factory and its parameters. A factory receives the
instruction word and the decode context and returns the closure that
executes that one instruction at that one address (``Exec``): the operand
fields are extracted once, at decode time, and the closure returns the next
instruction address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from ..bits import M32, M64
from .common import Resync

if TYPE_CHECKING:
    from ..state import CPUState

Exec = Callable[["CPUState"], int]


def inline(fn: Exec, *lines: str) -> Exec:
    """Attach ``fn``'s effect as straight-line Python for translated blocks (engine/blocks.py).

    The lines are the closure's body with its operands as literals, so a block
    runs them in its own frame instead of calling ``fn``. Names they may use:
    ``c`` (the vCPU), ``g`` (its GPR list), ``tl``/``ts`` (its load/store TLB
    maps), ``M64``, ``M32``, and temporaries starting with ``_``; a branch
    assigns ``pc``. tests/engine/test_inline.py runs every line of the table
    both ways on random words and states and demands identical results.
    """
    fn.src = lines  # type: ignore[attr-defined]
    return fn


class Form(Enum):
    """Instruction forms; each knows where its extended-opcode field sits."""

    I = "I"  # noqa: E741
    B = "B"
    SC = "SC"
    D = "D"
    DS = "DS"
    DQ = "DQ"
    X = "X"
    XL = "XL"
    XFX = "XFX"
    XO = "XO"
    XS = "XS"
    A = "A"
    M = "M"
    MD = "MD"
    MDS = "MDS"
    VA = "VA"
    DX = "DX"

    @property
    def xo_mask(self) -> int:
        return _XO_MASK[self]

    @property
    def xo_shift(self) -> int:
        return _XO_SHIFT[self]


# Mask and shift of the extended-opcode field within the word, per form.
_XO_MASK = {
    Form.I: 0, Form.B: 0, Form.SC: 0x2, Form.D: 0, Form.DS: 0x3, Form.DQ: 0x7,
    Form.X: 0x7FE, Form.XL: 0x7FE, Form.XFX: 0x7FE, Form.XO: 0x3FE, Form.XS: 0x7FC,
    Form.A: 0x3E, Form.M: 0, Form.MD: 0x1C, Form.MDS: 0x1E, Form.VA: 0x3F, Form.DX: 0x3E,
}  # fmt: skip
_XO_SHIFT = {
    Form.I: 0, Form.B: 0, Form.SC: 0, Form.D: 0, Form.DS: 0, Form.DQ: 0,
    Form.X: 1, Form.XL: 1, Form.XFX: 1, Form.XO: 1, Form.XS: 2,
    Form.A: 1, Form.M: 0, Form.MD: 2, Form.MDS: 1, Form.VA: 0, Form.DX: 1,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ctx:
    """Decode context: where the word sits and the machine mode it runs in."""

    pc: int
    msr: int  # the MSR decode-context bits (msr.MSR_DECODE_CONTEXT)
    sf: bool
    order: str  # "big" or "little": data byte order (MSR[LE])

    @property
    def amask(self) -> int:
        """Mask applied to effective addresses and NIA (32-bit mode truncates)."""
        return M64 if self.sf else M32

    @property
    def npc(self) -> int:
        return (self.pc + 4) & self.amask

    @property
    def le(self) -> bool:
        return self.order == "little"

    @property
    def hv(self) -> bool:
        return bool(self.msr & 0x1000_0000_0000_0000)  # MSR[HV]

    @property
    def pr(self) -> bool:
        return bool(self.msr & 0x4000)  # MSR[PR]


@dataclass(frozen=True)
class Op:
    """One line of the instruction table."""

    mnemonic: str
    form: Form
    opcd: int
    xo: int | None
    factory: Callable[..., Exec]
    params: dict[str, Any] = field(default_factory=dict)
    # Suffix bits this instruction has: "oe" (bit 21), "rc" (bit 31), "lk", "aa".
    suffixes: tuple[str, ...] = ()
    # Extra fixed bits beyond opcode and XO: (mask, value).
    fixed: tuple[int, int] = (0, 0)
    priv: str = "user"  # "user", "super" or "hyper"
    facility: str | None = None  # "fp" needs MSR[FP]
    branch: bool = False  # MSR[BE] traces it
    untraced: bool = False  # never followed by a trace interrupt (sc, rfid...)
    resyncs: bool = False  # may change MSR or translation: re-select decode context
    altname: Callable[[int], str] | None = None  # mnemonic that depends on other fields
    ends: bool = False  # ends a translated block besides branch/resync/privileged
    # What the debugger's backends and the controller read instead of mnemonics:
    # flow: where execution may continue besides NIA + 4 and interrupt vectors:
    #   "li"/"bd" (the word's displacement, AA), "lr", "ctr", "tar" (the register),
    #   "srr0"/"hsrr0" (an interrupt return), "syscall" (the system call vector);
    # msr_write: where a new MSR comes from: "rs" (mtmsr/mtmsrd with L=0 take all of
    #   RS's writable bits), "srr1"/"hsrr1" (rfid/hrfid);
    # msr_read: it copies MSR into RT (mfmsr), so a debugger-set SE must be hidden;
    # atomic: "larx" starts a reservation sequence, "stcx" ends one;
    # spr_write: it writes the SPR its word names (mtspr).
    flow: str | None = None
    msr_write: str | None = None
    msr_read: bool = False
    atomic: str | None = None
    spr_write: bool = False

    @property
    def mask(self) -> int:
        m = 0xFC00_0000 | self.form.xo_mask | self.fixed[0]
        for s in self.suffixes:
            m &= ~_SUFFIX_BIT[s]
        return m

    @property
    def match(self) -> int:
        v = (self.opcd << 26) | ((self.xo or 0) << self.form.xo_shift) | self.fixed[1]
        return v & self.mask

    def build(self, word: int, ctx: Ctx) -> Exec:
        """The closure executing ``word`` at ``ctx.pc``."""
        fn = self.factory(word, ctx, **self.params)
        if self.resyncs:
            inner = fn

            def fn(c: CPUState, inner: Exec = inner) -> int:
                raise Resync(inner(c))

        return fn

    def facility_of(self, word: int) -> str | None:
        return self.facility

    def ends_block(self, word: int) -> bool:
        if self.branch or self.resyncs or self.priv != "user":
            return True
        return self.ends or (self.spr_write and f_spr(word) not in PLAIN_MTSPR)

    def drops_code(self, word: int) -> bool:
        # Storage lines are all Insn lines (their ``writes_code``): of the Op lines only an
        # mtspr that is more than a move (LPCR, PTCR, PID...) may change what code means.
        return self.spr_write and f_spr(word) not in PLAIN_MTSPR

    def name(self, word: int) -> str:
        """The mnemonic of ``word`` with its OE/Rc/LK/AA suffixes."""
        base = self.altname(word) if self.altname else self.mnemonic
        if "oe" in self.suffixes and word & 0x400:
            base += "o"
        if "lk" in self.suffixes and word & 1:
            base += "l"
        if "aa" in self.suffixes and word & 2:
            base += "a"
        if "rc" in self.suffixes and word & 1:
            base += "."
        return base


_SUFFIX_BIT = {"oe": 0x400, "rc": 0x1, "lk": 0x1, "aa": 0x2}
# SPRs whose mtspr closure only moves a value (no flush, no resync): blocks run past them.
PLAIN_MTSPR = frozenset({1, 8, 9, 256, 272, 273, 274, 275, 815})


def op(
    mnemonic: str,
    form: Form,
    opcd: int,
    xo: int | None,
    factory: Callable[..., Exec],
    **params: Any,
) -> Op:
    """A table line; keyword arguments that name Op fields set them, the rest go to the factory."""
    meta = {k: params.pop(k) for k in list(params) if k in _OP_FIELDS}
    return Op(mnemonic, form, opcd, xo, factory, params, **meta)


_OP_FIELDS = {
    "suffixes", "fixed", "priv", "facility", "branch", "untraced", "resyncs", "altname",
    "ends", "flow", "msr_write", "msr_read", "atomic", "spr_write",
}  # fmt: skip


# -- field extractors (IBM bit numbering within the 32-bit word) -------------
def f_rt(w: int) -> int:
    return (w >> 21) & 31


def f_ra(w: int) -> int:
    return (w >> 16) & 31


def f_rb(w: int) -> int:
    return (w >> 11) & 31


def f_rc_field(w: int) -> int:
    """The C register field (bits 21:25) of A/VA forms."""
    return (w >> 6) & 31


def f_si(w: int) -> int:
    v = w & 0xFFFF
    return v - 0x10000 if v & 0x8000 else v


def f_ui(w: int) -> int:
    return w & 0xFFFF


def f_ds(w: int) -> int:
    v = w & 0xFFFC
    return v - 0x10000 if v & 0x8000 else v


def f_bf(w: int) -> int:
    return (w >> 23) & 7


def f_rc(w: int) -> bool:
    return bool(w & 1)


def f_oe(w: int) -> bool:
    return bool(w & 0x400)


def f_spr(w: int) -> int:
    """The SPR number: its two 5-bit halves are swapped in the word."""
    return ((w >> 16) & 31) | (((w >> 11) & 31) << 5)


def f_sh64(w: int) -> int:
    """The 6-bit shift of MD/XS forms (sh5 in bit 30 or 1)."""
    return ((w >> 11) & 31) | ((w >> 1) & 1) << 5


def f_mb64(w: int) -> int:
    """The 6-bit mb/me of MD/MDS forms (rotated: the high bit sits at bit 26)."""
    v = (w >> 5) & 63
    return ((v & 1) << 5) | (v >> 1)
