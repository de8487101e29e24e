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

import pytest

from engine.debug.controller import Controller

from .conftest import (
    LE_BOOT,
    ROOT,
    SMP,
    VEC_DONE_BE,
    VEC_DONE_LE,
    VEC_LE_RFID,
    RawClient,
    Serve,
    calls_elf,
    run_gdb,
    values,
    vec_image,
)


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


# -- vector registers (gdb's AltiVec and VSX features) ------------------------------------------
# vr0 = 0x000102...0f, vr2 = vs34 = its doublewords swapped, vs3 = f3 || its low doubleword
# (the same bytes as vr0), vrsave = 0x55 (the vector programs in conftest).
VR0_INT32 = [0x00010203, 0x04050607, 0x08090A0B, 0x0C0D0E0F]


def _vector_session(serve: Serve, order: str, commands: list[str]) -> tuple[Controller, str]:
    ctl, h = serve(vec_image(order))
    done = VEC_DONE_BE if order == "big" else VEC_DONE_LE
    setup = [f"break *0x{done:x}", "continue"]
    if order == "little":
        # Through the rfid big-endian, then tell gdb the byte order has changed (the
        # stop replies carry the pc in the vCPU's byte order).
        setup = [f"tbreak *0x{VEC_LE_RFID:x}", "continue", "stepi", "set endian little",
                 *setup]  # fmt: skip
    return ctl, run_gdb(h.port, setup + commands)


def _ints(text: str) -> list[int]:
    return [int(x, 0) for x in re.split(r",\s*", text)]


@pytest.mark.parametrize("order", ["big", "little"])
def test_info_vector_and_p_vr_vs(serve: Serve, order: str) -> None:
    _, out = _vector_session(serve, order, [
        "info vector", "p $vr0", "p/x $vs34", "p/x $vs3", "p/x $vs3.v2_double", "p $vrsave",
        "p $vscr",
    ])  # fmt: skip
    # info vector: every VR, then vscr and vrsave (gdb's vector group), then vs0-vs63
    assert re.search(r"^vr0\s+\{uint128 = 0x102030405060708090a0b0c0d0e0f, ", out, re.M), out
    assert re.search(r"^vr31\s+\{uint128 = 0x0, ", out, re.M)
    assert re.search(r"^vscr\s+0x10000\s+65536$", out, re.M)
    assert re.search(r"^vrsave\s+0x55\s+85$", out, re.M)
    assert re.search(r"^vs63\s+\{", out, re.M)
    v = values(out)
    # p $vr0: element 0 is the most significant word in big-endian mode and the least
    # significant one in little-endian mode (gdb's view of a little-endian target)
    m = re.search(r"v4_int32 = \{([^}]*)\}", v[0])
    assert m is not None, v[0]
    ints = VR0_INT32 if order == "big" else VR0_INT32[::-1]
    assert _ints(m.group(1)) == ints
    assert "uint128 = 5233100606242806050955395731361295" in v[0]  # 0x000102...0f
    assert "uint128 = 0x8090a0b0c0d0e0f0001020304050607" in v[1]  # vs34 = vr2
    assert "uint128 = 0x102030405060708090a0b0c0d0e0f" in v[2]  # vs3 = f3 || vs3h
    # v2_double[0] is the FPR's doubleword in big-endian mode, the other one in little
    dw = ["0x1020304050607", "0x8090a0b0c0d0e0f"]
    assert v[3] == "{" + ", ".join(dw if order == "big" else dw[::-1]) + "}"
    assert v[4:] == ["85", "65536"]


@pytest.mark.parametrize("order", ["big", "little"])
def test_set_var_writes_vector_elements(serve: Serve, order: str) -> None:
    ctl, out = _vector_session(serve, order, [
        "set var $vr1.v4_int32[0] = 5", "p/x $vr1.uint128",
        "set var $vs4.v2_double[0] = 1.5", "p $vs4.v2_double[0]", "p $f4",
        "set var $vrsave = 0x1234", "p/x $vrsave",
        "stepi", "p/x $vr1.uint128",  # still there after a step (the cache is refreshed)
    ])  # fmt: skip
    v = values(out)
    vr1 = 5 << 96 if order == "big" else 5
    assert v[0] == f"0x{vr1:x}", out
    # v2_double[0] is FPR 4 in big-endian mode (VSR 4's low doubleword in little)
    assert v[1:3] == ["1.5", "1.5" if order == "big" else "0"]
    assert v[3] == "0x1234"
    assert v[4] == f"0x{vr1:x}"
    got = ctl.registers(0, ["vr1", "vs4", "f4", "vrsave"])
    assert got["vr1"] == vr1 and got["vrsave"] == 0x1234
    f4 = 0x3FF8000000000000  # 1.5
    assert got["vs4"] == (f4 << 64 if order == "big" else f4)
    assert got["f4"] == (f4 if order == "big" else 0)
