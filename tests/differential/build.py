"""The differential programs: their header and how to build them with GNU binutils.

A program is ``programs/<name>.S``, assembled big-endian with
``powerpc64-linux-gnu-as -mpower9``, linked at 0 (entry 0x10 via ``.org 0x10``)
and flattened with ``objcopy -O binary``. Code that runs little-endian lives
in a companion ``programs/<name>.le.S`` assembled with the little-endian
assembler and linked at 0 as well; its image is overlaid on the big-endian one
(each part places its code with ``.org``; the two must not overlap).

Every main file starts with a header the harness reads::

    # steps: 120
    # vcpus: 1
    # regs: srr0,srr1,sprg0

and optionally ``# stepflags: notimer`` (QEMU's ``qqemu.sstep`` flags for
every step, as ``ppcdbg trace --step-flags``; default ``noirq,notimer``, the
gdbstub's default). Programs that test asynchronous interrupts (DEC, HDEC,
doorbells) drop ``noirq`` so a pending, enabled interrupt is delivered by the
step, on both sides.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"
GOLDEN = HERE / "golden"

AS_BE = "powerpc64-linux-gnu-as"
AS_LE = "powerpc64le-linux-gnu-as"
LD = "powerpc64-linux-gnu-ld"
LD_LE = "powerpc64le-linux-gnu-ld"
OBJCOPY = "powerpc64-linux-gnu-objcopy"
TOOLS = (AS_BE, AS_LE, LD, LD_LE, OBJCOPY)

_HEADER = re.compile(r"^#\s*(steps|vcpus|regs|compare|mem|stepflags)\s*:\s*(.*?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Program:
    name: str
    source: Path
    steps: int
    vcpus: int
    regs: tuple[str, ...]
    # "steps" (every step, the default) or "final": run to the program's
    # `done: b done` and compare the state there, for programs QEMU 7.2's
    # gdbstub cannot single-step (see final.py).
    compare: str = "steps"
    mem: tuple[int, int] | None = None  # a range compared in "final" mode
    step_flags: tuple[str, ...] = ("noirq", "notimer")

    @property
    def le_source(self) -> Path:
        return self.source.with_name(self.name + ".le.S")

    @property
    def golden(self) -> Path:
        return GOLDEN / f"{self.name}.jsonl"

    @property
    def binary(self) -> Path:
        return GOLDEN / f"{self.name}.bin"


def parse_header(path: Path) -> Program:
    text = path.read_text()
    fields = dict(_HEADER.findall(text))
    if "steps" not in fields:
        raise ValueError(f"{path.name}: missing '# steps: N' header")
    regs = tuple(r.strip() for r in fields.get("regs", "srr0,srr1").split(",") if r.strip())
    mem = None
    if "mem" in fields:
        addr, _, length = fields["mem"].partition(":")
        mem = (int(addr, 0), int(length, 0))
    flags = tuple(
        f.strip()
        for f in fields.get("stepflags", "noirq,notimer").split(",")
        if f.strip() and f.strip() != "none"
    )
    if not set(flags) <= {"noirq", "notimer"}:
        raise ValueError(f"{path.name}: stepflags takes noirq, notimer or none")
    return Program(
        path.name[: -len(".S")],
        path,
        int(fields["steps"]),
        int(fields.get("vcpus", "1")),
        regs,
        fields.get("compare", "steps"),
        mem,
        flags,
    )


def programs() -> list[Program]:
    """Every main program file, sorted by name (``*.le.S`` parts belong to their main file)."""
    return [parse_header(p) for p in sorted(PROGRAMS.glob("*.S")) if not p.name.endswith(".le.S")]


def tools_present() -> bool:
    return all(shutil.which(t) for t in TOOLS)


class BuildError(Exception):
    pass


def _run(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise BuildError(f"{' '.join(cmd)}\n{r.stderr.strip()}")


def _assemble(source: Path, assembler: str, work: Path) -> bytes:
    obj, elf, bin_ = work / "p.o", work / "p.elf", work / "p.bin"
    _run([assembler, "-mpower9", "-I", str(PROGRAMS), "-o", str(obj), str(source)])
    _run([LD_LE if assembler == AS_LE else LD, "-Ttext=0", "-e", "0x10", "-o", str(elf), str(obj)])
    _run([OBJCOPY, "-O", "binary", str(elf), str(bin_)])
    return bin_.read_bytes()


def overlay(base: bytes, part: bytes) -> bytes:
    """``part`` laid over ``base``: each byte may be non-zero in at most one of them."""
    out = bytearray(base.ljust(len(part), b"\0"))
    for i, b in enumerate(part):
        if b:
            if out[i] and out[i] != b:
                raise ValueError(f"big- and little-endian parts overlap at 0x{i:x}")
            out[i] = b
    return bytes(out)


def build(prog: Program) -> bytes:
    """The raw image of ``prog`` (needs binutils)."""
    with tempfile.TemporaryDirectory(prefix="ppcdbg-build-") as d:
        image = _assemble(prog.source, AS_BE, Path(d))
        if prog.le_source.exists():
            image = overlay(image, _assemble(prog.le_source, AS_LE, Path(d)))
    return image
