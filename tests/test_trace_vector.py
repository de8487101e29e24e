"""``ppcdbg trace`` and the vector registers: the ``vector`` group and ``--vector-changes``.

docs/trace-format.md: ``--regs vector`` adds vs0-vs63 and vscr as extra
registers; ``--vector-changes`` ends every line's state with a ``"vector"``
object: on a step line the VSRs and VSCR that changed since the vCPU's
previous line (all of them on its first line), on final and stop lines all of
them. Without either the output is what it always was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.loader import load_image
from engine.trace import (
    FastLines,
    FastVectorLines,
    Lines,
    TraceOptions,
    expand_groups,
    lines,
    run_trace,
)
from service.cli import main

ROOT = Path(__file__).resolve().parents[1]
VEC_MOVES = ROOT / "tests" / "differential" / "golden" / "vec_moves.bin"  # writes VSRs
SPINLOCK = ROOT / "examples" / "smp_spinlock.elf"
RAW = ROOT / "tests" / "data" / "trace_prog.bin"
ALL_VECTOR = [*(f"vs{i}" for i in range(64)), "vscr"]
MTVSRDD_VS0 = "0x7c042b66"  # mtvsrdd vs0, r4, r5


def session(path: Path, vcpus: int = 1) -> Controller:
    config = SessionConfig(vcpus=vcpus, history=False, memory=64 << 20)
    return Controller(load_image(path.read_bytes()), config)


def trace(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["trace", *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return [json.loads(line) for line in out.splitlines()]


def test_regs_vector_group_adds_every_vsr_and_vscr(capsys: pytest.CaptureFixture[str]) -> None:
    (first,) = trace(capsys, str(VEC_MOVES), "--steps", "0", "--regs", "srr0,vector")
    assert list(first)[10:] == ["srr0", *ALL_VECTOR]
    assert first["vs0"] == "0x" + "0" * 32 and first["vscr"] == "0x00010000"  # NJ at reset


def test_vector_changes_lists_only_what_the_step_wrote(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = trace(capsys, str(VEC_MOVES), "--steps", "40", "--vector-changes")
    first = out[0]
    assert list(first)[-3:] == ["srr0", "srr1", "vector"]
    assert list(first["vector"]) == ALL_VECTOR  # type: ignore[arg-type]
    # the step that executes mtvsrdd vs0 (the line before it shows the word at pc)
    at = next(i for i, d in enumerate(out) if d["insn"] == MTVSRDD_VS0)
    assert out[at + 1]["vector"] == {"vs0": "0x0123456789abcdeffedcba9876543210"}
    assert out[1]["vector"] == {}  # the branch to the program writes no vector register
    assert (
        sum(1 for d in out[1:] if d["vector"]) == 14
    )  # the 6 moves into VSRs and the 8 logical ops


def test_vector_changes_rebuild_the_full_state_at_every_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = (str(VEC_MOVES), "--steps", "40", "--regs", "")
    changes = trace(capsys, *args, "--vector-changes")
    full = trace(capsys, *args[:-1], "vector")
    state: dict[str, object] = {}
    for c, f in zip(changes, full, strict=True):
        state.update(c["vector"])  # type: ignore[arg-type]
        assert state == {k: f[k] for k in ALL_VECTOR}, c["step"]


def test_final_and_stop_lines_carry_every_vector_register(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = trace(
        capsys, str(RAW), "--steps", "3", "--vcpus", "2", "--step-vcpu", "0", "--vector-changes"
    )
    assert [d["vector"] for d in out[2:5]] == [{}, {}, {}]  # steps write no VSR
    final = out[-1]
    assert final["final"] is True and list(final["vector"]) == ALL_VECTOR  # type: ignore[arg-type]
    stops = trace(capsys, str(RAW), "--until", "0x34", "--vector-changes")
    assert list(stops[0])[-3:] == ["vector", "stop", "stopped_cpu"]
    assert list(stops[0]["vector"]) == ALL_VECTOR  # type: ignore[arg-type]


def test_default_output_has_no_vector_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert type(lines(session(RAW), ("srr0", "srr1"))) is FastLines
    out = trace(capsys, str(VEC_MOVES), "--steps", "5")
    assert all("vector" not in d and "vs0" not in d for d in out)


@pytest.mark.parametrize("regs", [("srr0", "srr1"), ("vector",), ("vs3", "vscr", "lr")])
@pytest.mark.parametrize(("path", "vcpus"), [(VEC_MOVES, 1), (SPINLOCK, 2)])
def test_fast_vector_lines_equal_reference_lines(
    path: Path, vcpus: int, regs: tuple[str, ...]
) -> None:
    ctl = session(path, vcpus)
    regs = expand_groups(regs)
    fast, ref = FastVectorLines(ctl, regs), Lines(ctl, regs, vector=True)
    tail: dict[str, object] = {"stop": "limit", "stopped_cpu": None}
    for i in range(60):
        cpu = ctl.machine.vcpus[i % vcpus]
        assert fast.step(i, cpu) == ref.step(i, cpu)
        if i % 7 == 0:
            assert fast.final(cpu) == ref.final(cpu)
            assert fast.stop(cpu, tail) == ref.stop(cpu, tail)
        ctl.step(cpu.index)


def test_run_trace_expands_groups_from_the_options() -> None:
    out = list(run_trace(session(RAW), TraceOptions(steps=0, regs=("vector",))))
    assert list(json.loads(out[0]))[10:] == ALL_VECTOR
