"""The trace's fast line text equals the reference, ``json.dumps`` of ``engine.trace.state``.

``engine.trace_format`` caches formatted values and fills a fixed template;
docs/trace-format.md's text is what ``json.dumps(state(...), separators=(", ", ": "))``
prints. Compared over whole traces (a call-heavy C program, a radix guest),
with every kind of extra register, and for every kind of line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import trace_format
from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.loader import load_image
from engine.registers import ARCHITECTED, read_register
from engine.trace import (
    DEFAULT_REGS,
    FastLines,
    Lines,
    TraceOptions,
    formatter,
    lines,
    run_trace,
    state,
)

ROOT = Path(__file__).resolve().parents[1]
SORT = ROOT / "bench" / "programs" / "sort.bin"
TIMER = ROOT / "tests" / "conformance" / "programs" / "timer.elf"
RADIX = ROOT / "examples" / "radix_ail.elf"
SPINLOCK = ROOT / "examples" / "smp_spinlock.elf"
TRACE_PROG = ROOT / "tests" / "data" / "trace_prog.elf"

# Every kind of extra register: SPRs (time-based ones too), 32-bit ones, GPR/FPR
# names, aliases, a name in another case, and an unknown one (null).
MANY_REGS = (
    "srr0", "srr1", "hsrr0", "hsrr1", "dar", "dsisr", "lpcr", "dec", "tb", "pir", "cr",
    "xer", "fpscr", "f1", "r3", "nia", "PC", "msr", "lr", "ctr", "sprg3", "dpdes", "nosuch",
)  # fmt: skip


def session(path: Path, profile: str = "powernv", **kw: object) -> Controller:
    kw.setdefault("memory", 64 << 20)
    config = SessionConfig(profile=profile, history=False, **kw)  # type: ignore[arg-type]
    return Controller(load_image(path.read_bytes()), config)


def _reference_line(obj: dict[str, object]) -> str:
    return json.dumps(obj, separators=(", ", ": "))


# -- the formatter prints what json.dumps prints -----------------------------------------
@pytest.mark.parametrize("regs", [DEFAULT_REGS, MANY_REGS, ()])
@pytest.mark.parametrize(("path", "profile"), [(SORT, "powernv"), (RADIX, "guest")])
def test_formatter_equals_json_dumps_of_state(
    path: Path, profile: str, regs: tuple[str, ...]
) -> None:
    ctl = session(path, profile)
    cpu = ctl.machine.vcpus[0]
    fields = formatter(ctl, regs).fields
    distinct = set()
    for i in range(1500):
        got = f'{{"step": {i}, {fields(cpu)}}}'
        assert got == _reference_line({"step": i, **state(ctl, cpu, regs)}), f"step {i}"
        distinct.add(got)
        ctl.step(0)
    assert len(distinct) == 1500  # every line is a new state: the caches were exercised


def test_formatter_prints_null_for_unfetchable_insn_and_unreadable_registers(
    tmp_path: Path,
) -> None:
    # lis 3,0x4000 ; mtctr 3 ; bctr: pc becomes 1 GiB, past the end of RAM
    words = [0x3C604000, 0x7C6903A6, 0x4E800420]
    img = tmp_path / "far.bin"
    img.write_bytes(bytes(16) + b"".join(w.to_bytes(4, "big") for w in words))
    ctl = session(img, memory=1 << 30)
    for _ in range(3):
        ctl.step(0)
    cpu = ctl.machine.vcpus[0]
    regs = ("srr0", "nosuch")
    text = formatter(ctl, regs).fields(cpu)
    assert '"insn": null' in text and text.endswith('"nosuch": null')
    assert f"{{{text}}}" == _reference_line(state(ctl, cpu, regs))


def test_formatter_follows_a_register_list_replaced_by_a_checkpoint_restore() -> None:
    ctl = session(SORT)
    cpu = ctl.machine.vcpus[0]
    fields = formatter(ctl, DEFAULT_REGS).fields
    snap = ctl.create_snapshot()
    before = fields(cpu)
    for _ in range(50):
        ctl.step(0)
    assert fields(cpu) != before
    ctl.restore_snapshot(snap.id)
    assert fields(cpu) == before


def test_formatter_shows_planted_words_as_the_original() -> None:
    ctl = Controller(
        load_image(TRACE_PROG.read_bytes()),
        SessionConfig(backend="trace-intercept", history=False),
    )
    cpu = ctl.machine.vcpus[0]
    ctl.planter.plant(cpu.nia, "big")
    assert ctl.read_memory(cpu.nia, 4) != ctl.machine.mem.read_bytes(cpu.nia, 4)
    text = formatter(ctl, ()).fields(cpu)
    assert f"{{{text}}}" == _reference_line(state(ctl, cpu, ()))
    assert '"insn": "0x38600003"' in text


def test_register_reader_reads_what_read_register_reads() -> None:
    ctl = session(TIMER, "guest")
    for _ in range(200):
        ctl.step(0)
    cpu = ctl.machine.vcpus[0]
    names = [*ARCHITECTED, "nia", "R7", " Srr0 ", "F31"]
    for name in names:
        assert trace_format.register_reader(name)(cpu) == read_register(cpu, name), name
    with pytest.raises(KeyError):
        trace_format.register_reader("nosuch")(cpu)


def test_hex_cache_starts_afresh_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace_format, "CACHE_LIMIT", 4)
    h = trace_format._Hex(trace_format.hex64)
    texts = [h[v] for v in range(10)]
    assert texts == [f"0x{v:016x}" for v in range(10)]
    assert len(h) <= 4


# -- every kind of line -------------------------------------------------------------------
@pytest.mark.parametrize("regs", [DEFAULT_REGS, MANY_REGS, ("srr0", "srr0", "lr", "r1", "r1")])
def test_fast_lines_equal_reference_lines(regs: tuple[str, ...]) -> None:
    ctl = session(SPINLOCK, vcpus=2)
    fast, ref = FastLines(ctl, regs), Lines(ctl, regs)
    tails: list[dict[str, object]] = [
        {"stop": "breakpoint", "stopped_cpu": 0, "mem": {"a": "00ff", 'q"\\': None}},
        {"stop": "limit", "stopped_cpu": None},
    ]
    for i in range(300):
        cpu = ctl.machine.vcpus[i % 2]
        assert fast.step(i, cpu) == ref.step(i, cpu)
        assert fast.final(cpu) == ref.final(cpu)
        for tail in tails:
            assert fast.stop(cpu, tail) == ref.stop(cpu, tail)
        ctl.step(cpu.index)


def test_line_keys_as_register_names_print_through_the_dicts() -> None:
    # not registers, so null; in a dict they replace the line's own key
    ctl = session(SPINLOCK)
    assert type(lines(ctl, ("srr0", "lr"))) is FastLines
    assert type(lines(ctl, ("srr0", "step"))) is Lines
    out = list(run_trace(ctl, TraceOptions(steps=2, regs=("gpr", "step", "srr0"))))
    first = json.loads(out[0])
    assert list(first)[:2] == ["step", "cpu"] and first["step"] is None and first["gpr"] is None
    until = list(run_trace(session(SPINLOCK), TraceOptions(until=[0x1004], regs=("stop",))))
    assert json.loads(until[0])["stop"] == "breakpoint"
