"""The differential programs against QEMU running now (not the committed goldens).

Rebuilds each program when binutils are installed (else uses the committed
image), traces it under QEMU powernv9 through the gdbstub and under the engine,
and compares every field of every step. Also checks that the committed golden
is still what QEMU produces, so stale goldens are caught.
"""

from __future__ import annotations

import pytest

from tests.conftest import require_tool

from .build import Program, build, programs, tools_present
from .compare import compare
from .conftest import engine_trace
from .final import engine_final, qemu_final
from .qemu import QEMU, qemu_trace

pytestmark = pytest.mark.qemu

PROGRAMS = programs()


@pytest.mark.parametrize("prog", PROGRAMS, ids=lambda p: p.name)
def test_live_trace_matches_qemu(prog: Program) -> None:
    require_tool(QEMU)
    if tools_present():
        image = build(prog)
    else:
        for tool in ("powerpc64-linux-gnu-as", "powerpc64le-linux-gnu-as"):
            require_tool(tool)  # fails under PPCDBG_REQUIRE_TOOLS=1
        image = prog.binary.read_bytes()
    final = prog.compare == "final"

    def from_qemu() -> list[str]:
        if final:
            return qemu_final(image, prog)
        return qemu_trace(image, prog.steps, prog.vcpus, prog.regs, step_flags=prog.step_flags)

    expected = from_qemu()
    if prog.binary.exists() and prog.binary.read_bytes() == image and prog.golden.exists():
        golden = prog.golden.read_text().splitlines()
        stale = compare(golden, expected)
        # On a loaded host QEMU's gdbstub now and then reports a step of a held SMP vCPU
        # that did not execute (seen once in a suite run with both cores busy: the step
        # ended at the same pc, nothing changed). Such a trace is taken again, up to twice:
        # the flake passes on a retry, a stale golden fails every time.
        for _ in range(2 if stale is not None and prog.vcpus > 1 else 0):
            expected = from_qemu()
            stale = compare(golden, expected)
            if stale is None:
                break
        if stale is not None:
            pytest.fail(
                f"golden of {prog.name} is stale (run `make goldens`): {stale}", pytrace=False
            )
    mismatch = compare(expected, engine_final(image, prog) if final else engine_trace(image, prog))
    if mismatch is not None:
        pytest.fail(f"{prog.name} differs from live QEMU at {mismatch}", pytrace=False)
