"""Assemble small test programs with GNU binutils (needs the powerpc64 cross tools)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from engine.loader import Image, load_image
from engine.machine import Machine, MachineConfig

from .conftest import require_tool


def assemble(source: str, little: bool = False) -> bytes:
    """A raw image linked at 0 (programs put their entry at 0x10 with `.org 0x10`)."""
    prefix = "powerpc64le-linux-gnu-" if little else "powerpc64-linux-gnu-"
    for tool in ("as", "ld", "objcopy"):
        require_tool(prefix + tool)
    with tempfile.TemporaryDirectory() as d:
        src, obj, elf, raw = (Path(d) / n for n in ("p.S", "p.o", "p.elf", "p.bin"))
        src.write_text(source)
        subprocess.run([prefix + "as", "-mpower9", "-o", obj, src], check=True, capture_output=True)
        subprocess.run(
            [prefix + "ld", "-Ttext=0", "-e", "0x10", "-o", elf, obj],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [prefix + "objcopy", "-O", "binary", elf, raw], check=True, capture_output=True
        )
        return raw.read_bytes()


def assemble_elf(source: str, little: bool = False) -> bytes:
    prefix = "powerpc64le-linux-gnu-" if little else "powerpc64-linux-gnu-"
    for tool in ("as", "ld"):
        require_tool(prefix + tool)
    with tempfile.TemporaryDirectory() as d:
        src, obj, elf = (Path(d) / n for n in ("p.S", "p.o", "p.elf"))
        src.write_text(source)
        subprocess.run([prefix + "as", "-mpower9", "-o", obj, src], check=True, capture_output=True)
        entry = ["-e", "_start"] if "_start" in source else ["-e", "0x10"]
        subprocess.run(
            [prefix + "ld", "-Ttext=0", *entry, "-o", elf, obj], check=True, capture_output=True
        )
        return elf.read_bytes()


def machine(
    source: str, *, vcpus: int = 1, profile: str = "powernv", quantum: int = 10, elf: bool = True
) -> Machine:
    data = assemble_elf(source) if elf else assemble(source)
    image: Image = load_image(data)
    return Machine(
        image, MachineConfig(vcpus=vcpus, profile=profile, quantum=quantum, memory=256 << 20)
    )
