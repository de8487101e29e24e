"""A small GDB remote serial protocol client, enough to drive QEMU's gdbstub.

Only what the differential harness needs: packet framing with acks, run-length
and binary-escape decoding of replies, register and memory access, single steps
of one thread, breakpoints, and the target description (to find SPR numbers).
QEMU 7.2 does not accept ``QStartNoAckMode``, so every packet is acknowledged;
``TCP_NODELAY`` keeps those one-byte acks from waiting on Nagle's algorithm
(without it the rate drops from thousands of steps/s to tens).
"""

from __future__ import annotations

import re
import socket
import time

_TAG = re.compile(r"<((?:\w+:)?include|reg)\b([^>]*)>")
_ATTR = re.compile(r'(\w+)="([^"]*)"')


class RspError(Exception):
    """The stub answered ``Exx`` or something the client cannot use."""


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def frame(payload: bytes) -> bytes:
    """``$payload#cs`` with ``$ # } *`` escaped as the protocol requires."""
    esc = bytearray()
    for b in payload:
        if b in b"$#}*":
            esc += bytes((0x7D, b ^ 0x20))
        else:
            esc.append(b)
    return b"$" + bytes(esc) + b"#%02x" % checksum(bytes(esc))


def decode_body(body: bytes) -> bytes:
    """Undo run-length encoding (``X*n``: n-29 more copies of X) and ``}`` escapes."""
    out = bytearray()
    i = 0
    n = len(body)
    while i < n:
        b = body[i]
        if b == 0x7D and i + 1 < n:  # '}' escapes the next byte
            out.append(body[i + 1] ^ 0x20)
            i += 2
        elif b == 0x2A and out and i + 1 < n:  # '*' repeats the previous byte
            out += bytes((out[-1],)) * (body[i + 1] - 29)
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


class RspClient:
    """One connection to a gdbstub; methods send one request and return its reply."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.multiprocess = False
        self.packet_size = 1024  # the stub's buffer; qSupported tells the real one
        self.features: dict[str, int] = {}  # register name -> number (target description)
        self.regsizes: dict[int, int] = {}  # register number -> size in bytes

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> RspClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- framing -----------------------------------------------------------------
    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RspError("the gdbstub closed the connection")
        self.buf += chunk

    def _read_packet(self) -> bytes:
        while True:
            start = self.buf.find(b"$")
            # Skip acks ('+') and anything else before a packet start.
            if start < 0:
                self.buf = b""
                self._fill()
                continue
            end = self.buf.find(b"#", start)
            if end < 0 or len(self.buf) < end + 3:
                self._fill()
                continue
            body = self.buf[start + 1 : end]
            cs = int(self.buf[end + 1 : end + 3], 16)
            self.buf = self.buf[end + 3 :]
            if checksum(body) != cs:
                self.sock.sendall(b"-")
                continue
            self.sock.sendall(b"+")
            return decode_body(body)

    def _wait_ack(self, packet: bytes) -> None:
        while True:
            if not self.buf:
                self._fill()
            c = self.buf[:1]
            if c == b"+":
                self.buf = self.buf[1:]
                return
            if c == b"-":
                self.buf = self.buf[1:]
                self.sock.sendall(packet)
                continue
            if c == b"$":
                # A reply before the ack (tolerated): leave it for _read_packet.
                return
            self.buf = self.buf[1:]

    def send(self, payload: str | bytes) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        packet = frame(data)
        self.sock.sendall(packet)
        self._wait_ack(packet)

    def request(self, payload: str | bytes) -> bytes:
        self.send(payload)
        return self._read_packet()

    def ok(self, payload: str | bytes) -> None:
        reply = self.request(payload)
        if reply != b"OK":
            raise RspError(f"{payload!r} -> {reply!r}")

    @staticmethod
    def _check(payload: str, reply: bytes) -> bytes:
        if re.fullmatch(rb"E[0-9a-fA-F]{2}", reply):
            raise RspError(f"{payload} -> {reply.decode()}")
        return reply

    # -- session -----------------------------------------------------------------
    def handshake(self) -> None:
        reply = self.request("qSupported:multiprocess+;swbreak+;xmlRegisters=powerpc")
        self.multiprocess = b"multiprocess+" in reply
        m = re.search(rb"PacketSize=([0-9a-fA-F]+)", reply)
        if m:
            self.packet_size = int(m.group(1), 16)
        self.request("?")

    def thread_ids(self) -> list[str]:
        """Thread ids in the stub's order (``p1.1``, ``p1.2``... with multiprocess)."""
        ids: list[str] = []
        reply = self.request("qfThreadInfo")
        while reply.startswith(b"m"):
            ids += [t.decode() for t in reply[1:].split(b",") if t]
            reply = self.request("qsThreadInfo")
        return [self._normalise_tid(t) for t in ids]

    @staticmethod
    def _normalise_tid(t: str) -> str:
        # "p01.02" -> "p1.2": QEMU prints hex with leading zeros.
        if t.startswith("p"):
            pid, _, tid = t[1:].partition(".")
            return f"p{int(pid, 16):x}.{int(tid, 16):x}"
        return f"{int(t, 16):x}"

    def select(self, tid: str) -> None:
        """Make ``tid`` the thread for register and memory packets."""
        self.ok(f"Hg{tid}")

    # -- registers -----------------------------------------------------------------
    def read_all_registers(self) -> bytes:
        return bytes.fromhex(self._check("g", self.request("g")).decode())

    def write_all_registers(self, data: bytes) -> None:
        self.ok(b"G" + data.hex().encode())

    def read_register(self, num: int) -> bytes:
        """Raw bytes of register ``num`` as the stub sends them; RspError on ``Exx``."""
        return bytes.fromhex(self._check(f"p{num:x}", self.request(f"p{num:x}")).decode())

    def write_register(self, num: int, data: bytes) -> None:
        self.ok(f"P{num:x}=" + data.hex())

    # -- memory --------------------------------------------------------------------
    @property
    def _chunk(self) -> int:
        """Bytes per m/M packet: two hex digits each, plus room for the header."""
        return (self.packet_size - 64) // 2

    def read_memory(self, addr: int, length: int) -> bytes:
        out = bytearray()
        while length > 0:
            n = min(length, self._chunk)
            reply = self._check("m", self.request(f"m{addr:x},{n:x}"))
            out += bytes.fromhex(reply.decode())
            addr += n
            length -= n
        return bytes(out)

    def write_memory(self, addr: int, data: bytes) -> None:
        step = self._chunk
        for off in range(0, len(data), step):
            chunk = data[off : off + step]
            self.ok(f"M{addr + off:x},{len(chunk):x}:" + chunk.hex())

    # -- execution -----------------------------------------------------------------
    def step(self, tid: str) -> bytes:
        """One raw single step of ``tid`` only; the stop reply."""
        return self.request(f"vCont;s:{tid}")

    def cont(self) -> bytes:
        return self.request("vCont;c")

    def insert_breakpoint(self, addr: int, kind: int = 4) -> None:
        self.ok(f"Z0,{addr:x},{kind:x}")

    def remove_breakpoint(self, addr: int, kind: int = 4) -> None:
        self.ok(f"z0,{addr:x},{kind:x}")

    # -- target description ----------------------------------------------------------
    def read_xfer(self, obj: str, annex: str) -> bytes:
        out = bytearray()
        while True:
            reply = self.request(f"qXfer:{obj}:read:{annex}:{len(out):x},ffb")
            if not reply or reply[:1] not in b"ml":
                raise RspError(f"qXfer {obj}:{annex} -> {reply!r}")
            out += reply[1:]
            if reply[:1] == b"l":
                return bytes(out)

    def load_register_map(self) -> dict[str, int]:
        """Name -> number for every register of the target description and its includes.

        Registers without an explicit ``regnum`` follow the previous one, as in
        GDB's target description rules.
        """
        self.features = {}
        self.regsizes = {}
        nxt = 0
        seen: set[str] = set()

        def walk(annex: str) -> None:
            nonlocal nxt
            if annex in seen:
                return
            seen.add(annex)
            # QEMU's target.xml uses the xi: prefix without declaring it, which a
            # strict XML parser rejects: the tags are simple enough to scan.
            text = self.read_xfer("features", annex).decode()
            for tag, attrs in _TAG.findall(text):
                a = dict(_ATTR.findall(attrs))
                if tag.endswith("include"):
                    walk(a["href"])  # included registers number in document order
                elif tag == "reg":
                    num = int(a["regnum"]) if "regnum" in a else nxt
                    # QEMU's SPR feature repeats xer/lr/ctr; the core numbers are the ones
                    # ``g`` uses, so the first definition of a name wins.
                    self.features.setdefault(a["name"].lower(), num)
                    self.regsizes[num] = int(a.get("bitsize", "64")) // 8
                    nxt = num + 1

        walk("target.xml")
        return self.features


def measure_step_rate(client: RspClient, tid: str, steps: int = 2000) -> float:
    """Raw single steps per second through this client (for the report and bench)."""
    t0 = time.perf_counter()
    for _ in range(steps):
        client.step(tid)
    return steps / (time.perf_counter() - t0)
