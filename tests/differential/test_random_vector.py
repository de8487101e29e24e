"""Random vector programs against one live QEMU, in both byte orders and both engine modes.

Two parts (random_vector.py builds and runs them):

* the sweep: every vector line of the table, SWEEP_WORDS words each with
  random operands, shuffled into programs; all of them run, and the failure
  lists every line that was the first difference of some program;
* hypothesis programs (derandomized, a fixed number per byte order): random
  sequences of vector lines from random, special-value-laden states.

Each program is compared after every step (interpreter, and blocks one step at
a time) on the core registers, all 64 VSRs, VSCR and FPSCR, and at the end
(blocks over the whole program, data memory). The totals are printed
(``pytest -s``) for the report.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from engine.isa.table import decode
from tests.conftest import require_tool

from .qemu import QEMU, QemuMachine
from .random_vector import CANDIDATES, STEPS, initial_state, make_word, run_program, sweep

pytestmark = pytest.mark.qemu

EXAMPLES = 150  # per byte order: about half a minute each


@pytest.fixture(scope="module")
def qemu() -> Iterator[QemuMachine]:
    require_tool(QEMU)
    with QemuMachine(b"", 1) as q:
        yield q


@pytest.mark.parametrize("little", [False, True], ids=["be", "le"])
def test_sweep_matches_qemu(qemu: QemuMachine, little: bool) -> None:
    progs = sweep()
    blame: dict[str, str] = {}
    for prog, seed in progs:
        d = run_program(qemu, prog, initial_state(seed), little)
        if d is not None:
            k = d.step - 1
            o = decode(prog[k]) if 0 <= k < len(prog) else None
            blame.setdefault(o.mnemonic if o is not None else "?", str(d))
    print(
        f"\nvector sweep ({'LE' if little else 'BE'}): {len(progs)} programs, "
        f"{len(progs) * STEPS} instructions, {len(CANDIDATES)} lines"
    )
    if blame:
        first = next(iter(blame.values()))
        pytest.fail(
            f"{len(blame)} vector lines differ from QEMU: {sorted(blame)}\nfirst: {first}",
            pytrace=False,
        )


_words = st.lists(
    st.tuples(st.sampled_from(CANDIDATES), st.integers(0, 2**32 - 1))
    .map(lambda t: make_word(*t))
    .filter(lambda w: w is not None),
    min_size=STEPS,
    max_size=STEPS,
)
_seed = st.integers(0, 2**64 - 1)
_RUN = {"programs": 0}


def _check(q: QemuMachine, prog: list[int | None], seed: int, little: bool) -> None:
    _RUN["programs"] += 1
    words = [w for w in prog if w is not None]
    d = run_program(q, words, initial_state(seed), little)
    if d is not None:
        pytest.fail(f"engine differs from QEMU: {d}", pytrace=False)


# No shrinking: every shrink step re-runs QEMU, and the report already lists the
# program with its disassembly and the first differing step.
_SETTINGS = settings(
    derandomize=True,
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


@_SETTINGS
@given(prog=_words, seed=_seed)
def test_random_vector_program_be(qemu: QemuMachine, prog: list[int | None], seed: int) -> None:
    _check(qemu, prog, seed, little=False)


@_SETTINGS
@given(prog=_words, seed=_seed)
def test_random_vector_program_le(qemu: QemuMachine, prog: list[int | None], seed: int) -> None:
    _check(qemu, prog, seed, little=True)


def test_random_vector_programs_ran() -> None:
    """The hypothesis tests above ran their programs (printed for the report)."""
    print(f"\nrandom vector programs: {_RUN['programs']} of {STEPS} instructions")
