"""The real gdb-multiarch, in batch mode, against the server (one in-process server per test).

Assertions are on gdb's own output. Addresses in ``calls.S`` (conftest): _start
0x1000, loop 0x1010 (``bl bump``), 0x1014 ``bdnz``, done 0x1018, bump 0x101c,
value 0x1800.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .conftest import LE_BOOT, ROOT, SMP, RawClient, Serve, calls_elf, run_gdb, values


def test_be_connect_info_registers_and_disassembly(serve: Serve, tmp_path: Path) -> None:
    elf = calls_elf()
    _, h = serve(elf)
    out = run_gdb(h.port, ["info registers", "x/8i $pc"], elf, tmp_path)
    assert re.search(r"^pc\s+0x1000\s+0x1000 <_start>$", out, re.M), out
    assert re.search(r"^msr\s+0x9000000000000000\s", out, re.M)
    assert re.search(r"^lpcr\s+0xc\s", out, re.M)  # the SPR feature, by name
    assert re.search(r"^pvr\s+0x4e1200\s", out, re.M)
    assert re.search(r"^=> 0x1000 <_start>:\s+li\s+r1,28672$", out, re.M)
    assert re.search(r"0x1010 <loop>:\s+bl\s+0x101c <bump>", out)
    assert len(re.findall(r"^(?:=>| ) +0x[0-9a-f]+ <", out, re.M)) == 8


def test_be_break_continue_stepi_nexti(serve: Serve, tmp_path: Path) -> None:
    elf = calls_elf()
    _, h = serve(elf)
    out = run_gdb(h.port, [
        "break *bump", "continue", "p $pc", "stepi", "p $pc", "delete",
        "stepi", "stepi", "stepi", "stepi", "stepi", "p $pc",  # blr: back at the bdnz
        "stepi", "p $pc",  # bdnz taken: at the bl
        "nexti", "p $pc", "p $r3",  # over the call: r3 counted it
    ], elf, tmp_path)  # fmt: skip
    assert "Breakpoint 1 at 0x101c" in out
    assert re.search(r"Breakpoint 1, 0x0+101c in bump \(\)", out), out
    assert values(out) == [
        "(void (*)()) 0x101c <bump>", "(void (*)()) 0x1020 <bump+4>",
        "(void (*)()) 0x1014 <loop+4>", "(void (*)()) 0x1010 <loop>",
        "(void (*)()) 0x1014 <loop+4>", "2",
    ], out  # fmt: skip


def test_be_watchpoint(serve: Serve, tmp_path: Path) -> None:
    elf = calls_elf()
    _, h = serve(elf)
    out = run_gdb(h.port, ["watch *(int *)&value", "continue", "continue", "p $r3"], elf, tmp_path)
    assert "Hardware watchpoint 1: *(int *)&value" in out, out
    assert re.search(r"Old value = 0\nNew value = 1\n", out), out
    assert re.search(r"Old value = 1\nNew value = 2\n", out), out
    assert values(out) == ["2"]


def test_be_reverse_stepi_and_reverse_continue(serve: Serve, tmp_path: Path) -> None:
    elf = calls_elf()
    _, h = serve(elf)
    out = run_gdb(h.port, [
        "break done", "continue", "p $r3",
        "reverse-stepi", "p $pc",  # back onto the last bdnz
        "break *bump", "reverse-continue", "p $pc", "p $r3",  # bump's last arrival: r3 = 4
        "delete", "reverse-continue", "p $pc",  # nothing earlier: the start of history
        "reverse-stepi",
    ], elf, tmp_path)  # fmt: skip
    v = values(out)
    assert v[0] == "5"
    assert v[1] == "(void (*)()) 0x1014 <loop+4>"
    assert re.search(r"Breakpoint 2, 0x0+101c in bump \(\)", out), out
    assert v[2:4] == ["(void (*)()) 0x101c <bump>", "4"]
    assert v[4] == "(void (*)()) 0x1000 <_start>"
    assert "No more reverse-execution history." in out


def test_be_memory_and_register_writes(serve: Serve, tmp_path: Path) -> None:
    elf = calls_elf()
    ctl, h = serve(elf)
    out = run_gdb(h.port, [
        "set {int}&value = 0x1234", "x/wx &value",
        "stepi", "stepi", "stepi", "set $r4 = 2", "p $r4",  # the loop now runs twice
        "break done", "continue", "p $r3", "x/wx &value",
    ], elf, tmp_path)  # fmt: skip
    assert re.search(r"0x1800 <value>:\s+0x00001234", out), out
    assert values(out) == ["2", "2"]
    assert re.search(r"0x1800 <value>:\s+0x00000002", out), out
    # gdb and the API see the same session.
    assert ctl.read_memory(0x1800, 4) == b"\0\0\0\2"
    assert ctl.registers(0, ["r3"])["r3"] == 2


def test_monitor_commands(serve: Serve, tmp_path: Path) -> None:
    elf = calls_elf()
    _, h = serve(elf)
    commands = ["stepi", "stepi", "monitor stats", "monitor backend", "monitor lpcr",
                "monitor help", "monitor bogus"]  # fmt: skip
    out = run_gdb(h.port, commands, elf, tmp_path)
    assert re.search(r"^steps: 2$", out, re.M), out
    assert re.search(r"^time: 2$", out, re.M)
    assert "backend: native" in out
    assert "vCPU 0: LPCR = 0x000000000000000c (LPES0 LPES1)" in out
    assert "ppcdbg monitor commands:" in out
    assert "unknown monitor command 'bogus'" in out


def test_le_program_registers_follow_the_byte_order(serve: Serve, tmp_path: Path) -> None:
    _, h = serve(LE_BOOT.read_bytes())
    out = run_gdb(h.port, [
        "break *0x1010", "continue", "x/i $pc",  # the rfid into little-endian code
        "stepi", "set endian little", "p/x $pc", "p/x $msr", "x/2i $pc",
        "stepi", "stepi", "p/x $r3", "reverse-stepi", "p/x $r3", "p/x $pc",
        "set $r5 = 0x1122334455667788", "p/x $r5",
        "set {int}0x4000 = 0x01020304", "x/4xb 0x4000",
    ])  # fmt: skip
    assert re.search(r"=> 0x1010:\s+rfid", out), out
    assert values(out) == [
        "0x2000", "0x9000000000000001", "0x56781234", "0x1234", "0x2004", "0x1122334455667788",
    ], out  # fmt: skip
    assert re.search(r"=> 0x2000:\s+li\s+r3,4660\n\s+0x2004:\s+addis\s+r3,r3,22136", out), out
    assert re.search(r"0x4000:\s+0x04\s+0x03\s+0x02\s+0x01", out), out  # little-endian store


def test_smp_threads_scheduler_locking_and_continue(serve: Serve, tmp_path: Path) -> None:
    elf = SMP.read_bytes()
    _, h = serve(elf, vcpus=4)
    out = run_gdb(h.port, [
        "info threads", "thread 2", "set scheduler-locking step", "stepi", "stepi", "p $pc",
        "thread 1", "p $pc",  # held while thread 2 stepped
        "break done", "continue", "x/gx &counter", "info threads",
    ], elf, tmp_path)  # fmt: skip
    assert len(re.findall(r'Thread 1\.\d "vCPU \d"', out)) >= 8, out
    assert "[Switching to thread 2 (Thread 1.2)]" in out
    assert values(out) == ["(void (*)()) 0x1008 <_start+8>", "(void (*)()) 0x1000 <_start>"]
    assert re.search(r'Thread 1 "vCPU 0" hit Breakpoint 1, 0x0+1094 in done \(\)', out), out
    assert re.search(r"<counter>:\s+0x0000000000000fa0", out), out  # 4 x 1000, under the lock


def test_a_second_gdb_is_told_why_it_cannot_connect(serve: Serve, tmp_path: Path) -> None:
    elf = calls_elf()
    _, h = serve(elf)
    first = RawClient(h.port)
    first.handshake()
    out = run_gdb(h.port, ["p $pc"], elf, tmp_path)
    assert "E.another gdb client is already connected to this session" in out, out
    assert first.request("m1000,4") == b"38207000"


def test_ppcdbg_gdbserver_command(tmp_path: Path) -> None:
    image = tmp_path / "calls.elf"
    image.write_bytes(calls_elf())
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "gdbserver", str(image), "--port", "0", "--once",
         "--vcpus", "2", "--scheduler-locking", "on"],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", proc.stderr.readline())
        assert m is not None
        out = run_gdb(int(m.group(1)), ["info threads", "monitor backend"], calls_elf(), tmp_path)
        assert len(re.findall(r'Thread 1\.\d "vCPU \d"', out)) == 2, out
        assert "scheduler locking: on" in out
        assert proc.wait(timeout=20) == 0  # --once: gdb detached, the server exits
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()


def test_ppcdbg_gdbserver_reports_bad_images(tmp_path: Path) -> None:
    bad = tmp_path / "bad.elf"
    bad.write_bytes(b"\x7fELF" + b"\0" * 10)
    r = subprocess.run([sys.executable, "-m", "service.cli", "gdbserver", str(bad), "--port", "0"],
                       cwd=ROOT, capture_output=True, text=True, timeout=30)  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.startswith("ppcdbg gdbserver: ")
