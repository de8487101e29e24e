"""Breakpoints and watchpoints as a session's clients set them, and when a hit stops.

A mixin of the Controller (engine/debug/controller.py): the table itself is
engine/debug/breakpoints.py, conditions engine/debug/condition.py.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from ..cpu import VCPU
from ..machine import Machine
from ..memory import MemoryFault
from ..msr import MSR_LE
from ..registers import read_register
from .breakpoints import Breakpoint, BreakpointTable
from .condition import compile_condition
from .errors import ControllerError
from .planter import Planter


class BreakpointControl:
    if TYPE_CHECKING:
        machine: Machine
        planter: Planter
        breakpoints: BreakpointTable

        def _op(self) -> AbstractContextManager[None]: ...

    def breakpoint(self, bp_id: str) -> Breakpoint | None:
        return self.breakpoints.by_id.get(bp_id)

    def breakpoint_list(self) -> list[Breakpoint]:
        return list(self.breakpoints.by_id.values())

    def add_breakpoint(self, kind: str, **kw: object) -> Breakpoint:
        with self._op():
            return self.breakpoints.add(kind, **kw)  # type: ignore[arg-type]

    def update_breakpoint(
        self,
        bp_id: str,
        *,
        enabled: bool | None = None,
        condition: str | None = None,
        ignore_count: int | None = None,
        temporary: bool | None = None,
        vcpus: frozenset[int] | None | bool = False,
    ) -> Breakpoint:
        """Change a breakpoint; ``condition=""`` removes its condition, ``vcpus=None`` all vCPUs."""
        with self._op():
            bp = self.breakpoints.get(bp_id)
            if condition is not None:
                bp.condition = compile_condition(condition) if condition else None
            if ignore_count is not None:
                if ignore_count < 0:
                    raise ControllerError("ignore_count must not be negative")
                bp.ignore_count = ignore_count
            if temporary is not None:
                bp.temporary = temporary
            if vcpus is not False:
                bp.vcpus = vcpus  # type: ignore[assignment]
            if enabled is not None:
                bp.enabled = enabled
            return bp

    def remove_breakpoint(self, bp_id: str) -> Breakpoint:
        with self._op():
            return self.breakpoints.remove(bp_id)

    def _condition_holds(self, bp: Breakpoint, cpu: VCPU) -> bool:
        return bp.condition is None or bp.condition.evaluate(_Env(self, cpu))

    def _triggers(self, bp: Breakpoint, cpu: VCPU) -> bool:
        """Count a hit; True when it stops (condition holds, ignore count used up)."""
        if bp.condition is not None and not bp.condition.evaluate(_Env(self, cpu)):
            return False
        bp.hit_count += 1
        if bp.ignore_count > 0:
            bp.ignore_count -= 1
            return False
        return True


class _Env:
    """The condition language's view of a vCPU (engine/debug/condition.py)."""

    def __init__(self, ctl: BreakpointControl, cpu: VCPU) -> None:
        self._ctl = ctl
        self._cpu = cpu
        self.vcpu = cpu.index

    def reg(self, name: str) -> int:
        return read_register(self._cpu, name)

    def mem(self, address: int, size: int) -> int:
        pa = self._cpu.probe(address)
        if pa is None:
            raise MemoryFault(address, False)
        data = self._ctl.planter.overlay(pa, self._ctl.machine.mem.read_bytes(pa, size))
        return int.from_bytes(data, "little" if self._cpu.msr & MSR_LE else "big")
