"""Checkpoints: restore + replay reproduces a run exactly, at any point, with several vCPUs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.machine import Machine

from ...asm import machine

# Two vCPUs fight over a lock, count, take decrementer interrupts and store
# to shared memory: everything a checkpoint must capture.
SPIN = """
    .org 0x900
    mtspr 22, 29          # re-arm DEC
    addi 28, 28, 1
    rfid
    .org 0x1000
    .globl _start
_start:
    li 29, 200
    mtspr 22, 29
    lis 9, 0x8000         # MSR[EE] with HV
    ori 9, 9, 0x8000
    mfmsr 10
    or 10, 10, 9
    mtmsrd 10, 1
    li 3, 0x2000          # lock
    li 4, 0x2080          # counter
    li 5, 1
    mfspr 6, 1023         # PIR
1:  lwarx 7, 0, 3
    cmpwi 7, 0
    bne 1b
    stwcx. 5, 0, 3
    bne 1b
    lwz 8, 0(4)
    add 8, 8, 6
    addi 8, 8, 1
    stw 8, 0(4)
    li 7, 0
    stw 7, 0(3)
    b 1b
"""


def fingerprint(m: Machine) -> tuple[object, ...]:
    return tuple(
        (c.nia, c.msr, tuple(c.gpr), c.cr, c.xer, c.timebase, c.dec_value(), c.resv_addr)
        for c in m.vcpus
    ) + (m.mem.read_bytes(0x2000, 0x100),)


def trace(m: Machine, slices: int, budget: int) -> list[tuple[object, ...]]:
    out = []
    for _ in range(slices):
        m.run(budget)
        out.append(fingerprint(m))
    return out


@settings(max_examples=15, deadline=None, derandomize=True)
@given(
    before=st.integers(min_value=0, max_value=3000),
    quantum=st.integers(min_value=1, max_value=37),
    budget=st.integers(min_value=1, max_value=500),
)
def test_restore_then_replay_reproduces_the_run(before: int, quantum: int, budget: int) -> None:
    m = machine(SPIN, vcpus=3, quantum=quantum)
    m.run(before)
    cp = m.checkpoint()
    first = trace(m, 8, budget)
    m.restore(cp)
    second = trace(m, 8, budget)
    assert first == second


def test_same_inputs_give_the_same_interleaving() -> None:
    a, b = machine(SPIN, vcpus=4, quantum=7), machine(SPIN, vcpus=4, quantum=7)
    assert trace(a, 10, 997) == trace(b, 10, 997)


def test_decrementer_interrupts_are_counted_into_r28() -> None:
    m = machine(SPIN, vcpus=1)
    m.run(5000)
    assert m.vcpus[0].gpr[28] >= 10  # DEC of 200 ticks, 5000 instructions


def test_restore_discards_stores_made_after_the_checkpoint() -> None:
    m = machine(SPIN, vcpus=2)
    m.run(1000)
    cp = m.checkpoint()
    saved = m.mem.read_bytes(0x2080, 4)
    m.run(1000)
    assert m.mem.read_bytes(0x2080, 4) != saved
    m.restore(cp)
    assert m.mem.read_bytes(0x2080, 4) == saved


def test_a_checkpoint_shares_pages_instead_of_copying_them() -> None:
    """Copy-on-write: 64 MiB touched, the checkpoint holds the same page objects
    (its cost is measured in bench/checkpoint.py, not here)."""
    m = machine(SPIN, vcpus=1)
    for pn in range(0x100, 0x100 + (64 << 20 >> 12)):
        m.mem.write_bytes(pn << 12, b"\x01", None)
    cp = m.checkpoint()
    assert cp.memory.page_count >= 16384
    assert all(cp.memory.pages[pn] is m.mem.pages[pn] for pn in range(0x100, 0x4100))
    m.mem.write_bytes(0x100 << 12, b"\x02", None)  # the first store copies that page only
    assert cp.memory.pages[0x100] is not m.mem.pages[0x100]
    assert cp.memory.pages[0x100][0] == 1 and m.mem.pages[0x100][0] == 2
    assert cp.memory.pages[0x101] is m.mem.pages[0x101]


@settings(max_examples=20, deadline=None, derandomize=True)
@given(a=st.integers(min_value=0, max_value=700), b=st.integers(min_value=0, max_value=700))
def test_a_run_split_in_two_equals_one_run(a: int, b: int) -> None:
    one, two = machine(SPIN, vcpus=3, quantum=11), machine(SPIN, vcpus=3, quantum=11)
    one.run(a + b)
    two.run(a)
    two.run(b)
    assert fingerprint(one) == fingerprint(two)
