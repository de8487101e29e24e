"""The native engine (engine/native) runs programs to the same state as the Python engine.

Blocks become native on a background thread, so each program runs twice on one
Compiler: the first run queues its hot blocks, ``drain`` compiles them, and the
second run (a fresh machine) runs them natively. Both runs must end exactly as the
Python engine's run does: every register, the instruction and clock counts and all
of memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.speed import SORT_DONE, _loop_image, _sort_image
from engine import native
from engine.loader import load_image
from engine.machine import Machine, MachineConfig
from engine.native.translate import Refused, instruction


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
