"""Hypothesis-generated straight-line programs, compared live against one QEMU.

200 programs of 50 random instructions from the table (fixed seed), each
written into the running QEMU with ``M``, reset to one fixed random state with
``G``/``P``, and stepped side by side with the engine (random_programs.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import require_tool

from .qemu import QEMU, QemuMachine
from .random_programs import CANDIDATES, STEPS, make_word, run_program

pytestmark = pytest.mark.qemu

instruction = st.builds(make_word, st.integers(0, len(CANDIDATES) - 1), st.integers(0, 2**32 - 1))
program = st.lists(instruction, min_size=STEPS, max_size=STEPS)


@pytest.fixture(scope="module")
def qemu() -> Iterator[QemuMachine]:
    require_tool(QEMU)
    with QemuMachine(b"", 1) as q:
        yield q


# No shrinking: every shrink step re-runs QEMU (minutes), and the report already
# lists the program with its disassembly and the first differing step.
@settings(
    derandomize=True,
    max_examples=200,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(prog=program)
def test_random_program_matches_qemu(qemu: QemuMachine, prog: list[int]) -> None:
    difference = run_program(qemu, prog)
    if difference is not None:
        pytest.fail(f"engine differs from QEMU: {difference}", pytrace=False)
