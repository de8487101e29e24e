"""``ppcdbg boot``: the console on stdout, stdin to the guest, exit status by how the run ends,
``--stats`` on stderr, clear errors for bad input. Small big-endian pseries programs of our
own; Debian's little-endian kernel is booted by tests/engine/platform and test_boot_kernel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.asm import assemble_elf
from tests.engine.platform.test_boot import PROGRAM as SMP_PROGRAM

PUTS = r"""
    .macro hcall n
    li 3, \n
    sc 1
    .endm
    .macro rtas token, nargs, arg0
    li 9, 0x3000
    li 0, \token
    stw 0, 0(9)
    li 0, \nargs
    stw 0, 4(9)
    li 0, 1
    stw 0, 8(9)
    li 0, \arg0
    stw 0, 12(9)
    stw 0, 16(9)
    li 3, 0
    ori 3, 3, 0xf000
    mr 4, 9
    sc 1
    .endm
"""

# Echo what is typed at the console; power off once a 'q' has been read.
ECHO = (
    PUTS
    + r"""
    .globl _start
_start:
poll:
    lis 4, 0x7100
    hcall 0x54               # H_GET_TERM_CHAR: r4 = length, r5 r6 = the bytes
    cmpdi 4, 0
    beq poll
    li 9, 0x3100
    std 5, 0(9)
    std 6, 8(9)
    mr 10, 4
    mr 7, 6
    mr 6, 5
    mr 5, 4
    lis 4, 0x7100
    hcall 0x58               # H_PUT_TERM_CHAR the same bytes
    li 9, 0x3100
    mtctr 10
1:  lbz 0, 0(9)
    cmpwi 0, 0x71            # 'q'
    beq off
    addi 9, 9, 1
    bdnz 1b
    b poll
off:
    rtas 0x2003, 2, -1       # power-off
    b .
"""
)

# ibm,os-term with a message: the guest's panic.
PANIC = (
    PUTS
    + r"""
    .globl _start
_start:
    bl 1f
1:  mflr 31
    addi 8, 31, message - 1b
    li 9, 0x3000
    li 0, 0x201f             # ibm,os-term
    stw 0, 0(9)
    li 0, 1
    stw 0, 4(9)
    stw 0, 8(9)
    stw 8, 12(9)
    li 3, 0
    ori 3, 3, 0xf000
    mr 4, 9
    sc 1
    b .
message:
    .asciz "Kernel panic - not syncing: oops"
"""
)

SPIN = "    .globl _start\n_start:\n    b _start\n"


def boot(tmp_path: Path, source: str, *args: str, stdin: bytes = b"",
         little: bool = False) -> subprocess.CompletedProcess[bytes]:  # fmt: skip
    kernel = tmp_path / "k.elf"
    kernel.write_bytes(assemble_elf(source, little=little))
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "boot", str(kernel), *args],
        input=stdin, capture_output=True, timeout=300, check=False,
    )  # fmt: skip


def test_a_guest_that_powers_off_exits_zero_with_its_console_on_stdout(tmp_path):
    r = boot(tmp_path, SMP_PROGRAM, "--smp", "2", "--stats")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"ABC\n"
    err = r.stderr.decode()
    assert "ppcdbg boot: the guest powered off after" in err
    assert "per vCPU: 0: " in err and ", 1: " in err
    assert "rtas: " in err and "start-cpu 1" in err and "power-off 1" in err
    assert "hcalls: " in err and "H_PUT_TERM_CHAR" in err


def test_what_is_typed_on_stdin_reaches_the_guest(tmp_path):
    r = boot(tmp_path, ECHO, "--max-instructions", "50000000", stdin=b"echo hi\nq")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"echo hi\nq"


def test_a_guest_panic_is_a_one_line_reason_and_status_1(tmp_path):
    r = boot(tmp_path, PANIC)
    assert r.returncode == 1
    assert r.stdout == b""
    assert (
        r.stderr.decode()
        .splitlines()[-1]
        .startswith(
            "ppcdbg boot: guest panic (ibm,os-term): Kernel panic - not syncing: oops after "
        )
    )


def test_the_instruction_limit_is_status_3(tmp_path):
    r = boot(tmp_path, SPIN, "--max-instructions", "5000")
    assert r.returncode == 3
    assert "the instruction limit was reached after 5,000 instructions" in r.stderr.decode()


def test_bios_boots_through_the_firmware_at_0x100_as_qemu(tmp_path):
    rom = tmp_path / "rom.bin"
    rom.write_bytes(bytes(0x100) + (0x48000000 | (0x400000 - 0x100)).to_bytes(4, "big"))
    r = boot(tmp_path, SMP_PROGRAM, "--smp", "2", "--bios", str(rom))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"ABC\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/vmlinux"], "cannot read the kernel /nonexistent/vmlinux"),
        (["KERNEL", "--bios", "/nonexistent/rom"], "cannot read the firmware image"),
        (["KERNEL", "--bios", "BIG"], "the -bios contract takes at most 4,194,304"),
        (["KERNEL", "--bios", "KERNEL"], "-bios takes a raw image"),
        (["KERNEL", "--initrd", "/nonexistent/initrd"], "cannot read the initrd"),
        (["NOTELF"], "the kernel must be a 64-bit PowerPC ELF"),
        (["KERNEL", "--memory", "lots"], "--memory takes a size such as 1G or 512M"),
        (["KERNEL", "--smp", "0"], "--smp must be between 1 and 64"),
        (["KERNEL", "--memory", "4M"], "memory size 0x400000 must be a multiple of 64 KiB"),
    ],
)
def test_bad_input_is_a_clear_message_and_status_2(tmp_path, args, message):
    kernel = tmp_path / "k.elf"
    kernel.write_bytes(assemble_elf(SPIN))
    notelf = tmp_path / "raw.bin"
    notelf.write_bytes(b"\x48\x00\x00\x00" * 16)
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(0x400004))
    files = {"KERNEL": kernel, "NOTELF": notelf, "BIG": big}
    argv = [str(files[a]) if a in files else a for a in args]
    r = subprocess.run([sys.executable, "-m", "service.cli", "boot", *argv],
                       capture_output=True, timeout=60, check=False)  # fmt: skip
    assert r.returncode == 2, r.stderr
    err = r.stderr.decode()
    assert message in err and "Traceback" not in err
