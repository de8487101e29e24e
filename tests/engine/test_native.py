"""The native engine (engine/native) runs programs to the same state as the Python engine.

Blocks become native on a background thread, so each program runs twice on one
Compiler: the first run queues its hot blocks, ``drain`` compiles them, and the
second run (a fresh machine) runs them natively. Both runs must end exactly as the
Python engine's run does: every register, the instruction and clock counts and all
of memory.

Whole programs use few instructions, so every instruction is also held to the Python
engine one at a time, as tests/engine/test_inline.py holds inline lines to closures
(same table lines, random words, states and the four MSR modes, twice per state): a
one-instruction block runs in the Python engine on one vCPU and through the native
dispatcher on its twin, where a slow exit must have changed nothing (the native engine
then runs the instruction as ``VCPU._run_blocks`` runs one a block left before).
Registers, memory, the next address, interrupts and the counts must be identical. The
common integer, load/store and branch instructions must really run natively, so the
test cannot pass by leaving native code every time.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Literal, NamedTuple

import pytest

from bench.speed import SORT_DONE, _loop_image, _sort_image
from engine import native
from engine.blocks import Block, _assemble, inline_source, native_entry
from engine.cpu import VCPU, make_exec
from engine.isa.forms import Ctx, Exec
from engine.isa.insn import Insn
from engine.isa.table import decode
from engine.loader import load_image
from engine.machine import Machine, MachineConfig
from engine.memory import PhysicalMemory
from engine.msr import MSR_DECODE_CONTEXT, MSR_LE, MSR_SF
from engine.native.translate import Refused, instruction
from tests.engine.test_inline import FACILITIES, INLINE_OPS, PC, SEED, _cpu, _memory, op_words


@pytest.fixture
def native_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[native.Compiler]:
    monkeypatch.setenv("PPCDBG_NATIVE_CACHE", str(tmp_path))
    monkeypatch.setattr(native, "ENABLED", True)
    comp = native.Compiler()
    monkeypatch.setattr(native, "_compiler", comp)
    yield comp


def _final(image: bytes, stop: int, budget: int) -> tuple[tuple[object, ...], int]:
    """(the end state, how many cached blocks are native) of a run to ``stop``."""
    m = Machine(load_image(image), MachineConfig(memory=64 << 20))
    c = m.vcpus[0]
    n = 0
    while n < budget and c.nia != stop:  # in slices, as a debugger's continue runs
        n += c.run(min(50_000, budget - n), frozenset({stop}))
    mem = hashlib.sha256()
    for pn in sorted(c.mem.pages):
        mem.update(pn.to_bytes(8, "big") + bytes(c.mem.pages[pn]))
    state = (n, c.nia, c.retired, c.clock, repr(sorted(c.get_state().items())), mem.hexdigest())
    return state, native.stats()["instructions"]


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(lambda: (_sort_image(3), SORT_DONE), id="sort"),
        pytest.param(lambda: (_loop_image("loop", 20_000), None), id="loop"),
        pytest.param(lambda: (_loop_image("memmix", 5_000), None), id="memmix"),
    ],
)
def test_native_run_ends_where_the_python_engine_does(native_on: native.Compiler, image) -> None:  # type: ignore[no-untyped-def]
    img, stop = image()
    budget = 1 << 40 if stop is not None else 400_000
    stop = stop if stop is not None else -1
    native.ENABLED = False
    reference, _ = _final(img, stop, budget)
    native.ENABLED = True
    first, _ = _final(img, stop, budget)
    native_on.drain()
    assert native_on.failed is None
    assert native_on.compiled > 0
    before = native.stats()["instructions"]
    second, after = _final(img, stop, budget)
    assert after > before  # the second run ran native code
    assert first == reference
    assert second == reference


def test_time_reads_always_leave_native_code() -> None:
    ins = instruction(["g[3] = c.tb_offset + (c.clock + @SLOTS) * c.tb_ratio & M64"], 2, 0x1008)
    assert ins.always_slow


def test_a_value_no_c_type_holds_is_refused() -> None:
    with pytest.raises(Refused):
        instruction(["_x = g[3] * g[4] * g[5]", "g[3] = _x >> 100 & M64"], 0, 0x1000)


def test_a_slow_exit_after_a_state_write_is_refused() -> None:
    with pytest.raises(Refused):
        instruction(["g[3] = g[4]", "c.write(g[5], 8, g[3], 'big')"], 0, 0x1000)


# -- every instruction, one at a time -------------------------------------------------------

# Words per table line from test_inline's op_words (its extra words first), after the
# extra words below: each distinct native block costs gcc about 5 ms and each table
# line's library 60 ms more, so fewer than test_inline runs through closures.
NATIVE_WORDS_PER_OP = 8
MODES = tuple(m | FACILITIES for m in (MSR_SF, MSR_SF | MSR_LE, 0, MSR_LE))
# Instructions that must run natively for some word (None) or for this word: nearly all of
# a compiled loop's time is theirs (mfspr of LR, mtspr of CTR).
MUST_RUN_NATIVE: dict[str, int | None] = {
    **dict.fromkeys(
        ("add", "addi", "or", "and", "subf", "cmp", "cmpl", "ld", "std", "lwz", "stw"), None
    ),
    **dict.fromkeys(("rlwinm", "b", "bc", "bclr"), None),
    "mfspr": 0x7C0802A6,  # mflr r0
    "mtspr": 0x7C6903A6,  # mtctr r3
}

# Words random operands rarely produce: loads and stores whose address is one base register
# plus a small displacement (or, indexed, RA=0 and RB), so that a base holding an address
# near a mapped page (test_inline's _value, about one time in three) goes through the data
# TLB. Eight bases for the common ones, four for the others.
# The D and DS forms: (primary opcode, low bits: a DS form's XO); the X forms: XO.
_D_FORMS = {
    **{n: (op, 0) for op, n in enumerate(("lwz", "lwzu", "lbz", "lbzu", "stw", "stwu"), 32)},
    **{n: (op, 0) for op, n in enumerate(("stb", "stbu", "lhz", "lhzu", "lha", "lhau"), 38)},
    **{"sth": (44, 0), "sthu": (45, 0), "ld": (58, 0), "ldu": (58, 1), "lwa": (58, 2)},
    **{"std": (62, 0), "stdu": (62, 1)},
}
_X_FORMS = {"lwzx": 23, "stwx": 151, "ldx": 21, "stdx": 149, "lbzx": 87, "stbx": 215}


def _bases(name: str) -> tuple[int, ...]:
    return (1, 4, 5, 6, 7, 8, 9, 10) if name in ("lwz", "stw", "ld", "std") else (1, 4, 5, 9)


def _extra_words() -> dict[str, tuple[int, ...]]:
    rt = 3 << 21
    out = {}
    for n, (op, low) in _D_FORMS.items():
        out[n] = tuple((op << 26) | rt | (ra << 16) | 8 | low for ra in _bases(n))
    for n, xo in _X_FORMS.items():
        out[n] = tuple((31 << 26) | rt | (rb << 11) | (xo << 1) for rb in _bases(n))
    return out


NATIVE_EXTRA_WORDS = _extra_words()

Run = Callable[..., tuple[int, int, int]]


class _Case(NamedTuple):
    word: int
    msr: int
    state: int  # the seed of both vCPUs' registers
    lines: tuple[str, ...]  # the inline lines the native block was made from
    name: str  # its C function
    text: str


@pytest.fixture(scope="module")
def block_compiler() -> native.Compiler:
    """One Compiler (one thread) for the module: each test drains it before it runs."""
    return native.Compiler()


def _closure(w: int, msr: int) -> Exec:
    """The closure a vCPU in ``msr`` decodes ``w`` at PC to, without building one."""
    order = "little" if msr & MSR_LE else "big"
    return make_exec(decode(w), w, Ctx(PC, msr & MSR_DECODE_CONTEXT, bool(msr & MSR_SF), order))


def _native_cases(o: Insn, rng: random.Random, counts: Counter[str]) -> list[_Case]:
    """The (word, mode) pairs of ``o`` whose one-instruction block has native code."""
    cases = []
    words = islice(op_words(o, rng), NATIVE_WORDS_PER_OP)
    for w in [*NATIVE_EXTRA_WORDS.get(o.mnemonic, ()), *words]:
        for msr in MODES:
            state = rng.getrandbits(32)
            fn = _closure(w, msr)
            src = inline_source(fn)
            if src is None:
                continue  # called, not inlined: never native
            made = native.block_source([src], [PC], PC + 4, getattr(fn, "op").branch)  # noqa: B009
            if made is None:
                counts["no native code"] += 1  # its first instruction always leaves
                continue
            cases.append(_Case(w, msr, state, tuple(src), *made))
    return cases


def _compile(comp: native.Compiler, cases: list[_Case]) -> dict[str, int]:
    """Every case's function compiled now (one library), by name -> address."""
    addrs: dict[str, int] = {}

    def installer(name: str) -> native.Install:
        def install(addr: int) -> None:
            addrs[name] = addr

        return install

    for name, text in {c.name: c.text for c in cases}.items():
        comp.submit(name, text, installer(name))
    comp.drain()
    assert comp.failed is None, comp.failed
    return addrs


def _seen(c: VCPU, mem: PhysicalMemory) -> tuple[object, ...]:
    return c.get_state(), {pn: bytes(p) for pn, p in mem.pages.items()}


def _python_engine(c: VCPU, blk: Block) -> None:
    """The Python engine runs the one-instruction block at PC (exceptions taken as it takes
    them)."""
    c.icache.blocks[PC] = blk
    c._run_blocks(1, frozenset(), 0)


def _native_engine(c: VCPU, mem: PhysicalMemory, fn: Exec, blk: Block, run: Run) -> bool:
    """The native engine's turn: the dispatcher runs ``blk`` or leaves before it having
    changed nothing; then the native engine's own turn (``VCPU._run_blocks``) runs it as
    it runs an instruction a block left before. True: the dispatcher left."""
    before = _seen(c, mem)
    pc, ran, slow = run(c, {PC: blk}, PC, 1, frozenset())
    if slow:
        assert (pc, ran) == (PC, 0)
        assert _seen(c, mem) == before, "a slow exit changed the state"
        c.native_run = run
        c.icache.blocks[PC] = blk
        c.icache[PC] = fn  # the same closure, in whichever mode an earlier pass left
        c._run_blocks(1, frozenset(), 0)
        return True
    assert ran == 1
    c.nia = pc
    c.retired += 1
    c.clock += 1
    return False


def _difference(want: tuple[object, ...], got: tuple[object, ...]) -> str:
    (sw, pw), (sg, pg) = want, got
    assert isinstance(sw, dict) and isinstance(sg, dict)
    assert isinstance(pw, dict) and isinstance(pg, dict)
    out = []
    for k in sw:
        if k in ("gpr", "vsr"):
            pairs = enumerate(zip(sw[k], sg[k], strict=True))
            out += [f"{k}[{i}]: python {x:#x} native {y:#x}" for i, (x, y) in pairs if x != y]
        elif sw[k] != sg.get(k):
            out.append(f"{k}: python {sw[k]!r} native {sg.get(k)!r}")
    out += [f"page {pn:#x} differs" for pn in pw.keys() | pg.keys() if pw.get(pn) != pg.get(pn)]
    return "; ".join(out)


def _run_case(case: _Case, addr: int, run: Run, counts: Counter[str]) -> bool:
    """Both engines on one case, twice (the first access fills the data TLB, the second
    goes through it); True when some pass ran natively."""
    w, msr = case.word, case.msr
    o = decode(w)
    assert o is not None
    mem_a, mem_b = _memory(random.Random(w)), _memory(random.Random(w))
    a = _cpu(mem_a, msr, random.Random(case.state))
    b = _cpu(mem_b, msr, random.Random(case.state))
    order: Literal["little", "big"] = "little" if msr & MSR_LE else "big"
    mem_a.write_bytes(PC, w.to_bytes(4, order), None)
    mem_b.write_bytes(PC, w.to_bytes(4, order), None)
    a.nia = b.nia = PC
    fn_a, fn_b = a.decode_at(PC), b.decode_at(PC)
    assert tuple(inline_source(fn_b) or ()) == case.lines
    blk_a = _assemble((fn_a,), frozenset(), {0: PC + 4}, False, False, PC)
    blk_b = _assemble((fn_b,), frozenset(), {0: PC + 4}, False, False, PC)._replace(native=addr)
    ran_native = False
    for _ in range(2):
        a.nia = b.nia = PC
        _python_engine(a, blk_a)
        slow = _native_engine(b, mem_b, fn_b, blk_b, run)
        counts["slow exit" if slow else "native"] += 1
        ran_native |= not slow
        want, got = _seen(a, mem_a), _seen(b, mem_b)
        assert got == want, (
            f"{o.name(w)} {w:08x} msr={msr:#x}: {_difference(want, got)}\n"
            + "\n".join(case.lines)
            + "\n"
            + case.text
        )
        if a.halted or a.sleeping or a.exit_reason:
            break  # the engines run nothing more (a checkstop)
    return ran_native


@pytest.mark.parametrize("o", INLINE_OPS, ids=lambda o: f"{o.mnemonic}-{o.opcd}-{o.xo}")
def test_a_native_instruction_does_what_the_python_engine_does(
    o: Insn,
    block_compiler: native.Compiler,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """One-instruction blocks of ``o``'s words: natively (or left and stepped) exactly as
    in the Python engine, in every mode, with a cold and then a warm data TLB."""
    monkeypatch.setenv("PPCDBG_NATIVE_CACHE", str(tmp_path))
    monkeypatch.setattr(native, "BATCH", 1 << 20)  # the op's blocks in one library
    rng = random.Random(f"{SEED}:native:{o.mnemonic}:{o.opcd}:{o.xo}")
    counts: Counter[str] = Counter()
    cases = _native_cases(o, rng, counts)
    native_words: set[int] = set()  # run natively in some mode and pass
    if cases:
        addrs = _compile(block_compiler, cases)
        run = native_entry()
        for case in cases:
            if _run_case(case, addrs[case.name], run, counts):
                native_words.add(case.word)
    slow_words = {c.word for c in cases} - native_words  # native code that always left
    print(
        f"\n{o.mnemonic}-{o.opcd}-{o.xo}: words {len(native_words)} native,"
        f" {len(slow_words)} only slow exits; passes {dict(counts)}"
    )
    if o.mnemonic in MUST_RUN_NATIVE:
        word = MUST_RUN_NATIVE[o.mnemonic]
        if word is None:
            assert native_words, f"{o.mnemonic} never ran natively"
        else:
            assert word in native_words, f"{o.mnemonic} {word:08x} never ran natively"


def test_the_instructions_that_must_run_natively_are_all_tested() -> None:
    """The native-run requirement above is checked only for table lines it tests."""
    have = {o.mnemonic for o in INLINE_OPS}
    assert set(MUST_RUN_NATIVE) <= have, sorted(set(MUST_RUN_NATIVE) - have)
    for name, words in NATIVE_EXTRA_WORDS.items():
        assert all(getattr(decode(w), "mnemonic", None) == name for w in words)
    for name, word in MUST_RUN_NATIVE.items():
        assert word is None or getattr(decode(word), "mnemonic", None) == name
