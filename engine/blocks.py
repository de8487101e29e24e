"""Block translation: guest basic blocks compiled into one Python function each.

A block is a run of consecutive instructions on one page that ends at a
branch, at an instruction that may change MSR or translation, before a
``stop_at`` address (breakpoints), at the page end or at ``BLOCK_MAX``
instructions. Its function is generated Python source: instructions whose
closures carry inline source (``forms.inline``: the hot integer, load/store
and branch forms) are pasted in with their operands as literals and run in
the block's own frame (GPRs, the data TLB maps and the CR in locals or one
attribute away); the rest are called as the interpreter calls them. The
inline lines restate a closure's body next to it, so
tests/engine/test_inline.py holds every one of them to its closure on random
words and states.

Exactness rests on four rules:

* The generated source gives each instruction its own lines, so
  when an instruction raises (an interrupt, a resync, a stop), the traceback's
  line number in the block frame says which instruction it was, at no cost
  on the normal path; the run loop then counts exactly the slots before it.
* After an instruction that may store (or write an SPR that flushes
  decoded code), the block compares its decode cache's generation with the
  one it started under and leaves through ``Cut`` when code was dropped,
  so self-modifying code sees its new words at the next instruction, as in
  the interpreter.
* A block whose last instruction branches back to its own start (a loop)
  iterates inside one call, up to the iteration count the run loop allows;
  the iteration counter is a frame local, read back on an exception.
* A time read (``mftb``, ``mfspr`` of TB, DEC and the other timed SPRs) reads
  the clock the exact path would read: the dispatcher stores the slots its
  chunk ran before each block (``slots_before``), and the read adds the slots
  the block ran before it (``@SLOTS`` in its inline line: the count a Cut
  would report), because the chunk adds its slots to the clock only at its
  end. The interpreter's closures (and cold blocks, which call them) raise
  ClockSync instead and are stepped exactly.

Compiling a block costs about a millisecond, hundreds of its runs: most of a
kernel's code runs a handful of times (init), so a block starts *cold*, run
by one generic function that calls its closures in turn (the closures the
interpreter calls, with the generation and watch checks after the same
instructions), and is compiled once it has run ``HOT_AFTER`` times. The cold
runner keeps the instruction index in a frame local, which an exception's
index is read back from, as a loop's iteration count is.

Once a compiled block has run ``REGION_AFTER`` times, it becomes the entry of
a *region* (``region``): it and the compiled blocks it continues to on its page
(its branch's literal targets and the address after it, transitively, up to
``REGION_MAX``) in one function, so a block's exit to another member runs that
member at once instead of returning to the dispatcher (the Python form of
block chaining: 73% of the stock kernel's block exits go to such a block). The
region runs a member only when the instruction limit it is given holds all of
it, compares the decode generation after a member whose last instruction may
drop code, never contains a block starting at a stop address, and returns
(next address, instructions run) when the next address is not a member:
exactly what the dispatcher would have done block by block. Its instruction
count is a frame local, read back on an exception, as a loop's is.

Blocks live in the decode cache of their translation context
(``DecodeCache.blocks``) and die with its pages: written code, flushes on
``tlbie``/``mtmsr``/PTCR/PID changes and planted breakpoints all go through
``DecodeCache.drop_page``/``flush``. A region's members are on its entry's
page, so it dies with that page too; a new stop address on the page drops it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from types import CodeType, TracebackType
from typing import NamedTuple, Protocol

from . import native as _native
from .bits import M32, M64
from .codecache import compile_code
from .isa.forms import Exec
from .isa.specialize import INLINE_GLOBALS, inline_lines, template_of
from .memory import PAGE_MASK, PhysicalMemory
from .state import CPUState

BLOCK_MAX = 64  # instructions; long enough to amortise the dispatch, short to rebuild
# Runs of a block before it is compiled (the module doc); 1 compiles at the first run.
HOT_AFTER = 16
# Runs of a compiled block before it becomes a region's entry (``region``): most of a
# kernel's dispatches are of blocks run hundreds of thousands of times, and a region
# compiles all its members again.
REGION_AFTER = 2048
# Runs of a compiled block before the native engine compiles it (engine/native): C is
# compiled in batches on a thread, but translating a block costs the vCPU's thread.
NATIVE_AFTER = 64
REGION_MAX = 12  # member blocks of a region (a transition finds its member by binary search)
# The default mode: PPCDBG_BLOCKS=0 runs the interpreter only (the reference).
ENABLED = os.environ.get("PPCDBG_BLOCKS", "1") not in ("0", "", "off", "no")


class _Held(NamedTuple):
    """One effective page's decoded code, set aside by a full translation flush."""

    pa: int  # the physical page it was decoded from
    fns: dict[int, Exec]  # the page's ``by_ea`` entry itself, moved, not copied
    blocks: dict[int, Block]


class DecodeCache(dict[int, Exec]):
    """Decoded closures by effective address, with the physical pages they came from."""

    def __init__(self) -> None:
        super().__init__()
        self.by_page: dict[int, list[int]] = {}
        # Translated blocks (engine/blocks.py) by start address: each starts at
        # an address of ``by_page`` and stays on its page, so they die with it.
        self.blocks: dict[int, Block] = {}
        # The word each closure was decoded from (trace events, block ends). Only a flush
        # empties it: any decode at an address consumes what was set aside there first
        # (``revive``), so its entry is always the word of the one closure, live or set
        # aside, that address has; an entry whose closure was dropped is never read.
        self.words: dict[int, int] = {}
        self.gen = 0  # bumped whenever decoded code is dropped (blocks in flight check it)
        # Decoded closures by effective 4 KiB page (exactly this dict's entries on the page):
        # a tlbie of one page drops only those, and a full flush sets each page's dict aside
        # as it is (``suspend``), without building one.
        self.by_ea: dict[int, dict[int, Exec]] = {}
        self.ea_pa: dict[int, int] = {}  # effective 4 KiB page -> the physical page decoded
        # Pages set aside by full translation flushes (``suspend``), by effective page: one
        # comes back (``revive``) when a fresh translation of it lands on the physical page
        # it was decoded from, as QEMU finds its physically indexed translations again after
        # a TLB flush.
        self.held: dict[int, _Held] = {}

    def drop_page(self, pn: int) -> None:
        self.gen += 1
        blocks, held, by_ea = self.blocks, self.held, self.by_ea
        for ea in self.by_page.pop(pn, ()):
            if self.pop(ea, None) is not None:
                by_ea[ea >> 12].pop(ea, None)
            blocks.pop(ea, None)
            blocks.pop(ea | 1, None)  # its watch-mode twin
            if held:
                h = held.get(ea >> 12)
                if h is not None and h.pa == pn:
                    del held[ea >> 12]

    def drop_range(self, lo: int, size: int) -> None:
        """Forget what was decoded at effective addresses [lo, lo + size): their translation
        changed (a tlbie of one page). Entries stay in ``by_page``; dropping a page later
        pops what is gone harmlessly."""
        first, last = lo >> 12, (lo + size - 1) >> 12
        for index in (self.held, self.by_ea):
            if last - first > len(index):
                chunks = [k for k in index if first <= k <= last]
            else:
                chunks = [k for k in range(first, last + 1) if k in index]
            if index is self.held:
                for k in chunks:
                    del self.held[k]
                continue
            if chunks:
                self.gen += 1
            blocks = self.blocks
            for k in chunks:
                self.ea_pa.pop(k, None)
                for ea in self.by_ea.pop(k):
                    self.pop(ea, None)
                    blocks.pop(ea, None)
                    blocks.pop(ea | 1, None)

    def suspend(self) -> None:
        """Translation may have changed anywhere (a full TLB flush): set the decoded code
        aside by page, each to be revived by its next fetch if it still maps where it did.
        Only what was decoded or revived since the last flush moves (the rest is set aside
        already), and a page's closures move as its ``by_ea`` dict, so a burst of flushes
        costs little."""
        self.gen += 1
        if not self:
            return
        held, ea_pa = self.held, self.ea_pa
        for eap, fns in self.by_ea.items():
            pa = ea_pa.get(eap)
            if pa is None:
                continue
            h = held.get(eap)
            if h is not None and h.pa == pa:
                h.fns.update(fns)
            else:
                held[eap] = _Held(pa, fns, {})
        for k, b in self.blocks.items():
            h = held.get(k >> 12)
            if h is not None:
                h.blocks[k] = b
        self.clear()
        self.blocks.clear()
        self.by_ea = {}  # its dicts are held now
        ea_pa.clear()

    def suspend_pages(self, eaps: AbstractSet[int]) -> None:
        """Set aside the code of these effective pages as ``suspend`` sets aside all of it:
        their translation may have changed (a flush that kept the others')."""
        by_ea, held, ea_pa, blocks = self.by_ea, self.held, self.ea_pa, self.blocks
        moved = False
        for eap in eaps:
            fns = by_ea.pop(eap, None)
            if fns is None:
                continue
            moved = True
            pa = ea_pa.pop(eap, None)
            h = held.get(eap)
            if h is None or h.pa != pa:
                h = None if pa is None else _Held(pa, {}, {})
                if h is not None:
                    held[eap] = h
            for ea in fns:
                self.pop(ea, None)
                for k in (ea, ea | 1):  # and its watch-mode twin
                    b = blocks.pop(k, None)
                    if b is not None and h is not None:
                        h.blocks[k] = b
            if h is not None:
                h.fns.update(fns)
        if moved:
            self.gen += 1

    def revive(self, eap: int, pa: int) -> bool:
        """Bring back effective page ``eap``'s code if it was decoded from physical page ``pa``
        (the translation did not change); forget it otherwise. True when revived."""
        h = self.held.pop(eap, None)
        if h is None or h.pa != pa:
            return False
        fns = h.fns
        mine = self.by_ea.get(eap)
        if mine:  # decoded again since: keep the newer closures
            for pc in mine:
                fns.pop(pc, None)
            mine.update(fns)
        else:
            self.by_ea[eap] = fns  # the held dict becomes the live one again
        self.update(fns)
        for k, b in h.blocks.items():
            self.blocks.setdefault(k, b)
        self.ea_pa[eap] = pa
        return True

    def forget_revivable(self, eap: int) -> None:
        self.held.pop(eap, None)

    def flush(self) -> None:
        self.gen += 1
        self.clear()
        self.held.clear()
        self.ea_pa.clear()
        self.by_page.clear()
        self.by_ea.clear()
        self.blocks.clear()
        self.words.clear()


class BlockCPU(CPUState, Protocol):
    """What building and invalidating blocks needs of a vCPU (engine/cpu.py's VCPU)."""

    @property
    def icache(self) -> DecodeCache:
        """The decode cache of the current translation mode."""
        ...

    @property
    def icaches(self) -> dict[int, DecodeCache]:
        """Every translation mode's decode cache."""
        ...

    @property
    def mem(self) -> PhysicalMemory:
        """The machine's memory (watchpoint hits)."""
        ...

    # The stop addresses the cached blocks end before (engine/cpu.py's _run_blocks).
    block_stops: frozenset[int] | set[int]

    def decode_at(self, pc: int) -> Exec: ...


class Cut(Exception):
    """Leave a block early: code it was built from was dropped by the instruction before."""

    def __init__(self, npc: int, done: int) -> None:
        self.npc = npc
        self.done = done


class Block(NamedTuple):
    run: Callable[..., int]  # run(cpu) -> next pc; loops also take the iteration limit
    length: int  # instructions per pass
    lines: dict[int, int]  # source line -> instruction index (for exceptions)
    code: CodeType  # the block function's code object (to find its frame in a traceback)
    loop: bool  # iterates inside while its last instruction branches back to its start
    fns: tuple[Exec, ...]  # the instructions' closures
    checks: frozenset[int]  # indices after which the decode generation is compared
    npcs: dict[int, int]  # index -> fall-through address
    watch: bool  # leaves after an access that hit a watchpoint
    # Prefixes of this block by length, for turns and timers that end inside
    # it (a quantum of 10 rarely ends at a block end); they die with it.
    parts: dict[int, Block]
    # A region (``region``): source line -> start of the member block it belongs to,
    # and the members' start addresses; empty for a single block.
    starts: dict[int, int]
    members: frozenset[int]
    # The address of its native function (engine/native), 0 while it has none.
    native: int = 0


class _Factory(NamedTuple):
    make: Callable[..., Callable[..., int]]
    lines: dict[int, int]
    code: CodeType
    starts: dict[int, int]  # line -> member start (regions only)


# Compiled makers by generated source: blocks with the same instructions (the
# same literals) share one code object.
_factories: dict[str, _Factory] = {}


def _body(
    fns: Sequence[Exec],
    checks: AbstractSet[int],
    npcs: dict[int, int],
    watch: bool,
    done: Callable[[int], str],
    name: Callable[[int], str],
) -> tuple[list[tuple[str, int]], list[str]]:
    """One block's lines (line, instruction index) and the closures they call (parameters).

    ``done(i)`` is the expression of the slots used once instruction ``i`` ran (what a
    Cut reports); ``name(i)`` the parameter a called closure is bound to. The lines end
    with ``pc`` set to the next address.
    """
    length = len(fns)
    body: list[tuple[str, int]] = []
    params: list[str] = []
    for i, fn in enumerate(fns):
        last = i == length - 1
        src = inline_source(fn)
        check = f"if ic.gen != gen: raise Cut({npcs[i]}, {done(i)})"
        wants_check = i in checks and not last
        if src is not None:
            for line in src:
                if "@SLOTS" in line:  # a time read: the slots the block ran before it
                    line = line.replace("@SLOTS", f"{done(i)} - 1")
                if line.strip() == "@CHECK":
                    # where the instruction's own source wants the check
                    if wants_check:
                        body.append((line.replace("@CHECK", check), i))
                    wants_check = False
                    continue
                body.append((line, i))
            if last and not getattr(fn, "op").branch:  # noqa: B009 - set by make_exec
                body.append((f"pc = {npcs[i]}", i))
        else:
            params.append(name(i))
            body.append((f"pc = {name(i)}(c)" if last else f"{name(i)}(c)", i))
        if wants_check:
            body.append((check, i))
        if watch and not last:
            body.append((f"if wh: raise Cut({npcs[i]}, {done(i)})", i))
    return body, params


def _prologue(text_body: str, ind: str, checks: bool, watch: bool) -> list[str]:
    # Bind only the locals the pasted lines use: each is an attribute load per call.
    out = []
    for name, value in (
        ("g", "c.gpr"),
        ("tl", "c.tlb_load"),
        ("ts", "c.tlb_store"),
        ("vs", "c.vsr"),
    ):
        if re.search(rf"\b{name}\b", text_body):
            out.append(ind + f"{name} = {value}")
    if checks:
        out += [ind + "ic = c.icache", ind + "gen = ic.gen"]
    if watch:
        out.append(ind + "wh = c.mem.watch_hits")
    return out


def _compiled(text: str, label: str, nparams: int, extra: int) -> _Factory:
    """The maker compiled from ``text`` (once per text), with its lines left to fill."""
    f = _factories.get(text)
    if f is not None:
        return f
    ns: dict[str, object] = {}
    # Inline code names the helpers it calls; they live in one shared namespace.
    exec(compile_code(text, label), INLINE_GLOBALS, ns)  # noqa: S102
    make = ns["make"]
    probe = make(*([None] * (nparams + extra)))  # type: ignore[operator]
    f = _Factory(make, {}, probe.__code__, {})  # type: ignore[arg-type]
    _factories[text] = f
    return f


def _factory(
    fns: Sequence[Exec],
    checks: AbstractSet[int],
    npcs: dict[int, int],
    loop: bool,
    watch: bool = False,
    count: bool = False,
    after: int = REGION_AFTER,
) -> _Factory:
    """Compile (once per source text) the maker of a block running ``fns``.

    Instructions with inline source (``forms.inline``) are pasted into the
    block function with their operands as literals; the others are called
    as ``f<i>(c)``. ``checks`` are the indices after which the decode
    generation is compared (``npcs`` their fall-through addresses). With
    ``watch``, the block also leaves after any instruction whose access hit
    a watchpoint (memory's ``watch_hits`` became non-empty), so the vCPU
    stops right after it, as the interpreter's exact path does. With
    ``count``, the block counts its runs and calls ``promote(c)`` at the
    ``after``-th (``region``, or the native engine's compile). The maker takes
    the called closures and returns the block function.
    """
    length = len(fns)
    body, params = _body(
        fns,
        checks,
        npcs,
        watch,
        (lambda i: f"i * {length} + {i + 1}") if loop else (lambda i: str(i + 1)),
        lambda i: f"f{i}",
    )
    src_lines = [f"def make({', '.join(params + ['Cut', 'M64', 'M32', 'start', 'promote'])}):"]
    if count:
        src_lines.append("    runs = 0")
    src_lines.append("    def blk(c, limit=1):" if loop else "    def blk(c):")
    ind = "        "
    if count:
        src_lines += [
            ind + "nonlocal runs",
            ind + "runs += 1",
            ind + f"if runs == {after}: promote(c)",
        ]
    text_body = "\n".join(line for line, _ in body)
    src_lines += _prologue(text_body, ind, bool(checks), watch)
    if loop:
        src_lines += [ind + "i = 0", ind + "while True:"]
        ind += "    "
    lines: dict[int, int] = {}
    for line, idx in body:
        src_lines.append(ind + line)
        lines[len(src_lines)] = idx
    if loop:
        src_lines.append(ind + "i += 1")
        cond = (
            "pc != start or i >= limit"
            + (" or ic.gen != gen" if checks else "")
            + (" or wh" if watch else "")
        )
        src_lines.append(ind + f"if {cond}: return pc, i")
    else:
        src_lines.append(ind + "return pc")
    src_lines.append("    return blk")
    f = _compiled("\n".join(src_lines), f"<block {length}{'L' if loop else ''}>", len(params), 5)
    if not f.lines:
        f.lines.update(lines)
    return f


def inline_source(fn: Exec) -> Sequence[str] | None:
    """The lines a block pastes for ``fn``, or None when it calls it instead."""
    src: tuple[str, ...] | None = getattr(fn, "src", None)  # forms.inline (closure-maker lines)
    if src is not None:
        return src
    return inline_lines(fn)


def build(cpu: BlockCPU, pc: int, breaks: set[int] | frozenset[int], watch: bool = False) -> Block:
    """Translate the block at ``pc`` in the vCPU's current context and cache it.

    The first instruction is decoded as the interpreter would (its fetch
    faults propagate); later ones are decoded from the same page, so their
    fetches cannot fault differently, and a decode failure just ends the block.
    """
    cache = cpu.icache
    if cache.held and pc >> 12 in cache.held:
        cpu.decode_at(pc)  # translates pc: revives its page's blocks if the mapping held
        b = cache.blocks.get(pc | watch)
        if b is not None:
            return b
    fns: list[Exec] = []
    checks: set[int] = set()
    npcs: dict[int, int] = {}
    amask = cpu_amask(cpu)
    addr = pc
    while True:
        fn = cache.get(addr)
        if fn is None:
            if fns:
                try:
                    fn = cpu.decode_at(addr)
                except Exception:  # noqa: BLE001 - the interpreter raises it when it gets there
                    break
            else:
                fn = cpu.decode_at(addr)
        word = cache.words.get(addr, 0)
        o = getattr(fn, "op", None)
        i = len(fns)
        fns.append(fn)
        npcs[i] = (addr + 4) & amask
        if o is None or o.drops_code(word):
            checks.add(i)
        if o is None or o.ends_block(word):
            break
        addr += 4
        if not addr & PAGE_MASK or len(fns) >= BLOCK_MAX or addr in breaks:
            break
    key = pc | watch
    home = (cache, key, pc)
    if HOT_AFTER <= 1:
        loop = _branches_to(fns[-1], pc)
        b = _assemble(tuple(fns), frozenset(checks), npcs, loop, watch, pc, home)
    else:
        b = _cold(tuple(fns), frozenset(checks), npcs, watch, home)
    cache.blocks[key] = b
    return b


def _cold(
    fns: tuple[Exec, ...],
    checks: frozenset[int],
    npcs: dict[int, int],
    watch: bool,
    home: tuple[DecodeCache, int, int] | None,
) -> Block:
    """A block run by calling its closures (the module doc), compiled in place once hot.

    ``home`` is (decode cache, key, start address) of a cached block: its
    ``HOT_AFTER``-th run on puts the compiled form in its place (when it is still
    the cached one) and runs cold once more. None for a prefix, which stays cold.
    """
    last = len(fns) - 1
    # (closure, compare the decode generation after it, leave on a watch hit after it, npc)
    steps = [
        (fn, i in checks and i != last, watch and i != last, npcs[i]) for i, fn in enumerate(fns)
    ]
    runs = 0
    me: list[Block] = []

    def heat() -> None:
        nonlocal runs
        runs += 1
        if runs >= HOT_AFTER and home is not None:
            cache, key, start = home
            if cache.blocks.get(key) is me[0]:
                loop = _branches_to(fns[-1], start)
                cache.blocks[key] = _assemble(fns, checks, npcs, loop, watch, start, home)

    def run(c: BlockCPU) -> int:
        heat()
        ic = c.icache
        gen = ic.gen
        wh = c.mem.watch_hits
        k = 0  # the instruction running: fault_point reads it
        pc = 0
        for fn, check, wcheck, npc in steps:
            pc = fn(c)
            if check and ic.gen != gen:
                raise Cut(npc, k + 1)
            if wcheck and wh:
                raise Cut(npc, k + 1)
            k += 1
        return pc

    def run_plain(c: BlockCPU) -> int:
        # No instruction to check after (the common case): the closures alone.
        heat()
        k = 0  # the instruction running: fault_point reads it
        pc = 0
        for fn in fns:
            pc = fn(c)
            k += 1
        return pc

    if not (watch and last) and checks <= {last}:
        run = run_plain
    b = Block(run, len(fns), {}, run.__code__, False, fns, checks, npcs, watch, {}, {}, frozenset())
    me.append(b)
    return b


def _assemble(
    fns: tuple[Exec, ...],
    checks: frozenset[int],
    npcs: dict[int, int],
    loop: bool,
    watch: bool,
    pc: int,
    home: tuple[DecodeCache, int, int] | None = None,
) -> Block:
    """The compiled block; with ``home`` (a cached, not watching block that has successors
    on its page) it counts its runs to become a region's entry (``region``)."""
    native = _native.ENABLED and home is not None and not watch
    # With the native engine a block counts its runs to be compiled natively at the
    # NATIVE_AFTER-th (the native dispatcher chains blocks itself: no regions).
    count = home is not None and not watch and (native or bool(_successors(fns, npcs, pc)))
    # A loop block runs many passes per call: compiled natively at its first.
    after = (1 if loop else NATIVE_AFTER) if native else REGION_AFTER
    fac = _factory(fns, checks, npcs, loop, watch, count, after)
    called = [fn for fn in fns if inline_source(fn) is None]
    me: list[Block] = []

    def promote(c: BlockCPU) -> None:
        assert home is not None
        if native:
            _submit_native(me[0], pc, home[0], home[1])
        else:
            region(c, home[0], home[1], me[0])

    blk = fac.make(*called, Cut, M64, M32, pc, promote)
    b = Block(
        blk, len(fns), fac.lines, fac.code, loop, fns, checks, npcs, watch, {}, {}, frozenset()
    )
    me.append(b)
    return b


def _submit_native(b: Block, pc: int, cache: DecodeCache, key: int) -> None:
    """Queue ``b``'s native function; once compiled, it takes ``b``'s place if ``b`` is
    still the block cached at ``key``."""
    last = b.fns[-1]
    o = getattr(last, "op", None)
    src = _native.block_source(
        [inline_source(fn) for fn in b.fns],
        [pc + 4 * i for i in range(b.length)],
        b.npcs[b.length - 1],
        o is not None and o.branch,
    )
    if src is None:
        return

    def install(addr: int) -> None:
        if addr and cache.blocks.get(key) is b:
            cache.blocks[key] = b._replace(native=addr)

    _native.compiler().submit(src[0], src[1], install)


def native_entry() -> Callable[..., tuple[int, int, int]]:
    """The native dispatcher's run(cpu, blocks, pc, left, stops) -> (pc, ran, slow)."""
    rt = _native.runtime(Block._fields.index("native"), Block._fields.index("length"))
    return rt.run  # type: ignore[no-any-return]


def _successors(fns: Sequence[Exec], npcs: dict[int, int], start: int) -> list[int]:
    """Where a block at ``start`` may continue that is known when it is built and on its page:
    the literal targets of its last instruction (a branch the block pastes) and the address
    after it."""
    out = [npcs[len(fns) - 1]]
    fn = fns[-1]
    o = getattr(fn, "op", None)
    t = template_of(fn) if o is not None and o.branch else None
    if t is not None:
        cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=True))
        for target in t.targets:
            out.append(target if isinstance(target, int) else cells[target].cell_contents)
    return [a for a in out if a >> 12 == start >> 12]


def region(cpu: BlockCPU, cache: DecodeCache, key: int, entry: Block) -> None:
    """Compile ``entry`` (cached at ``key``) with the blocks it continues to on its page into one
    function, in its place: a region, where one block's exit to another member runs that
    member without returning to the dispatcher (block chaining).

    Members are the compiled blocks reached from the entry through ``_successors`` (up to
    ``REGION_MAX``), not watching, and not starting at a stop address (the dispatcher
    stops there); an entry at a stop address makes no region. The region runs members
    while the next address is one of them and the instruction limit it is given allows
    the whole member; after a member whose last instruction may drop decoded code it
    compares the decode generation, and it returns (next address, instructions run)
    otherwise, so the dispatcher sees what it would have seen after each block. All
    members are on the entry's page, so the region dies with it; a new stop address on
    that page drops it (``invalidate_containing``).
    """
    if cache.blocks.get(key) is not entry:
        return  # dropped or replaced since
    stops = cpu.block_stops
    members: list[tuple[int, Block]] = [(key, entry)]
    seen = {key}
    for start, b in members:
        for s in _successors(b.fns, b.npcs, start):
            if s in seen or s in stops or len(members) >= REGION_MAX:
                continue
            m = cache.blocks.get(s)
            if m is not None and m.lines and not m.watch:  # compiled: it ran HOT_AFTER times
                seen.add(s)
                members.append((s, m))
    if len(members) < 2 or key in stops:
        # Nothing to chain to, or the entry is a stop address (the dispatcher stops there
        # when a member branches back to it): the same block without the run counter.
        fac = _factory(entry.fns, entry.checks, entry.npcs, entry.loop, False)
        called = [fn for fn in entry.fns if inline_source(fn) is None]
        blk = fac.make(*called, Cut, M64, M32, key, None)
        cache.blocks[key] = entry._replace(run=blk, code=fac.code, lines=fac.lines)
        return
    fac = _region_factory(members)
    called = [fn for _, b in members for fn in b.fns if inline_source(fn) is None]
    blk = fac.make(*called, Cut, M64, M32, key, None)
    cache.blocks[key] = entry._replace(
        run=blk,
        code=fac.code,
        lines=fac.lines,
        loop=True,
        starts=fac.starts,
        members=frozenset(seen),
    )


def _region_factory(members: Sequence[tuple[int, Block]]) -> _Factory:
    """The maker of a region's function (``region``): ``blk(c, limit)`` -> (pc, instructions).

    The next address picks its member by a binary search over the members' starts
    (a few comparisons whichever member it is), then the member's lines run."""
    parts: list[tuple[str, int, int]] = []  # (line, instruction index or -1, member start)
    params: list[str] = []
    bodies: dict[int, list[tuple[str, int]]] = {}
    checked: set[int] = set()  # members whose last instruction may drop decoded code
    for m, (start, b) in enumerate(members):

        def name(i: int, m: int = m) -> str:
            return f"f{m}_{i}"

        body, ps = _body(b.fns, b.checks, b.npcs, False, lambda i: f"_ran + {i + 1}", name)
        params += ps
        bodies[start] = body
        if b.length - 1 in b.checks:
            checked.add(start)
    lengths = {start: b.length for start, b in members}

    def member(start: int, ind: str) -> None:
        parts.append((ind + f"if _ran + {lengths[start]} > limit: return pc, _ran", -1, start))
        parts.extend([(ind + line, i, start) for line, i in bodies[start]])
        parts.append((ind + f"_ran += {lengths[start]}", -1, start))
        if start in checked:
            parts.append((ind + "if ic.gen != gen: return pc, _ran", -1, start))

    def pick(starts: list[int], ind: str) -> None:
        if len(starts) <= 3:
            for j, start in enumerate(starts):
                parts.append((ind + f"{'elif' if j else 'if'} pc == {start}:", -1, start))
                member(start, ind + "    ")
            parts.append((ind + "else:", -1, 0))
            parts.append((ind + "    return pc, _ran", -1, 0))
            return
        mid = len(starts) // 2
        parts.append((ind + f"if pc < {starts[mid]}:", -1, 0))
        pick(starts[:mid], ind + "    ")
        parts.append((ind + "else:", -1, 0))
        pick(starts[mid:], ind + "    ")

    # The entry runs first without a search (the dispatcher gives it the room it needs).
    entry = members[0][0]
    parts.append(("        _ran = 0", -1, entry))
    parts.extend([("        " + line, i, entry) for line, i in bodies[entry]])
    parts.append((f"        _ran = {lengths[entry]}", -1, entry))
    if entry in checked:
        parts.append(("        if ic.gen != gen: return pc, _ran", -1, entry))
    parts.append(("        while True:", -1, entry))
    pick(sorted(lengths), "            ")
    src_lines = [f"def make({', '.join(params + ['Cut', 'M64', 'M32', 'start', 'promote'])}):"]
    src_lines.append("    def blk(c, limit):")
    text_body = "\n".join(line for line, _, _ in parts)
    src_lines += _prologue(text_body, "        ", any(b.checks for _, b in members), False)
    lines: dict[int, int] = {}
    starts: dict[int, int] = {}
    for line, idx, start in parts:
        src_lines.append(line)
        if idx >= 0:
            lines[len(src_lines)] = idx
            starts[len(src_lines)] = start
    src_lines.append("    return blk")
    f = _compiled("\n".join(src_lines), f"<region {len(members)}>", len(params), 5)
    if not f.lines:
        f.lines.update(lines)
        f.starts.update(starts)
    return f


def prefix(b: Block, length: int, pc: int) -> Block:
    """The first ``length`` instructions of ``b`` (at ``pc``) as a block of their own, cached."""
    p = b.parts.get(length)
    if p is None and not b.lines:  # a cold block's prefixes are cold too
        p = b.parts[length] = _cold(
            b.fns[:length], frozenset(i for i in b.checks if i < length), b.npcs, b.watch, None
        )
    elif p is None:
        p = b.parts[length] = _assemble(
            b.fns[:length],
            frozenset(i for i in b.checks if i < length),
            b.npcs,
            False,
            b.watch,
            pc,
        )
    return p


def cpu_amask(cpu: BlockCPU) -> int:
    from .msr import MSR_SF

    return (1 << 64) - 1 if cpu.msr & MSR_SF else 0xFFFF_FFFF


def _branches_to(fn: Exec, start: int) -> bool:
    """A static branch back to ``start``: a target the inline code assigns as a constant."""
    o = getattr(fn, "op", None)
    if o is None or not o.branch:
        return False
    t = template_of(fn)
    if t is None:  # a branch the block calls: its target is not a literal of the block
        return False
    names = fn.__code__.co_freevars
    cells = dict(zip(names, fn.__closure__ or (), strict=True))
    for target in t.targets:
        value = target if isinstance(target, int) else cells[target].cell_contents
        if value == start:
            return True
    return False


def fault_point(b: Block, tb: TracebackType | None, pc: int) -> tuple[int, int]:
    """Where an exception left block ``b`` (run at ``pc``): (slots used before the instruction
    that raised it, that instruction's address)."""
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code is b.code:
            if not b.lines:  # a cold block: its runner keeps the index in ``k``
                k: int = frame.f_locals["k"]
                return k, (pc + 4 * k) & M64
            line = tb.tb_lineno
            idx = b.lines.get(line)
            if idx is None:
                raise AssertionError(f"exception on a non-instruction line {line}")
            if b.starts:  # a region: the member's start, and the slots its members used
                return frame.f_locals["_ran"] + idx, (b.starts[line] + 4 * idx) & M64
            if b.loop:
                return frame.f_locals["i"] * b.length + idx, (pc + 4 * idx) & M64
            return idx, (pc + 4 * idx) & M64
        tb = tb.tb_next
    raise AssertionError("the exception did not come from the block")


def invalidate_containing(cpu: BlockCPU, addresses: set[int] | frozenset[int]) -> None:
    """Drop every cached block that runs through one of ``addresses`` without starting there."""
    for cache in cpu.icaches.values():
        for a in addresses:  # a set-aside block may run through it: not revivable
            cache.forget_revivable(a >> 12)
        blocks = cache.blocks
        if not blocks:
            continue
        # A region may enter a member at a new stop, or run through one: regions on the
        # pages of new stops go (their blocks are built again, ending before them).
        pages = {a >> 12 for a in addresses}
        for key in [k for k, b in blocks.items() if b.members and k >> 12 in pages]:
            del blocks[key]
        for a in addresses:
            for k in range(1, min(BLOCK_MAX, (a & PAGE_MASK) // 4 + 1)):
                for key in (a - 4 * k, (a - 4 * k) | 1):  # plain and watch-mode blocks
                    b = blocks.get(key)
                    if b is not None and b.length > k:
                        del blocks[key]
