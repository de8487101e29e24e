"""``ppcdbg boot --bios`` against QEMU: examples/pseries_hello (a one-branch boot ROM and a
program loaded at 0x400000, built as suites written for QEMU's pseries are) prints the same
console, byte for byte, under ``ppcdbg boot`` and under ``qemu-system-ppc64 -M pseries -bios``:
the entry registers, the tree's place and /chosen, hypercall statuses, RTAS through
KVMPPC_H_RTAS with the tokens from /rtas, power-off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "examples" / "pseries_hello"
ROM, PROGRAM = HELLO / "rom.bin", HELLO / "hello.elf"
# kvm-unit-tests' TCG capabilities (no warnings about mitigations TCG cannot provide).
MACHINE = "pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off"


def qemu_console(memory: str, append: str) -> bytes:
    qemu = require_tool("qemu-system-ppc64")
    r = subprocess.run(
        [qemu, "-M", MACHINE, "-m", memory, "-nodefaults", "-nographic",
         "-chardev", "stdio,id=c0", "-device", "spapr-vty,chardev=c0",
         "-bios", str(ROM), "-kernel", str(PROGRAM), "-append", append],
        capture_output=True, timeout=30, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr  # QEMU exits 0 on RTAS power-off
    return r.stdout


def ppcdbg_console(memory: str, append: str) -> bytes:
    r = subprocess.run(
        [sys.executable, "-m", "service.cli", "boot", str(PROGRAM), "--bios", str(ROM),
         "--memory", memory, "--append", append, "--max-instructions", "1000000"],
        capture_output=True, timeout=120, check=False, stdin=subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr  # powered off
    return r.stdout


@pytest.mark.qemu
@pytest.mark.parametrize(
    ("memory", "append", "tree"),
    [("1G", "console=hvc0 hello from -append", 0x3FE00000), ("512M", "x", 0x1FE00000)],
)
def test_the_hello_program_prints_the_same_under_ppcdbg_and_qemu(memory: str, append: str,
                                                                 tree: int) -> None:  # fmt: skip
    ours = ppcdbg_console(memory, append)
    assert ours == qemu_console(memory, append)
    # And what they agree on is what the contract says (not both wrong the same way).
    lines = ours.decode().splitlines()
    assert lines[1] == f"entry: msr=0x0 r1=0x0 r4=0x0 r5=0x0 r3={tree:#x}"
    assert lines[2] == "tree: magic=0xd00dfeed version=17"
    assert lines[3] == f"bootargs: {append}"
    size = PROGRAM.stat().st_size  # bounds the program's memory size from above
    kernel, _, le = lines[4].partition(" le=")
    assert kernel.startswith("qemu,boot-kernel: 0x400000 size=0x") and le == "no"
    assert 0 < int(kernel.rsplit("=", 1)[1], 16) < size
    assert lines[5] == "hcalls: H_SET_MODE(AIL=0)=0 unassigned 0x1000=-2"
    assert lines[6] == "rtas get-time-of-day: token=0x2001 hcall=0 status=0 date plausible=yes"
    assert lines[7:] == ["rtas power-off: token=0x2003"]


@pytest.mark.binutils
def test_the_committed_rom_and_program_are_what_build_sh_makes(tmp_path: Path) -> None:
    require_tool("powerpc64-linux-gnu-as")
    subprocess.run(["sh", str(HELLO / "build.sh"), str(tmp_path)], check=True,
                   capture_output=True, timeout=60)  # fmt: skip
    for name in ("rom.bin", "hello.elf"):
        assert (tmp_path / name).read_bytes() == (HELLO / name).read_bytes(), name
    rom = ROM.read_bytes()
    assert len(rom) == 0x104 and rom[:0x100] == bytes(0x100)
    assert rom[0x100:] == (0x48000000 | (0x400000 - 0x100)).to_bytes(4, "big")  # b 0x400000
