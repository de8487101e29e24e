"""The instruction table against capstone 5 on random words.

(a) For every line of ``ALL_OPS``: random words built from its ``mask``/``match``
    with random bits everywhere else. Where capstone decodes the word, it must
    name the same instruction as ``Insn.name(word)``. Where it does not, the
    disagreement on validity is settled by what QEMU 7.2 does (below).
(b) Random 32-bit words: where both decode a word, the mnemonics agree; where
    capstone decodes a word to an instruction our table has but our decoder
    rejects the word, the table is missing a valid form.

The test is generic over the table: lines other engineers add are checked
automatically. Deterministic seed; a few seconds.

Capstone 5's Python binding cannot turn extended mnemonics off (there is no
``CS_OPT`` for it on PPC; capstone 6's "no alias" option does not exist in 5),
so capstone's spelling is mapped back to base mnemonics by ``canonical()``,
driven by the one alias table below plus two generic rules (conditional
branch mnemonics, and ``mf<spr>``/``mt<spr>`` SPR moves).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import capstone
import pytest

from engine.isa.insn import Insn
from engine.isa.table import ALL_OPS, decode

SEED = 0x5EED_CA95
WORDS_PER_OP = 300
RANDOM_WORDS = 150_000

_MD = capstone.Cs(capstone.CS_ARCH_PPC, capstone.CS_MODE_64 | capstone.CS_MODE_BIG_ENDIAN)

# -- capstone's extended mnemonics -> base mnemonics (Power ISA 3.0B Appendix C) ----------
ALIASES: dict[str, str] = {
    "xvmovdp": "xvcpsgndp",  # xvcpsgndp with XA = XB
    "xvmovsp": "xvcpsgnsp",
    # addi/addis/addic with special operands
    "li": "addi", "la": "addi", "subi": "addi", "lis": "addis", "subis": "addis",
    "subic": "addic", "subic.": "addic.",
    # subtract with operands swapped
    "sub": "subf", "subc": "subfc",
    # logical
    "mr": "or", "nop": "ori", "xnop": "xori", "not": "nor",
    # compares (L bit spelled out)
    "cmpd": "cmp", "cmpw": "cmp", "cmpld": "cmpl", "cmplw": "cmpl",
    "cmpdi": "cmpi", "cmpwi": "cmpi", "cmpldi": "cmpli", "cmplwi": "cmpli",
    # rotates and shifts
    "slwi": "rlwinm", "srwi": "rlwinm", "clrlwi": "rlwinm", "clrrwi": "rlwinm",
    "rotlwi": "rlwinm", "rotrwi": "rlwinm", "extlwi": "rlwinm", "extrwi": "rlwinm",
    "clrlslwi": "rlwinm", "rotlw": "rlwnm", "inslwi": "rlwimi", "insrwi": "rlwimi",
    "sldi": "rldicr", "clrrdi": "rldicr", "extldi": "rldicr",
    "srdi": "rldicl", "clrldi": "rldicl", "rotldi": "rldicl", "rotrdi": "rldicl",
    "extrdi": "rldicl", "rotld": "rldcl", "insrdi": "rldimi", "clrlsldi": "rldic",
    # CR logical and CR moves
    "crset": "creqv", "crclr": "crxor", "crmove": "cror", "crnot": "crnor", "mtcr": "mtcrf",
    # storage synchronisation
    "lwsync": "sync", "ptesync": "sync", "msync": "sync", "mbar": "eieio",
    # traps
    "trap": "tw",
    # cache hints spelled by their TH/L field; dcbzl is dcbz with bit 10 (QEMU executes it)
    "dcbtt": "dcbt", "dcbtct": "dcbt", "dcbtds": "dcbt", "dcbtstt": "dcbtst",
    "dcbtstct": "dcbtst", "dcbtstds": "dcbtst", "dcbfl": "dcbf", "dcbflp": "dcbf",
    "dcbzl": "dcbz",
    # vector moves spelled by their operands (ISA 3.0B Appendix C)
    "vmr": "vor", "vnot": "vnor", "mffprd": "mfvsrd", "mfvrd": "mfvsrd",
    "mtfprd": "mtvsrd", "mtvrd": "mtvsrd",
    # VSX permutes spelled by their operands (xxpermdi's DM, xxlor/xxlnor with XA = XB)
    "xxmrghd": "xxpermdi", "xxmrgld": "xxpermdi", "xxspltd": "xxpermdi", "xxswapd": "xxpermdi",
    "xxmr": "xxlor", "xxlnot": "xxlnor", "mffprwz": "mfvsrwz", "mfvrwz": "mfvsrwz",
    "mtfprwa": "mtvsrwa", "mtvrwa": "mtvsrwa", "mtfprwz": "mtvsrwz", "mtvrwz": "mtvsrwz",
}  # fmt: skip

_TRAP = re.compile(r"^t([wd])(lt|le|eq|ge|gt|nl|ne|ng|llt|lle|lge|lgt|lnl|lng|u)(i?)$")
_BRANCH = re.compile(
    r"^b(dnzt|dnzf|dzt|dzf|dnz|dz|lt|le|eq|ge|gt|nl|ne|ng|so|ns|un|nu|t|f)?"
    r"(lr|ctr|tar)?(l?)(a?)[+-]?$"
)
# mf*/mt* instructions that are not SPR moves: never read as an SPR alias.
_NOT_SPR_MOVES = frozenset({
    "mfmsr", "mtmsr", "mtmsrd", "mfcr", "mtcrf", "mfocrf", "mtocrf", "mffs", "mtfsf", "mtfsfi",
    "mtfsb0", "mtfsb1", "mfvscr", "mtvscr", "mfsr", "mtsr", "mfsrin", "mtsrin",
})  # fmt: skip
_SPR_MOVES = frozenset({"mfspr", "mtspr", "mftb"})
OUR_NAMES = frozenset(o.mnemonic for o in ALL_OPS)


def canonical(cs_mnemonic: str, ours: Insn) -> str:
    """Capstone's mnemonic spelled as the instruction table would spell it.

    ``ours`` is only consulted for SPR moves, whose aliases (``mflr``,
    ``mtsrr0``, ``mfdscr``...) name the register rather than the instruction.
    """
    m = cs_mnemonic.rstrip("+-") if cs_mnemonic.startswith("b") else cs_mnemonic
    if m in OUR_NAMES or m.rstrip(".") in OUR_NAMES and m.endswith("."):
        return m
    dot = "." if m.endswith(".") and m != "." else ""
    base = m[:-1] if dot else m
    if base in ALIASES:
        return ALIASES[base] + dot
    t = _TRAP.match(base)
    if t is not None:
        return "t" + t.group(1) + t.group(3)
    b = _BRANCH.match(base)
    if b is not None:
        cond, target, lk, aa = b.groups()
        if cond is None and target is None:
            return "b" + lk + aa
        return "bc" + (target or "") + lk + aa
    if (
        base[:2] in ("mf", "mt")
        and base not in _NOT_SPR_MOVES
        and base not in OUR_NAMES
        and ours.mnemonic in _SPR_MOVES
    ):
        return ours.mnemonic
    return m


# -- validity of forms with reserved bits set: what QEMU 7.2 does -------------------------
# Capstone rejects (nearly) every word with a reserved bit set. QEMU 7.2, the reference
# where the spec is silent, is not uniform. Measured with qemu-system-ppc64 -M powernv9
# through the gdbstub (word at 0x2000, pc set there, one single step, HEAI = pc 0xe40),
# on the example words this test printed for each line:
#   executed: lbzx/stdx... with Rc=1 (7c0000af, 7c00012b: decodetree's @X ignores bit 31),
#     mtspr Rc=1 (7c6803a7), bclr/bcctr bits 16:18 (4e80e020, 4e80e420), bctar (4e800460),
#     addo (7c642614), extsb/extsh/extsw (7f851774, 7ee7af34, 7c0c77b5), cntlzw/cntlzd
#     (7f88b034, 7d0aa075), cnttzw/cnttzd (7f908434, 7c66fc75), cmp with bit 9 or 31
#     (7cbea801), cmpeqb (7f07c1c1), mcrf (4fc37000), mfcr bits 12:20 (7e2cd026), tlbie
#     (7de34a64), tlbiel (7d6e3a24), slbia (7c2003e4), msgsnd/msgclr/msgsndp/msgclrp
#     (7c00499c, 7c00f9dc, 7c00e91c, 7c00f95c)
#   HEAI: mfspr Rc=1 (7c6802a7), mftb Rc=1 (7c6c42e7), addme/neg RB!=0 (7c6009d4,
#     7c6408d0), mfmsr bits 11:20 (7c6100a6), rfid/hrfid reserved bits (4c000025, 4c200024,
#     4c000225), sc bit 31 or bits 6:10 (44000003, 44200002; sc LEV=1, 44000022, is valid),
#     darn (7cb7b5e7), popcntb/w/d (7ef3f0f4, 7e81caf4, 7debd3f4), prtyw/d (7e9a9935,
#     7db9a174), bpermd Rc=1 (7d4351f9), setb (7e64f101), CR logical Rc=1 (4f6db203...),
#     mtcrf/mtocrf bit 20 (7de90920, 7dd58921), mfcr/mfocrf Rc=1 (7fc3b027, 7e34b827),
#     mcrxrx (7da65c80)
#   and later, for lines added since: executed cmpi/cmpli with bit 9 (2ef6671c, 2858abd5),
#     lswx/stswx Rc=1 (7e2e342a, 7ea9b52a), dcbz bit 10 "dcbzl" (7c23dfec); FP-unavailable
#     (so decoded, MSR[FP]=0 in the probe) for lfsx/lfdx/stfsx... Rc=1 (7d28a42f, 7e133caf,
#     7c28652f) and fcmpo with bits 9:10 (fe829040); HEAI for lfiwax/lfiwzx/stfiwx Rc=1
#     (7dccceaf, 7d151eef, 7e9c77af), mbar/eieio with bits 7:20 (7d9edeac), dcbf with bits
#     6:8 (7d1a90ac).
# A table line may accept reserved bits only where QEMU does: QEMU_IGNORES below. Where
# QEMU raises HEAI, the line is too lenient and this test fails: the fix is
# `fixed=(reserved mask, 0)` on the line.
ALL_RESERVED = 0xFFFF_FFFF  # "whatever capstone calls reserved": measured as executed
QEMU_IGNORES: dict[str, int] = {
    "mtspr": 0x1, "bclr": 0xE000, "bcctr": 0xE000, "bctar": 0xE000,
    "mfcr": 0x000F_F000,
    "lswx": 0x1, "stswx": 0x1, "cmpi": 0x0040_0000, "cmpli": 0x0040_0000,
    # decodetree's "-" bits (reserved in the ISA, ignored by QEMU 7.2): xxspltw 11:13,
    # xxextractuw/xxinsertw 11
    "xxspltw": 0x001C_0000, "xxextractuw": 0x0010_0000, "xxinsertw": 0x0010_0000,
    **dict.fromkeys(
        ("fcmpo", "fcmpu",
         "extsb", "extsh", "extsw", "cntlzw", "cntlzd", "cnttzw", "cnttzd", "cmp", "cmpl",
         "cmpeqb", "mcrf", "tlbie", "tlbiel", "slbia", "msgsnd", "msgclr", "msgsndp",
         "msgclrp"),
        ALL_RESERVED,
    ),
}  # fmt: skip
# VMX storage (vmxs): dssall with STRM (bits 9:10) set, executed by QEMU 7.2 (the word
# 7e60066c in tests/differential/programs/vmx_storage.S); capstone wants STRM = 0.
QEMU_IGNORES.update({"dssall": 0x0060_0000})
# VMX permute (vmxp): vsldoi's reserved bit 21 and vspltis*'s VRB field, executed by QEMU 7.2
# (words in tests/differential/programs/vmx_perm.S).
QEMU_IGNORES.update({"vsldoi": 0x400, "vspltisb": 0xF800, "vspltish": 0xF800, "vspltisw": 0xF800})
# VSX scalar (xscv): the legacy XX2/XX3 handlers check no reserved bits (xscmpudp/xscmpodp only
# bit 31): XX2 bits 11:15, BF forms' bits 9:10 and TX (words in programs/vsx_scalar_cmp.S).
QEMU_IGNORES.update({
    **dict.fromkeys(("xsabsdp", "xsnabsdp", "xsnegdp"), 0x001F_0000),
    "xscmpudp": 0x0060_0000, "xscmpodp": 0x0060_0000,
    "xscmpexpdp": 0x0060_0001, "xstdivdp": 0x0060_0001, "xstsqrtdp": 0x007F_0001,
    "xsxexpdp": 0x1, "xsxsigdp": 0x1,  # TX (programs/vsx_scalar_exp.S)
})  # fmt: skip
# VMX pack/extract (vpack): VRA of vupkhsw/vupklsw, bit 11 of vextractub/uh/uw and
# vinsertb..d, executed by QEMU 7.2 (words in tests/differential/programs/vmx_pack.S); VRB
# of vsbox (the .long words at the end of tests/differential/programs/vmx_crypto.inc).
QEMU_IGNORES.update({"vupkhsw": 0x1F0000, "vupklsw": 0x1F0000, "vsbox": 0xF800})
# VMX counts (vshift): the reserved VRA of vclz*, vpopcnt* and vgbbd, executed by QEMU 7.2
# (the .long words at the end of tests/differential/programs/vmx_shift.inc).
QEMU_IGNORES.update(dict.fromkeys(
    (*(f"vclz{s}" for s in "bhwd"), *(f"vpopcnt{s}" for s in "bhwd"), "vgbbd"), 0x1F0000
))  # fmt: skip
QEMU_IGNORES.update(dict.fromkeys(
    ("vextractub", "vextractuh", "vextractuw", "vinsertb", "vinserth", "vinsertw", "vinsertd"),
    0x100000,
))  # fmt: skip

# VSX storage (vsxls): lxvx's bit 25, a "-" in QEMU 7.2's decodetree pattern (the ISA reserves
# it), executed as lxvx (the .long word in tests/differential/programs/vsx_storage.inc).
QEMU_IGNORES.update({"lxvx": 0x40})
# VSX binary128 (quad): xststdcqp's reserved bit 31, "-" in QEMU 7.2's decodetree pattern
# (executed: the word 0xff7f1589 in tests/differential/programs/vsx_quad.S).
QEMU_IGNORES.update({"xststdcqp": 0x1})
# xsrqpxp's reserved EX (bit 31): QEMU 7.2's legacy handler has an empty invalid-bits mask
# (executed: the word 0xfc60144b in tests/differential/programs/vsx_quad_round.S).
QEMU_IGNORES.update({"xsrqpxp": 0x1})
# VMX decimal (engine/isa/vmx_bcd.py): bcdctsq. has no PS operand, QEMU 7.2 executes it with
# bit 22 set (the word 0x10601781 in programs/vmx_bcd_conv.S).
QEMU_IGNORES.update({"bcdctsq.": 0x200})


def qemu_ignored_bits(o: Insn) -> int:
    """Reserved bits QEMU 7.2 ignores for this line (capstone rejects them)."""
    if (
        o.form.name == "X"
        and (o.access in ("load", "store") and o.facility is None)
        and "rc" not in o.suffixes
        and o.mnemonic not in ("lfiwax", "lfiwzx", "stfiwx")  # still legacy in QEMU 7.2
    ):
        return 0x1  # decodetree's @X format: bit 31 is "."
    if o.mnemonic in _FP_INDEXED:
        return 0x1
    return QEMU_IGNORES.get(o.mnemonic, 0)


_FP_INDEXED = frozenset({"lfsx", "lfsux", "lfdx", "lfdux", "stfsx", "stfsux", "stfdx", "stfdux"})


def capstone_gap(o: Insn, word: int) -> bool:
    """Valid instructions capstone 5 does not know (QEMU 7.2 executes them)."""
    if "oe" in o.suffixes and word & 0x400:
        return True  # capstone 5 has no OE forms: addo, subfo, mulldo...
    if o.mnemonic in ("mtfsb0", "mtfsb1") and word & 1:
        return True  # nor mtfsb0. / mtfsb1.
    if o.mnemonic in ("mtocrf", "mfocrf") and bin((word >> 12) & 0xFF).count("1") != 1:
        return True  # FXM naming 0 or several fields: capstone rejects, QEMU runs a no-op
    if o.mnemonic in ("scv", "rfscv"):
        return True  # ISA 3.0 system call vectored: capstone 5 knows neither (QEMU 7.2 runs both)
    if o.mnemonic in ("vmsumudm",):
        return True  # POWER9 VMX that capstone 5 does not know (QEMU 7.2 executes it)
    if o.mnemonic in ("xvcmpnedp", "xvcmpnesp"):
        return True  # ISA 3.0 drafts only (not 3.0B); QEMU 7.2 decodes them on POWER9
    if o.mnemonic in ("bcdadd.", "bcdsub."):
        return True  # ISA 2.07 BCD that capstone 5 does not know (programs/vmx_bcd.S)
    if o.mnemonic in ("bcds", "bcdsr"):
        return True  # Rc=0 words QEMU 7.2 executes as bcds./bcdsr. (programs/vmx_bcd_shift.S)
    # absent from capstone 5's 64-bit mode (prtyw 7e9a0134 runs on QEMU 7.2)
    return o.mnemonic in ("bctar", "lswx", "stswx", "prtyw", "prtyd")


# Capstone 5 itself ignores reserved bits of these (QEMU 7.2 rejects such sc words, and has
# no attn at all), so "capstone decodes, we do not" is no evidence of a missing form.
# Likewise mbar (our eieio: QEMU rejects bits 7:20) and dcbf with bits 6:8 set.
# vextractd: capstone ignores bit 11, QEMU 7.2 raises HEAI on it (11b852cd in vmx_pack.S).
CAPSTONE_LENIENT = frozenset({"sc", "attn", "eieio", "dcbf", "vextractd"})


def cs_mnemonic(word: int) -> str | None:
    for _addr, _size, mnemonic, _ops in _MD.disasm_lite(word.to_bytes(4, "big"), 0x1000, 1):
        return mnemonic  # type: ignore[no-any-return]
    return None


def op_words(o: Insn, rng: random.Random) -> Iterator[int]:
    """Words that select ``o``: its fixed bits, random bits elsewhere."""
    free = 0xFFFF_FFFF & ~o.mask
    for _ in range(WORDS_PER_OP):
        w = (rng.getrandbits(32) & free) | o.match
        if decode(w) is o:  # a more specific line may own this word
            yield w


def _op_id(o: Insn) -> str:
    return f"{o.mnemonic}-{o.opcd}-{o.xo}"


@pytest.mark.parametrize("o", ALL_OPS, ids=_op_id)
def test_table_line_matches_capstone(o: Insn) -> None:
    rng = random.Random(f"{SEED}:{o.mnemonic}:{o.opcd}:{o.xo}")
    wrong: list[str] = []
    too_lenient: list[str] = []
    for w in op_words(o, rng):
        got = cs_mnemonic(w)
        if got is None:
            if capstone_gap(o, w):
                continue
            ignored = qemu_ignored_bits(o)
            if ignored == ALL_RESERVED:
                continue
            relaxed = w & ~ignored
            again = cs_mnemonic(relaxed)
            if again is not None and canonical(again, o) == o.name(relaxed):
                continue
            too_lenient.append(f"{w:08x}")
            continue
        if got != o.name(w) and canonical(got, o) != o.name(w):
            wrong.append(f"{w:08x}: table {o.name(w)!r}, capstone {got!r}")
    assert not wrong, f"{o.mnemonic}: {len(wrong)} words disagree, e.g. {wrong[:5]}"
    assert not too_lenient, (
        f"{o.mnemonic} decodes {len(too_lenient)} words that capstone rejects, e.g. "
        f"{too_lenient[:5]}: if QEMU 7.2 executes them, add the bits to qemu_ignored_bits; "
        f"otherwise the table line needs fixed=(reserved mask, 0)"
    )


def test_random_words_agree_with_capstone() -> None:
    rng = random.Random(SEED)
    wrong: dict[str, str] = {}
    missing: dict[str, str] = {}
    decoded = 0
    for _ in range(RANDOM_WORDS):
        w = rng.getrandbits(32)
        o = decode(w)
        got = cs_mnemonic(w)
        if o is not None:
            decoded += 1
            if got is not None and got != o.name(w) and canonical(got, o) != o.name(w):
                wrong.setdefault(o.name(w), f"{w:08x}: capstone {got!r}")
        elif got is not None:
            base = canonical(got, ALL_OPS[0]).rstrip(".")
            if base in OUR_NAMES and base not in CAPSTONE_LENIENT and got[:2] not in ("mf", "mt"):
                missing.setdefault(base, f"{w:08x}: capstone {got!r}")
    assert decoded > 0
    assert not wrong, f"mnemonics disagree: {wrong}"
    assert not missing, f"capstone decodes, our decoder rejects: {missing}"


@pytest.mark.parametrize(
    ("cs", "word", "want"),
    [
        ("li", 0x38600001, "addi"),
        ("mr.", 0x7C641B79, "or."),
        ("bdnz+", 0x42200000, "bc"),
        ("bnea-", 0x40C20002, "bca"),
        ("bltlrl", 0x4D800021, "bclrl"),
        ("bdnzctr", 0x4E000420, "bcctr"),
        ("bl", 0x48000001, "bl"),
        ("blr", 0x4E800020, "bclr"),
        ("mflr", 0x7C0802A6, "mfspr"),
        ("twgti", 0x0D000000, "twi"),
    ],
)
def test_canonical_alias_mapping(cs: str, word: int, want: str) -> None:
    o = decode(word) or ALL_OPS[0]
    assert canonical(cs, o) == want


# VSX floating-point XX2 forms that QEMU 7.2 still decodes with its legacy table, whose
# invalid-bits mask for them is 0: reserved bits 11:15 are ignored (the differential
# program vsx_scalar_unary.S executes xssqrtdp with them set).
QEMU_IGNORES.update(
    dict.fromkeys(
        ("xssqrtdp", "xsredp", "xsrsqrtedp", "xssqrtsp", "xsresp", "xsrsqrtesp"), 0x1F_0000
    )
)
# The VSX vector floating-point XX2 forms (xvfp) still decoded by QEMU 7.2's legacy table
# (invalid-bits mask 0): bits 11:15 are ignored (vsx_vec_unary.S executes xvsqrtdp with them set).
QEMU_IGNORES.update(
    dict.fromkeys(
        ("xvsqrtdp", "xvredp", "xvrsqrtedp", "xvsqrtsp", "xvresp", "xvrsqrtesp"), 0x1F_0000
    )
)
# The VSX conversions and round-to-integral (xcvt, engine/isa/vsx_convert.py): legacy-decoded
# with an invalid-bits mask of 0, xscvspdpn by decodetree with "-----": bits 11:15 are ignored
# (vsx_convert.S runs xscvdpsp, xscvspdpn, xscvdpsxds and xsrdpic with them set).
QEMU_IGNORES.update(
    dict.fromkeys(
        ("xscvdpsp", "xscvdpspn", "xscvspdp", "xscvspdpn", "xsrsp", "xscvdpsxds", "xscvdpsxws",
         "xscvdpuxds", "xscvdpuxws", "xscvsxddp", "xscvuxddp", "xscvsxdsp", "xscvuxdsp",
         "xsrdpi", "xsrdpic", "xsrdpim", "xsrdpip", "xsrdpiz"),
        0x1F_0000,
    )
)  # fmt: skip
# The VSX vector conversions and round-to-integral (xvcvt, engine/isa/vsx_vconvert.py), legacy-
# decoded with an invalid-bits mask of 0: bits 11:15 are ignored (the vsx_vconvert programs run
# xvcvdpsp, xvcvuxddp, xvcvspsxws, xvcvdpsxws, xvrspic and xvrdpi with them set).
QEMU_IGNORES.update(
    dict.fromkeys(
        ("xvcvdpsp", "xvcvspdp", "xvcvdpsxds", "xvcvdpsxws", "xvcvdpuxds", "xvcvdpuxws",
         "xvcvspsxds", "xvcvspsxws", "xvcvspuxds", "xvcvspuxws", "xvcvsxddp", "xvcvuxddp",
         "xvcvsxwdp", "xvcvuxwdp", "xvcvsxdsp", "xvcvuxdsp", "xvcvsxwsp", "xvcvuxwsp",
         "xvrdpi", "xvrdpic", "xvrdpim", "xvrdpip", "xvrdpiz",
         "xvrspi", "xvrspic", "xvrspim", "xvrspip", "xvrspiz"),
        0x1F_0000,
    )
)  # fmt: skip
# The VSX vector tests (xvcmp, engine/isa/vsx_vector2.py), legacy-decoded as well: bits 9:10
# and 31 of xvtdiv*, 9:15 and 31 of xvtsqrt* (vsx_vec_test.S runs xvtdivdp and xvtsqrtdp with
# them set); decodetree's "-" bit 31 of xststdc* (xststdcdp with it set in vsx_vec_test.S).
QEMU_IGNORES.update({
    "xvtdivdp": 0x0060_0001, "xvtdivsp": 0x0060_0001,
    "xvtsqrtdp": 0x007F_0001, "xvtsqrtsp": 0x007F_0001,
    "xststdcdp": 0x1, "xststdcsp": 0x1,
})  # fmt: skip
