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


def build_le_part(source: Path, work: Path) -> Path:
    """A little-endian part (NAME.le.S), linked at 0, as a raw image for .incbin."""
    obj, elf, raw = work / "le.o", work / "le.elf", work / "le.bin"
    subprocess.run(
        ["powerpc64le-linux-gnu-as", "-mpower9", "-o", str(obj), str(source)], check=True
    )
    subprocess.run(
        ["powerpc64le-linux-gnu-ld", "-Ttext=0", "-e", "0", "-o", str(elf), str(obj)], check=True
    )
    subprocess.run(
        ["powerpc64le-linux-gnu-objcopy", "-O", "binary", str(elf), str(raw)], check=True
    )
    return raw


def build(source: Path) -> Path:
    """NAME.S (big-endian) into NAME.elf; a NAME.le.S part is overlaid where it is non-zero."""
    out = source.with_suffix(".elf")
    with tempfile.TemporaryDirectory() as d:
        obj = Path(d) / "p.o"
        subprocess.run(
            [
                "powerpc64-linux-gnu-as",
                "-mpower9",
                "-I",
                str(PROGRAMS),
                "-o",
                str(obj),
                str(source),
            ],
            check=True,
        )
        subprocess.run(
            ["powerpc64-linux-gnu-ld", "-Ttext=0", "-e", "_start", "-o", str(out), str(obj)],
            check=True,
        )
        le = source.with_name(source.name[: -len(".S")] + ".le.S")
        if le.exists():
            overlay_le(out, build_le_part(le, Path(d)))
    return out


def overlay_le(elf: Path, part: Path) -> None:
    """Write the LE part's non-zero words into the ELF's loaded bytes (same addresses)."""
    data = bytearray(elf.read_bytes())
    le = part.read_bytes()
    import io

    from elftools.elf.elffile import ELFFile

    with io.BytesIO(bytes(data)) as f:
        segs = [
            (s["p_paddr"], s["p_offset"], s["p_filesz"])
            for s in ELFFile(f).iter_segments()
            if s["p_type"] == "PT_LOAD"
        ]
    for addr in range(0, len(le), 4):
        word = le[addr : addr + 4]
        if word == b"\0\0\0\0":
            continue
        for paddr, offset, size in segs:
            if paddr <= addr < paddr + size:
                data[offset + addr - paddr : offset + addr - paddr + 4] = word
                break
        else:
            raise ValueError(f"{part.name}: 0x{addr:x} is outside the big-endian image")
    elf.write_bytes(bytes(data))


def main() -> int:
    for src in sorted(p for p in PROGRAMS.glob("*.S") if not p.name.endswith(".le.S")):
        print(f"built {build(src)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
