"""``ppcdbg trace`` against docs/trace-format.md: line shapes, key order, modes, options, errors.

Most checks use the prebuilt programs in ``tests/data`` (``trace_prog.S`` built by
``tests/data/build.sh``), so they run without binutils; one test rebuilds the program
with binutils and checks the committed bytes still match the source.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine import trace_format
from service.cli import main
from tests.conftest import require_tool

DATA = Path(__file__).parent / "data"
RAW = DATA / "trace_prog.bin"
ELF = DATA / "trace_prog.elf"
DONE = 0x34  # the `done: b done` loop of trace_prog.S
DATA_ADDR = 0x2000

STATE_KEYS = ["cpu", "pc", "msr", "insn", "gpr", "cr", "lr", "ctr", "xer"]
HEX64 = re.compile(r"^0x[0-9a-f]{16}$")
HEX32 = re.compile(r"^0x[0-9a-f]{8}$")


def trace(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    """Run ``ppcdbg trace`` in-process; the parsed JSON lines (exit status must be 0)."""
    assert main(["trace", *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return [json.loads(line) for line in out.splitlines()]


def usage_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run a trace that must fail with status 2: nothing on stdout, one line on stderr."""
    assert main(["trace", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n")
    return err


def check_state_line(d: dict[str, object], first: str | None, extra: list[str]) -> None:
    """Exact keys and order, and value formats, of one state line."""
    head = [first] if first else []
    assert list(d)[: len(head) + len(STATE_KEYS) + len(extra)] == head + STATE_KEYS + extra
    assert isinstance(d["cpu"], int)
    for k in ("pc", "msr", "lr", "ctr"):
        assert HEX64.match(str(d[k])), (k, d[k])
    for k in ("cr", "xer"):
        assert HEX32.match(str(d[k])), (k, d[k])
    assert d["insn"] is None or HEX32.match(str(d["insn"]))
    gpr = d["gpr"]
    assert isinstance(gpr, list) and len(gpr) == 32 and all(HEX64.match(g) for g in gpr)


# -- step mode --------------------------------------------------------------------------
def test_step_mode_line_shapes_and_key_order(capsys: pytest.CaptureFixture[str]) -> None:
    lines = trace(capsys, str(RAW), "--steps", "3")
    assert [d["step"] for d in lines] == [0, 1, 2, 3]
    for d in lines:
        check_state_line(d, "step", ["srr0", "srr1"])
        assert list(d) == ["step", *STATE_KEYS, "srr0", "srr1"]
    first = lines[0]
    assert (first["pc"], first["msr"], first["insn"]) == (
        "0x0000000000000010",
        "0x9000000000000000",
        "0x38600003",
    )
    gpr0 = first["gpr"]
    assert isinstance(gpr0, list) and gpr0[3] == "0x0000000001000000"  # reset r3
    # li 3,3 then mtctr 3 then li 4,0
    assert lines[1]["gpr"][3] == "0x0000000000000003"  # type: ignore[index]
    assert lines[2]["ctr"] == "0x0000000000000003"
    assert lines[3]["pc"] == "0x000000000000001c"


def test_exact_line_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", str(RAW), "--steps", "0"]) == 0
    out = capsys.readouterr().out
    zero = '"0x0000000000000000"'
    gprs = ", ".join([zero] * 3 + ['"0x0000000001000000"'] + [zero] * 28)
    assert out == (
        '{"step": 0, "cpu": 0, "pc": "0x0000000000000010", "msr": "0x9000000000000000", '
        f'"insn": "0x38600003", "gpr": [{gprs}], "cr": "0x00000000", "lr": {zero}, '
        f'"ctr": {zero}, "xer": "0x00000000", "srr0": {zero}, "srr1": {zero}}}\n'
    )


def test_step_mode_round_robins_vcpus(capsys: pytest.CaptureFixture[str]) -> None:
    lines = trace(capsys, str(RAW), "--steps", "5", "--vcpus", "3")
    assert [(d["step"], d["cpu"]) for d in lines] == [
        (0, 0), (0, 1), (0, 2), (1, 0), (2, 1), (3, 2), (4, 0), (5, 1)
    ]  # fmt: skip
    assert lines[6]["pc"] == "0x0000000000000018"  # vCPU 0 after its second step


def test_step_vcpu_prints_only_its_steps_then_final_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = trace(capsys, str(RAW), "--steps", "4", "--vcpus", "3", "--step-vcpu", "1")
    assert [d.get("step") for d in lines[:3]] == [0, 0, 0]
    steps = lines[3:7]
    assert [(d["step"], d["cpu"]) for d in steps] == [(1, 1), (2, 1), (3, 1), (4, 1)]
    finals = lines[7:]
    assert [d["cpu"] for d in finals] == [0, 2]
    for d in finals:
        assert list(d) == ["final", *STATE_KEYS, "srr0", "srr1"]
        assert d["final"] is True
        assert d["pc"] == "0x0000000000000010"  # held with scheduler locking "step"


def test_step_vcpu_with_scheduler_locking_off_runs_the_others(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = trace(
        capsys, str(RAW), "--steps", "1", "--vcpus", "2", "--step-vcpu", "0",
        "--scheduler-locking", "off", "--quantum", "2",
    )  # fmt: skip
    assert lines[-1]["final"] is True and lines[-1]["cpu"] == 1
    assert lines[-1]["pc"] == "0x0000000000000018"  # two instructions while vCPU 0 stepped


def test_stop_at_ends_when_every_vcpu_got_there(capsys: pytest.CaptureFixture[str]) -> None:
    lines = trace(capsys, str(ELF), "--steps", "1000", "--vcpus", "2", "--stop-at", "done")
    last_two = lines[-2:]
    assert {d["cpu"] for d in last_two} == {0, 1}
    assert all(d["pc"] == f"0x{DONE:016x}" for d in last_two)
    assert lines[-1]["step"] < 1000


def test_stop_at_with_hex_address(capsys: pytest.CaptureFixture[str]) -> None:
    lines = trace(capsys, str(RAW), "--steps", "100", "--stop-at", "0x1c")
    assert lines[-1]["pc"] == "0x000000000000001c"
    assert lines[-1]["step"] == 3


def test_step_mode_mem_line_is_last(capsys: pytest.CaptureFixture[str]) -> None:
    lines = trace(
        capsys,
        str(ELF),
        "--steps",
        "200",
        "--stop-at",
        "done",
        "--mem",
        "data:8",
        "--mem",
        "0x2000:4",
    )
    assert lines[-1] == {"mem": {"data": "0000000012345678", "0x2000": "00000000"}}


# -- run mode ---------------------------------------------------------------------------
def test_run_mode_until_symbol(capsys: pytest.CaptureFixture[str]) -> None:
    lines = trace(capsys, str(ELF), "--until", "done", "--vcpus", "2", "--mem", "data:16")
    assert [d["cpu"] for d in lines] == [0, 1]
    stopped = lines[0]
    assert list(stopped) == [*STATE_KEYS, "srr0", "srr1", "stop", "stopped_cpu", "mem"]
    check_state_line(stopped, None, ["srr0", "srr1", "stop", "stopped_cpu", "mem"])
    assert (stopped["stop"], stopped["stopped_cpu"], stopped["pc"]) == (
        "breakpoint",
        0,
        f"0x{DONE:016x}",
    )
    assert stopped["mem"] == {"data": "00000000123456780000000000000000"}
    other = lines[1]
    assert list(other) == [*STATE_KEYS, "srr0", "srr1", "stop", "stopped_cpu"]
    assert (other["stop"], other["stopped_cpu"]) == ("breakpoint", 0)


def test_run_mode_until_hex_address_on_raw_image(capsys: pytest.CaptureFixture[str]) -> None:
    lines = trace(capsys, str(RAW), "--until", "0x1c", "--mem", "0x2000:8")
    assert lines[0]["pc"] == "0x000000000000001c"
    assert lines[0]["mem"] == {"0x2000": "0000000000000000"}


def test_run_mode_instruction_limit(capsys: pytest.CaptureFixture[str]) -> None:
    lines = trace(capsys, str(RAW), "--until", "0x34", "--max-instructions", "3")
    (d,) = lines
    assert d["stop"] == "limit"
    assert d["pc"] == "0x000000000000001c"  # exactly three instructions ran
    assert "mem" not in d


# -- registers, output, stats -----------------------------------------------------------
def test_regs_adds_registers_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    lines = trace(capsys, str(RAW), "--steps", "0", "--regs", "lpcr,hsrr0,pvr,pir,fpscr")
    d = lines[0]
    assert list(d)[-5:] == ["lpcr", "hsrr0", "pvr", "pir", "fpscr"]
    assert d["lpcr"] == "0x000000000000000c"
    assert d["pvr"] == "0x00000000004e1200"
    assert d["fpscr"] == "0x00000000"  # 32-bit registers keep their width


def test_unreadable_register_is_null(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = trace_format.register_reader

    def reader(name: str) -> trace_format.Reader:
        if name != "dar":
            return real(name)

        def unreadable(cpu: object) -> int:
            raise KeyError(name)

        return unreadable

    monkeypatch.setattr(trace_format, "register_reader", reader)
    d = trace(capsys, str(RAW), "--steps", "0", "--regs", "dar,srr1")[0]
    assert d["dar"] is None and d["srr1"] == "0x0000000000000000"


def test_insn_is_null_when_fetch_faults(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # 0x10: lis 3,0x4000 ; mtctr 3 ; bctr   -> pc = 1 GiB, the end of RAM
    words = [0x3C604000, 0x7C6903A6, 0x4E800420]
    img = tmp_path / "far.bin"
    img.write_bytes(bytes(16) + b"".join(w.to_bytes(4, "big") for w in words))
    lines = trace(capsys, str(img), "--steps", "3")
    assert lines[-1]["pc"] == "0x0000000040000000"
    assert lines[-1]["insn"] is None


def test_out_writes_the_trace_to_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    assert main(["trace", str(RAW), "--steps", "2", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [d["step"] for d in lines] == [0, 1, 2]


def test_stats_is_the_last_line(capsys: pytest.CaptureFixture[str]) -> None:
    lines = trace(capsys, str(RAW), "--steps", "4", "--stats", "--mem", "0x2000:1")
    assert list(lines[-2]) == ["mem"]
    stats = lines[-1]["stats"]
    assert isinstance(stats, dict)
    assert list(stats)[:5] == ["steps", "host_exits", "planted", "restored", "foreign_hits"]
    assert stats["steps"] == 4


# -- usage errors: status 2, one line on stderr, nothing on stdout -----------------------
def test_unknown_register(capsys: pytest.CaptureFixture[str]) -> None:
    assert "bogus" in usage_error(capsys, str(RAW), "--steps", "1", "--regs", "srr0,bogus")


def test_unknown_symbol(capsys: pytest.CaptureFixture[str]) -> None:
    assert "nowhere" in usage_error(capsys, str(ELF), "--until", "nowhere")


def test_symbol_on_raw_image_is_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert "done" in usage_error(capsys, str(RAW), "--steps", "1", "--stop-at", "done")


def test_unknown_symbol_in_mem(capsys: pytest.CaptureFixture[str]) -> None:
    assert "nowhere" in usage_error(capsys, str(ELF), "--steps", "1", "--mem", "nowhere:4")


def test_missing_image(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "cannot read image" in usage_error(capsys, str(tmp_path / "none.bin"), "--steps", "1")


def test_directory_as_image(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "cannot read image" in usage_error(capsys, str(tmp_path), "--steps", "1")


def test_empty_image(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    img = tmp_path / "empty.bin"
    img.write_bytes(b"")
    assert "empty" in usage_error(capsys, str(img), "--steps", "1")


def test_truncated_elf(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    img = tmp_path / "bad.elf"
    img.write_bytes(ELF.read_bytes()[:40])
    assert "truncated" in usage_error(capsys, str(img), "--steps", "1")


def test_elf_with_truncated_segment(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    img = tmp_path / "bad.elf"
    img.write_bytes(ELF.read_bytes()[:0x100])
    assert "truncated" in usage_error(capsys, str(img), "--steps", "1")


def test_unwritable_out(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "dir.jsonl"
    assert "cannot write" in usage_error(capsys, str(RAW), "--steps", "1", "--out", str(out))


def test_exit_status_of_the_installed_command(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "service.cli", "trace", str(RAW), "--regs", "nope"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (r.returncode, r.stdout) == (2, "")
    assert len(r.stderr.splitlines()) == 1


# -- the prebuilt program matches its source ----------------------------------------------
@pytest.mark.binutils
def test_prebuilt_program_matches_source(tmp_path: Path) -> None:
    asm = require_tool("powerpc64-linux-gnu-as")
    ld = require_tool("powerpc64-linux-gnu-ld")
    objcopy = require_tool("powerpc64-linux-gnu-objcopy")
    o, elf, raw = tmp_path / "p.o", tmp_path / "p.elf", tmp_path / "p.bin"
    subprocess.run([asm, "-mpower9", "-o", str(o), str(DATA / "trace_prog.S")], check=True)
    subprocess.run(
        [ld, "-Ttext=0", "-N", "-e", "_start", "-o", str(elf), str(o)],
        check=True,
        capture_output=True,
    )
    subprocess.run([objcopy, "-O", "binary", str(elf), str(raw)], check=True)
    assert raw.read_bytes() == RAW.read_bytes()


@pytest.mark.binutils
def test_freshly_assembled_little_endian_program(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A little-endian ELF: the reset state is big-endian, so the program switches MSR[LE]."""
    asm = require_tool("powerpc64le-linux-gnu-as")
    ld = require_tool("powerpc64le-linux-gnu-ld")
    src = tmp_path / "le.S"
    # Big-endian prologue (as bytes): MSR[LE] only changes through rfid (docs/machine.md).
    prologue = [
        0x7C6000A6,  # mfmsr 3
        0x60630001,  # ori 3,3,1
        0x7C7B03A6,  # mtsrr1 3
        0x38800028,  # li 4,0x28
        0x7C9A03A6,  # mtsrr0 4
        0x4C000024,  # rfid
    ]
    body = "".join(
        "    .byte " + ",".join(str(b) for b in w.to_bytes(4, "big")) + "\n" for w in prologue
    )
    src.write_text(
        "    .text\n    .org 0x10\n    .globl _start\n_start:\n"
        + body
        + "    .org 0x28\n    .globl le\nle:\n    li 4, 42\nhere: b here\n"
    )
    subprocess.run([asm, "-o", str(tmp_path / "le.o"), str(src)], check=True)
    subprocess.run(
        [ld, "-Ttext=0", "-e", "_start", "-o", str(tmp_path / "le.elf"), str(tmp_path / "le.o")],
        check=True,
        capture_output=True,
    )
    lines = trace(capsys, str(tmp_path / "le.elf"), "--until", "here")
    assert lines[0]["stop"] == "breakpoint"
    assert lines[0]["gpr"][4] == "0x000000000000002a"  # type: ignore[index]
