"""Rebuild every differential program and record QEMU's trace as its golden file.

    python -m tests.differential.regen [NAME...]

Writes ``golden/<name>.bin`` (the built image, so the comparison runs without
binutils) and ``golden/<name>.jsonl`` (QEMU's ``ppcdbg trace`` lines). Needs
binutils and qemu-system-ppc64.
"""

from __future__ import annotations

import sys
import time

from .build import GOLDEN, build, programs, tools_present
from .final import qemu_final
from .qemu import qemu_trace


def main(argv: list[str]) -> int:
    if not tools_present():
        print("regen needs the powerpc64 GNU binutils (BE and LE)", file=sys.stderr)
        return 2
    wanted = set(argv)
    GOLDEN.mkdir(exist_ok=True)
    total = 0
    for prog in programs():
        if wanted and prog.name not in wanted:
            continue
        t0 = time.perf_counter()
        image = build(prog)
        prog.binary.write_bytes(image)
        if prog.compare == "final":
            lines = qemu_final(image, prog)
        else:
            lines = qemu_trace(image, prog.steps, prog.vcpus, prog.regs, step_flags=prog.step_flags)
        prog.golden.write_text("\n".join(lines) + "\n")
        total += prog.steps
        print(
            f"{prog.name}: {prog.steps} steps, {prog.vcpus} vCPU(s), "
            f"{time.perf_counter() - t0:.1f}s"
        )
    print(f"{total} steps recorded")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
