"""The engine's face to whatever drives it: the REST/WebSocket service, the GDB server, the
dashboard's data and the CLIs. ``Target`` is the typed protocol a debug session offers
(``engine.debug.controller.Controller`` implements it); what crosses it is plain data
(ints, strings, dataclasses), so that a session's engine can later live in another process
without the service changing.

Modelled on the Rust ``gdbstub`` crate's ``Target`` trait: a base every session has, and
optional capabilities asked for by name (``capabilities``), not discovered by reaching into
the engine's objects.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

# The engine's public names, in one place: what a driver may use besides Target itself
# (``_native``: the switch set_engine turns, and the totals native_stats reads).
from . import native as _native
from .cpu import TRACE_REG_NAMES, trace_xer
from .debug.breakpoints import Breakpoint, BreakpointError
from .debug.condition import ConditionError
from .debug.config import ATOMIC_SEQUENCES, BACKENDS, SCHEDULER_LOCKING, SessionConfig
from .debug.controller import ConfigError, ControllerError, MemoryAccessError
from .debug.events import (
    ChangedIndices,
    ConsoleEvent,
    Event,
    InterruptEvent,
    ResumeEvent,
    StopEvent,
    TraceBatch,
    TraceEvent,
    VCPUView,
    instruction_key,
)
from .debug.packed_trace import PackedTrace
from .disasm import Line, disassemble_one
from .loader import Image, ImageError, load_image
from .msr import MSR_LE
from .native import ENGINES, NativeUnavailable
from .platform.pseries.boot import PseriesConfig as PseriesBoot
from .registers import ARCHITECTED, VECTOR, UnknownRegister, canonical, read_register, width
from .sprs import SPR_TABLE
from .worker import (
    LimitExceeded,
    LostEvent,
    ProcessTransport,
    RemoteTarget,
    WorkerLimits,
    WorkerLost,
)

ISOLATION = ("thread", "process", "ray")


class Reversible(Protocol):
    """Reverse execution, for a session that records its history."""

    def reverse_step(self, vcpu: int) -> StopEvent: ...
    def reverse_continue(self) -> StopEvent: ...


class Snapshots(Protocol):
    """Named machine states a session keeps, persists and goes back to."""

    def take_snapshot(self, snap_id: str) -> tuple[bytes, int]: ...
    def load_snapshot(self, snap_id: str, state: bytes, time: int) -> None: ...
    def has_snapshot(self, snap_id: str) -> bool: ...
    def restore_snapshot(self, snap_id: str) -> None: ...


class Target(Protocol):
    """A debug session's machine, as its clients drive it.

    Optional capabilities come as ``support_*`` methods that return the
    capability's own interface or None, as the Rust ``gdbstub`` crate's
    extension traits do: a client asks once, and cannot call what the session
    does not offer (gdb is not told of reverse execution when there is no
    history to run back through).
    """

    @property
    def config(self) -> SessionConfig: ...
    @property
    def last_stop(self) -> StopEvent | None: ...
    @property
    def running(self) -> bool: ...
    @property
    def time(self) -> int: ...
    @property
    def vcpu_count(self) -> int: ...
    def vcpu_views(self) -> list[VCPUView]: ...
    def capabilities(self) -> dict[str, Any]: ...

    # registers and memory
    def registers(self, vcpu: int, names: list[str] | None = None) -> dict[str, int | None]: ...
    def write_registers(self, vcpu: int, values: dict[str, int]) -> None: ...
    def register_values(self, vcpu: int, names: tuple[str, ...]) -> list[int]:
        """Many registers at once, each name resolved once per tuple (a gdb ``g``)."""
        ...

    def read_memory(self, address: int, length: int, space: str = "physical",
                    vcpu: int = 0) -> bytes: ...  # fmt: skip
    def write_memory(self, address: int, data: bytes, space: str = "physical",
                     vcpu: int = 0) -> None: ...  # fmt: skip
    def disassemble(self, address: int, count: int, vcpu: int = 0) -> list[Line]: ...
    def symbol(self, name: str) -> int: ...

    # breakpoints
    def add_breakpoint(self, kind: str, **kw: object) -> Breakpoint: ...
    def update_breakpoint(
        self, bp_id: str, *, enabled: bool | None = None, condition: str | None = None,
        ignore_count: int | None = None, temporary: bool | None = None,
        vcpus: frozenset[int] | None | bool = False,
    ) -> Breakpoint: ...  # fmt: skip
    def remove_breakpoint(self, bp_id: str) -> Breakpoint: ...
    def breakpoint(self, bp_id: str) -> Breakpoint | None: ...
    def breakpoint_list(self) -> list[Breakpoint]: ...

    # execution
    def step(self, vcpu: int, count: int = 1, mode: str = "into",
             progress: Callable[[int], None] | None = None) -> StopEvent: ...  # fmt: skip
    def bounded_step(self, vcpu: int, count: int, mode: str) -> bool: ...
    def cont(self, vcpus: list[int] | None = None, budget: int | None = None,
             until: list[int] | None = None) -> StopEvent: ...  # fmt: skip
    def halt(self) -> None: ...
    def console_input(self, data: bytes) -> int: ...
    def platform_stats(self) -> dict[str, Any]: ...
    def stepping(self, fast: bool = True) -> AbstractContextManager[Callable[[int], object]]: ...

    # optional capabilities
    def support_reverse(self) -> Reversible | None:
        """Reverse execution, or None when the session keeps no history."""
        ...

    def support_snapshots(self) -> Snapshots | None: ...

    # events and statistics
    def subscribe(self, listener: Callable[[Any], None],
                  batches: bool = False) -> Callable[[], None]: ...  # fmt: skip
    def set_trace(self, vcpus: list[int] | None) -> None: ...
    def stats(self) -> dict[str, int]: ...
    def close(self) -> None:
        """Release the session's engine (a worker process ends); nothing may be called after."""
        ...


def open_session(
    image: Image, config: SessionConfig | None = None, isolation: str = "thread",
    limits: WorkerLimits | None = None,
) -> Target:  # fmt: skip
    """A new debug session over ``image``: its engine in this process (``thread``), in a
    worker process of its own (``process``, engine/worker.py), or in a Ray actor on a node
    of the cluster joined by connect_ray (``ray``, engine/ray_worker.py); a worker enforces
    ``limits``."""
    from .debug.controller import Controller

    if config is not None and config.profile == "pseries":
        raise ConfigError("a pseries session boots a kernel: open it with open_pseries_session")
    if _isolated(isolation):
        return _remote(isolation, "image", image, config, limits)
    return Controller(image, config)


def open_pseries_session(
    boot: PseriesBoot, config: SessionConfig | None = None, isolation: str = "thread",
    limits: WorkerLimits | None = None,
) -> Target:  # fmt: skip
    """A new debug session over a pseries partition booting ``boot``'s kernel (the kernel,
    initrd and device tree placed, vCPU 0 at the kernel's entry, or at 0x100 in the firmware
    image ``boot.bios`` as QEMU's -bios); ``config``'s vCPUs and memory are the partition's
    (``boot``'s own are overridden by them). ``isolation`` and ``limits`` as for
    open_session."""
    from .debug.controller import Controller
    from .platform.pseries.boot import build_machine

    config = config or SessionConfig(profile="pseries", vcpus=boot.vcpus, memory=boot.memory)
    if config.profile != "pseries":
        raise ConfigError("open_pseries_session needs profile 'pseries'")
    if _isolated(isolation):
        return _remote(isolation, "pseries", boot, config, limits)
    boot = dataclasses.replace(boot, vcpus=config.vcpus, memory=config.memory,
                               quantum=config.quantum)  # fmt: skip
    machine = build_machine(boot)
    return Controller(machine.image, config, machine=machine)


def _isolated(isolation: str) -> bool:
    if isolation not in ISOLATION:
        raise ConfigError(f"isolation must be one of {', '.join(ISOLATION)}")
    return isolation != "thread"


def _remote(isolation: str, kind: str, payload: Any, config: SessionConfig | None,
            limits: WorkerLimits | None) -> RemoteTarget:  # fmt: skip
    """One proxy (RemoteTarget) over either kind of worker."""
    limits = limits or WorkerLimits()
    if isolation == "ray":
        from .ray_worker import RayTransport

        return RemoteTarget(RayTransport(kind, payload, config, limits))
    return RemoteTarget(ProcessTransport(kind, payload, config, limits))


def connect_ray(address: str) -> dict[str, float]:
    """Join the Ray cluster at ``address`` for isolation ``ray`` (once per process); its
    resources. ConnectionError when it cannot be reached; ImportError without Ray."""
    from .ray_worker import connect

    return connect(address)


def set_engine(name: str) -> None:
    """Run this process's vCPUs built from now on, and the session workers it starts from
    now on, with the engine ``name`` (ENGINES): ``python``, the reference, or ``native``
    (engine/native). The engine reads ``PPCDBG_ENGINE`` once, when it is imported: this sets
    it for the workers (their fork server is started with the first of them, so call this
    before the first session) and the flag this process's engine has already read.

    For ``native`` the dispatcher is compiled (or found in the cache) first, so that a
    machine without a C compiler or the Python headers is NativeUnavailable here, before
    anything is set, not when a session builds its first vCPU. ConfigError for another name.
    """
    if name not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, not {name!r}")
    if name == "native":
        from .blocks import native_entry

        native_entry()
    os.environ["PPCDBG_ENGINE"] = name
    _native.ENABLED = name == "native"


def current_engine() -> str:
    """The engine this process's vCPUs are built with: ``python`` or ``native``."""
    return "native" if _native.ENABLED else "python"


def native_stats() -> dict[str, Any]:
    """This process's native engine so far: its dispatcher's totals (``calls``, ``blocks``,
    ``instructions`` run natively, ``slow_exits``) and its compiler's (blocks ``compiled``
    by this process, ``loaded`` from libraries already in the cache, ``failed``: why it
    stopped compiling, or None). Zeros before it first ran."""
    comp = _native.compiler()
    return {**_native.stats(), "compiled": comp.compiled, "loaded": comp.loaded,
            "failed": comp.failed}  # fmt: skip


__all__ = [
    "ARCHITECTED", "ATOMIC_SEQUENCES", "BACKENDS", "ENGINES", "ISOLATION", "MSR_LE",
    "SCHEDULER_LOCKING", "SPR_TABLE", "TRACE_REG_NAMES", "VECTOR", "Breakpoint", "BreakpointError",
    "ChangedIndices",
    "ConditionError", "ConfigError", "ConsoleEvent", "ControllerError", "Event", "Image",
    "ImageError", "InterruptEvent", "LimitExceeded", "Line", "LostEvent", "MemoryAccessError",
    "NativeUnavailable", "PackedTrace", "PseriesBoot", "ResumeEvent", "SessionConfig",
    "Reversible", "Snapshots", "StopEvent", "Target", "TraceBatch", "TraceEvent",
    "UnknownRegister", "VCPUView", "WorkerLimits", "WorkerLost",
    "canonical", "connect_ray", "current_engine", "disassemble_one", "instruction_key",
    "load_image", "native_stats", "open_pseries_session",
    "open_session",
    "read_register", "set_engine", "trace_xer", "width",
]  # fmt: skip
