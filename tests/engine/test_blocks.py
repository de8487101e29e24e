"""Block translation (engine/blocks.py): shapes, invalidation and exact accounting."""

from __future__ import annotations

import pytest

from engine import blocks as block_module
from engine.blocks import BLOCK_MAX, HOT_AFTER
from engine.machine import Machine
from tests.asm import machine

STRAIGHT = """
    .org 0x10
_start:
    li 3, 1
    li 4, 2
    add 5, 3, 4
    addi 6, 5, 1
    b next
next:
    li 7, 7
done:
    b done
"""


def _fresh(source: str, blocks: bool = True, **kw: object) -> Machine:
    m = machine(source, elf=False, **kw)  # type: ignore[arg-type]
    for c in m.vcpus:
        c.use_blocks = blocks
        c.dec_zero = 1 << 40  # no decrementer interrupt in these short runs
    return m


def test_block_ends_at_the_branch() -> None:
    m = _fresh(STRAIGHT)
    cpu = m.vcpus[0]
    cpu.run(5)
    b = cpu.icache.blocks[0x10]
    assert b.length == 5  # li, li, add, addi, b
    assert cpu.nia == 0x24 and cpu.retired == 5


def test_budget_inside_a_block_is_exact() -> None:
    for budget in range(1, 8):
        ref, got = _fresh(STRAIGHT, False), _fresh(STRAIGHT)
        assert ref.vcpus[0].run(budget) == got.vcpus[0].run(budget) == budget
        assert ref.vcpus[0].get_state() == got.vcpus[0].get_state()


def test_a_turn_that_ends_inside_a_block_runs_its_cached_prefix() -> None:
    m = _fresh(STRAIGHT)
    cpu = m.vcpus[0]
    cpu.run(5)
    cpu.nia = 0x10
    assert cpu.run(3) == 3 and cpu.nia == 0x1C
    whole = cpu.icache.blocks[0x10]
    prefix = whole.parts[3]
    assert prefix.length == 3 and not prefix.loop
    assert cpu.gpr[5] == 3 and cpu.retired == 8
    cpu.nia = 0x10
    cpu.run(3)
    assert whole.parts[3] is prefix  # built once


def test_block_ends_before_a_stop_address() -> None:
    m = _fresh(STRAIGHT)
    cpu = m.vcpus[0]
    assert cpu.run(100, frozenset({0x18})) == 2
    assert cpu.nia == 0x18
    assert cpu.icache.blocks[0x10].length == 2


def test_a_new_stop_inside_a_cached_block_drops_it() -> None:
    m = _fresh(STRAIGHT)
    cpu = m.vcpus[0]
    cpu.run(5)
    assert cpu.icache.blocks[0x10].length == 5
    cpu.nia = 0x10
    assert cpu.run(100, frozenset({0x1C})) == 3
    assert cpu.nia == 0x1C
    assert cpu.icache.blocks[0x10].length == 3


SELF_MODIFYING = """
    .org 0x10
_start:
    lis 9, 0x3860           # li 3, 99 = 0x38600063
    ori 9, 9, 99
    stw 9, 8(10)            # overwrite the `li 3, 1` two words on
    nop
    li 3, 1
    b .
"""


def test_a_store_into_its_own_block_runs_the_new_word() -> None:
    for blocks in (False, True):
        m = _fresh(SELF_MODIFYING, blocks)
        cpu = m.vcpus[0]
        cpu.gpr[10] = 0x18  # the stw at 0x18 writes 0x20
        assert cpu.run(6) == 6
        assert cpu.gpr[3] == 99, f"blocks={blocks}"


FAULT = """
    .org 0x10
_start:
    li 3, 1
    li 4, 2
    .long 0                 # illegal: HEAI (0xe40) in the middle of a block
    li 5, 3
done:
    b done
    .org 0xe40
    b .
"""


def test_an_interrupt_in_a_block_counts_the_slots_before_it() -> None:
    ref, got = _fresh(FAULT, False), _fresh(FAULT)
    for m in (ref, got):
        m.vcpus[0].run(3)
    r, g = ref.vcpus[0], got.vcpus[0]
    assert g.nia == r.nia == 0xE40
    assert g.spr[314] == r.spr[314] == 0x18  # HSRR0: the faulting word
    assert g.get_state() == r.get_state()
    assert g.retired == 3


def test_a_loop_block_iterates_inside_and_stops_exactly() -> None:
    src = """
    .org 0x10
_start:
    li 3, 100
    mtctr 3
    li 4, 0
loop:
    addi 4, 4, 1
    bdnz loop
done:
    b done
"""
    for budget in (3, 4, 5, 50, 203, 250):
        ref, got = _fresh(src, False), _fresh(src)
        ref.vcpus[0].run(budget)
        got.vcpus[0].run(budget)
        assert ref.vcpus[0].get_state() == got.vcpus[0].get_state(), budget
    assert got.vcpus[0].icache.blocks[0x1C].loop


def test_blocks_stay_on_one_page_and_within_the_limit() -> None:
    body = "\n".join("    addi 5, 5, 1" for _ in range(BLOCK_MAX + 10))
    m = _fresh(f"    .org 0x10\n_start:\n    b far\n    .org 0xfe0\nfar:\n{body}\n    b .\n")
    cpu = m.vcpus[0]
    cpu.run(1 + 8 + BLOCK_MAX)
    assert cpu.icache.blocks[0xFE0].length == 8  # up to the page end
    assert cpu.icache.blocks[0x1000].length == BLOCK_MAX
    assert cpu.gpr[5] == 8 + BLOCK_MAX


def test_writing_code_from_the_host_drops_the_page_blocks() -> None:
    m = _fresh(STRAIGHT)
    cpu = m.vcpus[0]
    cpu.run(5)
    assert 0x10 in cpu.icache.blocks
    m.mem.write_bytes(0x20, (0x60000000).to_bytes(4, "big"), None)  # nop over the b
    assert 0x10 not in cpu.icache.blocks


def test_mtmsr_flush_drops_blocks() -> None:
    m = _fresh(STRAIGHT)
    cpu = m.vcpus[0]
    cpu.run(5)
    cpu.flush_decoded()
    assert not cpu.icache.blocks


def test_one_vcpu_runs_its_budget_at_once_with_the_same_scheduler_state() -> None:
    src = """
    .org 0x10
_start:
    addi 5, 5, 1
    b _start
"""
    for total in (1, 9, 10, 11, 25, 100, 1001):
        one, whole = _fresh(src), _fresh(src)
        for _ in range(total):
            one.run(1)
        whole.run(total)
        assert (one.slice_left, one.next_vcpu, one.ticks) == (
            whole.slice_left,
            whole.next_vcpu,
            whole.ticks,
        ), total
        assert one.vcpus[0].get_state() == whole.vcpus[0].get_state()


WATCHED_LOOP = """
    .org 0x10
_start:
    lis 6, 2
    li 5, 0
    li 3, 64
    mtctr 3
loop:
    stdx 5, 6, 5            # stores at 0x20000 + 8k: the watched word is hit at k = 37
    addi 5, 5, 8
    ld 7, 0(6)
    bdnz loop
    li 8, 1
    std 8, 0x800(6)
    b .
"""


def test_a_watchpoint_stops_blocks_right_after_the_access_as_the_interpreter_does() -> None:
    for kind, address in (("write", 0x20000 + 8 * 37), ("read", 0x20000), ("write", 0x20800)):
        outcomes = []
        for blocks in (False, True):
            m = _fresh(WATCHED_LOOP, blocks)
            m.mem.write_bytes(0x20000, bytes(0x1000), None)  # a plain page before the watch
            cpu = m.vcpus[0]
            m.mem.add_watch("w", address, 8, kind)
            ran = cpu.run(10_000)
            hits = list(m.mem.watch_hits)
            outcomes.append((ran, cpu.nia, cpu.exit_reason, hits, cpu.get_state()))
            assert cpu.exit_reason == "watchpoint" and hits, (kind, blocks)
            if blocks:
                assert any(k & 1 for k in cpu.icache.blocks)  # it ran watch-mode blocks
        assert outcomes[0] == outcomes[1], kind


def test_watch_hits_that_only_collect_do_not_stop_blocks() -> None:
    outcomes = []
    for blocks in (False, True):
        m = _fresh(WATCHED_LOOP, blocks)
        m.mem.add_watch("w", 0x20000, 0x200, "write")
        m.mem.watch_exit = False
        cpu = m.vcpus[0]
        ran = cpu.run(1_000, frozenset({0x38}))
        outcomes.append((ran, cpu.nia, len(m.mem.watch_hits), cpu.get_state()))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][2] == 64 and outcomes[0][1] == 0x38


COUNTED = """
    .org 0x10
_start:
    li 3, 40
    mtctr 3
    li 4, 0
loop:
    addi 4, 4, 1
    addi 5, 4, 2
    bdnz loop
done:
    b done
"""


def test_a_block_runs_cold_until_hot_then_compiled() -> None:
    m = _fresh(COUNTED)
    cpu = m.vcpus[0]
    cpu.run(6 + 3)  # the first block (with the first pass), then the loop block once
    assert not cpu.icache.blocks[0x1C].lines  # cold: its closures are called
    cpu.run(3 * (HOT_AFTER - 1))
    hot = cpu.icache.blocks[0x1C]
    assert hot.lines and hot.loop  # compiled at its HOT_AFTER-th run, iterating inside
    cpu.run(1000)
    assert cpu.gpr[4] == 40 and cpu.nia == 0x28


def test_cold_and_compiled_blocks_give_the_interpreter_state_at_every_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for hot in (1, HOT_AFTER):
        monkeypatch.setattr(block_module, "HOT_AFTER", hot)
        for budget in (1, 2, 4, 7, 8, 50, 119, 124):
            ref, got = _fresh(COUNTED, False), _fresh(COUNTED)
            for _ in range(budget):  # one slot a turn: prefixes of cold blocks too
                ref.vcpus[0].run(1)
                got.vcpus[0].run(1)
            assert ref.vcpus[0].get_state() == got.vcpus[0].get_state(), (hot, budget)
            ref, got = _fresh(COUNTED, False), _fresh(COUNTED)
            assert ref.vcpus[0].run(budget) == got.vcpus[0].run(budget)
            assert ref.vcpus[0].get_state() == got.vcpus[0].get_state(), (hot, budget)


# A loop of four blocks on one page (an if/else inside, a store, a time read every
# pass, an illegal word on one path late in the run): regions chain them.
BRANCHY = """
    .org 0x10
_start:
    li 3, 300
    mtctr 3
    li 4, 0
    li 5, 0
    lis 6, 2
loop:
    andi. 7, 4, 3
    beq even
    addi 5, 5, 3
    stdx 5, 6, 7
    b next
even:
    addi 5, 5, 1
    mftb 8
next:
    addi 4, 4, 1
    cmpdi 4, 290
    beq bad
    bdnz loop
    b .
bad:
    .long 0                 # illegal: HEAI (0xe40), inside a region member
    .org 0xe40
    b .
"""


def _regions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compile at once and make a region at a block's second compiled run."""
    monkeypatch.setattr(block_module, "HOT_AFTER", 1)
    monkeypatch.setattr(block_module, "REGION_AFTER", 2)


def test_blocks_on_one_page_are_chained_into_a_region(monkeypatch: pytest.MonkeyPatch) -> None:
    _regions(monkeypatch)
    m = _fresh(BRANCHY)
    cpu = m.vcpus[0]
    cpu.run(200)
    regions = [b for b in cpu.icache.blocks.values() if b.members]
    assert regions and max(len(b.members) for b in regions) >= 3


def test_regions_give_the_interpreter_state_at_every_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _regions(monkeypatch)
    for budget in (1, 2, 5, 13, 40, 97, 500, 2000, 2890, 2903, 5000):
        ref, got = _fresh(BRANCHY, False), _fresh(BRANCHY)
        assert ref.vcpus[0].run(budget) == got.vcpus[0].run(budget)
        assert ref.vcpus[0].get_state() == got.vcpus[0].get_state(), budget
        assert ref.mem.read(0x20000, 8, "big") == got.mem.read(0x20000, 8, "big")
    # the illegal word was reached inside a region: HSRR0 is its address
    assert got.vcpus[0].nia == 0xE40 and got.vcpus[0].spr[314] != 0
    ref, got = _fresh(BRANCHY, False), _fresh(BRANCHY)
    for _ in range(300):  # turns that end inside members: a region never overruns its room
        ref.run(7)
        got.run(7)
    assert ref.vcpus[0].get_state() == got.vcpus[0].get_state()


def test_a_new_stop_on_a_region_page_drops_the_region(monkeypatch: pytest.MonkeyPatch) -> None:
    _regions(monkeypatch)
    m = _fresh(BRANCHY)
    cpu = m.vcpus[0]
    cpu.run(200)
    assert any(b.members for b in cpu.icache.blocks.values())
    even = 0x38  # `even:`, a member of the loop's region
    ref = _fresh(BRANCHY, False)
    ref.vcpus[0].run(200)
    for c in (cpu, ref.vcpus[0]):
        c.run(1000, frozenset({even}))
    assert cpu.nia == ref.vcpus[0].nia == even
    assert cpu.get_state() == ref.vcpus[0].get_state()
    assert not any(even in b.members for b in cpu.icache.blocks.values())


SELF_PATCHING_LOOP = """
    .org 0x10
_start:
    li 3, 50
    mtctr 3
    lis 9, 0x3863           # addi 3, 3, 5 = 0x38630005
    ori 9, 9, 5
    lis 10, 2               # stores go to a data page...
    li 11, 0x44             # ...until r3 reaches 20: then to the word at `inc:`
    li 3, 0
loop:
    cmpdi 3, 20
    bne keep
    mr 10, 11
    b keep
keep:
    nop
    stw 9, 0(10)
inc:
    addi 3, 3, 1
    bdnz loop
    b .
"""


@pytest.mark.parametrize("block_max", [BLOCK_MAX, 2])
def test_a_store_into_another_member_of_the_region_runs_the_new_word(
    monkeypatch: pytest.MonkeyPatch, block_max: int
) -> None:
    # With blocks of 2, the store is its block's last instruction: the region itself
    # must notice the dropped code before it runs the next member.
    _regions(monkeypatch)
    monkeypatch.setattr(block_module, "BLOCK_MAX", block_max)
    ref, got = _fresh(SELF_PATCHING_LOOP, False), _fresh(SELF_PATCHING_LOOP)
    for m in (ref, got):
        m.vcpus[0].run(400)
    assert got.vcpus[0].get_state() == ref.vcpus[0].get_state()
    assert got.vcpus[0].gpr[3] == ref.vcpus[0].gpr[3] == 20 + 5 * 30


TWO_BLOCK_LOOP = """
    .org 0x10
_start:
    li 3, 100
    mtctr 3
    li 4, 0
loop:
    andi. 7, 4, 1
    beq skip
    addi 5, 5, 1
skip:
    addi 4, 4, 1
    bdnz loop
    b .
"""


def test_a_region_never_passes_a_stop_at_its_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    # The loop's head is a stop address from the start: the block there may run (a run
    # resumes at it) but a pass that comes back to it must stop, as block by block.
    _regions(monkeypatch)
    head = 0x1C  # `loop:`
    ref, got = _fresh(TWO_BLOCK_LOOP, False), _fresh(TWO_BLOCK_LOOP)
    stops = frozenset({head})
    for turn in range(30):
        assert ref.vcpus[0].run(1000, stops) == got.vcpus[0].run(1000, stops)
        assert ref.vcpus[0].get_state() == got.vcpus[0].get_state(), turn
    assert got.vcpus[0].nia == head and got.vcpus[0].gpr[4] == 29  # a pass a turn after the first


# Linux's __delay: spin reading the time base until a number of ticks have passed, here in a
# loop of one block (the read is its first instruction) inside a loop over calls, with a DEC
# read in the caller (a block in a region once hot).
DELAY = """
    .org 0x10
_start:
    li 9, 40
    mtctr 9
    li 8, 0
calls:
    mfdec 10
    add 8, 8, 10
    li 6, 23
    mftb 5
spin:
    mftb 3
    subf 4, 5, 3
    cmpld 4, 6
    blt spin
    add 8, 8, 3
    bdnz calls
done:
    b done
"""


def test_time_reads_in_compiled_blocks_read_the_exact_clock_inline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _regions(monkeypatch)
    for budget in (1, 7, 30, 31, 100, 333, 1200, 2000):
        ref, got = _fresh(DELAY, False), _fresh(DELAY)
        assert ref.vcpus[0].run(budget) == got.vcpus[0].run(budget)
        assert ref.vcpus[0].get_state() == got.vcpus[0].get_state(), budget
    ref, got = _fresh(DELAY, False), _fresh(DELAY)
    for _ in range(300):  # turns that end inside blocks and regions
        ref.run(7)
        got.run(7)
    assert ref.vcpus[0].get_state() == got.vcpus[0].get_state()
    assert got.vcpus[0].gpr[8] == ref.vcpus[0].gpr[8] != 0
    # Once compiled, the reads run in the block: no instruction goes the exact way (step).
    m = _fresh(DELAY)
    cpu = m.vcpus[0]
    cpu.run(300)
    steps = []
    monkeypatch.setattr(type(cpu), "step", lambda self: steps.append(self.nia))
    cpu.run(600)
    assert not steps
    assert cpu.icache.blocks[0x2C].loop  # `spin` iterates inside its block
