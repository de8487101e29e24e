"""Instruction fields and formats: where each operand sits in the 32-bit word.

A *field* is an operand as the semantics use it (``rt``, ``si``, ``xt``,
``spr``...), written as a Python expression over the word ``w``; decoding
evaluates it once per instruction, and the same expression is what the
decoder's generated code contains. A *format* (ISA 3.0B 1.6: D, X, XO, VA,
XX3...) is a set of fields plus the place of its extended opcode; a format
called with a primary and an extended opcode, and optionally fixed values
for other plain fields (``VX(4, 1538, vra=0)``), is an ``Encoding``: the
mask and match the decoder dispatches on.

Field names follow the ISA's operand names in lower case. Bit numbers in
comments are IBM numbers within the word (bit 0 is the most significant).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Field:
    """One operand: its expression over ``w``; ``shift``/``width`` when it is a plain slice."""

    src: str
    shift: int | None = None
    width: int | None = None
    kind: str = "imm"  # how disassembly prints it: gpr, fpr, vr, vsr, crf, crb, imm, simm

    @property
    def mask(self) -> int:
        assert self.shift is not None and self.width is not None
        return ((1 << self.width) - 1) << self.shift


def bits(start: int, width: int, kind: str = "imm") -> Field:
    """The plain field at IBM bits ``start`` .. ``start + width - 1``."""
    shift = 32 - start - width
    m = (1 << width) - 1
    src = f"(w >> {shift}) & {m:#x}" if shift else f"w & {m:#x}"
    return Field(src, shift, width, kind)


def signed(start: int, width: int, scale: int = 0, kind: str = "simm") -> Field:
    """A two's-complement field, multiplied by ``2**scale`` (DS, DQ, LI, BD)."""
    shift = 32 - start - width
    m = ((1 << width) - 1) << shift
    sign = 1 << (width - 1 + scale)
    # (x ^ sign) - sign sign-extends x, the field shifted into place times 2**scale.
    value = (
        f"((w & {m:#x}) << {scale - shift})"
        if scale > shift
        else (f"((w & {m:#x}) >> {shift - scale})" if shift > scale else f"(w & {m:#x})")
    )
    return Field(f"({value} ^ {sign:#x}) - {sign:#x}", kind=kind)


def joined(hi: tuple[int, int], lo: tuple[int, int], kind: str, plus: int = 0) -> Field:
    """A field split in two: ``hi`` bits above ``lo`` bits, each (start, width); VSX's TX‖T."""
    (hs, hw), (ls, lw) = hi, lo
    h = f"(((w >> {32 - hs - hw}) & {(1 << hw) - 1:#x}) << {lw})"
    low = f"((w >> {32 - ls - lw}) & {(1 << lw) - 1:#x})"
    return Field(f"{h} | {low}" + (f" | {plus}" if plus else ""), kind=kind)


# -- the fields shared by many formats -------------------------------------------------------
_T = {name: bits(6, 5, kind) for name, kind in (
    ("rt", "gpr"), ("rs", "gpr"), ("frt", "fpr"), ("frs", "fpr"), ("vrt", "vr"), ("vrs", "vr"),
    ("bo", "imm"), ("bt", "crb"), ("to", "imm"), ("th", "imm"),
)}  # fmt: skip
_A = {name: bits(11, 5, kind) for name, kind in (
    ("ra", "gpr"), ("fra", "fpr"), ("vra", "vr"), ("bi", "crb"), ("ba", "crb"),
)}  # fmt: skip
_B = {name: bits(16, 5, kind) for name, kind in (
    ("rb", "gpr"), ("frb", "fpr"), ("vrb", "vr"), ("bb", "crb"), ("nb", "imm"),
)}  # fmt: skip
_C = {name: bits(21, 5, kind) for name, kind in (("frc", "fpr"), ("vrc", "vr"), ("bc", "crb"))}
_BF = {"bf": bits(6, 3, "crf"), "l10": bits(10, 1), "bfa": bits(11, 3, "crf")}
RC = bits(31, 1)
_RC = {"rc": RC}

COMMON: dict[str, Field] = {**_T, **_A, **_B}


@dataclass(frozen=True)
class Format:
    """An instruction format: its fields and where its extended opcode sits."""

    name: str
    fields: Mapping[str, Field]
    xo: Field | None = None  # the extended-opcode field (a plain slice)

    def __call__(self, po: int, xo: int | None = None, **fixed: int) -> Encoding:
        mask, match = 0xFC00_0000, po << 26
        if xo is not None:
            assert self.xo is not None, f"{self.name} has no extended opcode"
            mask |= self.xo.mask
            match |= xo << self.xo.shift  # type: ignore[operator]
        for name, value in fixed.items():
            f = self.fields[name]
            assert f.shift is not None, f"{self.name}.{name} is not a plain field"
            assert value < (1 << f.width), (name, value)  # type: ignore[operator]
            mask |= f.mask
            match |= value << f.shift
        return Encoding(self, po, xo, mask, match, frozenset(fixed))

    def extend(self, name: str, xo: Field | None = None, **more: Field) -> Format:
        """A variant of this format with more (or re-placed) fields."""
        return Format(name, {**self.fields, **more}, self.xo if xo is None else xo)


@dataclass(frozen=True)
class Encoding:
    """A format with its opcodes filled in: what the decoder matches."""

    format: Format
    po: int
    xo: int | None
    mask: int
    match: int
    fixed: frozenset[str] = field(default_factory=frozenset)

    def free(self, name: str) -> bool:
        """Whether field ``name`` exists in this encoding and is not fixed by it."""
        return name in self.format.fields and name not in self.fixed


# -- formats (ISA 3.0B 1.6) ------------------------------------------------------------------
I = Format("I", {"li": signed(6, 24, 2), "aa": bits(30, 1), "lk": bits(31, 1)})  # noqa: E741
B = Format("B", {"bo": bits(6, 5), "bi": bits(11, 5, "crb"), "bd": signed(16, 14, 2),
                 "aa": bits(30, 1), "lk": bits(31, 1)})  # fmt: skip
SC = Format("SC", {"lev": bits(20, 7)}, bits(30, 2))
D = Format("D", {**COMMON, **_BF, "l": bits(10, 1), "si": signed(16, 16), "d": signed(16, 16),
                 "ui": bits(16, 16)})  # fmt: skip
DS = Format("DS", {**COMMON, "ds": signed(16, 14, 2)}, bits(30, 2))
DQ = Format("DQ", {**COMMON, "dq": signed(16, 12, 4),
                   "xt": joined((28, 1), (6, 5), "vsr"), "xs": joined((28, 1), (6, 5), "vsr")},
            bits(29, 3))  # fmt: skip
X = Format("X", {**COMMON, **_BF, **_RC, "l": bits(10, 1), "l2": bits(9, 2), "l15": bits(15, 1),
                 "sr": bits(12, 4), "u": bits(16, 4), "w": bits(15, 1), "e": bits(16, 1),
                 "ih": bits(8, 3), "rc_flag": bits(31, 1)},
           bits(21, 10))  # fmt: skip
XL = Format("XL", {**_T, **_A, **_B, **_BF, "bh": bits(19, 2), "lk": bits(31, 1),
                   "lev": bits(20, 7)}, bits(21, 10))  # fmt: skip
XFX = Format("XFX", {"rt": bits(6, 5, "gpr"), "rs": bits(6, 5, "gpr"),
                     "spr": Field("((w >> 16) & 0x1f) | ((w >> 6) & 0x3e0)", kind="spr"),
                     "fxm": bits(12, 8), "one": bits(11, 1)},
             bits(21, 10))  # fmt: skip
XFL = Format("XFL", {"l": bits(6, 1), "flm": bits(7, 8), "w": bits(15, 1),
                     "frb": bits(16, 5, "fpr"), **_RC}, bits(21, 10))  # fmt: skip
XS = Format("XS", {"rs": bits(6, 5, "gpr"), "ra": bits(11, 5, "gpr"),
                   "sh": joined((30, 1), (16, 5), "imm"), **_RC}, bits(21, 9))  # fmt: skip
XO = Format("XO", {**COMMON, "oe": bits(21, 1), **_RC}, bits(22, 9))
A = Format("A", {**COMMON, **_C, **_RC}, bits(26, 5))
M = Format("M", {"rs": bits(6, 5, "gpr"), "ra": bits(11, 5, "gpr"), "rb": bits(16, 5, "gpr"),
                 "sh": bits(16, 5), "mb": bits(21, 5), "me": bits(26, 5), **_RC})  # fmt: skip
_MB6 = Field("((w >> 6) & 0x1f) | (w & 0x20)")  # mb5 || mb0:4 in the word (bit 26 is the top)
MD = Format("MD", {"rs": bits(6, 5, "gpr"), "ra": bits(11, 5, "gpr"),
                   "sh": joined((30, 1), (16, 5), "imm"), "mb": _MB6, "me": _MB6, **_RC},
            bits(27, 3))  # fmt: skip
MDS = Format("MDS", {"rs": bits(6, 5, "gpr"), "ra": bits(11, 5, "gpr"), "rb": bits(16, 5, "gpr"),
                     "mb": _MB6, "me": _MB6, **_RC}, bits(27, 4))  # fmt: skip
DX = Format("DX", {"rt": bits(6, 5, "gpr"),
                   # d = d0 (bits 16:25) || d1 (bits 11:15) || d2 (bit 31)
                   "d": Field("(((((w >> 6) & 0x3ff) << 6) | (((w >> 16) & 0x1f) << 1) | (w & 1))"
                              " ^ 0x8000) - 0x8000", kind="simm")},
            bits(26, 5))  # fmt: skip

# -- vector formats ----------------------------------------------------------------------
VA = Format("VA", {**COMMON, **_C, "shb": bits(22, 4), "rc_va": bits(21, 5, "gpr")},
            bits(26, 6))  # fmt: skip
VX = Format("VX", {**COMMON, "uim": bits(11, 5), "uim4": bits(12, 4), "uim3": bits(13, 3),
                   "uim2": bits(14, 2), "sim": signed(11, 5), "ps": bits(22, 1),
                   "st": bits(16, 1), "six": bits(17, 4), "bf": bits(6, 3, "crf")},
            bits(21, 11))  # fmt: skip
VC = Format("VC", {**COMMON, "rc": bits(21, 1)}, bits(22, 10))


def _x(start: int) -> Field:
    """A VSX register number: the 5-bit field at ``start`` with its extension bit."""
    ext = {6: 31, 11: 29, 16: 30, 21: 28}[start]
    return joined((ext, 1), (start, 5), "vsr")


_XT, _XA, _XB, _XC = _x(6), _x(11), _x(16), _x(21)
XX1 = Format("XX1", {**COMMON, "xt": _XT, "xs": _XT}, bits(21, 10))
XX2 = Format("XX2", {**COMMON, "xt": _XT, "xs": _XT, "xb": _XB, "bf": bits(6, 3, "crf"),
                     "uim2": bits(14, 2), "uim4": bits(12, 4), "dcmx": bits(9, 7),
                     "ui8": bits(11, 2), "sub": bits(11, 5)},
             bits(21, 9))  # fmt: skip
XX3 = Format("XX3", {**COMMON, "xt": _XT, "xs": _XT, "xa": _XA, "xb": _XB,
                     "bf": bits(6, 3, "crf"), "dm": bits(22, 2), "shw": bits(22, 2),
                     "rc": bits(21, 1)},
             bits(21, 8))  # fmt: skip
XX4 = Format("XX4", {"xt": _XT, "xa": _XA, "xb": _XB, "xc": _XC}, bits(26, 2))
X1 = Format("X1", {"xt": _XT, "imm8": bits(13, 8)}, bits(21, 10))  # xxspltib

# -- VSX permutes (vsxi) -------------------------------------------------------------------
# XX3 without Rc: bit 21 belongs to the extended opcode of the logical and permute forms.
XX3P = Format("XX3P", {k: f for k, f in XX3.fields.items() if k != "rc"}, XX3.xo)
# xxpermdi/xxsldwi: the extended opcode is bits 24:28; bit 21 must be 0, DM/SHW are 22:23.
XX3DM = XX3P.extend("XX3DM", xo=bits(24, 5), b21=bits(21, 1))
# xxspltib: bits 11:12 must be 0 (lxvkq and others use them).
X1S = X1.extend("X1S", b11=bits(11, 2))

# -- VMX storage and stream hints (vmxs) ---------------------------------------------------
# dst/dstst/dss: T (A for dss) is bit 6, bits 7:8 are reserved, STRM is bits 9:10.
XDST = X.extend("XDST", t=bits(6, 1), b7=bits(7, 2), strm=bits(9, 2))

# -- conv2: loads/stores, storage control, system and scalar FP ----------------------------
# DS-form loads and stores name their displacement d, as the D forms do, so one
# semantics function serves lwz and ld alike.
DSD = DS.extend("DS", d=DS.fields["ds"])


def reserved(enc: Encoding, mask: int) -> Encoding:
    """``enc`` with the bits of ``mask`` required to be 0: a reserved-bits mask as the
    reference machine checks it (a word with any of them set is not this instruction).
    Plain fields that lie wholly inside ``mask`` count as fixed (to 0)."""
    assert not enc.match & mask, (enc, mask)
    fixed = set(enc.fixed)
    for name, f in enc.format.fields.items():
        if f.shift is not None and f.mask & mask == f.mask:
            fixed.add(name)
    return Encoding(enc.format, enc.po, enc.xo, enc.mask | mask, enc.match, frozenset(fixed))


# X-form loads and stores: bit 31 is reserved (and ignored), not an Rc suffix.
XM = Format("X", {k: f for k, f in X.fields.items() if k not in ("rc", "rc_flag")}, X.xo)

# -- VSX floating-point formats (vsx_scalar, vsx_vector) -----------------------------------
# XX3 without the Rc bit (bit 21 belongs to the 8-bit extended opcode), XX3 with Rc at bit 21
# and a 7-bit extended opcode (xvcmp*), and XX2 with the data-class mask of xvtstdc*.
XX3_NORC = Format("XX3", {k: v for k, v in XX3.fields.items() if k != "rc"}, bits(21, 8))
XX3_RC = XX3.extend("XX3", bits(22, 7))
# xvtstdcdp/xvtstdcsp: the extended opcode is bits 21:24 (x21) and 26:28; DCMX is split
# into DC (bit 25), DM (bit 29) and DX (bits 11:15).
XX2_DCMX = XX2.extend(
    "XX2",
    bits(26, 3),
    x21=bits(21, 4),
    dcmx=Field("(((w >> 6) & 0x1) << 6) | (((w >> 2) & 0x1) << 5) | ((w >> 16) & 0x1f)"),
)

# -- fixed-point fields the old table spelled as masks (conv1) ---------------------------
# darn: L in bits 14:15, bits 11:13 reserved.
XDARN = X.extend("X", l=bits(14, 2), res=bits(11, 3))
# srawi: the 5-bit SH in the RB position of an X form.
XSRAWI = X.extend("X", sh=bits(16, 5))
# cmprb/cmpeqb/setb: reserved bit 9 and bits 14:15 of an X form.
XCMPRB = X.extend("X", res9=bits(9, 1), res14=bits(14, 2))
# mtcrf/mfcr: bit 11 (one: mtocrf/mfocrf), reserved bit 20 and bit 31.
XFXCR = XFX.extend("XFX", res20=bits(20, 1), rc=bits(31, 1))
# mcrxrx: BF and nothing else (bits 9:10 reserved too).
XMCRXRX = X.extend("X", res9=bits(9, 2))


# -- FPSCR moves (engine/isa/fp.py) ----------------------------------------------------
# mtfsf's L (bit 6), FLM (7:14) and W (15); mtfsfi's BF, W and U are X-form fields.
XFPSCR = X.extend("X", fl=bits(6, 1), flm=bits(7, 8), wf=bits(15, 1))


# -- VSX binary128 (engine/isa/vsx_quad.py): opcode 63 forms on VSR 32+n ---------------
# X form whose bit 31 is RO (round to odd, the "o" suffix) instead of Rc.
XRO = Format("X", {**XM.fields, "ro": bits(31, 1)}, X.xo)
# xststdcqp: BF (6:8), DCMX (9:15), VRB, extended opcode 21:30.
XTSTDCQP = Format("X", {"bf": bits(6, 3, "crf"), "dcmx": bits(9, 7), "vrb": bits(16, 5, "vr")},
                  X.xo)  # fmt: skip
# Z23 (xsrqpi/xsrqpxp): R (bit 15; bits 11:14 reserved), RMC (21:22), XO 23:30, EX (31).
Z23 = Format("Z23", {"vrt": bits(6, 5, "vr"), "b11": bits(11, 4), "r": bits(15, 1),
                     "vrb": bits(16, 5, "vr"), "rmc": bits(21, 2), "ex": bits(31, 1)},
             bits(23, 8))  # fmt: skip

# -- VMX decimal (engine/isa/vmx_bcd.py) -------------------------------------------------
# VX with bit 21 = 1, the extended opcode in bits 23:30, PS (bit 22) and Rc (bit 31).
BCD = VX.extend("VX", bits(23, 8), b21=bits(21, 1), rc=bits(31, 1))
