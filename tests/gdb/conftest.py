"""Fixtures for the GDB server tests: in-process servers on port 0, gdb-multiarch, a raw client.

Programs: ``calls.S`` below (big-endian: a counted loop that calls ``bump``, which
stores its count into ``value``), ``tests/differential/golden/le_boot.bin`` (boots
big-endian and enters little-endian code at 0x2000 through ``rfid``) and
``examples/smp_spinlock.elf`` (4 vCPUs share a spinlock).
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.loader import load_image
from service.gdb import GdbServerHandle, start_gdb_server
from service.gdb.protocol import checksum, frame
from tests.asm import assemble_elf
from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
LE_BOOT = ROOT / "tests/differential/golden/le_boot.bin"
SMP = ROOT / "examples/smp_spinlock.elf"
GDB_TIMEOUT = 60

CALLS = """
    .text
    .org 0x1000
    .globl _start
_start:
    li      1, 0x7000           # a stack with a back chain: gdb's frame ids (nexti) need it
    li      3, 0
    li      4, 5
    mtctr   4
loop:
    bl      bump
    bdnz    loop
done:
    b       done
bump:
    stdu    1, -32(1)           # a frame with a back chain, so gdb can unwind (nexti)
    addi    3, 3, 1
    li      9, value
    stw     3, 0(9)
    addi    1, 1, 32
    blr
    .org 0x1800
    .globl value
value:
    .long 0
    .org 0x7000
    .quad 0x7100                # the back chain: a caller frame, then the end of the chain
"""

# The vector programs (raw images, entry 0x10; QEMU runs them too): with MSR[FP|VEC|VSX]
# = 1, vr0 = 0x000102...0f, vr2 = 0x08090a0b0c0d0e0f0001020304050607, vs3 = f3 || low
# (f3 = 0x0001020304050607, its low doubleword 0x08090a0b0c0d0e0f), vrsave = 0x55.
# VEC_BE runs big-endian; VEC_LE boots big-endian and runs the same code at 0x2000
# with MSR[LE] = 1 (the rfid at VEC_LE_RFID). Both end at `done: b done` (VEC_DONE_BE,
# VEC_DONE_LE).
_VEC_BODY = """
    lis     4, 0x0001
    ori     4, 4, 0x0203
    sldi    4, 4, 32
    oris    4, 4, 0x0405
    ori     4, 4, 0x0607
    lis     5, 0x0809
    ori     5, 5, 0x0a0b
    sldi    5, 5, 32
    oris    5, 5, 0x0c0d
    ori     5, 5, 0x0e0f
    mtvsrdd 32, 4, 5
    mtvsrdd 34, 5, 4
    mtvsrdd 3, 4, 5
    li      7, 0x55
    mtvrsave 7
done:
    b       done
"""
_VEC_MSR = """
    lis     3, 0x9000
    sldi    3, 3, 32
    oris    3, 3, 0x0280
    ori     3, 3, 0x2000{le}
"""
_VEC_MAIN = ".org 0x10\n    b main\n    .org 0x1000\nmain:"
VEC_BE_SOURCE = _VEC_MAIN + _VEC_MSR.format(le="") + "    mtmsrd  3\n" + _VEC_BODY
_RFID_2000 = "    li      4, 0x2000\n    mtsrr0  4\n    mtsrr1  3\n    rfid\n"
VEC_LE_BOOT_SOURCE = _VEC_MAIN + _VEC_MSR.format(le="\n    ori     3, 3, 1") + _RFID_2000
VEC_LE_SOURCE = "    .org 0x2000\n" + _VEC_BODY
VEC_DONE_BE = 0x1000 + 4 * (5 + 15)
VEC_DONE_LE = 0x2000 + 4 * 15
VEC_LE_RFID = 0x1000 + 4 * 8  # VEC_LE's switch to little-endian code

_calls_elf: bytes | None = None
_vec: dict[str, bytes] = {}


def vec_image(order: str) -> bytes:
    """The vector program's raw image, ``order`` "big" or "little" (assembled once)."""
    if order not in _vec:
        from tests.asm import assemble
        from tests.differential.build import overlay

        if order == "big":
            _vec[order] = assemble(VEC_BE_SOURCE)
        else:
            le = assemble(VEC_LE_SOURCE, little=True)
            _vec[order] = overlay(assemble(VEC_LE_BOOT_SOURCE), le)
    return _vec[order]


def calls_elf() -> bytes:
    global _calls_elf
    if _calls_elf is None:
        _calls_elf = assemble_elf(CALLS)
    return _calls_elf


Serve = Callable[..., tuple[Controller, GdbServerHandle]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve(image_bytes, **session_config) -> (controller, server)``; closed afterwards."""
    handles: list[GdbServerHandle] = []

    def start(image: bytes, **config: object) -> tuple[Controller, GdbServerHandle]:
        ctl = Controller(load_image(image), SessionConfig(**config))  # type: ignore[arg-type]
        h = start_gdb_server(ctl)
        handles.append(h)
        return ctl, h

    yield start
    for h in handles:
        h.close()


def run_gdb(port: int, commands: list[str], elf: bytes | None = None,
            tmp: Path | None = None) -> str:  # fmt: skip
    """gdb-multiarch in batch mode against the server; its stdout and stderr together."""
    gdb = require_tool("gdb-multiarch")
    args = [gdb, "-q", "-nx", "-batch"]
    if elf is not None:
        assert tmp is not None
        path = tmp / "prog.elf"
        path.write_bytes(elf)
        args.append(str(path))
    else:
        args += ["-ex", "set architecture powerpc:common64", "-ex", "set endian big"]
    args += ["-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        args += ["-ex", c]
    r = subprocess.run(args, capture_output=True, text=True, timeout=GDB_TIMEOUT,
                       stdin=subprocess.DEVNULL)  # fmt: skip
    return r.stdout + r.stderr


def values(output: str) -> list[str]:
    """The values of gdb's ``$N = V`` lines, in order."""
    return re.findall(r"^\$\d+ = (.*)$", output, re.M)


class RawClient:
    """A deliberately small RSP client for edge cases: it exposes acks and raw bytes."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.ack = True

    def close(self) -> None:
        self.sock.close()

    def raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        self.buf += chunk

    def read_byte(self) -> bytes:
        if not self.buf:
            self._fill()
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def read_packet(self) -> bytes:
        """The next packet (skipping acks); acknowledges it in ack mode."""
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start + 1) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                body = self.buf[start + 1 : end]
                assert int(self.buf[end + 1 : end + 3], 16) == checksum(body)
                self.buf = self.buf[end + 3 :]
                if self.ack:
                    self.sock.sendall(b"+")
                return body
            self._fill()

    def send(self, payload: bytes | str) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        self.sock.sendall(frame(data))

    def request(self, payload: bytes | str) -> bytes:
        """Send a packet, return its reply (console ``O`` packets are skipped)."""
        self.send(payload)
        while True:
            reply = self.read_packet()
            if not (reply.startswith(b"O") and reply != b"OK"):
                return reply

    def request_with_output(self, payload: bytes | str) -> tuple[str, bytes]:
        """A reply and the console text sent before it (qRcmd)."""
        self.send(payload)
        out = ""
        while True:
            reply = self.read_packet()
            if reply.startswith(b"O") and reply != b"OK":
                out += bytes.fromhex(reply[1:].decode()).decode()
                continue
            return out, reply

    def handshake(self) -> bytes:
        return self.request("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=powerpc")
