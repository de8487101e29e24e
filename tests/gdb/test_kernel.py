"""gdb-multiarch debugging Debian's stock kernel on ppcdbg's pseries platform:
``ppcdbg boot vmlinux --gdb PORT`` waits for gdb before the first instruction, and
``break start_kernel`` + ``continue`` + ``bt`` + ``info registers`` + ``p jiffies`` and a
watchpoint on kernel data work on the 0xc000... addresses the kernel runs at under radix
translation."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import require_tool
from tests.engine.platform.test_firmware import kernel_files

MSR_IR_DR = 0x30


@pytest.mark.slow
def test_gdb_breaks_at_start_kernel_and_reads_the_kernel() -> None:
    gdb = require_tool("gdb-multiarch")
    vmlinux, initrd = kernel_files()
    boot = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "boot", str(vmlinux), "--initrd", str(initrd),
         "--append", "console=hvc0 cryptomgr.notests", "--gdb", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert boot.stderr is not None
        line = boot.stderr.readline()
        m = re.search(r"waiting for gdb on ([\d.]+):(\d+)", line)
        assert m, line
        r = subprocess.run(
            [gdb, "-q", "-batch", "-nx", str(vmlinux),
             "-ex", f"target remote {m.group(1)}:{m.group(2)}",
             "-ex", "break start_kernel", "-ex", "continue", "-ex", "bt",
             "-ex", "info registers pc msr r1", "-ex", "p (unsigned long)jiffies",
             "-ex", "x/2i $pc", "-ex", "p $vs34.uint128",
             "-ex", "watch *(unsigned int *)&nr_cpu_ids", "-ex", "continue"],
            capture_output=True, text=True, timeout=240, check=False,
        )  # fmt: skip
    finally:
        boot.kill()
        boot.wait(timeout=30)
    out = r.stdout
    assert re.search(r"Breakpoint 1, 0xc0000000[0-9a-f]{8} in start_kernel \(\)", out), out
    assert re.search(r"#1 +0xc0000000[0-9a-f]{8} in start_here_common \(\)", out), out
    msr = int(re.search(r"^msr +0x([0-9a-f]+)", out, re.M).group(1), 16)  # type: ignore[union-attr]
    assert msr & MSR_IR_DR == MSR_IR_DR  # translation on: the kernel's own 0xc000... mapping
    assert re.search(r"^r1 +0xc0000000[0-9a-f]{8}", out, re.M), out
    # jiffies before the first tick: INITIAL_JIFFIES, (unsigned int)(-300 * HZ) with Debian's
    # HZ=250, read through the kernel's mapping (the vmlinux has no debug info: gdb is told the
    # type).
    assert re.search(rf"^\$1 = {2**32 - 300 * 250}$", out, re.M), out
    assert "<start_kernel+" in out
    assert re.search(r"^\$2 = \d+$", out, re.M), out
    # A watchpoint on kernel data (DAWR through Z2): setup_nr_cpu_ids counts the one CPU.
    assert re.search(r"Hardware watchpoint 2: \*\(unsigned int \*\)&nr_cpu_ids", out), out
    assert re.search(r"Old value = 2048\s+New value = 1\s", out), out
    assert re.search(r"in setup_nr_cpu_ids \(\)", out), out
