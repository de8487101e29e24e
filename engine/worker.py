"""A session's engine in a worker process (``open_session(..., isolation="process")``).

``RemoteTarget`` is a ``Target`` whose Controller lives in a child process: each method is
a request on the command pipe (pickled plain data: ints, strings, dataclasses); the
controller's events come back on the event pipe, batched (one pickled list per flush), and
each answer travels with the events emitted before it, in the same message. The API process
then holds no engine: a guest that runs away, or a worker that crashes or is killed, costs
its own session only, and sessions run on as many cores as there are.

Transports: the requests and messages are the same whatever carries them. ``Server`` (the
worker's side) takes requests from a ``recv`` and sends messages through a ``send``;
``RemoteTarget`` (the API process's side, the one Target proxy) talks to a ``Transport``:
``ProcessTransport`` here (a forkserver child and two pipes), ``RayTransport`` in
engine/ray_worker.py (a Ray actor on a cluster's node).

Order: one thread of the API process reads the event pipe and delivers a message's events
before it hands over the answer that came with them, so a step's stop event is published
before the step returns, as with a Controller in the same process; and since they are one
message, no scheduling gap in the worker comes between the two.

Concurrency in the worker mirrors the threads of the API process: long commands (continue,
long steps, reverse execution) run on the worker's runner thread, so that halt, time and
the other reads a running session answers are served by the reader thread meanwhile; any
other request, and a step the engine says is bounded, runs on the reader thread at once
when nothing is running (no thread hop).

A worker that dies leaves its target ``lost``: every call raises ``WorkerLost``, reads of
time, vCPUs and the last stop answer what was last known, and listeners get a ``LostEvent``.

Limits, enforced in the worker: an address-space limit (RLIMIT_AS; a MemoryError ends the
worker, which exits with EXIT_MEMORY after answering LimitExceeded) and an instruction
limit (instructions executed over the session's life; continue's budget is clamped to
what is left, and a command with nothing left raises LimitExceeded).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import multiprocessing.process
import os
import pickle
import queue
import resource
import signal
import sys
import threading
import traceback
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from .debug.breakpoints import Breakpoint
from .debug.config import SessionConfig
from .debug.errors import ControllerError
from .debug.events import ChangedIndices, StopEvent, TraceBatch, VCPUView
from .debug.packed_trace import PackedTrace
from .disasm import Line

log = logging.getLogger("ppcdbg.engine.worker")

Connection = multiprocessing.connection.Connection
Request = tuple[int, str, tuple[Any, ...], dict[str, Any]]

# Commands that may run for long: on the worker's runner thread, never its reader.
LONG = frozenset({"cont", "step", "reverse_step", "reverse_continue"})
# Answers that carry the vCPUs' views too (what a lost session shows of its last state).
VIEWS_AFTER = LONG | {"restore_snapshot", "write_registers", "load_snapshot"}
# Commands that execute instructions (the instruction limit counts and clamps them).
EXECUTING = frozenset({"cont", "step"})
# What the reader answers while a command runs (what the API's loop may ask then).
CONCURRENT = frozenset({"halt", "console_input", "_state", "vcpu_views", "set_trace", "stats",
                        "breakpoint_list", "breakpoint", "platform_stats", "_forward"})  # fmt: skip
INLINE_STEPS = 256  # a bounded step of at most this many runs on the reader
FLUSH_INTERVAL = 0.002  # seconds events wait in the worker to be sent as one message
EXIT_MEMORY = 3  # the worker's exit status when it ran out of its address space
MEMORY_RESERVE = 4 << 20  # bytes held back so that answering a MemoryError can allocate
GC_THRESHOLDS = (10_000, 50, 20)  # service/serve.py's, for the same reason
_CONTEXT: multiprocessing.context.ForkServerContext | None = None
_STARTING = threading.Lock()


class WorkerLost(Exception):
    """The session's worker process is gone (killed, crashed, out of memory): its machine
    state is lost; restore the session from a snapshot. Not a ControllerError: the request
    was not at fault."""


class LimitExceeded(ControllerError):
    """A per-session limit the worker enforces (``limit``: "memory" or "instructions")."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit

    def __reduce__(self) -> tuple[Any, ...]:
        return (LimitExceeded, (self.limit, str(self)))


class WorkerError(RuntimeError):
    """An exception in the worker that is no domain error (a bug): its type and traceback."""


@dataclass(frozen=True)
class WorkerLimits:
    memory: int = 0  # bytes of address space (RLIMIT_AS); 0: none
    instructions: int = 0  # instructions executed over the session's life; 0: none


@dataclass(frozen=True)
class LostEvent:
    """A listener's last event from a target whose worker died."""

    reason: str
    time: int
    type: str = field(default="lost", init=False)


@dataclass(frozen=True)
class _Progress:
    rid: int
    done: int
    time: int


def context() -> multiprocessing.context.ForkServerContext:
    """The forkserver context, its server preloaded with the engine: a fork of a
    single-threaded process that has imported the engine starts a worker in milliseconds
    (spawn would import it again each time: most of a second); fork from the API process,
    which runs threads, is unsafe."""
    global _CONTEXT
    if _CONTEXT is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(
            ["engine.worker", "engine.debug.controller", "engine.platform.pseries.boot"]
        )
        _CONTEXT = ctx
    return _CONTEXT


# -- the worker process -------------------------------------------------------------------
def _open(kind: str, payload: Any, config: SessionConfig | None) -> Any:
    from .target import open_pseries_session, open_session

    if kind == "pseries":
        return open_pseries_session(payload, config)
    return open_session(payload, config)


def _worker_main(conn: Connection, events: Connection, kind: str, payload: Any,
                 config: SessionConfig | None, limits: WorkerLimits) -> None:  # fmt: skip
    # Ctrl-C in a terminal reaches the whole process group: the API process decides when
    # its workers end (it closes their pipes).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if limits.memory:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
    target = start_target(kind, payload, config, limits, events.send_bytes)
    if target is None:
        return
    # As ``ppcdbg serve`` does for its own process: what exists now (the engine's modules,
    # the machine) is frozen out of the collector's passes, which run less often.
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    Server(target, conn.recv, events.send_bytes, limits).serve()


def start_target(kind: str, payload: Any, config: SessionConfig | None, limits: WorkerLimits,
                 send: Callable[[bytes], None]) -> Any | None:  # fmt: skip
    """The worker's first step on any transport: open the session's target and send the
    first message (rid 0: the target's description, or the opener's error). None when
    it could not be opened."""
    try:
        target = _open(kind, payload, config)
        # Whether any step into is bounded (atomic sequences "each"): then the API side
        # answers bounded_step itself; with "whole" only a 1-step can be, by its vCPU's next
        # instruction, which each answer's state carries (_bounded_ones).
        info = (target.config, target.vcpu_count, target.capabilities(),
                target.support_reverse() is not None, target.support_snapshots() is not None,
                target.vcpu_views(), bool(target.bounded_step(0, 2, "into")))  # fmt: skip
    except MemoryError:
        send(message([], (0, False, LimitExceeded("memory", _memory_message(limits)), None)))
        os._exit(EXIT_MEMORY)
    except BaseException as e:  # noqa: BLE001 - the opener's error, for the API to raise
        send(message([], (0, False, _wire(e), None)))
        return None
    ones = None if info[-1] else _bounded_ones(target)
    send(message([], (0, True, info, (target.time, target.running, target.last_stop, None,
                                      ones))))  # fmt: skip
    return target


def _bounded_ones(target: Any) -> tuple[bool, ...] | None:
    """Per vCPU: is a 1-instruction step into bounded now (not the start of an atomic
    sequence run whole)? Only while the target is idle."""
    try:
        return tuple(bool(target.bounded_step(v, 1, "into")) for v in range(target.vcpu_count))
    except Exception:  # noqa: BLE001 - not known (a vCPU that started meanwhile): the API asks
        return None


def message(items: list[Any], answer: tuple[Any, ...] | None) -> bytes:
    """One message from the worker: events, and the answer that follows them (or None).
    Trace batches go packed (engine/debug/packed_trace.py): their changes, not every
    instruction's registers, which cost both processes more than the rest together."""
    if items:
        items = [PackedTrace.pack(ev, _PACK_DIFF) if type(ev) is TraceBatch else ev
                 for ev in items]  # fmt: skip
    return pickle.dumps((items, answer), pickle.HIGHEST_PROTOCOL)


_PACK_DIFF = ChangedIndices()  # the worker's: what each of its instructions changes


def _memory_message(limits: WorkerLimits) -> str:
    return f"the session's worker ran out of its {limits.memory >> 20} MiB memory limit"


def _wire(e: BaseException) -> BaseException:
    """``e`` if it survives pickling as itself, else a WorkerError with its traceback."""
    try:
        back = pickle.loads(pickle.dumps(e))
        if type(back) is type(e) and str(back) == str(e):
            return e
    except Exception:  # noqa: BLE001, S110 - not picklable: described instead
        pass
    text = "".join(traceback.format_exception(e))
    return WorkerError(f"{type(e).__name__} in the session's worker: {e}\n{text}")


class Server:
    """The worker's side, on any transport: the reader (which takes requests from
    ``recv``: EOFError or OSError when the API side is gone), the runner for long commands,
    and the event flusher; every message leaves through ``send``, in order."""

    def __init__(self, target: Any, recv: Callable[[], Request], send: Callable[[bytes], None],
                 limits: WorkerLimits) -> None:  # fmt: skip
        self.target = target
        self.each = bool(target.bounded_step(0, 2, "into"))  # as start_target's info
        self.recv = recv
        self.send = send
        self.limits = limits
        self.executed = 0  # instructions executed (the instruction limit's count)
        self.event_lock = threading.Lock()  # sending, and the buffer's swap
        self.buffer: list[Any] = []
        self.wake = threading.Event()
        self.jobs: queue.SimpleQueue[Request] = queue.SimpleQueue()
        self.busy_lock = threading.Lock()
        self.busy = 0  # jobs queued or running on the runner
        self.unsubscribe: Callable[[], None] | None = None
        self.reserve: bytearray | None = bytearray(MEMORY_RESERVE)

    def serve(self) -> None:
        for body in (self._run_jobs, self._flush_loop):
            threading.Thread(target=self._guarded, args=(body,), daemon=True).start()
        self._guarded(self._read)

    def _guarded(self, body: Callable[[], None]) -> None:
        try:
            body()
        except MemoryError:
            self.reserve = None
            os._exit(EXIT_MEMORY)
        except BaseException:  # noqa: BLE001 - a broken worker ends; the API sees it lost
            log.exception("session worker failed")
            os._exit(1)
        os._exit(0)

    def _read(self) -> None:
        while True:
            try:
                rid, method, args, kw = self.recv()
            except (EOFError, OSError):
                self.target.halt()
                return  # the API process closed the session (or died)
            queued = (method in LONG and not self._bounded(method, args)) or (
                self.busy and method not in CONCURRENT  # in order, after what runs
            )
            if queued:
                with self.busy_lock:
                    self.busy += 1
                self.jobs.put((rid, method, args, kw))
            else:
                self._answer(rid, method, args, kw)

    def _bounded(self, method: str, args: tuple[Any, ...]) -> bool:
        """A short step the engine says is bounded runs on the reader when nothing runs."""
        if method != "step" or self.busy:
            return False
        vcpu, count, mode = args
        try:
            return count <= INLINE_STEPS and bool(self.target.bounded_step(vcpu, count, mode))
        except Exception:  # noqa: BLE001 - step itself raises the error
            return True

    def _run_jobs(self) -> None:
        while True:
            rid, method, args, kw = self.jobs.get()
            try:
                self._answer(rid, method, args, kw)
            finally:
                with self.busy_lock:
                    self.busy -= 1

    def _answer(self, rid: int, method: str, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
        try:
            value, ok = self._call(rid, method, args, kw), True
        except MemoryError:
            self.reserve = None
            self._respond(rid, False, LimitExceeded("memory", _memory_message(self.limits)))
            os._exit(EXIT_MEMORY)
        except BaseException as e:  # noqa: BLE001 - every error goes back to the caller
            value, ok = _wire(e), False
        self._respond(rid, ok, value, method in VIEWS_AFTER)

    def _respond(self, rid: int, ok: bool, value: Any, views: bool = False) -> None:
        t = self.target
        # The 1-step boundedness when nothing runs (the runner's answer comes after its
        # command). Should a command start meanwhile, this answer was not alone on the API
        # side, which then keeps none of its state.
        ones = None if self.each or t.running else _bounded_ones(t)
        state = (t.time, t.running, t.last_stop, t.vcpu_views() if views else None, ones)
        with self.event_lock:
            items, self.buffer = self.buffer, []
            self.send(message(items, (rid, ok, value, state)))

    def _call(self, rid: int, method: str, args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
        t = self.target
        if method == "_state":
            return (t.time, t.running, t.last_stop)
        if method == "_forward":
            if args[0] and self.unsubscribe is None:
                self.unsubscribe = t.subscribe(self._event, batches=True)
            elif not args[0] and self.unsubscribe is not None:
                self.unsubscribe()
                self.unsubscribe = None
            return None
        if kw.pop("progress", False):
            kw["progress"] = lambda done: self._event(_Progress(rid, done, t.time))
        if method not in EXECUTING or not self.limits.instructions:
            return getattr(t, method)(*args, **kw)
        n = self.limits.instructions
        left = n - self.executed
        if method == "cont":
            if left <= 0:
                raise LimitExceeded("instructions", f"the session has executed its {n:,} "
                                    "instructions (its instruction limit)")  # fmt: skip
            kw["budget"] = min(kw.get("budget") or left, left)
        elif args[1] > left:
            raise LimitExceeded("instructions", f"the session has {max(left, 0):,} instructions "
                                f"left of its limit of {n:,}")  # fmt: skip
        before = t.time
        try:
            return getattr(t, method)(*args, **kw)
        finally:
            self.executed += max(0, t.time - before)

    # -- events -------------------------------------------------------------------------
    def _event(self, ev: Any) -> None:
        buf = self.buffer
        buf.append(ev)
        if len(buf) == 1:
            self.wake.set()

    def _flush_loop(self) -> None:
        pause = threading.Event()
        while True:
            self.wake.wait()
            self.wake.clear()
            pause.wait(FLUSH_INTERVAL)  # let a burst gather into one message
            with self.event_lock:
                self._flush_locked()

    def _flush_locked(self) -> None:
        if self.buffer:
            # Swapped, not copied: the engine thread appends to the new list from now on.
            items, self.buffer = self.buffer, []
            self.send(message(items, None))


# -- the API process's side ---------------------------------------------------------------
class _Waiter:
    __slots__ = ("done", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: tuple[bool, Any, Any] | None = None


class Transport(Protocol):
    """How the API process reaches one session's worker: requests out, the worker's
    messages (``message()``'s bytes, in the order it sent them) in. A worker process's
    pipes (ProcessTransport) or a Ray actor (engine/ray_worker.py)."""

    def send(self, request: Request) -> None:
        """Hand a request to the worker; OSError or ValueError when it is gone."""
        ...

    def recv_bytes(self) -> bytes:
        """The worker's next message; EOFError or OSError once it is gone."""
        ...

    def why(self) -> str:
        """Why the worker ended (once recv_bytes has said it did)."""
        ...

    def out_of_memory(self) -> bool:
        """The worker ended because it ran out of its memory limit."""
        ...

    def close(self, reading: bool) -> None:
        """End the worker. ``reading``: a reader thread may be in recv_bytes (it then sees
        the end, and what the transport holds for it is released there)."""
        ...


class ProcessTransport:
    """A worker process from the forkserver: a command pipe and an event pipe."""

    def __init__(self, kind: str, payload: Any, config: SessionConfig | None,
                 limits: WorkerLimits) -> None:  # fmt: skip
        ctx = context()
        self.limits = limits
        # Every poll of the process under this lock: two threads polling a fork server's
        # child race for its one status message, and the loser reads end of file, which
        # multiprocessing reports as exit status 255 (the reader and the reaper both wait
        # for a closed worker).
        self._polling = threading.Lock()
        child, conn = ctx.Pipe(duplex=False)  # commands: the worker reads, we write
        events, child_events = ctx.Pipe(duplex=False)  # events and answers
        self.process = ctx.Process(
            target=_worker_main, args=(child, child_events, kind, payload, config, limits),
            name="ppcdbg-session", daemon=True,
        )  # fmt: skip
        with _STARTING:
            # A blank __main__ while the child is described: multiprocessing would have
            # every worker import the API process's main module again (a script's, or
            # `python -m service.cli`'s: the whole service), which the engine never needs.
            main = sys.modules["__main__"]
            sys.modules["__main__"] = types.ModuleType("__main__")
            try:
                self.process.start()
            finally:
                sys.modules["__main__"] = main
        child.close()
        child_events.close()
        self._conn: Connection = conn
        self._events: Connection = events

    def send(self, request: Request) -> None:
        self._conn.send(request)

    def recv_bytes(self) -> bytes:
        try:
            return self._events.recv_bytes()
        except (EOFError, OSError):
            # The worker's exit ended the pipe: its exit status says why.
            self._wait(5)
            with contextlib.suppress(OSError):
                self._events.close()
            raise

    def _wait(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` s for the worker to end: its exit status, or None."""
        with self._polling:
            self.process.join(timeout)
            return self.process.exitcode

    def why(self) -> str:
        code = self._wait(0)
        if code is None:
            return "its pipe closed"
        if code == EXIT_MEMORY:
            return _memory_message(self.limits)
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"

    def out_of_memory(self) -> bool:
        return self._wait(0) == EXIT_MEMORY

    def close(self, reading: bool) -> None:
        """The command pipe closes: the worker exits at its end of file, which ends the
        event pipe, and the reader closes that (closed here, it could be in the reader's
        hands); one that has not exited in 2 s is killed."""
        with contextlib.suppress(OSError):
            self._conn.close()
        if not reading:
            with contextlib.suppress(OSError):
                self._events.close()

        def reap() -> None:
            if self._wait(2) is None:
                self.process.kill()
                self._wait(2)

        threading.Thread(target=reap, name="ppcdbg-session-reap", daemon=True).start()

    def exit_code(self, timeout: float) -> int | None:
        """The worker's exit status once it has ended, waiting up to ``timeout`` s (None:
        still running)."""
        return self._wait(timeout)


class RemoteTarget:
    """A Target whose Controller runs in a worker (see the module's docstring), reached
    through ``transport``: one proxy for every kind of worker."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._send_lock = threading.Lock()
        self._rids = itertools.count(1)
        self._waiting: dict[int, _Waiter] = {}
        self._lock = threading.Lock()  # requests in flight and the cached state
        self._inflight = 0
        self._epoch = 0
        self._started: dict[int, int] = {}  # rid -> epoch at start (when it was alone)
        self._valid = False
        self._ones: tuple[bool, ...] | None = None  # the cached state's 1-step boundedness
        self._batch_listeners: tuple[Callable[[Any], None], ...] = ()
        self._event_listeners: tuple[Callable[[Any], None], ...] = ()
        self._progress: dict[int, Callable[[int], None]] = {}
        self.lost: str | None = None
        self._closed = False
        self._reader: threading.Thread | None = None
        try:
            ok, value, state = self._first()
        except BaseException:
            self.close()
            raise
        if not ok:
            self.close()
            raise value
        (self.config, self._vcpu_count, self._capabilities, self._reverse, self._snapshots,
         self._views, self._each) = value  # fmt: skip
        self._time, self._running, self._last_stop, _, self._ones = state
        self._valid = True
        self._reader = threading.Thread(target=self._read, name="ppcdbg-session-events",
                                        daemon=True)  # fmt: skip
        self._reader.start()

    @property
    def process(self) -> multiprocessing.process.BaseProcess:
        """The worker process (a process worker's only)."""
        if not isinstance(self.transport, ProcessTransport):
            raise AttributeError("this session's worker is no local process")
        return self.transport.process

    def _first(self) -> tuple[bool, Any, Any]:
        try:
            _, (_, ok, value, state) = pickle.loads(self.transport.recv_bytes())
        except (EOFError, OSError):
            raise WorkerLost(
                f"the session's worker ended while opening it ({self.transport.why()})"
            ) from None
        return ok, value, state

    # -- the pipes ----------------------------------------------------------------------
    def _read(self) -> None:
        """The event pipe: each message's events to the listeners, then its answer."""
        recv = self.transport.recv_bytes
        while True:
            try:
                items, answer = pickle.loads(recv())
            except (EOFError, OSError):
                break
            for ev in items:
                self._deliver(ev)
            if answer is not None:
                rid, ok, value, state = answer
                with self._lock:
                    w = self._waiting.pop(rid, None)
                if w is not None:
                    w.result = (ok, value, state)
                    w.done.set()
        self._set_lost()

    def _deliver(self, ev: Any) -> None:
        try:
            if type(ev) is _Progress:
                self._time = ev.time  # what a progress listener reads as the time
                fn = self._progress.get(ev.rid)
                if fn is not None:
                    fn(ev.done)
                return
            for listener in self._batch_listeners:
                listener(ev)
            if self._event_listeners:
                evs = ev.events() if type(ev) is PackedTrace else (ev,)
                for listener in self._event_listeners:
                    for one in evs:
                        listener(one)
        except Exception:  # noqa: BLE001 - a listener's bug must not stop the stream
            log.exception("event listener failed")

    def _set_lost(self) -> None:
        """The worker is gone: waiting calls end (WorkerLost), listeners get a LostEvent
        (not when the target was closed: nobody listens then)."""
        reason = "closed" if self._closed else self.transport.why()
        with self._lock:
            if self.lost is not None:
                return
            self.lost = reason
            waiting, self._waiting = self._waiting, {}
        if not self._closed:
            # Listeners first: whoever waited for an answer finds the session lost already.
            ev = LostEvent(reason, self._time)
            for listener in (*self._batch_listeners, *self._event_listeners):
                try:
                    listener(ev)
                except Exception:  # noqa: BLE001 - a listener's bug must not hide the others
                    log.exception("event listener failed")
        for w in waiting.values():
            w.done.set()  # no result: lost

    def _call(self, method: str, *args: Any, _progress: Callable[[int], None] | None = None,
              **kw: Any) -> Any:  # fmt: skip
        if threading.current_thread() is self._reader:
            # The answer would come on this very thread: a listener must not call back.
            raise RuntimeError("an event listener of a worker's target cannot call it")
        w = _Waiter()
        with self._lock:
            if self.lost is not None:
                raise WorkerLost(f"the session's worker is gone ({self.lost})")
            rid = next(self._rids)
            self._waiting[rid] = w
            self._epoch += 1
            if self._inflight == 0:
                self._started[rid] = self._epoch
            self._inflight += 1
            if _progress is not None:
                self._progress[rid] = _progress
                kw["progress"] = True
        try:
            with self._send_lock:
                self.transport.send((rid, method, args, kw))
        except (OSError, ValueError):
            pass  # closed, or the worker is gone: the reader marks the target lost
        w.done.wait()
        result = w.result
        with self._lock:
            self._progress.pop(rid, None)
            self._inflight -= 1
            alone = self._started.pop(rid, None)
            if result is not None:
                state = result[2]
                if state[3] is not None:
                    self._views = state[3]
                if alone is not None and alone == self._epoch:
                    self._time, self._running, self._last_stop = state[:3]
                    self._ones = state[4]
                    self._valid = True
                else:
                    self._valid = False
        if result is None:
            if self.transport.out_of_memory():
                # This request ran the worker out of memory (before it could answer).
                raise LimitExceeded("memory", self.transport.why())
            raise WorkerLost(f"the session's worker is gone ({self.lost})")
        ok, value, _ = result
        if not ok:
            raise value
        return value

    def _state(self) -> tuple[int, bool, StopEvent | None]:
        """Time, running and the last stop: cached while no request has been in flight
        since the last answer that was alone (nothing else changes them)."""
        with self._lock:
            if self.lost is not None or (self._valid and self._inflight == 0):
                return self._time, self._running and self.lost is None, self._last_stop
            if threading.current_thread() is self._reader:
                # A listener (on the reader: it cannot wait for an answer) reads the time
                # the events it is given carry.
                return self._time, True, self._last_stop
        try:
            state: tuple[int, bool, StopEvent | None] = self._call("_state")
        except WorkerLost:
            with self._lock:
                return self._time, False, self._last_stop
        return state

    def close(self) -> None:
        """End the worker (the transport's close); calls from now on raise WorkerLost."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            if self.lost is None:
                self.lost = "closed"
            waiting, self._waiting = self._waiting, {}
        for w in waiting.values():
            w.done.set()
        with self._send_lock:
            self.transport.close(reading=self._reader is not None)

    # -- the Target face ----------------------------------------------------------------
    @property
    def time(self) -> int:
        return self._state()[0]

    @property
    def running(self) -> bool:
        return self._state()[1]

    @property
    def last_stop(self) -> StopEvent | None:
        return self._state()[2]

    @property
    def vcpu_count(self) -> int:
        return int(self._vcpu_count)

    def vcpu_views(self) -> list[VCPUView]:
        """The vCPUs; when the worker is gone, as they were last seen."""
        if self.lost is None:
            with contextlib.suppress(WorkerLost):
                self._views = self._call("vcpu_views")
        return list(self._views)

    def capabilities(self) -> dict[str, Any]:
        return dict(self._capabilities)

    def registers(self, vcpu: int, names: list[str] | None = None) -> dict[str, int | None]:
        return self._call("registers", vcpu, names)  # type: ignore[no-any-return]

    def write_registers(self, vcpu: int, values: dict[str, int]) -> None:
        self._call("write_registers", vcpu, values)

    def register_values(self, vcpu: int, names: tuple[str, ...]) -> list[int]:
        return self._call("register_values", vcpu, names)  # type: ignore[no-any-return]

    def read_memory(self, address: int, length: int, space: str = "physical",
                    vcpu: int = 0) -> bytes:  # fmt: skip
        return self._call("read_memory", address, length, space, vcpu)  # type: ignore[no-any-return]

    def write_memory(self, address: int, data: bytes, space: str = "physical",
                     vcpu: int = 0) -> None:  # fmt: skip
        self._call("write_memory", address, data, space, vcpu)

    def disassemble(self, address: int, count: int, vcpu: int = 0) -> list[Line]:
        return self._call("disassemble", address, count, vcpu)  # type: ignore[no-any-return]

    def symbol(self, name: str) -> int:
        return self._call("symbol", name)  # type: ignore[no-any-return]

    def add_breakpoint(self, kind: str, **kw: object) -> Breakpoint:
        spec: dict[str, Any] = dict(kw)
        return self._call("add_breakpoint", kind, **spec)  # type: ignore[no-any-return]

    def update_breakpoint(
        self, bp_id: str, *, enabled: bool | None = None, condition: str | None = None,
        ignore_count: int | None = None, temporary: bool | None = None,
        vcpus: frozenset[int] | None | bool = False,
    ) -> Breakpoint:  # fmt: skip
        bp = self._call("update_breakpoint", bp_id, enabled=enabled, condition=condition,
                        ignore_count=ignore_count, temporary=temporary, vcpus=vcpus)  # fmt: skip
        return bp  # type: ignore[no-any-return]

    def remove_breakpoint(self, bp_id: str) -> Breakpoint:
        return self._call("remove_breakpoint", bp_id)  # type: ignore[no-any-return]

    def breakpoint(self, bp_id: str) -> Breakpoint | None:
        return self._call("breakpoint", bp_id)  # type: ignore[no-any-return]

    def breakpoint_list(self) -> list[Breakpoint]:
        return self._call("breakpoint_list")  # type: ignore[no-any-return]

    def step(self, vcpu: int, count: int = 1, mode: str = "into",
             progress: Callable[[int], None] | None = None) -> StopEvent:  # fmt: skip
        # The worker reports progress as events tagged with this request's id.
        return self._call("step", vcpu, count, mode, _progress=progress)  # type: ignore[no-any-return]

    def bounded_step(self, vcpu: int, count: int, mode: str) -> bool:
        """As the Controller's, answered here when the last answer says (no round trip: the
        service asks before every short step)."""
        if mode != "into":
            return False
        if self._each:
            return True
        with self._lock:
            ones = self._ones if self._valid and self._inflight == 0 else None
        if count != 1:
            return False  # "whole": only a 1-step (whatever the vCPU, as the Controller)
        if ones is not None and 0 <= vcpu < len(ones):
            return ones[vcpu]
        return self._call("bounded_step", vcpu, count, mode)  # type: ignore[no-any-return]

    def cont(self, vcpus: list[int] | None = None, budget: int | None = None,
             until: list[int] | None = None) -> StopEvent:  # fmt: skip
        return self._call("cont", vcpus=vcpus, budget=budget, until=until)  # type: ignore[no-any-return]

    def halt(self) -> None:
        if self.lost is None:
            with contextlib.suppress(WorkerLost):
                self._call("halt")

    def console_input(self, data: bytes) -> int:
        return self._call("console_input", data)  # type: ignore[no-any-return]

    def platform_stats(self) -> dict[str, Any]:
        return self._call("platform_stats")  # type: ignore[no-any-return]

    @contextlib.contextmanager
    def stepping(self, fast: bool = True) -> Iterator[Callable[[int], object]]:
        yield self.step  # a request per step: the fast path is the in-process engine's

    def support_reverse(self) -> RemoteTarget | None:
        return self if self._reverse else None

    def support_snapshots(self) -> RemoteTarget | None:
        return self if self._snapshots else None

    def reverse_step(self, vcpu: int) -> StopEvent:
        return self._call("reverse_step", vcpu)  # type: ignore[no-any-return]

    def reverse_continue(self) -> StopEvent:
        return self._call("reverse_continue")  # type: ignore[no-any-return]

    def take_snapshot(self, snap_id: str) -> tuple[bytes, int]:
        return self._call("take_snapshot", snap_id)  # type: ignore[no-any-return]

    def load_snapshot(self, snap_id: str, state: bytes, time: int) -> None:
        self._call("load_snapshot", snap_id, state, time)

    def has_snapshot(self, snap_id: str) -> bool:
        return self._call("has_snapshot", snap_id)  # type: ignore[no-any-return]

    def restore_snapshot(self, snap_id: str) -> None:
        self._call("restore_snapshot", snap_id)

    def subscribe(self, listener: Callable[[Any], None],
                  batches: bool = False) -> Callable[[], None]:  # fmt: skip
        """As Controller.subscribe; the worker forwards events while anyone listens."""
        first = not (self._batch_listeners or self._event_listeners)
        if batches:
            self._batch_listeners = (*self._batch_listeners, listener)
        else:
            self._event_listeners = (*self._event_listeners, listener)
        if first and self.lost is None:
            with contextlib.suppress(WorkerLost):
                self._call("_forward", True)

        def unsubscribe() -> None:
            self._batch_listeners = tuple(x for x in self._batch_listeners if x is not listener)
            self._event_listeners = tuple(x for x in self._event_listeners if x is not listener)
            if not (self._batch_listeners or self._event_listeners) and self.lost is None:
                with contextlib.suppress(WorkerLost):
                    self._call("_forward", False)

        return unsubscribe

    def set_trace(self, vcpus: list[int] | None) -> None:
        if self.lost is None:
            with contextlib.suppress(WorkerLost):
                self._call("set_trace", vcpus)

    def stats(self) -> dict[str, int]:
        return self._call("stats")  # type: ignore[no-any-return]
