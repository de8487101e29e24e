"""Inline instruction source (forms.inline) does exactly what the closure does.

Translated blocks paste an instruction's inline lines instead of calling its
closure, so the two are a second statement of the same semantics. Every
table line that has inline source is run both ways on random words, random
register states and both byte orders and widths, twice per state (the first
access fills the data TLB, the second goes through it); registers, memory,
the next address and any exception must be identical.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from engine.blocks import Cut, _factory, inline_source
from engine.cpu import VCPU
from engine.isa.forms import Exec
from engine.isa.insn import Insn
from engine.isa.table import ALL_OPS, decode
from engine.memory import PhysicalMemory
from engine.msr import MSR_FP, MSR_LE, MSR_SF, MSR_VEC, MSR_VSX

FACILITIES = MSR_FP | MSR_VEC | MSR_VSX  # so vector and FP words execute, not trap

SEED = 20261125
WORDS_PER_OP = 40
PC = 0x8000
RAM = 1 << 20
PAGES = (0x10000, 0x11000, 0x20000)


# Words random operands rarely produce: the SPRs whose moves are inlined (LR, CTR, and
# the time reads: mfspr of TB and DEC, mftb and mftbu).
EXTRA_WORDS = {
    "mfspr": (0x7C0802A6, 0x7C6902A6, 0x7C6C42A6, 0x7C7602A6),
    "mtspr": (0x7C0803A6, 0x7C6903A6),
    "mftb": (0x7C6C42E6, 0x7C8D42E6),
}


def op_words(o: Insn, rng: random.Random) -> Iterator[int]:
    yield from EXTRA_WORDS.get(o.mnemonic, ())
    free = 0xFFFF_FFFF & ~o.mask
    for _ in range(WORDS_PER_OP):
        w = (rng.getrandbits(32) & free) | o.match
        if decode(w) is o:
            yield w


def _value(rng: random.Random) -> int:
    kind = rng.randrange(5)
    if kind == 0:
        return rng.getrandbits(64)
    if kind == 1:
        return rng.randrange(-8, 9) & ((1 << 64) - 1)
    if kind == 2:
        return 1 << rng.randrange(64)
    # addresses in RAM, near page ends too, so loads and stores land
    return rng.choice((0x10000, 0x20FF8, 0x11000 - rng.randrange(16))) + rng.randrange(-64, 64)


def _cpu(mem: PhysicalMemory, msr: int, rng: random.Random) -> VCPU:
    c = VCPU(mem, 0)
    c.set_msr(msr)
    for i in range(32):
        c.gpr[i] = _value(rng)
    c.cr = rng.getrandbits(32)
    c.xer = rng.getrandbits(32)
    c.lr, c.ctr = _value(rng), rng.choice((0, 1, 2, rng.getrandbits(64)))
    c.clock = rng.getrandbits(40)  # so time reads read something
    # vector and FP state too: vector lines are inlined like the others
    c.vsr = [rng.getrandbits(128) if rng.randrange(4) else _value(rng) << 64 for _ in range(64)]
    c.vscr = rng.choice((0x10000, 0, 1, 0x10001))
    c.fpscr = rng.choice((0, rng.getrandbits(32) & 0xFFFFFF07, 0xF8))
    for pa in PAGES:  # map them in both TLBs (same bytes back), so accesses can hit
        c.write(pa, 1, c.read(pa, 1, "big"), "big")
    return c


def _memory(rng: random.Random) -> PhysicalMemory:
    mem = PhysicalMemory(RAM)
    for pa in PAGES:
        mem.write_bytes(pa, rng.randbytes(0x1000), None)
    return mem


def _outcome(c: VCPU, mem: PhysicalMemory, run: Exec, exact: bool = False) -> tuple[object, ...]:
    # ``exact``: the closure runs as step() runs it, with the clock exact (a time read
    # reads it instead of asking for the exact path).
    c.exact_clock = exact
    try:
        npc: object = run(c)
    except Cut as cut:  # not expected from a one-instruction block
        npc = ("cut", cut.npc)
    except Exception as exc:  # noqa: BLE001 - the kind of exception is what is compared
        npc = (type(exc).__name__, getattr(exc, "vector", None))
    c.exact_clock = False
    pages = {pn: bytes(p) for pn, p in mem.pages.items()}
    return npc, c.get_state(), pages


def _no_region(_c: object) -> None:
    """A block's promote hook (regions): these blocks do not count their runs."""


def _block_of(fn: Exec) -> Exec:
    """A one-instruction translated block running ``fn`` inline."""
    fac = _factory([fn], set(), {0: PC + 4}, loop=False)
    return fac.make(Cut, (1 << 64) - 1, 0xFFFF_FFFF, PC, _no_region)


def _inlined(o: Insn, w: int, msr: int = MSR_SF | MSR_FP | MSR_VEC | MSR_VSX) -> bool:
    mem = PhysicalMemory(RAM)
    c = VCPU(mem, 0)
    c.set_msr(msr)
    mem.write_bytes(PC, w.to_bytes(4, "big"), None)
    return inline_source(c.decode_at(PC)) is not None


# The table lines that have inline source for some of their words.
INLINE_OPS = [
    o for o in ALL_OPS if any(_inlined(o, w) for w in op_words(o, random.Random(o.name(o.match))))
]


@pytest.mark.parametrize("o", INLINE_OPS, ids=lambda o: f"{o.mnemonic}-{o.opcd}-{o.xo}")
def test_inline_source_matches_the_closure(o: Insn) -> None:
    rng = random.Random(f"{SEED}:{o.mnemonic}:{o.opcd}:{o.xo}")
    inlined = 0
    for w in op_words(o, rng):
        for msr in (m | FACILITIES for m in (MSR_SF, MSR_SF | MSR_LE, 0, MSR_LE)):
            mem_a, mem_b = _memory(random.Random(w)), _memory(random.Random(w))
            state = rng.getrandbits(32)
            a = _cpu(mem_a, msr, random.Random(state))
            b = _cpu(mem_b, msr, random.Random(state))
            order = "little" if msr & MSR_LE else "big"
            mem_a.write_bytes(PC, w.to_bytes(4, order), None)
            mem_b.write_bytes(PC, w.to_bytes(4, order), None)
            a.nia = b.nia = PC
            fn_a, fn_b = a.decode_at(PC), b.decode_at(PC)
            if inline_source(fn_b) is None:
                continue  # this word's closure is called, not inlined
            inlined += 1
            blk = _block_of(fn_b)
            for _ in range(2):
                want, got = _outcome(a, mem_a, fn_a, exact=True), _outcome(b, mem_b, blk)
                assert got == want, f"{o.name(w)} {w:08x} msr={msr:#x}"
    assert inlined


def test_the_hot_instructions_have_inline_source() -> None:
    """The instructions a compiled C loop spends its time in are all inlined."""
    hot = {
        "addi",
        "addis",
        "add",
        "subf",
        "addic.",
        "neg",
        "or",
        "and",
        "xor",
        "ori",
        "andi.",
        "rlwinm",
        "rldicl",
        "rldicr",
        "cmp",
        "cmpl",
        "cmpi",
        "cmpli",
        "lwz",
        "ld",
        "lbz",
        "stw",
        "std",
        "stb",
        "stdu",
        "ldu",
        "lwzx",
        "stwx",
        "b",
        "bc",
        "bclr",
        "bcctr",
        "mfspr",
        "mtspr",
        "mftb",
    }
    have = {o.mnemonic for o in INLINE_OPS}
    assert hot <= have, sorted(hot - have)
    assert len(INLINE_OPS) >= 60


def test_a_helper_named_like_a_renamed_local_is_not_shadowed() -> None:
    """xxperm's local ``src`` becomes ``_src`` in a block; vsx_vconvert's helper ``_src``
    (a module global) must still be the function in the instructions pasted after it."""
    xxperm = (60 << 26) | (3 << 21) | (1 << 16) | (2 << 11) | (26 << 3)  # xxperm 3,1,2
    cvt = (60 << 26) | (4 << 21) | (3 << 11) | (392 << 2)  # xvcvspuxds 4,3
    assert decode(xxperm).mnemonic == "xxperm" and decode(cvt).mnemonic == "xvcvspuxds"
    msr = MSR_SF | FACILITIES
    runs = []
    for _ in range(2):
        mem = _memory(random.Random(SEED))
        c = _cpu(mem, msr, random.Random(SEED))
        for k, w in enumerate((xxperm, cvt)):
            mem.write_bytes(PC + 4 * k, w.to_bytes(4, "big"), None)
        runs.append((c, mem, [c.decode_at(PC), c.decode_at(PC + 4)]))
    (a, mem_a, fns_a), (b, mem_b, fns_b) = runs
    assert all(inline_source(fn) is not None for fn in fns_b)
    for fn in fns_a:
        fn(a)
    blk = _factory(fns_b, set(), {0: PC + 4, 1: PC + 8}, loop=False)
    npc = blk.make(Cut, (1 << 64) - 1, 0xFFFF_FFFF, PC, _no_region)(b)
    assert npc == PC + 8
    assert b.get_state() == a.get_state()
