"""Breakpoints, watchpoints and catchpoints (docs/stepping.md "Breakpoints and watchpoints")."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .condition import Condition, compile_condition

KINDS = ("software", "hardware", "watchpoint", "catchpoint")
WATCH_ACCESS = ("read", "write", "access")
DAWR_MAX_LENGTH = 512  # POWER9 DAWR0 covers at most 512 bytes
# The native backend's virtual watchpoints have no DAWR limit, but every access is checked
# against each range, and a range is meant to cover data the user can name: 1 MiB (what the
# REST schema allows) for every client, gdb's Z2-Z4 included.
WATCH_MAX_LENGTH = 1 << 20


class BreakpointError(ValueError):
    """A breakpoint the session cannot accept; the message says why."""


@dataclass
class Breakpoint:
    id: str
    kind: str
    address: int | None = None  # effective address (software, hardware, watchpoint)
    length: int = 4
    access: str = "write"  # watchpoints
    vector: int | None = None  # catchpoints: an interrupt vector...
    hypercall: int | None = None  # ...or a hypercall number (-1: every hypercall)
    condition: Condition | None = None
    ignore_count: int = 0
    hit_count: int = 0
    temporary: bool = False
    enabled: bool = True
    vcpus: frozenset[int] | None = None  # None: every vCPU
    symbol: str | None = None

    def applies_to(self, vcpu: int) -> bool:
        return self.vcpus is None or vcpu in self.vcpus


@dataclass
class BreakpointTable:
    """The session's breakpoints; enforces hardware limits when the backend has them."""

    unlimited_hardware: bool = True
    by_id: dict[str, Breakpoint] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(
        self,
        kind: str,
        *,
        address: int | None = None,
        length: int = 4,
        access: str = "write",
        vector: int | None = None,
        hypercall: int | None = None,
        condition: str | None = None,
        ignore_count: int = 0,
        temporary: bool = False,
        enabled: bool = True,
        vcpus: frozenset[int] | None = None,
        symbol: str | None = None,
    ) -> Breakpoint:
        if kind not in KINDS:
            raise BreakpointError(f"kind must be one of {', '.join(KINDS)}")
        if kind in ("software", "hardware", "watchpoint") and address is None:
            raise BreakpointError(f"a {kind} breakpoint needs an address")
        if kind == "catchpoint" and vector is None and hypercall is None:
            raise BreakpointError("a catchpoint needs an interrupt vector or a hypercall")
        if kind == "watchpoint":
            if access not in WATCH_ACCESS:
                raise BreakpointError(f"access must be one of {', '.join(WATCH_ACCESS)}")
            if length < 1:
                raise BreakpointError("a watchpoint covers at least one byte")
            if length > WATCH_MAX_LENGTH:
                raise BreakpointError(f"a watchpoint covers at most {WATCH_MAX_LENGTH} bytes")
            assert address is not None
            if address + length > 1 << 64:
                raise BreakpointError("a watchpoint may not wrap past the top of memory")
        if ignore_count < 0:
            raise BreakpointError("ignore_count must not be negative")
        cond = compile_condition(condition) if condition else None
        bp = Breakpoint(
            id=f"bp{next(self._ids)}", kind=kind, address=address, length=length,
            access=access, vector=vector, hypercall=hypercall, condition=cond,
            ignore_count=ignore_count, temporary=temporary, enabled=enabled, vcpus=vcpus,
            symbol=symbol,
        )  # fmt: skip
        self._check_hardware(bp)
        self.by_id[bp.id] = bp
        return bp

    def _check_hardware(self, new: Breakpoint) -> None:
        """POWER9 has one CIABR and one DAWR per vCPU; the native backend has virtual ones."""
        if self.unlimited_hardware or new.kind not in ("hardware", "watchpoint"):
            return
        if new.kind == "watchpoint" and new.length > DAWR_MAX_LENGTH:
            raise BreakpointError(f"DAWR0 covers at most {DAWR_MAX_LENGTH} bytes")
        for other in self.by_id.values():
            if other.kind == new.kind and other is not new and other.enabled:
                mine = new.vcpus
                theirs = other.vcpus
                if mine is None or theirs is None or mine & theirs:
                    reg = "CIABR" if new.kind == "hardware" else "DAWR0"
                    raise BreakpointError(
                        f"{reg} is already in use ({other.id}): POWER9 has one per vCPU"
                    )

    def remove(self, bp_id: str) -> Breakpoint:
        try:
            return self.by_id.pop(bp_id)
        except KeyError:
            raise BreakpointError(f"no breakpoint {bp_id}") from None

    def get(self, bp_id: str) -> Breakpoint:
        try:
            return self.by_id[bp_id]
        except KeyError:
            raise BreakpointError(f"no breakpoint {bp_id}") from None

    def code(self) -> list[Breakpoint]:
        """Enabled instruction breakpoints (software and hardware)."""
        return [b for b in self.by_id.values() if b.enabled and b.kind in ("software", "hardware")]

    def watches(self) -> list[Breakpoint]:
        return [b for b in self.by_id.values() if b.enabled and b.kind == "watchpoint"]

    def catches(self) -> list[Breakpoint]:
        return [b for b in self.by_id.values() if b.enabled and b.kind == "catchpoint"]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.by_id.values())
