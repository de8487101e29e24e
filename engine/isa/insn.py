"""A line of the instruction table: encoding, semantics and metadata, written once.

``Insn("addi", D(14), addi)`` says everything the engine knows about an
instruction: the decoder matches its encoding, the interpreter and the block
translator both execute its semantics function (engine/isa/specialize.py
derives the closure and the inline code from it), and every classifier
(traced or not, ends a block, may write code, memory access, facility,
privilege) reads its metadata instead of guessing from the mnemonic.

Conventions for semantics functions:

* ``def name(c: VCPU, <fields...>, *, <statics...>) -> None`` for an
  instruction that falls through; ``-> int`` when it returns the next
  instruction address (branches, ``rfid``, ``sc``).
* Positional parameters after ``c`` are decode-time values: fields of the
  format (engine/isa/fields.py), ``cia`` (the instruction's address) and
  ``npc`` (the next one). Keyword-only parameters are statics: the table
  line's keyword arguments, a format field named the same (``rc``, ``oe``,
  ``lk``: each value gets its own compiled variant), or the decode
  context's ``sf``, ``amask``, ``order``, ``le``, ``msr``, ``hv``, ``pr``.
* State comes through ``c``; ``g = c.gpr`` (and ``tl``, ``ts``, ``vs``:
  specialize.ALIASES) as whole statements bind the usual aliases.
* ALL_CAPS module globals are constants; functions marked ``@pure`` may be
  called with decode-time arguments and are then computed at decode time.
* ``code_check()`` marks where a store's slow path may have written code.

A line with ``closure=True`` gives instead a closure maker, ``sem(word, ctx,
**params) -> Exec`` (engine/isa/system.py: SPR dispatch and privileged gates, whose
decode-time work is more than extracting fields); its closure may carry inline
lines of its own (``forms.inline``), as mflr/mtlr do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .common import Resync
from .fields import Encoding, Format
from .specialize import Specializer

if TYPE_CHECKING:
    from ..state import CPUState
    from .forms import Ctx, Exec

# Suffix fields and the letters they add to a mnemonic, in the order they are spelled.
SUFFIXES = (("oe", "o"), ("lk", "l"), ("aa", "a"), ("ro", "o"), ("rc", "."))
WordTest = bool | Callable[[int], bool]


@dataclass(frozen=True, eq=False)
class Insn:
    """One instruction (or one family line binding parameters to a shared semantics)."""

    mnemonic: str
    enc: Encoding
    sem: Callable[..., Any]
    params: Mapping[str, Any] = field(default_factory=dict)
    priv: str = "user"  # "user", "super" or "hyper"
    # "fp", "vec" or "vsx": needs MSR[FP], MSR[VEC], MSR[VSX]; a function of the word
    # where the ISA picks by register (mfvsrd: FP for VSR 0-31, VEC for 32-63)
    facility: str | Callable[[int], str | None] | None = None
    branch: bool = False  # MSR[BE] traces it
    untraced: bool = False  # never followed by a trace interrupt (sc, rfid...)
    resyncs: bool = False  # may change MSR or translation: run loops look again after it
    access: str | None = None  # "load" or "store" (memory operands), "cache" (dcbz...)
    size: int = 0  # bytes per access, when ``access`` is set
    ends: WordTest = False  # ends a translated block besides branch/resync/privileged
    writes_code: WordTest | None = None  # may drop decoded code (default: stores)
    inline: bool = True  # blocks may paste its code instead of calling it
    # ``sem`` is a closure maker, ``sem(word, ctx, **params) -> Exec``, not a semantics
    # function to specialise (engine/isa/system.py: SPR dispatch, privileged gates).
    closure: bool = False
    altname: Callable[[int], str] | None = None  # a mnemonic that depends on other fields
    syntax: str | None = None  # operand order for disassembly, when not the fields'
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
    _spec: list[Specializer] = field(default_factory=list, repr=False, compare=False)

    # -- what the decoder and the old table interface read --
    @property
    def opcd(self) -> int:
        return self.enc.po

    @property
    def xo(self) -> int | None:
        return self.enc.xo

    @property
    def form(self) -> Format:
        return self.enc.format

    @property
    def mask(self) -> int:
        return self.enc.mask

    @property
    def match(self) -> int:
        return self.enc.match

    @property
    def suffixes(self) -> tuple[str, ...]:
        """The suffix fields this encoding leaves free ("oe", "lk", "aa", "ro", "rc")."""
        return tuple(f for f, _ in SUFFIXES if self.enc.free(f))

    @property
    def specializer(self) -> Specializer:
        if not self._spec:
            self._spec.append(Specializer(self.mnemonic, self.sem, self.enc, self.params,
                                          self.resyncs, self.inline))  # fmt: skip
        return self._spec[0]

    def build(self, word: int, ctx: Ctx) -> Exec:
        """The closure executing ``word`` at ``ctx.pc``."""
        if not self.closure:
            return self.specializer.build(word, ctx)
        fn: Exec = self.sem(word, ctx, **self.params)
        if self.resyncs:
            inner = fn

            def fn(c: CPUState, inner: Exec = inner) -> int:
                raise Resync(inner(c))

        return fn

    def name(self, word: int) -> str:
        """The mnemonic of ``word`` with its suffixes (``addo.``, ``bla``, ``vcmpequb.``)."""
        base = self.altname(word) if self.altname else self.mnemonic
        fields = self.enc.format.fields
        for f, letter in SUFFIXES:
            if self.enc.free(f) and (word >> fields[f].shift) & 1:  # type: ignore[operator]
                base += letter
        return base

    # -- classifiers --
    def facility_of(self, word: int) -> str | None:
        f = self.facility
        return f(word) if callable(f) else f

    def ends_block(self, word: int) -> bool:
        if self.branch or self.resyncs or self.priv != "user":
            return True
        return self.ends(word) if callable(self.ends) else self.ends

    def drops_code(self, word: int) -> bool:
        w = self.writes_code
        if w is None:
            return self.access == "store"
        return w(word) if callable(w) else w


def table(*lines: Insn) -> list[Insn]:
    """A family's lines, checked for duplicate encodings."""
    seen: dict[tuple[int, int], str] = {}
    for o in lines:
        k = (o.mask, o.match)
        if k in seen:
            raise ValueError(f"{o.mnemonic} has the encoding of {seen[k]}")
        seen[k] = o.mnemonic
    return list(lines)
