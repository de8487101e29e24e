"""Session workers as Ray actors (``open_session(..., isolation="ray")``, ``ppcdbg serve
--ray ADDRESS``): the same worker as a process worker's (engine/worker.py: ``Server`` over
the session's Controller, the same requests, the same messages), placed by Ray on any node
of a cluster; ``RayTransport`` is the API process's side, behind the one ``RemoteTarget``.

Requests: ``SessionActor.request`` hands one to the worker's reader. The actor is threaded
(its message stream holds one thread for the session's life), and Ray runs a threaded
actor's calls in no promised order, so the inbox puts them back in the order of their
request ids, which the API side numbers as it sends.

Messages: one call of ``SessionActor.messages``, a Ray streaming generator, yields every
message the worker has sent since the last yield, in order; the API side's reader takes
them one by one. Measured against an actor method the reader polls (a long poll that
returns what has gathered), on this 2-core machine: round trips 692-832/s streamed against
593-603/s polled (a poll is one more call per batch), events alike (245-450 k/s, noisy).
So the stream, and a command's answer still travels with the events emitted before it:
they are one message.

A dead actor (``ray.kill``, its worker process killed, its node gone) raises RayActorError
in the reader: the target goes ``lost`` with the reason, as a killed worker process's does.

Placement: each actor asks for 1 CPU (``num_cpus=1``) and, with a memory limit, that much
of Ray's ``memory`` resource, so Ray spreads sessions over the nodes that have room. The
limit is a placement request here, not an address-space limit: a Ray worker maps the
node's object store into its address space, so RLIMIT_AS would end it at once. The
instruction limit is enforced in the actor as in a worker process. A session no node can
take within ``START_TIMEOUT`` is an error (its actor is cancelled), not a wait forever.

The engine's code goes to the cluster with the connection (Ray's ``py_modules``): the
nodes need Python and Ray of the API process's versions, not ppcdbg. So does the API
process's engine (``PPCDBG_ENGINE``, Ray's ``env_vars``): with ``native`` the nodes need a
C compiler too.
"""

from __future__ import annotations

import collections
import dataclasses
import gc
import logging
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .debug.config import SessionConfig
from .debug.controller import ConfigError
from .worker import GC_THRESHOLDS, Request, Server, WorkerLimits, start_target

log = logging.getLogger("ppcdbg.engine.ray_worker")

ENGINE = Path(__file__).resolve().parent
NAMESPACE = "ppcdbg"
START_TIMEOUT = 60.0  # seconds a new session waits for a node to take its actor
# Threads of an actor: the message stream holds one; requests only queue (microseconds).
CONCURRENCY = 4
_ACTOR: Any = None
_CONNECTING = threading.Lock()


def connect(address: str) -> dict[str, float]:
    """Join the Ray cluster at ``address`` (``auto``: the one this node belongs to) once per
    process, the engine's code shipped to it; the cluster's resources (CPU, memory...).
    A cluster that cannot be reached is a ConnectionError with Ray's one-line reason."""
    import ray

    # The actors run this process's engine (set_engine, --engine), which they read at import.
    env = {"PPCDBG_ENGINE": os.environ.get("PPCDBG_ENGINE", "python")}
    with _CONNECTING:
        if not ray.is_initialized():
            _reachable(address)
            try:
                ray.init(address=address, namespace=NAMESPACE, log_to_driver=False,
                         logging_level=logging.WARNING,
                         runtime_env={"py_modules": [str(ENGINE)], "env_vars": env})  # fmt: skip
            except (ConnectionError, RuntimeError, ValueError) as e:
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise ConnectionError(f"cannot join the Ray cluster at {address}: {first}") from e
    return {k: float(v) for k, v in ray.cluster_resources().items()}


def _reachable(address: str, timeout: float = 5.0) -> None:
    """A head's host:port that takes no TCP connection is a ConnectionError now: Ray itself
    retries for minutes, printing warnings."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return  # auto, or a ray:// client address: Ray's own handling
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise ConnectionError(f"cannot join the Ray cluster at {address}: "
                              f"{e.strerror or e}") from None  # fmt: skip


def connected() -> bool:
    import ray

    return bool(ray.is_initialized())


# -- the actor (on a node of the cluster) --------------------------------------------------
class _Inbox:
    """Requests handed to the reader in the order of their ids (1, 2, ...)."""

    def __init__(self) -> None:
        self.ready = threading.Condition()
        self.next = 1
        self.held: dict[int, Request] = {}

    def put(self, request: Request) -> None:
        with self.ready:
            self.held[request[0]] = request
            if request[0] == self.next:
                self.ready.notify()

    def get(self) -> Request:
        with self.ready:
            while self.next not in self.held:
                self.ready.wait()
            request = self.held.pop(self.next)
            self.next += 1
            return request


class _Outbox:
    """The worker's messages, taken in order, all that have gathered at once."""

    def __init__(self) -> None:
        self.ready = threading.Condition()
        self.messages: list[bytes] = []

    def put(self, data: bytes) -> None:
        with self.ready:
            self.messages.append(data)
            if len(self.messages) == 1:
                self.ready.notify()

    def take(self) -> list[bytes]:
        with self.ready:
            while not self.messages:
                self.ready.wait()
            out, self.messages = self.messages, []
            return out


class SessionActor:
    """One session's worker on a Ray node (the class Ray makes an actor of: _actor())."""

    def __init__(self, kind: str, payload: Any, config: SessionConfig | None,
                 limits: WorkerLimits) -> None:  # fmt: skip
        self.inbox = _Inbox()
        self.outbox = _Outbox()
        target = start_target(kind, payload, config, limits, self.outbox.put)
        if target is None:
            return  # the first message says why; the API side then ends the actor
        # The actor's process is the session's alone: as a worker process does.
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        server = Server(target, self.inbox.get, self.outbox.put, limits)
        threading.Thread(target=server.serve, name="ppcdbg-session", daemon=True).start()

    def request(self, rid: int, method: str, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
        self.inbox.put((rid, method, args, kw))

    def messages(self) -> Iterator[list[bytes]]:
        while True:
            yield self.outbox.take()

    def where(self) -> tuple[str, int]:
        """The node id and process id the actor runs on."""
        import ray

        return str(ray.get_runtime_context().get_node_id()), os.getpid()


def _actor() -> Any:
    global _ACTOR
    if _ACTOR is None:
        import ray

        _ACTOR = ray.remote(SessionActor)
    return _ACTOR


# -- the API process's side ----------------------------------------------------------------
class RayTransport:
    """A session's worker as a Ray actor (engine.worker.Transport)."""

    def __init__(self, kind: str, payload: Any, config: SessionConfig | None,
                 limits: WorkerLimits, start_timeout: float = START_TIMEOUT) -> None:  # fmt: skip
        import ray

        if not ray.is_initialized():
            raise ConfigError("isolation 'ray' needs a Ray cluster: join one first "
                              "(ppcdbg serve --ray ADDRESS)")  # fmt: skip
        options: dict[str, Any] = {"num_cpus": 1, "max_concurrency": CONCURRENCY,
                                   "max_restarts": 0}  # fmt: skip
        if limits.memory:
            options["memory"] = limits.memory
        self.limits = limits
        self.start_timeout = start_timeout
        actor = _actor().options(**options)
        self.actor = actor.remote(kind, payload, config, dataclasses.replace(limits, memory=0))
        self._stream = self.actor.messages.options(num_returns="streaming").remote()
        self._pending: collections.deque[bytes] = collections.deque()
        self._started = False
        self._reason = "its Ray actor ended"

    def send(self, request: Request) -> None:
        import ray

        try:
            self.actor.request.remote(*request)
        except ray.exceptions.RayError as e:
            raise OSError(str(e)) from None

    def recv_bytes(self) -> bytes:
        import ray

        while not self._pending:
            timeout = None if self._started else self.start_timeout
            try:
                batch = ray.get(next(self._stream), timeout=timeout)
            except StopIteration:
                raise EOFError from None
            except ray.exceptions.GetTimeoutError:
                self._reason = (f"no Ray node took the session in {timeout:g} s (it asks for "
                                f"1 CPU{self._memory()})")  # fmt: skip
                ray.kill(self.actor, no_restart=True)
                raise EOFError from None
            except ray.exceptions.RayError as e:
                self._reason = reason(e)
                raise EOFError from None
            self._started = True
            self._pending.extend(batch)
        return self._pending.popleft()

    def _memory(self) -> str:
        return f" and {self.limits.memory >> 20} MiB" if self.limits.memory else ""

    def why(self) -> str:
        return self._reason

    def out_of_memory(self) -> bool:
        return False  # no address-space limit in an actor (the module's docstring)

    def close(self, reading: bool) -> None:
        import ray

        try:
            ray.kill(self.actor, no_restart=True)
        except Exception:  # noqa: BLE001 - an actor already gone, or Ray shut down
            log.debug("ray.kill of a session's actor failed", exc_info=True)

    def where(self) -> tuple[str, int]:
        """The node id and process id of the session's actor."""
        import ray

        node, pid = ray.get(self.actor.where.remote(), timeout=30)
        return str(node), int(pid)


def reason(e: BaseException) -> str:
    """A dead actor's error as the one line a lost session shows: Ray's "The actor is dead
    because ..." sentence (after its header and tab-indented fields)."""
    import ray

    if isinstance(e, ray.exceptions.OutOfMemoryError):
        return "its Ray node ran out of memory"
    lines = [ln for ln in str(e).splitlines()[1:] if ln.strip() and not ln.startswith("\t")]
    why = lines[0].split(". ")[0].strip().rstrip(".") if lines else ""
    if "ray.kill" in why:
        return "its Ray actor was killed (ray.kill)"
    dead = "The actor is dead because "
    if why.startswith(dead):
        return f"its Ray actor died: {why[len(dead) :]}"[:200]
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return f"its Ray actor failed: {first}"[:200]
