"""Sessions: a debug target (engine.target), the worker thread that runs its commands, and
its event hub.

This is the service side of the seam (STYLE.md "A narrow seam"): the routes validate and
translate, this module owns the objects and the rules (owners, limits, persistence), and
only the controller touches the engine. Recoverable errors become 4xx problems; anything
else is a broken invariant: it is logged and ends that session only (a 500 for the one
request that found it).

Threads: each session has one worker thread that executes long commands (continue,
run-to, reverse-continue, long steps) in order, so the event loop never waits for the
engine. Short commands run inline on the loop when the worker is idle (a thread hop costs
more than a single step). ``halt`` calls ``ctl.halt()`` directly from the loop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import contextlib
import datetime as dt
import hashlib
import json
import logging
import queue
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from engine.target import (
    Breakpoint,
    BreakpointError,
    ConditionError,
    ConfigError,
    ControllerError,
    Image,
    ImageError,
    LimitExceeded,
    LostEvent,
    MemoryAccessError,
    PseriesBoot,
    Reversible,
    SessionConfig,
    Snapshots,
    StopEvent,
    Target,
    UnknownRegister,
    WorkerLimits,
    WorkerLost,
    canonical,
    connect_ray,
    load_image,
    open_pseries_session,
    open_session,
    width,
)

from .events import EventHub
from .metrics import Metrics
from .problems import Problem, not_found
from .replicas import Replicas
from .settings import Settings
from .store import Store

log = logging.getLogger("ppcdbg.service")
T = TypeVar("T")
Job = tuple[Callable[[], Any], "concurrent.futures.Future[Any]"]
ASM_DIRECTIVES = re.compile(r"^\s*\.(include|incbin)\b", re.IGNORECASE | re.MULTILINE)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def translate(e: BaseException) -> Problem | None:
    """A recoverable error as a problem; None for a broken invariant."""
    if isinstance(e, Problem):
        return e
    if isinstance(e, WorkerLost):
        return Problem(409, "session-lost", f"{e}: restore the session from a snapshot")
    if isinstance(e, LimitExceeded):
        return Problem(422, "limit-exceeded", str(e), limit=e.limit)
    if isinstance(e, UnknownRegister):
        return Problem(422, "unknown-register", str(e), field=e.name)
    if isinstance(e, MemoryAccessError):
        return Problem(422, "unmapped-memory", str(e), address=f"0x{e.address:016x}")
    if isinstance(e, ConditionError):
        return Problem(422, "invalid-breakpoint", str(e), field="condition", column=e.column)
    if isinstance(e, BreakpointError):
        return Problem(422, "invalid-breakpoint", str(e))
    if isinstance(e, ImageError):
        return Problem(422, "invalid-image", str(e))
    if isinstance(e, ControllerError):
        return Problem(422, "invalid-request", str(e))
    if isinstance(e, ConfigError):
        return Problem(422, "invalid-session-config", str(e))
    return None


@dataclass
class ImageRecord:
    id: str
    owner: str
    name: str
    image: Image
    data: bytes
    created_at: str
    sha256: str = ""
    sources: dict[str, str] = field(default_factory=dict)  # file name -> text (source view)

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.data).hexdigest()


@dataclass
class SnapshotRecord:
    id: str
    owner: str
    session_id: str
    image_id: str
    config: dict[str, Any]
    name: str | None
    time: int
    created_at: str


DEFAULT_CMDLINE = "console=hvc0"


def session_config(cfg: dict[str, Any]) -> SessionConfig:
    flags = set(cfg["step_flags"])
    return SessionConfig(
        profile=cfg["profile"], vcpus=cfg["vcpus"], memory=cfg["memory_mb"] << 20,
        backend=cfg["backend"], scheduler_locking=cfg["scheduler_locking"],
        noirq="noirq" in flags, notimer="notimer" in flags,
        atomic_sequences=cfg["atomic_sequences"], quantum=cfg["quantum"], history=cfg["history"],
        # A kernel idle at its prompt waits on the host clock, at no CPU cost: a dashboard
        # user's guest keeps the wall's time and many idle sessions share a core.
        idle="realtime" if cfg["profile"] == "pseries" else "skip",
    )  # fmt: skip


class Session:
    def __init__(
        self, manager: Manager, sid: str, owner: str, image: ImageRecord, config: dict[str, Any],
        ctl: Target, created_at: str, recovered: bool = False,
    ) -> None:  # fmt: skip
        self.manager = manager
        self.id = sid
        self.owner = owner
        self.image = image
        self.config = config
        self.ctl = ctl
        self.created_at = created_at
        self.recovered = recovered
        s = manager.settings
        m = manager.metrics
        self.hub = EventHub(
            manager.loop, ring=s.event_ring, queue_length=s.ws_queue_length,
            time=lambda: self.ctl.time, on_trace=self._set_trace,
            on_sent=m.events_sent.inc, on_dropped=m.events_dropped.inc,
        )  # fmt: skip
        if manager.replicas is not None:
            self.hub.sink = manager.replicas.sink(sid)
        # Why the session's worker process died (process or Ray isolation), until a restore.
        self.lost: str | None = None
        # With a worker (process or Ray): a command's stop, published with the command's end (in
        # _done), so that a client that sees the stop finds the session stopped: the stop
        # reaches the loop from the event reader, the end from this session's thread, and
        # nothing else orders the two.
        self._hold_stops = manager.settings.isolation != "thread"
        self._held: StopEvent | None = None
        self._unsubscribe = ctl.subscribe(self._on_event, batches=True)
        self.lock = threading.Lock()
        self.jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.pending = 0  # worker commands queued or executing (the loop thread only)
        self.current: asyncio.Future[Any] | None = None
        self.steps = 0
        self.failed = False
        self.closed = False
        self.thread = threading.Thread(target=self._work, name=f"session-{sid}", daemon=True)
        self.thread.start()

    # -- state ----------------------------------------------------------------------
    @property
    def state(self) -> str:
        if self.lost is not None:
            return "lost"
        return "running" if self.pending else "stopped"

    def _on_event(self, ev: Any) -> None:
        """The controller's listener (any thread): events to the hub; a worker's death
        marks the session lost at once and is announced on the loop."""
        if type(ev) is LostEvent:
            self.lost = ev.reason
            try:
                self.manager.loop.call_soon_threadsafe(self._announce_lost, ev)
            except RuntimeError:  # the loop is closed: the server is shutting down
                pass
            return
        if self._hold_stops and type(ev) is StopEvent and self.pending:
            self._held = ev
            return
        self.hub.publish(ev)

    def _announce_lost(self, ev: LostEvent) -> None:
        latest = self.manager.latest_snapshot(self.id)
        log.warning("session worker lost", extra={"session": self.id, "reason": ev.reason})
        self.manager.metrics.sessions_lost.inc()
        self.hub.publish({"type": "session-state", "vcpu": None, "time": ev.time,
                          "state": "lost", "reason": ev.reason,
                          "snapshot_id": latest})  # fmt: skip

    def _usable(self) -> None:
        self._alive()
        if self.lost is not None:
            raise Problem(409, "session-lost",
                          f"session {self.id}'s engine worker is gone ({self.lost}): "
                          "restore it from a snapshot")  # fmt: skip

    def revive(self, ctl: Target) -> None:
        """Carry on over a new engine (a lost session's restore): same id, owner and
        event stream; the clients' trace choices apply to it."""
        self._unsubscribe()
        self.ctl.close()
        self.ctl = ctl
        self.lost = None
        self._unsubscribe = ctl.subscribe(self._on_event, batches=True)
        self.hub.retrace()

    def _set_trace(self, vcpus: frozenset[int] | None) -> None:
        self.ctl.set_trace(sorted(vcpus) if vcpus is not None else None)

    def _alive(self) -> None:
        if self.closed:
            raise not_found("session", self.id)

    # -- running commands -----------------------------------------------------------------
    def _guard(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` against the controller: domain errors become problems."""
        before = self.ctl.time
        try:
            return fn()
        except Exception as e:
            p = translate(e)
            if p is not None:
                raise p from None
            self._broken(e)
            raise Problem(500, "session-failed",
                          f"session {self.id} ended after an internal error") from None  # fmt: skip
        finally:
            after = self.ctl.time
            if after > before:
                self.manager.metrics.instructions.inc(after - before)

    def _broken(self, e: BaseException) -> None:
        log.error("session ended by an internal error", exc_info=e,
                  extra={"session": self.id})  # fmt: skip
        self.failed = True
        try:
            self.manager.loop.call_soon_threadsafe(self.manager.discard, self)
        except RuntimeError:
            pass

    def now(self, fn: Callable[[], T]) -> T:
        """Run a short command inline (the loop thread); 409 while a command is running."""
        self._usable()
        if self.pending or not self.lock.acquire(blocking=False):
            raise Problem(409, "session-running", f"session {self.id} is running: halt it first")
        try:
            return self._guard(fn)
        finally:
            self.lock.release()

    def submit(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Queue a command for the worker thread (the loop thread); 409 while one is running."""
        self._usable()
        if self.pending:
            raise Problem(409, "session-running", f"session {self.id} is running: halt it first")
        self.pending += 1
        cf: concurrent.futures.Future[T] = concurrent.futures.Future()
        self.jobs.put((fn, cf))
        fut = asyncio.wrap_future(cf)
        self.current = fut
        self.hub.publish({"type": "session-state", "vcpu": None, "time": self.ctl.time,
                          "state": "running"})  # fmt: skip
        fut.add_done_callback(self._done)
        return fut

    def _done(self, fut: asyncio.Future[Any]) -> None:
        self.pending -= 1
        if self.current is fut:
            self.current = None
        if not fut.cancelled():
            fut.exception()  # retrieved here; whoever awaits it sees it too
        held, self._held = self._held, None
        if held is not None:
            self.hub.publish(held)
        if self.lost is None:  # (a lost session's announcement says so)
            self.hub.publish({"type": "session-state", "vcpu": None, "time": self.ctl.time,
                              "state": "stopped"})  # fmt: skip

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            fn, cf = job
            if not cf.set_running_or_notify_cancel():
                continue
            try:
                with self.lock:
                    result = self._guard(fn)
            except BaseException as e:  # noqa: BLE001 - handed to the awaiting request
                cf.set_exception(e)
            else:
                cf.set_result(result)

    async def wait(self, fut: asyncio.Future[T], timeout: float | None) -> bool:
        """Wait up to ``timeout`` seconds for ``fut`` without cancelling it; True if done."""
        if timeout is None:
            await asyncio.shield(fut)
            return True
        done, _ = await asyncio.wait({fut}, timeout=timeout)
        if done:
            fut.result()  # raises the command's problem
            return True
        return False

    # -- execution --------------------------------------------------------------------
    async def step(self, vcpu: int, count: int, mode: str) -> StopEvent:
        limit = self.manager.settings.max_step_count
        if count > limit:
            raise Problem(422, "limit-exceeded", f"count is limited to {limit}", field="count")
        self.check_vcpu(vcpu)

        every = self.manager.settings.progress_interval
        last = [time.monotonic()]

        def progress(done: int) -> None:
            # On the worker thread, every PROGRESS_STEPS steps: a progress event at most
            # every progress_interval seconds, so a client sees a long step advance.
            t = time.monotonic()
            if t - last[0] >= every:
                last[0] = t
                self.hub.publish({"type": "progress", "vcpu": vcpu, "time": self.ctl.time,
                                  "op": "step", "done": done, "count": count})  # fmt: skip

        def op() -> StopEvent:
            return self.ctl.step(vcpu, count, mode, progress)

        if (
            count <= self.manager.settings.inline_step_limit
            and not self.pending  # (running: now() refuses it with a 409)
            and self.ctl.bounded_step(vcpu, count, mode)
        ):
            ev = self.now(op)
        else:
            fut = self.submit(op)
            await self.wait(fut, None)
            ev = fut.result()
        self.steps += count
        self.manager.metrics.steps.inc(count)
        return ev

    def budget(self, budget: int | None) -> int:
        limit = self.manager.settings.max_instructions_per_continue
        if budget is not None and budget > limit:
            raise Problem(422, "limit-exceeded", f"budget is limited to {limit} instructions",
                          field="budget")  # fmt: skip
        return budget or limit

    def start_continue(
        self, vcpus: list[int] | None, until: list[int] | None, budget: int | None
    ) -> asyncio.Future[StopEvent]:
        n = self.budget(budget)
        for v in vcpus or ():
            self.check_vcpu(v)
        return self.submit(lambda: self.ctl.cont(vcpus=vcpus, budget=n, until=until))

    def start_run_to(self, address: int, vcpu: int | None) -> asyncio.Future[StopEvent]:
        if vcpu is not None:
            self.check_vcpu(vcpu)
        n = self.budget(None)
        return self.submit(
            lambda: self.ctl.cont(
                vcpus=[vcpu] if vcpu is not None else None, budget=n, until=[address]
            )
        )

    def reversible(self) -> Reversible:
        """The session's reverse execution; a 409 when it records no history."""
        rev = self.ctl.support_reverse()
        if rev is None:
            why = "was created with history: false and records no history"
            raise Problem(409, "not-supported", f"session {self.id} {why}")
        return rev

    def snapshots(self) -> Snapshots:
        """The session's snapshots; a 409 when its engine keeps none."""
        snaps = self.ctl.support_snapshots()
        if snaps is None:
            raise Problem(409, "not-supported", f"session {self.id} does not keep snapshots")
        return snaps

    def start_reverse_continue(self) -> asyncio.Future[StopEvent]:
        return self.submit(self.reversible().reverse_continue)

    async def reverse_step(self, vcpu: int) -> StopEvent:
        self.check_vcpu(vcpu)
        rev = self.reversible()
        fut = self.submit(lambda: rev.reverse_step(vcpu))
        await self.wait(fut, None)
        return fut.result()

    async def halt(self, timeout: float = 2.0) -> None:
        """Stop a running command; repeats ``ctl.halt()`` until it has (a queued command
        may not have started when the first one lands)."""
        self._alive()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # Until _done has run (it clears ``current``), not only until the future is
        # done: its callbacks run after it completes, and the answer's state comes
        # from them ("running" until the worker's command is counted out).
        while (fut := self.current) is not None:
            if not fut.done():
                self.ctl.halt()
            left = deadline - loop.time()
            if left <= 0:
                break
            await asyncio.wait({fut}, timeout=min(0.005, left))

    def console_input(self, text: str) -> int:
        """Queue ``text`` (UTF-8) for the guest's console, running or stopped: the bytes now
        waiting. 409 when the profile has no console."""
        self._usable()
        try:
            return self.ctl.console_input(text.encode("utf-8", "surrogatepass"))
        except ControllerError as e:
            raise Problem(409, "not-supported", str(e), field="profile") from None

    def check_vcpu(self, v: int) -> None:
        n = self.ctl.vcpu_count
        if not 0 <= v < n:
            raise Problem(422, "invalid-request", f"no vCPU {v} (the session has {n})",
                          field="vcpu", vcpu=v)  # fmt: skip

    # -- state access ------------------------------------------------------------------
    def resolve(self, where: str | int, field_name: str, code: bool = False) -> int:
        """An address from a hex/decimal string, an integer or a symbol; with ``code`` a
        function symbol gives where execution arrives (Image.code_address: an ELFv2 local
        entry), for breakpoints, run-to and until."""
        if isinstance(where, int) and not isinstance(where, bool):
            if not 0 <= where < 1 << 64:
                raise Problem(422, "invalid-value", "addresses are 64-bit", field=field_name)
            return where
        t = str(where).strip()
        try:
            v = int(t, 16) if t[:2].lower() == "0x" else int(t, 10)
        except ValueError:
            if t in self.image.image.symbols:
                img = self.image.image
                return img.code_address(t) if code else img.symbols[t]
            raise Problem(422, "unknown-symbol", f"symbol {t!r} not found in the image",
                          field=field_name) from None  # fmt: skip
        if not 0 <= v < 1 << 64:
            raise Problem(422, "invalid-value", "addresses are 64-bit", field=field_name)
        return v

    def write_registers(self, vcpu: int, values: dict[str, Any]) -> None:
        self.check_vcpu(vcpu)
        parsed: dict[str, int] = {}
        for name, raw in values.items():
            try:
                reg = canonical(name)
            except UnknownRegister as e:
                raise Problem(422, "unknown-register", str(e),
                              field=f"registers.{name}") from None  # fmt: skip
            bits = width(reg)
            value = _parse_value(raw, f"registers.{name}")
            if value >= 1 << bits:
                raise Problem(422, "invalid-value", f"{reg} is a {bits}-bit register",
                              field=f"registers.{name}")  # fmt: skip
            parsed[reg] = value
        self.now(lambda: self.ctl.write_registers(vcpu, parsed))

    def add_breakpoint(self, spec: dict[str, Any]) -> Breakpoint:
        limit = self.manager.settings.max_breakpoints
        if len(self.ctl.breakpoint_list()) >= limit:
            raise Problem(429, "quota-exceeded", f"a session holds at most {limit} breakpoints")
        symbol = spec.pop("symbol", None)
        if symbol is not None:
            spec["address"] = self.resolve_symbol(
                symbol, "symbol", code=spec.get("kind") != "watchpoint"
            )
            spec["symbol"] = symbol
        vcpus = spec.pop("vcpus", None)
        if vcpus is not None:
            for v in vcpus:
                self.check_vcpu(v)
            spec["vcpus"] = frozenset(vcpus)
        kind = spec.pop("kind")
        bp = self.now(lambda: self.ctl.add_breakpoint(kind, **spec))
        self.hub.publish(self.bp_event("created", bp))
        return bp

    def resolve_symbol(self, name: str, field_name: str, code: bool = False) -> int:
        try:
            img = self.image.image
            return img.code_address(name) if code else img.symbols[name]
        except KeyError:
            raise Problem(422, "unknown-symbol", f"symbol {name!r} not found in the image",
                          field=field_name) from None  # fmt: skip

    def bp_event(self, action: str, bp: Breakpoint) -> dict[str, Any]:
        return {"type": "breakpoint-changed", "vcpu": None, "time": self.ctl.time,
                "action": action, "breakpoint_id": bp.id, "enabled": bp.enabled,
                "hit_count": bp.hit_count}  # fmt: skip

    def breakpoint(self, bp_id: str) -> Breakpoint:
        bp = self.ctl.breakpoint(bp_id)
        if bp is None:
            raise not_found("breakpoint", bp_id)
        return bp

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.ctl.halt()
        self._unsubscribe()
        self.ctl.close()
        self.jobs.put(None)
        self.hub.publish({"type": "session-state", "vcpu": None, "time": self.ctl.time,
                          "state": "closed"})  # fmt: skip
        self.hub.close()


def _parse_value(raw: Any, field_name: str) -> int:
    """An unsigned value (the caller checks it against the register's width)."""
    from .models.common import parse_int

    if isinstance(raw, str) and len(raw) > 64:
        # Longer than any 128-bit value in hex or decimal: refused before int() sees it.
        raise Problem(422, "invalid-value", "value too long", field=field_name)
    try:
        v = parse_int(raw)
    except ValueError as e:
        raise Problem(422, "invalid-value", str(e), field=field_name) from None
    if not isinstance(v, int) or v < 0:
        raise Problem(422, "invalid-value", "values are unsigned", field=field_name)
    return v


@dataclass
class Manager:
    """Every owner's images, sessions and snapshots, and the rules that govern them."""

    settings: Settings
    store: Store
    metrics: Metrics
    loop: asyncio.AbstractEventLoop
    images: dict[str, ImageRecord] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    snapshots: dict[str, SnapshotRecord] = field(default_factory=dict)
    # Several replicas (service/replicas.py): None on one server.
    replicas: Replicas | None = None
    # With replicas: every session in the database and the replica holding it, as read by
    # the last sync (rows of Store.directory).
    directory: list[Any] = field(default_factory=list)
    _adopter: asyncio.Task[None] | None = None

    # -- start and stop ---------------------------------------------------------------
    async def startup(self) -> None:
        if self.settings.isolation == "ray":
            # Before any session opens (ppcdbg serve has joined already: this is a no-op).
            await asyncio.to_thread(connect_ray, self.settings.ray_address)
        for row in await asyncio.to_thread(self.store.images):
            self._add_image_row(row)
        await self._load_snapshots()
        rep = self.replicas
        for row in await asyncio.to_thread(self.store.sessions):
            if rep is not None:
                # Several replicas: this one re-creates the sessions it held before (under
                # its id) and those no replica holds; the others' stay theirs.
                holder = await asyncio.to_thread(self.store.claim_session, row["id"], rep.id,
                                                 rep.url)  # fmt: skip
                if holder != rep.id:
                    continue
            await self._recreate(row)
        await self.sync()
        if rep is not None:
            self._adopter = asyncio.create_task(self._adopt_forever(), name="adopter")

    async def _recreate(self, row: Any) -> Session | None:
        """A stored session re-created from its definition (image and configuration) on a
        new engine: after this replica's restart, or taken over from one that is gone."""
        img = self.images.get(row["image_id"])
        if img is None:
            return None
        cfg = json.loads(row["config"])
        try:
            ctl = await self._open_target_async(img, cfg)
        except Exception:  # noqa: BLE001 - keep serving the others
            log.exception("stored session does not re-create", extra={"session": row["id"]})
            return None
        s = Session(self, row["id"], row["owner"], img, cfg, ctl, row["created_at"], True)
        if self.replicas is not None:
            # Its events go on numbering after those its stream already holds, which its
            # ring keeps (a client may resume from before the re-creation).
            s.hub.preload(await self.replicas.history(s.id))
        self.sessions[s.id] = s
        self.metrics.sessions.set(len(self.sessions))
        return s

    # -- replicas that are gone -------------------------------------------------------
    async def _adopt_forever(self) -> None:
        assert self.replicas is not None
        while True:
            await asyncio.sleep(self.replicas.lease / 3)
            try:
                await self.adopt()
            except Exception:  # noqa: BLE001 - the next round tries again
                log.exception("taking over sessions failed")

    async def adopt(self, only: str | None = None) -> list[str]:
        """Several replicas: take over the sessions of every replica whose lease has expired
        (or only session ``only``'s, when its holder is one), re-created from their
        definitions, and give up those the directory now gives another replica (this one
        lost its lease and was taken over). The ids taken over."""
        rep = self.replicas
        if rep is None:
            return []
        await self.sync()  # the images and snapshots the sessions need, and who holds what
        rows = self.directory
        for r in rows:
            s = self.sessions.get(r["id"])
            if s is not None and r["replica"] not in (None, rep.id):
                log.warning("session taken over by another replica",
                            extra={"session": s.id, "replica": r["replica"]})  # fmt: skip
                self.discard(s)
        gone: dict[str, bool] = {}
        taken: list[str] = []
        for r in rows:
            holder = r["replica"]
            if holder in (None, rep.id) or (only is not None and r["id"] != only):
                continue
            if holder not in gone:
                gone[holder] = not await rep.alive(holder)
            if not gone[holder]:
                continue
            won = await asyncio.to_thread(self.store.take_over, r["id"], holder, rep.id,
                                          rep.url)  # fmt: skip
            if not won:
                continue  # another replica was first
            s = await self._recreate(r)
            if s is None:
                continue
            latest = self.latest_snapshot(s.id)
            log.warning("session taken over from a replica that is gone",
                        extra={"session": s.id, "replica": holder})  # fmt: skip
            self.metrics.sessions_taken_over.inc()
            s.hub.publish({"type": "session-state", "vcpu": None, "time": s.ctl.time,
                           "state": "recovered", "replica": rep.id,
                           "reason": f"replica {holder} at {r['url']} is gone (its lease "
                                     f"expired): re-created from its definition on {rep.id}",
                           "snapshot_id": latest})  # fmt: skip
            taken.append(s.id)
        return taken

    def _add_image_row(self, row: Any) -> None:
        try:
            image = load_image(bytes(row["data"]), row["format"])
        except Exception:  # noqa: BLE001 - a row we wrote once loaded; skip it if not
            log.exception("stored image does not load", extra={"image": row["id"]})
            return
        self.images[row["id"]] = ImageRecord(
            row["id"], row["owner"], row["name"], image, bytes(row["data"]), row["created_at"],
            sources=json.loads(row["sources"] or "{}"))  # fmt: skip

    async def _load_snapshots(self) -> None:
        self.snapshots = {
            row["id"]: SnapshotRecord(
                row["id"], row["owner"], row["session_id"], row["image_id"],
                json.loads(row["config"]), row["name"], row["time"], row["created_at"])
            for row in await asyncio.to_thread(self.store.snapshots)
        }  # fmt: skip

    async def sync(self) -> None:
        """Several replicas: the images, snapshots and session directory as the database
        has them now (another replica may have added or deleted any), before a request reads
        them. Images are immutable, so one that is held stays; only new ones are read."""
        if self.replicas is None:
            return
        ids = await asyncio.to_thread(self.store.image_ids)
        for gone in set(self.images) - ids:
            self.images.pop(gone, None)
        for new in ids - set(self.images):
            row = await asyncio.to_thread(self.store.image, new)
            if row is not None:
                self._add_image_row(row)
        await self._load_snapshots()
        self.directory = list(await asyncio.to_thread(self.store.directory))

    def session_count(self, owner: str) -> int:
        """The owner's sessions on every replica (this one's alone on one server)."""
        if self.replicas is None:
            return len(self.owner_sessions(owner))
        ids = {r["id"] for r in self.directory if r["owner"] == owner}
        return len(ids | {s.id for s in self.owner_sessions(owner)})

    def remote_sessions(self, owner: str) -> list[Any]:
        """The owner's sessions another replica holds (directory rows: id, replica, url)."""
        rep = self.replicas
        if rep is None:
            return []
        return [r for r in self.directory if r["owner"] == owner and r["id"] not in
                self.sessions and r["replica"] not in (None, rep.id)]  # fmt: skip

    async def shutdown(self) -> None:
        if self._adopter is not None:
            self._adopter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._adopter
        for s in list(self.sessions.values()):
            s.close()
        self.sessions.clear()

    async def preload_demo(self, owner: str) -> Session:
        """The SMP demo for ``make run``: its image once, and a 4-vCPU session over it."""
        path = Path(__file__).resolve().parent.parent / "examples" / "smp_spinlock.elf"
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        img = next((r for r in self.owner_images(owner) if r.sha256 == digest), None)
        if img is None:
            img = await self.add_image(owner, path.name, "elf", data)
        for s in self.owner_sessions(owner):
            if s.image.id == img.id:
                return s
        return await self.create_session(owner, {
            "image_id": img.id, "profile": "powernv", "vcpus": 4, "memory_mb": 1024,
            "backend": "native", "scheduler_locking": "step", "step_flags": ["noirq", "notimer"],
            "atomic_sequences": None, "quantum": 10, "history": True,
        })  # fmt: skip

    # -- images -----------------------------------------------------------------------
    def image(self, owner: str, image_id: str) -> ImageRecord:
        rec = self.images.get(image_id)
        if rec is None or rec.owner != owner:
            raise not_found("image", image_id)
        return rec

    def owner_images(self, owner: str) -> list[ImageRecord]:
        return [r for r in self.images.values() if r.owner == owner]

    def decode_base64(self, text: str) -> bytes:
        limit = self.settings.max_upload_bytes
        if len(text) > (limit + 2) // 3 * 4 + 4:
            raise Problem(413, "payload-too-large", f"images are limited to {limit} bytes")
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise Problem(422, "validation-error", "data_base64 is not valid base64",
                          field="data_base64") from None  # fmt: skip
        return data

    async def assemble(self, source: str, endian: str) -> bytes:
        if ASM_DIRECTIVES.search(source):
            raise Problem(422, "assembly-failed", ".include and .incbin are not allowed",
                          field="source")  # fmt: skip
        if len(source.encode()) > self.settings.max_upload_bytes:
            raise Problem(413, "payload-too-large", "the source is too large")
        prefix = "powerpc64-linux-gnu-" if endian == "big" else "powerpc64le-linux-gnu-"
        as_, ld = shutil.which(prefix + "as"), shutil.which(prefix + "ld")
        if as_ is None or ld is None:
            raise Problem(422, "assembler-unavailable",
                          f"{prefix}as/ld are not installed on the server")  # fmt: skip
        return await asyncio.to_thread(_assemble, as_, ld, source, self.settings.assemble_timeout)

    async def add_image(self, owner: str, name: str, fmt: str, data: bytes,
                        sources: dict[str, str] | None = None) -> ImageRecord:  # fmt: skip
        limit = self.settings.max_upload_bytes
        if len(data) > limit:
            raise Problem(413, "payload-too-large", f"images are limited to {limit} bytes")
        quota = self.settings.max_images_per_owner
        if len(self.owner_images(owner)) >= quota:
            raise Problem(429, "quota-exceeded", f"an owner holds at most {quota} images")
        try:
            # Checked against the largest RAM a session here may have, so an image that no
            # session could load is refused now, not at session creation.
            image = load_image(data, fmt, ram=self.settings.max_memory_mb << 20)
        except ImageError as e:
            raise Problem(422, "invalid-image", str(e)) from None
        except Exception as e:  # noqa: BLE001 - any parser failure on client bytes is a 4xx
            log.warning("image parser failed", extra={"error": type(e).__name__})
            raise Problem(422, "invalid-image", "the image cannot be parsed") from None
        rec = ImageRecord(new_id("img"), owner, name, image, data, now(), sources=sources or {})
        await asyncio.to_thread(self.store.add_image, {
            "id": rec.id, "owner": owner, "name": name, "format": image.format, "data": data,
            "created_at": rec.created_at, "sources": rec.sources,
        })  # fmt: skip
        self.images[rec.id] = rec
        return rec

    async def delete_image(self, owner: str, image_id: str) -> None:
        rec = self.image(owner, image_id)
        users = [
            s.id
            for s in self.sessions.values()
            if image_id in (s.image.id, s.config.get("initrd"), s.config.get("bios"))
        ]
        for r in self.remote_sessions(owner):  # the sessions other replicas hold
            cfg = json.loads(r["config"])
            if image_id in (r["image_id"], cfg.get("initrd"), cfg.get("bios")):
                users.append(r["id"])
        if users:
            raise Problem(409, "conflict", f"image {image_id} is used by session {users[0]}")
        await asyncio.to_thread(self.store.delete_image, rec.id)
        self.images.pop(rec.id, None)

    # -- sessions --------------------------------------------------------------------------
    def session(self, owner: str, session_id: str) -> Session:
        s = self.sessions.get(session_id)
        if s is None or s.owner != owner or s.closed:
            raise not_found("session", session_id)
        return s

    def owner_sessions(self, owner: str) -> list[Session]:
        return [s for s in self.sessions.values() if s.owner == owner]

    async def create_session(self, owner: str, body: dict[str, Any]) -> Session:
        st = self.settings
        if self.session_count(owner) >= st.max_sessions_per_owner:
            raise Problem(
                429,
                "quota-exceeded",
                f"an owner holds at most {st.max_sessions_per_owner} sessions",
            )
        state: bytes | None = None
        snap: SnapshotRecord | None = None
        if body.get("snapshot_id"):
            snap = self.snapshot(owner, body["snapshot_id"])
            cfg = dict(snap.config)
            image = self.images.get(snap.image_id)
            if image is None:
                raise Problem(
                    422, "invalid-request", f"the snapshot's image {snap.image_id} was deleted"
                )
            state = await asyncio.to_thread(self.store.snapshot_state, snap.id)
        else:
            pseries = body.get("profile") == "pseries"
            image = self.image(owner, body["kernel"] if pseries else body["image_id"])
            cfg = {k: body[k] for k in (
                "profile", "vcpus", "memory_mb", "backend", "scheduler_locking", "step_flags",
                "atomic_sequences", "quantum", "history")}  # fmt: skip
            cfg["step_flags"] = sorted(set(cfg["step_flags"]))
            if pseries:
                if body.get("initrd"):
                    self.image(owner, body["initrd"])  # 404 for another owner's or none
                if body.get("bios"):
                    bios = self.image(owner, body["bios"])
                    if bios.image.format != "raw":
                        raise Problem(422, "invalid-image",
                                      f"the firmware image {bios.id} is {bios.image.format}: "
                                      "-bios takes a raw image (upload it with format raw)",
                                      field="bios")  # fmt: skip
                cfg.update(kernel=image.id, initrd=body.get("initrd"), bios=body.get("bios"),
                           cmdline=body.get("cmdline") or DEFAULT_CMDLINE)  # fmt: skip
        if cfg["vcpus"] > st.max_vcpus:
            raise Problem(422, "limit-exceeded", f"a session has at most {st.max_vcpus} vCPUs",
                          field="vcpus")  # fmt: skip
        if cfg["memory_mb"] > st.max_memory_mb:
            raise Problem(422, "limit-exceeded",
                          f"a session has at most {st.max_memory_mb} MiB of memory",
                          field="memory_mb")  # fmt: skip
        ctl: Target | None = None
        try:
            ctl = await self._open_target_async(image, cfg)
            snaps = ctl.support_snapshots()
            if state is not None and snap is not None and snaps is not None:
                snaps.load_snapshot(snap.id, state, snap.time)
                snaps.restore_snapshot(snap.id)
        except (ControllerError, ConfigError, ImageError, WorkerLost) as e:
            if ctl is not None:
                ctl.close()
            elif isinstance(e, WorkerLost):
                raise _unstarted(e) from None
            p = translate(e)
            raise p if p else Problem(422, "invalid-session-config", str(e)) from None
        sid = new_id("ses")
        created = now()
        rep = self.replicas
        await asyncio.to_thread(self.store.add_session, {
            "id": sid, "owner": owner, "image_id": image.id, "config": cfg, "created_at": created,
        }, None if rep is None else (rep.id, rep.url))  # fmt: skip
        s = Session(self, sid, owner, image, cfg, ctl, created)
        self.sessions[sid] = s
        self.metrics.sessions.set(len(self.sessions))
        return s

    async def _open_target_async(self, image: ImageRecord, cfg: dict[str, Any]) -> Target:
        """_open_target; off the loop with a worker (a worker's start waits for
        it, tens of milliseconds; the first one starts the fork server, most of a second)."""
        if self.settings.isolation != "thread":
            return await asyncio.to_thread(self._open_target, image, cfg)
        return self._open_target(image, cfg)

    def _open_target(self, image: ImageRecord, cfg: dict[str, Any]) -> Target:
        """The session's engine: over the image, or a pseries partition booting it; in a
        worker process or Ray actor of its own with process or Ray isolation."""
        st = self.settings
        iso = st.isolation
        limits = WorkerLimits(memory=st.worker_memory_mb << 20,
                              instructions=st.max_instructions_per_session)  # fmt: skip
        if cfg["profile"] != "pseries":
            return open_session(image.image, session_config(cfg), iso, limits)
        parts: dict[str, bytes | None] = {}
        for part in ("initrd", "bios"):
            parts[part] = None
            if cfg.get(part):
                rec = self.images.get(cfg[part])
                if rec is None:
                    raise ImageError(f"the {part} image {cfg[part]} was deleted")
                parts[part] = rec.data
        # The kernel base is the boot's default: 0 (no self-copy), or 0x400000 with a bios.
        boot = PseriesBoot(kernel=image.data, initrd=parts["initrd"], bios=parts["bios"],
                           cmdline=cfg["cmdline"])  # fmt: skip
        return open_pseries_session(boot, session_config(cfg), iso, limits)

    async def delete_session(self, s: Session) -> None:
        await s.halt(timeout=1.0)
        self.discard(s)
        await asyncio.to_thread(self.store.delete_session, s.id)

    def discard(self, s: Session) -> None:
        s.close()
        self.sessions.pop(s.id, None)
        self.metrics.sessions.set(len(self.sessions))
        if s.failed:
            try:
                self.store.delete_session(s.id)
            except Exception:  # noqa: BLE001 - best effort for a session already lost
                log.exception("could not forget a failed session")

    # -- snapshots --------------------------------------------------------------------------
    def latest_snapshot(self, session_id: str) -> str | None:
        """The id of the session's newest snapshot (what a lost or re-created session's
        announcement offers to restore), None when it has none."""
        snaps = [r for r in self.snapshots.values() if r.session_id == session_id]
        return max(snaps, key=lambda r: r.created_at).id if snaps else None

    def snapshot(self, owner: str, snapshot_id: str) -> SnapshotRecord:
        rec = self.snapshots.get(snapshot_id)
        if rec is None or rec.owner != owner:
            raise not_found("snapshot", snapshot_id)
        return rec

    async def create_snapshot(self, s: Session, name: str | None) -> SnapshotRecord:
        limit = self.settings.max_snapshots_per_session
        if sum(1 for r in self.snapshots.values() if r.session_id == s.id) >= limit:
            raise Problem(429, "quota-exceeded", f"a session holds at most {limit} snapshots")
        sid = new_id("snp")

        snaps = s.snapshots()
        blob, at = s.now(lambda: snaps.take_snapshot(sid))
        rec = SnapshotRecord(sid, s.owner, s.id, s.image.id, dict(s.config), name, at, now())
        await asyncio.to_thread(self.store.add_snapshot, {
            "id": sid, "owner": s.owner, "session_id": s.id, "image_id": s.image.id,
            "config": rec.config, "name": name, "time": at, "state": blob,
            "created_at": rec.created_at,
        })  # fmt: skip
        self.snapshots[sid] = rec
        return rec

    async def restore_snapshot(self, s: Session, rec: SnapshotRecord) -> None:
        if rec.image_id != s.image.id or rec.config != s.config:
            raise Problem(
                422,
                "invalid-request",
                "the snapshot was taken of a different image or configuration",
            )
        if s.lost is not None:
            # A new worker for the lost session, then the snapshot as for any session.
            try:
                ctl = await self._open_target_async(s.image, s.config)
            except WorkerLost as e:
                raise _unstarted(e) from None
            except (ControllerError, ConfigError, ImageError) as e:
                p = translate(e)
                raise p if p else Problem(422, "invalid-session-config", str(e)) from None
            s.revive(ctl)
        snaps = s.snapshots()
        if not snaps.has_snapshot(rec.id):
            blob = await asyncio.to_thread(self.store.snapshot_state, rec.id)
            if blob is None:
                raise not_found("snapshot", rec.id)

            s.now(lambda: snaps.load_snapshot(rec.id, blob, rec.time))
        s.now(lambda: snaps.restore_snapshot(rec.id))
        s.hub.publish({"type": "session-state", "vcpu": None, "time": s.ctl.time,
                       "state": "restored", "snapshot_id": rec.id})  # fmt: skip


def _unstarted(e: WorkerLost) -> Problem:
    """A worker that could not be started (on Ray: no node had room in time): a 503."""
    return Problem(503, "workers-unavailable", str(e))


def _assemble(as_: str, ld: str, source: str, timeout: float) -> bytes:
    """Assemble and link in a scratch directory, in subprocesses with a timeout."""
    with tempfile.TemporaryDirectory(prefix="ppcdbg-asm-") as d:
        work = Path(d)
        (work / "prog.S").write_text(source)
        steps = (
            # -g: a DWARF line table for the source view; the prefix map keeps the scratch
            # directory's name out of it (the source is prog.S, as in error messages).
            [as_, "-mpower9", "-g", f"--debug-prefix-map={d}=.", "-o", "prog.o", "prog.S"],
            [ld, "-N", "-Ttext=0", "-e", "_start", "--build-id=none", "-o", "prog.elf", "prog.o"],
        )
        for argv in steps:
            try:
                r = subprocess.run(argv, cwd=work, capture_output=True, text=True,
                                   timeout=timeout, check=False)  # fmt: skip
            except subprocess.TimeoutExpired:
                raise Problem(
                    422, "assembly-failed", f"{Path(argv[0]).name} took longer than {timeout} s"
                ) from None
            if r.returncode != 0:
                msg = (r.stderr or r.stdout).replace(d + "/", "").strip()[:4000]
                raise Problem(422, "assembly-failed", msg or "the assembler failed",
                              field="source")  # fmt: skip
        return (work / "prog.elf").read_bytes()
