"""GDB remote serial protocol: framing, parsing and reply formatting.

No engine imports: this module knows packets, not PowerPC (as the Rust
``gdbstub`` crate keeps protocol code apart from its ``Target``). The server
feeds received bytes to a ``PacketReader``, which yields complete packets,
acks and interrupt requests; replies are framed with ``frame``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

INTERRUPT = 0x03  # Ctrl-C from the client, outside any packet
MAX_PACKET = 0x4000  # PacketSize we advertise: the largest packet we accept
MAX_BODY = MAX_PACKET - 8  # leaves room for '$', '#cs' and a little slack


class ProtocolError(ValueError):
    """A packet we cannot parse: the client gets an error reply, the session carries on."""


class TargetError(Exception):
    """A request the target refuses (non-fatal: an ``Exx`` reply, the session carries on)."""

    def __init__(self, errno: int, message: str) -> None:
        super().__init__(message)
        self.errno = errno


@dataclass(frozen=True)
class Stop:
    """Why the target stopped, as the protocol reports it (gdbstub's stop reason)."""

    signal: int
    vcpu: int
    reasons: list[tuple[str, str]] = field(default_factory=list)  # ("swbreak", ""), ...
    message: str | None = None  # shown on gdb's console before the stop


class Target(Protocol):
    """What the server needs from a target; vCPU indexes count from 0 (thread = vCPU + 1)."""

    @property
    def vcpus(self) -> int: ...
    def last_stop(self) -> Stop: ...
    def thread_info(self, vcpu: int) -> str: ...
    def read_registers(self, vcpu: int) -> bytes: ...
    def write_registers(self, vcpu: int, data: bytes) -> None: ...
    def read_register(self, vcpu: int, num: int) -> bytes | None: ...
    def register_size(self, num: int) -> int: ...
    def write_register(self, vcpu: int, num: int, raw: bytes) -> None: ...
    def expedited(self, vcpu: int) -> list[tuple[int, bytes]]: ...
    def read_memory(self, vcpu: int, address: int, length: int) -> bytes: ...
    def write_memory(self, vcpu: int, address: int, data: bytes) -> None: ...
    def insert_breakpoint(self, ztype: int, address: int, kind: int) -> bool: ...
    def remove_breakpoint(self, ztype: int, address: int, kind: int) -> bool: ...
    def detach(self) -> None: ...
    def step(self, vcpu: int) -> Stop: ...
    def cont(self, vcpus: list[int] | None) -> Stop: ...
    def interrupt(self) -> None: ...
    def take_console(self) -> str: ...
    @property
    def reversible(self) -> bool:
        """Whether reverse execution is offered (qSupported's ReverseStep/ReverseContinue)."""
        ...

    def reverse_step(self, vcpu: int) -> Stop: ...
    def reverse_continue(self) -> Stop: ...
    def target_xml(self, vcpu: int) -> bytes: ...
    def threads_xml(self, thread_id: Callable[[int], str]) -> bytes: ...
    def monitor(self, command: str, vcpu: int) -> str: ...


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


_SPECIAL = re.compile(rb"[$#}*]")


def escape(data: bytes) -> bytes:
    """Binary-escape ``$ # } *`` (``}`` then the byte XOR 0x20)."""
    if _SPECIAL.search(data) is None:
        return data
    out = bytearray()
    for b in data:
        if b in b"$#}*":
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    """Undo binary escaping (``X`` packet data)."""
    if b"}" not in data:
        return data
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == 0x7D:
            nxt = next(it, None)
            if nxt is None:
                raise ProtocolError("escape character at the end of the data")
            out.append(nxt ^ 0x20)
        else:
            out.append(b)
    return bytes(out)


def frame(payload: bytes) -> bytes:
    """``$payload#cs``, escaping what the payload needs escaped."""
    body = escape(payload)
    return b"$%s#%02x" % (body, checksum(body))


# -- the incoming byte stream -------------------------------------------------------------
@dataclass(frozen=True)
class Packet:
    payload: bytes  # unescaping is per packet type (only X/vFile carry binary)


@dataclass(frozen=True)
class BadPacket:
    """A packet whose checksum did not match (answer with '-')."""

    reason: str


@dataclass(frozen=True)
class Ack:
    positive: bool


@dataclass(frozen=True)
class Interrupt:
    pass


Incoming = Packet | BadPacket | Ack | Interrupt


class PacketReader:
    """Splits a byte stream into packets, acks and interrupts.

    Tolerant by design: bytes outside a packet that are not ``+ - \\x03`` are
    skipped, an over-long packet is dropped (reported as bad), and a packet cut
    off mid-way simply stays buffered until the connection ends.
    """

    def __init__(self, max_packet: int = MAX_PACKET) -> None:
        self.buf = bytearray()
        self.max_packet = max_packet

    def feed(self, data: bytes) -> Iterator[Incoming]:
        buf = self.buf
        buf += data
        pos = 0
        n = len(buf)
        while pos < n:
            b = buf[pos]
            if b == 0x24:  # '$'
                end = buf.find(b"#", pos + 1)
                if end < 0 or end + 3 > n:
                    if n - pos > self.max_packet + 3:
                        pos = n  # runaway packet: drop it all
                        yield BadPacket("packet too long")
                    break
                body = bytes(buf[pos + 1 : end])
                cs_text = bytes(buf[end + 1 : end + 3])
                pos = end + 3
                try:
                    cs = int(cs_text, 16)
                except ValueError:
                    yield BadPacket(f"malformed checksum {cs_text!r}")
                    continue
                if cs != checksum(body):
                    yield BadPacket("checksum mismatch")
                    continue
                if b"*" in body:
                    body = _expand_rle(body)
                yield Packet(body)
                continue
            pos += 1
            if b == 0x2B:
                yield Ack(True)
            elif b == 0x2D:
                yield Ack(False)
            elif b == INTERRUPT:
                yield Interrupt()
            # anything else between packets is noise: skip it
        del buf[:pos]


def _expand_rle(body: bytes) -> bytes:
    """Clients may run-length encode too (``X*n``: n-29 more copies of X)."""
    out = bytearray()
    i, n = 0, len(body)
    while i < n:
        b = body[i]
        if b == 0x2A and out and i + 1 < n and body[i - 1] != 0x7D:
            out += bytes((out[-1],)) * max(0, body[i + 1] - 29)
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


# -- field parsing ----------------------------------------------------------------------
def hex_int(text: bytes | str) -> int:
    try:
        t = text.decode() if isinstance(text, bytes) else text
        if not t or t.startswith(("-", "+")) or t.strip() != t:
            raise ValueError
        return int(t, 16)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(f"bad hex number {text!r}") from None


def hex_bytes(text: bytes) -> bytes:
    try:
        return bytes.fromhex(text.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("bad hex data") from None


def addr_length(text: bytes) -> tuple[int, int]:
    """``ADDR,LENGTH`` in hex."""
    a, sep, n = text.partition(b",")
    if not sep:
        raise ProtocolError("expected ADDR,LENGTH")
    return hex_int(a), hex_int(n)


ALL = -1  # thread id meaning every thread
ANY = 0  # thread id meaning any thread


@dataclass(frozen=True)
class ThreadId:
    pid: int  # ALL / ANY / a process id (we have one process: 1)
    tid: int  # ALL / ANY / a thread id (vCPU index + 1)


def _id_part(text: str) -> int:
    if text == "-1":
        return ALL
    return hex_int(text)


def parse_thread_id(text: bytes | str) -> ThreadId:
    """``p1.2``, ``p1.-1``, ``p1``, ``-1``, ``0`` or ``2`` (hex)."""
    t = text.decode() if isinstance(text, bytes) else text
    if t.startswith("p"):
        pid, dot, tid = t[1:].partition(".")
        return ThreadId(_id_part(pid), _id_part(tid) if dot else ALL)
    return ThreadId(ALL, _id_part(t))


def format_thread_id(tid: int, multiprocess: bool, pid: int = 1) -> str:
    return f"p{pid:x}.{tid:x}" if multiprocess else f"{tid:x}"


@dataclass(frozen=True)
class ResumeAction:
    kind: str  # "c", "s" or "t" (C/S signals are dropped: we deliver none)
    thread: ThreadId | None  # None: every thread without its own action


_VCONT_CACHE: dict[bytes, list[ResumeAction]] = {}


def parse_vcont(payload: bytes) -> list[ResumeAction]:
    """``vCont;ACTION[:THREAD];...`` (payload without the ``vCont`` prefix)."""
    # A stepping client repeats the same few vCont packets: parse each once.
    cached = _VCONT_CACHE.get(payload)
    if cached is not None:
        return cached
    actions = _parse_vcont(payload)
    if len(_VCONT_CACHE) < 256:
        _VCONT_CACHE[payload] = actions
    return actions


def _parse_vcont(payload: bytes) -> list[ResumeAction]:
    if not payload.startswith(b";"):
        raise ProtocolError("vCont needs at least one action")
    actions = []
    for part in payload[1:].split(b";"):
        act, _, thread = part.partition(b":")
        if not act:
            raise ProtocolError("empty vCont action")
        kind = chr(act[0])
        if kind in "CS":
            hex_int(act[1:])  # the signal: validated, then ignored
            kind = kind.lower()
        elif kind in "cst":
            if len(act) != 1:
                raise ProtocolError(f"bad vCont action {act!r}")
        else:
            raise ProtocolError(f"unsupported vCont action {act!r}")
        actions.append(ResumeAction(kind, parse_thread_id(thread) if thread else None))
    return actions


# -- replies ------------------------------------------------------------------------
OK = b"OK"
EMPTY = b""


def error(code: int) -> bytes:
    return b"E%02x" % (code & 0xFF)


def error_text(message: str) -> bytes:
    """``E.text``: an error with a message gdb shows (GDB 9+)."""
    return b"E." + message.encode("ascii", "replace")


def console(text: str) -> bytes:
    """An ``O`` packet: text for gdb's console (only while the target runs)."""
    return b"O" + text.encode("utf-8", "replace").hex().encode()


def xfer_slice(document: bytes, offset: int, length: int) -> bytes:
    """A ``qXfer`` read reply: ``m`` + more data, or ``l`` + the last of it."""
    chunk = document[offset : offset + length]
    return (b"l" if offset + length >= len(document) else b"m") + chunk


def stop_reply(
    signal: int,
    thread: str | None,
    reasons: list[tuple[str, str]] | None = None,
    registers: list[tuple[int, bytes]] | None = None,
) -> bytes:
    """``T`` packet: signal, expedited registers, ``thread:``, then stop reasons."""
    out = [b"T%02x" % signal]
    for num, raw in registers or ():
        out.append(b"%x:%s;" % (num, raw.hex().encode()))
    if thread is not None:
        out.append(b"thread:%s;" % thread.encode())
    for key, value in reasons or ():
        out.append(b"%s:%s;" % (key.encode(), value.encode()))
    return b"".join(out)
