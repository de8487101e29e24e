"""Blocks on and interpreter only give identical runs: every differential and conformance program.

The interpreter (``VCPU.use_blocks = False``) is the reference. Each program
is run in both modes through ``Machine.run`` split at several chunk sizes
(quantum and budget ends inside blocks), with stop addresses spread over
the code (block ends at breakpoints), and through the controller with
breakpoints and ``ppcdbg trace``; after every chunk the whole state
(registers, counters, scheduler, memory, console) and every stop must agree.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.loader import load_image
from engine.trace import TraceOptions, run_trace
from tests.differential.build import Program, programs

CONFORMANCE = sorted(
    (Path(__file__).resolve().parents[1] / "conformance" / "programs").glob("*.elf")
)
DIFFERENTIAL = [p for p in programs() if p.binary.exists()]
CHUNKS = (1, 3, 10, 97, 4096)
TOTAL = 3000
# Slots run per chunk size: every chunk of 1 or 3 slots ends inside a block, and each new
# block start is a fresh block to build (~60 instructions compiled to run one), so the small
# chunks cover the programs' first few hundred instructions and the large ones all of TOTAL.
SLOTS = {1: 200, 3: 600, 10: 1000}


def _session(image: bytes, vcpus: int, profile: str, blocks: bool) -> Controller:
    ctl = Controller(load_image(image), SessionConfig(vcpus=vcpus, profile=profile, history=False))
    for c in ctl.machine.vcpus:
        c.use_blocks = blocks
    return ctl


def _state(ctl: Controller) -> tuple[object, ...]:
    m = ctl.machine
    cpus = tuple(
        (tuple(sorted((k, repr(v)) for k, v in c.get_state().items())), c.exit_reason)
        for c in m.vcpus
    )
    digest = hashlib.sha256()
    for pn in sorted(m.mem.pages):
        digest.update(pn.to_bytes(8, "big") + bytes(m.mem.pages[pn]))
    console = bytes(m.host.console_out) if m.host is not None else b""
    return cpus, digest.hexdigest(), console, m.next_vcpu, m.slice_left, m.ticks


def _code_addresses(image: bytes, entry: int, every: int) -> frozenset[int]:
    """Every ``every``-th word address of the first 1 KiB of code (some are data: harmless)."""
    return frozenset(range(entry + 4 * every, entry + 0x400, 4 * every))


def _machine_run(
    image: bytes, vcpus: int, profile: str, blocks: bool, chunk: int, stops: frozenset[int]
) -> list[object]:
    ctl = _session(image, vcpus, profile, blocks)
    m = ctl.machine
    out: list[object] = []
    total = 0
    while total < SLOTS.get(chunk, TOTAL):
        used, who = m.run(chunk, stops)
        total += used
        if who is not None:
            m.vcpus[who].exit_reason = None
        out.append((used, who, _state(ctl)))
        if used == 0 and who is None:
            break
    return out


def _compare(ref: list[object], got: list[object]) -> None:
    for i, (a, b) in enumerate(zip(ref, got, strict=False)):
        assert a == b, f"chunk {i} differs: interpreter {_diff(a, b)}"
    assert len(ref) == len(got), f"{len(ref)} chunks in the interpreter, {len(got)} with blocks"


def _diff(a: object, b: object, path: str = "") -> str:
    """Where two nested tuples first differ (a readable failure message)."""
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _diff(x, y, f"{path}[{i}]")
    return f"{path}: {a!r:.200} vs blocks {b!r:.200}"


def _image_cases() -> list[tuple[str, bytes, int, str]]:
    cases = [(p.name, p.binary.read_bytes(), p.vcpus, "powernv") for p in DIFFERENTIAL]
    for elf in CONFORMANCE:
        data = elf.read_bytes()
        cases.append((f"{elf.stem}-guest", data, 2, "guest"))
        cases.append((f"{elf.stem}-powernv", data, 1, "powernv"))
    return cases


CASES = _image_cases()


def test_there_are_programs() -> None:
    assert len(DIFFERENTIAL) >= 12 and len(CONFORMANCE) >= 4


@pytest.mark.parametrize(("name", "image", "vcpus", "profile"), CASES, ids=[c[0] for c in CASES])
def test_machine_runs_split_identically(name: str, image: bytes, vcpus: int, profile: str) -> None:
    entry = load_image(image).entry
    for chunk in CHUNKS:
        for stops in (frozenset(), _code_addresses(image, entry, 5)):
            ref = _machine_run(image, vcpus, profile, False, chunk, stops)
            got = _machine_run(image, vcpus, profile, True, chunk, stops)
            _compare(ref, got)


@pytest.mark.parametrize(("name", "image", "vcpus", "profile"), CASES, ids=[c[0] for c in CASES])
def test_controller_breakpoints_stop_identically(
    name: str, image: bytes, vcpus: int, profile: str
) -> None:
    entry = load_image(image).entry
    runs = []
    for blocks in (False, True):
        ctl = _session(image, vcpus, profile, blocks)
        for a in sorted(_code_addresses(image, entry, 7)):
            ctl.add_breakpoint("software", address=a)
        events = []
        for _ in range(40):
            ev = ctl.cont(budget=2000)
            events.append((ev.reason, ev.vcpu, ev.pc, ev.time, _state(ctl)))
            if ev.reason in ("exit", "checkstop"):
                break
        runs.append(events)
    _compare(runs[0], runs[1])


@pytest.mark.parametrize("prog", DIFFERENTIAL, ids=lambda p: p.name)
def test_trace_lines_identical(prog: Program) -> None:
    lines = []
    for blocks in (False, True):
        ctl = _session(prog.binary.read_bytes(), prog.vcpus, "powernv", blocks)
        lines.append(list(run_trace(ctl, TraceOptions(steps=prog.steps, regs=prog.regs))))
        # and a free run to the end through the run loop (final-state programs do this)
        ctl.cont(budget=prog.steps * 10, until=[])
        lines[-1].append(repr(_state(ctl)))
    assert lines[0] == lines[1]
