"""Build the conformance programs into ELF images next to their sources.

Run `python -m tests.conformance.build` (needs the powerpc64 GNU binutils);
the images are committed so the suite runs without binutils.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

PROGRAMS = Path(__file__).resolve().parent / "programs"


def build(source: Path) -> Path:
    out = source.with_suffix(".elf")
    with tempfile.TemporaryDirectory() as d:
        obj = Path(d) / "p.o"
        subprocess.run(
            ["powerpc64-linux-gnu-as", "-mpower9", "-I", str(PROGRAMS), "-o", str(obj), str(source)],
            check=True,
        )
        subprocess.run(
            ["powerpc64-linux-gnu-ld", "-Ttext=0", "-e", "_start", "-o", str(out), str(obj)],
            check=True,
        )
    return out


def main() -> int:
    for src in sorted(PROGRAMS.glob("*.S")):
        print(f"built {build(src)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
