"""ppcdbg trace against QEMU's committed traces, every field of every step.

The goldens and the built images are committed (``golden/``), so this runs
where neither QEMU nor binutils is installed. Regenerate them with
``make goldens`` (``python -m tests.differential.regen``).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from .build import Program, programs
from .compare import compare
from .conftest import engine_trace
from .final import engine_final

PROGRAMS = programs()


def test_every_program_has_a_golden() -> None:
    missing = [p.name for p in PROGRAMS if not (p.golden.exists() and p.binary.exists())]
    assert not missing, f"run `make goldens` for: {', '.join(missing)}"


def test_there_are_enough_programs() -> None:
    assert len(PROGRAMS) >= 12


@pytest.mark.parametrize("prog", PROGRAMS, ids=lambda p: p.name)
def test_trace_matches_qemu(prog: Program) -> None:
    if not prog.golden.exists():
        pytest.fail(f"no golden for {prog.name}: run `make goldens`")
    expected = prog.golden.read_text().splitlines()
    image = prog.binary.read_bytes()
    got = engine_final(image, prog) if prog.compare == "final" else engine_trace(image, prog)
    mismatch = compare(expected, got)
    if mismatch is not None:
        pytest.fail(f"{prog.name} differs from QEMU at {mismatch}", pytrace=False)


def test_cli_trace_matches_qemu() -> None:
    """The same comparison through the real ``ppcdbg trace`` command line."""
    prog = next(p for p in PROGRAMS if p.name == "branches")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "service.cli",
            "trace",
            str(prog.binary),
            "--steps",
            str(prog.steps),
            "--vcpus",
            str(prog.vcpus),
            "--regs",
            ",".join(prog.regs),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    mismatch = compare(prog.golden.read_text().splitlines(), r.stdout.splitlines())
    if mismatch is not None:
        pytest.fail(f"ppcdbg trace differs from QEMU at {mismatch}", pytrace=False)
