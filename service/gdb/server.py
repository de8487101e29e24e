"""The GDB remote-protocol server: one TCP port, one gdb at a time, over a ``Target``.

``start_gdb_server(controller)`` opens a loopback port on an existing session
(the REST route ``POST /v1/sessions/{id}/gdb`` and ``ppcdbg gdbserver`` both use
it). The connection thread reads packets and answers them; single steps run
inline (they take microseconds), a continue runs on a worker thread so the
connection can still read the client's Ctrl-C (0x03) and turn it into
``halt()``. A second client gets an error reply and is closed; a client that
vanishes, even mid-packet or mid-continue, ends only its connection.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
from collections import deque
from collections.abc import Callable

from . import protocol as p
from .protocol import Ack, BadPacket, Incoming, Interrupt, Packet, Stop, Target, TargetError

log = logging.getLogger("ppcdbg.gdb")

SUPPORTED = (
    f"PacketSize={p.MAX_PACKET:x};qXfer:features:read+;qXfer:threads:read+;"
    "QStartNoAckMode+;vContSupported+;swbreak+;hwbreak+;multiprocess+"
).encode()
REVERSE = b";ReverseStep+;ReverseContinue+"  # offered when the session records history
VCONT_ACTIONS = b"vCont;c;C;s;S;t"
HALT_RETRY = 0.02  # seconds between halt requests while an interrupted continue winds down
BUSY = "another gdb client is already connected to this session"


class _Closed(Exception):
    """The client went away."""


class Connection:
    """One gdb client: protocol state (ack mode, selected threads) and the packet loop."""

    def __init__(self, sock: socket.socket, target: Target) -> None:
        self.sock = sock
        self.target = target
        self.reader = p.PacketReader()
        self.ack = True
        self.multiprocess = False
        self.g_vcpu = 0  # thread for register and memory packets (Hg)
        self.c_vcpu = 0  # thread for s/c packets (Hc)
        self.last_sent = b""
        self.pending: deque[Incoming] = deque()
        self.closing = False
        self._running_lock = threading.Lock()
        self.running = False

    # -- output ----------------------------------------------------------------------
    def send(self, payload: bytes, ack_first: bool = False) -> None:
        data = p.frame(payload)
        self.last_sent = data
        self.sock.sendall(b"+" + data if ack_first else data)

    def tid(self, vcpu: int) -> str:
        return p.format_thread_id(vcpu + 1, self.multiprocess)

    # -- input -------------------------------------------------------------------------
    def _recv(self) -> list[Incoming]:
        try:
            data = self.sock.recv(65536)
        except OSError as e:
            raise _Closed from e
        if not data:
            raise _Closed
        return list(self.reader.feed(data))

    def serve(self) -> None:
        try:
            while not self.closing:
                items = self.pending or deque(self._recv())
                self.pending = deque()
                while items:
                    self._handle_item(items.popleft())
                    if self.closing:
                        break
        except _Closed:
            pass
        except OSError as e:
            log.info("gdb connection lost: %s", e)
        finally:
            try:
                self.target.detach()
            except Exception:  # noqa: BLE001 - detaching must not take the server down
                log.exception("detaching gdb from the session failed")
            with contextlib.suppress(OSError):
                self.sock.close()

    def _handle_item(self, item: Incoming) -> None:
        if isinstance(item, Packet):
            self._handle_packet(item.payload)
        elif isinstance(item, BadPacket):
            log.debug("bad packet from gdb: %s", item.reason)
            if self.ack:
                self.sock.sendall(b"-")
        elif isinstance(item, Ack):
            if not item.positive and self.ack and self.last_sent:
                self.sock.sendall(self.last_sent)
        elif isinstance(item, Interrupt):
            pass  # nothing runs between packets: already stopped

    def _handle_packet(self, payload: bytes) -> None:
        try:
            reply = self.dispatch(payload)
        except (p.ProtocolError, TargetError) as e:
            log.debug("gdb packet %r refused: %s", payload[:40], e)
            reply = p.error(e.errno if isinstance(e, TargetError) else 0x16)
        except _Closed:
            raise
        except Exception:  # noqa: BLE001 - a bug answers E01; it must not end the session
            log.exception("gdb packet %r failed", payload[:40])
            reply = p.error(0x01)
        if reply is not None:
            self.send(reply, ack_first=self.ack)

    # -- dispatch ------------------------------------------------------------------------
    def dispatch(self, payload: bytes) -> bytes | None:
        """The reply to one packet; None when the reply was sent already (or none is due)."""
        if not payload:
            return p.EMPTY
        c = payload[:1]
        handler = _HANDLERS.get(c)
        if handler is None:
            return p.EMPTY
        return handler(self, payload)

    def _vcpu_of(self, text: bytes, default: int) -> int:
        return self._vcpu_index(p.parse_thread_id(text).tid, default)

    def _vcpu_index(self, tid: int, default: int) -> int:
        if tid in (p.ALL, p.ANY):
            return default
        v = tid - 1
        if not 0 <= v < self.target.vcpus:
            raise TargetError(0x16, f"no thread {tid:x}")
        return v

    def _stopped(self, stop: Stop, resumed: bool = True) -> bytes:
        """The stop reply; the stopped thread becomes the current one (as QEMU does)."""
        self.g_vcpu = self.c_vcpu = stop.vcpu
        if stop.message and resumed:  # O packets only while the target "runs"
            self.send(p.console(stop.message.rstrip("\n") + "\n"))
        return p.stop_reply(
            stop.signal, self.tid(stop.vcpu), stop.reasons, self.target.expedited(stop.vcpu)
        )

    # packets ----------------------------------------------------------------------
    def h_query(self, payload: bytes) -> bytes | None:
        name, _, args = payload.partition(b":")
        if name == b"qSupported":
            self.multiprocess = b"multiprocess+" in args
            return SUPPORTED + REVERSE if self.target.reversible else SUPPORTED
        if name == b"qXfer":
            return self._xfer(args)
        if payload == b"qfThreadInfo":
            return b"m" + ",".join(self.tid(v) for v in range(self.target.vcpus)).encode()
        if payload == b"qsThreadInfo":
            return b"l"
        if payload == b"qC":
            return b"QC" + self.tid(self.g_vcpu).encode()
        if payload.startswith(b"qAttached"):
            return b"1"  # attached: gdb detaches (never kills) when it quits
        if payload == b"qOffsets":
            return b"Text=0;Data=0;Bss=0"
        if payload.startswith(b"qSymbol"):
            return p.OK
        if payload.startswith(b"qThreadExtraInfo,"):
            v = self._vcpu_of(payload[len(b"qThreadExtraInfo,") :], self.g_vcpu)
            return self.target.thread_info(v).encode().hex().encode()
        if payload.startswith(b"qRcmd,"):
            try:
                command = p.hex_bytes(payload[6:]).decode("utf-8", "replace")
            except p.ProtocolError:
                return p.error(0x16)
            try:
                out = self.target.monitor(command, self.g_vcpu)
            except TargetError as e:
                out = f"error: {e}\n"
            for i in range(0, len(out), 1000):
                self.send(p.console(out[i : i + 1000]))
            return p.OK
        return p.EMPTY

    def _xfer(self, args: bytes) -> bytes:
        parts = args.split(b":")
        if len(parts) != 4 or parts[1] != b"read":
            return p.EMPTY
        obj, _, annex, span = parts
        offset, length = p.addr_length(span)
        if obj == b"features":
            if annex != b"target.xml":
                return p.error(0x00)
            return p.xfer_slice(self.target.target_xml(self.g_vcpu), offset, length)
        if obj == b"threads":
            return p.xfer_slice(self.target.threads_xml(self.tid), offset, length)
        return p.EMPTY

    def h_set(self, payload: bytes) -> bytes:
        if payload == b"QStartNoAckMode":
            # The OK still travels in ack mode; everything after it does not.
            self.send(p.OK, ack_first=self.ack)
            self.ack = False
            return None  # type: ignore[return-value]
        return p.EMPTY

    def h_status(self, payload: bytes) -> bytes:
        return self._stopped(self.target.last_stop(), resumed=False)

    def h_thread(self, payload: bytes) -> bytes:
        if len(payload) < 3:
            raise p.ProtocolError("H needs an operation and a thread")
        op = payload[1:2]
        if op not in (b"g", b"c"):
            return p.EMPTY
        current = self.g_vcpu if op == b"g" else self.c_vcpu
        v = self._vcpu_of(payload[2:], current)
        if op == b"g":
            self.g_vcpu = v
        else:
            self.c_vcpu = v
        return p.OK

    def h_alive(self, payload: bytes) -> bytes:
        self._vcpu_of(payload[1:], 0)
        return p.OK

    def h_read_regs(self, payload: bytes) -> bytes:
        return self.target.read_registers(self.g_vcpu).hex().encode()

    def h_write_regs(self, payload: bytes) -> bytes:
        self.target.write_registers(self.g_vcpu, p.hex_bytes(payload[1:]))
        return p.OK

    def h_read_reg(self, payload: bytes) -> bytes:
        num = p.hex_int(payload[1:])
        raw = self.target.read_register(self.g_vcpu, num)
        if raw is None:
            return b"xx" * self.target.register_size(num)  # unavailable now
        return raw.hex().encode()

    def h_write_reg(self, payload: bytes) -> bytes:
        num, sep, value = payload[1:].partition(b"=")
        if not sep:
            raise p.ProtocolError("P needs NUM=VALUE")
        self.target.write_register(self.g_vcpu, p.hex_int(num), p.hex_bytes(value))
        return p.OK

    def h_read_mem(self, payload: bytes) -> bytes:
        address, length = p.addr_length(payload[1:])
        return self.target.read_memory(self.g_vcpu, address, length).hex().encode()

    def h_write_mem(self, payload: bytes) -> bytes:
        head, sep, data = payload[1:].partition(b":")
        if not sep:
            raise p.ProtocolError("M needs ADDR,LENGTH:DATA")
        address, length = p.addr_length(head)
        raw = p.hex_bytes(data)
        if len(raw) != length:
            raise p.ProtocolError("M data does not match its length")
        if raw:
            self.target.write_memory(self.g_vcpu, address, raw)
        return p.OK

    def h_write_bin(self, payload: bytes) -> bytes:
        head, sep, data = payload[1:].partition(b":")
        if not sep:
            raise p.ProtocolError("X needs ADDR,LENGTH:DATA")
        address, length = p.addr_length(head)
        raw = p.unescape(data)
        if len(raw) != length:
            raise p.ProtocolError("X data does not match its length")
        if raw:
            self.target.write_memory(self.g_vcpu, address, raw)
        return p.OK

    def h_breakpoint(self, payload: bytes) -> bytes:
        fields = payload[1:].split(b";")[0].split(b",")
        if len(fields) != 3:
            raise p.ProtocolError("Z/z needs TYPE,ADDR,KIND")
        ztype, address, kind = (p.hex_int(f) for f in fields)
        insert = payload[:1] == b"Z"
        ok = (self.target.insert_breakpoint if insert else self.target.remove_breakpoint)(
            ztype, address, kind)  # fmt: skip
        return p.OK if ok else p.EMPTY

    def h_v(self, payload: bytes) -> bytes | None:
        if payload == b"vCont?":
            return VCONT_ACTIONS
        if payload.startswith(b"vCont;"):
            return self._vcont(p.parse_vcont(payload[5:]))
        if payload.startswith(b"vKill"):
            self.send(p.OK, ack_first=self.ack)
            self.closing = True
            return None
        if payload == b"vCtrlC":
            self.target.interrupt()
            return p.OK
        return p.EMPTY

    def _vcont(self, actions: list[p.ResumeAction]) -> bytes | None:
        def vcpus_of(a: p.ResumeAction) -> list[int] | None:
            if a.thread is None or a.thread.tid in (p.ALL, p.ANY):
                return None
            return [self._vcpu_index(a.thread.tid, self.c_vcpu)]

        # The first step action wins: one stop reply comes back whatever else runs.
        for a in actions:
            if a.kind == "s":
                v = vcpus_of(a)
                return self._stopped(self.target.step(v[0] if v else self.c_vcpu))
        conts = [a for a in actions if a.kind == "c"]
        if not conts:
            return p.OK  # only 't' actions: nothing to resume in all-stop mode
        run: list[int] | None = []
        for a in conts:
            vs = vcpus_of(a)
            if vs is None:
                run = None
                break
            assert run is not None
            run += vs
        return self._resume(lambda: self.target.cont(run))

    def h_step(self, payload: bytes) -> bytes:
        self._legacy_address(payload)
        return self._stopped(self.target.step(self.c_vcpu))

    def h_cont(self, payload: bytes) -> bytes | None:
        self._legacy_address(payload)
        return self._resume(lambda: self.target.cont(None))

    def _legacy_address(self, payload: bytes) -> None:
        """``s``/``c``/``S sig``/``C sig`` with an optional ;ADDR to resume at."""
        rest = payload[1:]
        if payload[:1] in (b"S", b"C"):
            _, _, rest = rest.partition(b";")
        if rest:
            raise p.ProtocolError("resuming at an address is not supported")

    def h_reverse(self, payload: bytes) -> bytes:
        if payload == b"bs":
            return self._stopped(self.target.reverse_step(self.c_vcpu))
        if payload == b"bc":
            return self._stopped(self.target.reverse_continue())
        return p.EMPTY

    def h_detach(self, payload: bytes) -> bytes | None:
        self.send(p.OK, ack_first=self.ack)
        self.closing = True
        return None

    def h_kill(self, payload: bytes) -> bytes | None:
        self.closing = True  # the session survives gdb's kill; gdb expects no reply
        return None

    # -- a continue, with Ctrl-C -----------------------------------------------------------
    def _resume(self, run: Callable[[], Stop]) -> bytes | None:
        """Run ``run`` on a worker while reading the client for Ctrl-C; the stop reply."""
        if self.ack:
            self.sock.sendall(b"+")  # ack now: the reply may be a long time coming
        result: list[Stop | BaseException] = []
        wake_r, wake_w = socket.socketpair()

        def worker() -> None:
            try:
                result.append(run())
            except BaseException as e:  # noqa: BLE001 - handed to the connection thread
                result.append(e)
            finally:
                with contextlib.suppress(OSError):
                    wake_w.send(b"!")

        thread = threading.Thread(target=worker, name="gdb-continue", daemon=True)
        interrupted = gone = False
        sel = selectors.DefaultSelector()
        try:
            sel.register(self.sock, selectors.EVENT_READ)
            sel.register(wake_r, selectors.EVENT_READ)
            thread.start()
            while not result:
                ready = sel.select(HALT_RETRY if (interrupted or gone) else None)
                if interrupted or gone:
                    # Repeat the halt: one sent before the continue began is cleared by it.
                    self.target.interrupt()
                for key, _ in ready:
                    if key.fileobj is self.sock and not gone:
                        try:
                            items = self._recv()
                        except _Closed:
                            gone = True
                            sel.unregister(self.sock)
                            self.target.interrupt()
                            continue
                        for item in items:
                            if isinstance(item, Interrupt):
                                interrupted = True
                                self.target.interrupt()
                            elif isinstance(item, Ack):
                                continue
                            else:
                                self.pending.append(item)  # answered after the stop
            thread.join()
        finally:
            sel.close()
            wake_r.close()
            wake_w.close()
        if gone:
            raise _Closed
        out = result[0]
        if isinstance(out, BaseException):
            if isinstance(out, TargetError):
                return p.error(out.errno)
            log.error("gdb continue failed", exc_info=out)
            return p.error(0x01)
        console = self.target.take_console()
        if console:
            self.send(p.console(console))
        return self._stopped(out)


_HANDLERS: dict[bytes, Callable[[Connection, bytes], bytes | None]] = {
    b"q": Connection.h_query,
    b"Q": Connection.h_set,
    b"?": Connection.h_status,
    b"H": Connection.h_thread,
    b"T": Connection.h_alive,
    b"g": Connection.h_read_regs,
    b"G": Connection.h_write_regs,
    b"p": Connection.h_read_reg,
    b"P": Connection.h_write_reg,
    b"m": Connection.h_read_mem,
    b"M": Connection.h_write_mem,
    b"X": Connection.h_write_bin,
    b"Z": Connection.h_breakpoint,
    b"z": Connection.h_breakpoint,
    b"v": Connection.h_v,
    b"s": Connection.h_step,
    b"S": Connection.h_step,
    b"c": Connection.h_cont,
    b"C": Connection.h_cont,
    b"b": Connection.h_reverse,
    b"D": Connection.h_detach,
    b"k": Connection.h_kill,
}


class GdbServerHandle:
    """A listening RSP port on a session: ``.port``, ``.close()``."""

    def __init__(self, make_target: Callable[[], Target], host: str, port: int) -> None:
        self._make_target = make_target
        self._listener = socket.create_server((host, port))
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._active: Connection | None = None
        self._closed = False
        self._threads: list[threading.Thread] = []
        self.connections = 0  # clients served so far (for --once and tests)
        self.finished = threading.Event()  # set whenever a client's connection ends
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="gdb-accept", daemon=True
        )
        self._accept_thread.start()

    @property
    def connected(self) -> bool:
        return self._active is not None

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                if self._closed:
                    return
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                busy = self._active is not None
                if not busy:
                    try:
                        conn = Connection(sock, self._make_target())
                    except Exception:  # noqa: BLE001 - refuse the client, keep listening
                        log.exception("cannot attach gdb to the session")
                        sock.close()
                        continue
                    self._active = conn
            t = threading.Thread(
                target=self._reject if busy else self._serve, args=(sock if busy else conn,),
                name="gdb-reject" if busy else "gdb-connection", daemon=True,
            )  # fmt: skip
            self._threads = [x for x in self._threads if x.is_alive()] + [t]
            t.start()

    def _serve(self, conn: Connection) -> None:
        try:
            conn.serve()
        finally:
            with self._lock:
                self._active = None
                self.connections += 1
            self.finished.set()

    @staticmethod
    def _reject(sock: socket.socket) -> None:
        """A second client: answer its first packet with an error that says why, then close."""
        reader = p.PacketReader()
        sock.settimeout(5.0)
        try:
            while True:
                data = sock.recv(4096)
                if not data:
                    return
                if any(isinstance(i, Packet) for i in reader.feed(data)):
                    sock.sendall(b"+" + p.frame(p.error_text(BUSY)))
                    return
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        """Stop listening and drop the client (its breakpoints go; the session stays)."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        with contextlib.suppress(OSError):
            self._listener.close()
        conn = self._active
        if conn is not None:
            conn.closing = True
            conn.target.interrupt()
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
        for t in [self._accept_thread, *self._threads]:
            if t is not threading.current_thread():
                t.join(timeout=5)

    def __enter__(self) -> GdbServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
