"""``--engine python|native`` (service/engine_choice.py): an engine no one knows is a clear
usage error, and the one chosen is set for this process and the workers it starts
(``PPCDBG_ENGINE``, and the flag engine.native has already read) before the command runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import native
from service.cli import main
from tests.asm import assemble_elf
from tests.conftest import require_tool

ELF = Path(__file__).resolve().parents[1] / "data" / "trace_prog.elf"


@pytest.fixture
def engine_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """The engine's switch as the test found it afterwards: the environment and the flag."""
    monkeypatch.setenv("PPCDBG_ENGINE", "python")
    monkeypatch.setattr(native, "ENABLED", False)
    monkeypatch.setenv("PPCDBG_NATIVE_CACHE", str(tmp_path / "native"))
    return monkeypatch


@pytest.mark.parametrize(
    "argv",
    [
        ["boot", "KERNEL"],
        ["trace", "IMAGE"],
        ["gdbserver", "IMAGE"],
        ["serve"],
    ],
    ids=lambda a: a[0],
)
def test_an_unknown_engine_is_a_usage_error(
    engine_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main([*argv, "--engine", "fast"]) == 2
    err = capsys.readouterr().err
    assert "argument --engine: invalid choice: 'fast' (choose from 'python', 'native')" in err
    assert os.environ["PPCDBG_ENGINE"] == "python" and not native.ENABLED


def test_an_unknown_engine_in_the_environment_is_one_line(
    engine_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine_env.setenv("PPCDBG_ENGINE", "fast")
    assert main(["trace", str(ELF), "--steps", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "ppcdbg trace: PPCDBG_ENGINE must be one of python, native, not 'fast'\n"


def test_engine_native_is_set_for_the_process_and_its_workers(
    engine_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    require_tool(os.environ.get("CC", "cc"))
    # Set before the command runs: here it stops at the kernel it cannot read.
    assert main(["boot", "/nonexistent/vmlinux", "--engine", "native"]) == 2
    assert "cannot read the kernel" in capsys.readouterr().err
    assert os.environ["PPCDBG_ENGINE"] == "native" and native.ENABLED
    assert main(["boot", "/nonexistent/vmlinux", "--engine", "python"]) == 2
    assert os.environ["PPCDBG_ENGINE"] == "python" and not native.ENABLED


def test_the_environment_chooses_when_the_option_is_absent(
    engine_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    require_tool(os.environ.get("CC", "cc"))
    engine_env.setenv("PPCDBG_ENGINE", "native")
    assert main(["trace", str(ELF), "--steps", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and native.ENABLED
    # The option wins over the environment.
    assert main(["trace", str(ELF), "--steps", "2", "--engine", "python"]) == 0
    assert capsys.readouterr().out.splitlines() == lines
    assert os.environ["PPCDBG_ENGINE"] == "python" and not native.ENABLED


def test_native_without_a_c_compiler_is_one_line_and_changes_nothing(
    engine_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine_env.setenv("CC", "/nonexistent/cc")
    engine_env.setattr(native, "_runtime", None)  # not compiled nor loaded in this process
    assert main(["boot", "/nonexistent/vmlinux", "--engine", "native"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ppcdbg boot: the native engine cannot run here: no C compiler "
                          "(/nonexistent/cc)")  # fmt: skip
    assert err.count("\n") == 1 and "Traceback" not in err
    assert os.environ["PPCDBG_ENGINE"] == "python" and not native.ENABLED


def test_boot_reports_what_ran_natively_before_its_last_line(tmp_path: Path) -> None:
    require_tool(os.environ.get("CC", "cc"))
    kernel = tmp_path / "k.elf"
    kernel.write_bytes(assemble_elf("    .globl _start\n_start:\n    addi 3, 3, 1\n    b _start\n"))
    env = {**os.environ, "PPCDBG_NATIVE_CACHE": str(tmp_path / "native")}
    env.pop("PPCDBG_ENGINE", None)
    r = subprocess.run([sys.executable, "-m", "service.cli", "boot", str(kernel), "--engine",
                        "native", "--max-instructions", "200000"],
                       capture_output=True, timeout=120, check=False, env=env)  # fmt: skip
    assert r.returncode == 3, r.stderr
    *_, summary, last = r.stderr.decode().splitlines()
    assert summary.startswith("ppcdbg boot: native engine: ")
    for part in ("instructions run natively", "calls", "slow exits", "blocks compiled", "loaded"):
        assert part in summary
    assert last == "ppcdbg boot: the instruction limit was reached after 200,000 instructions"
