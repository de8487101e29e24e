"""`native`: the reference. The engine executes exactly one instruction (or the
interrupt that replaces it); nothing is planted in guest memory."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from ...cpu import VCPU
from .base import NATIVE_STEP, VIRTUAL_HW_BREAKPOINTS, BackendServices


class NativeBackend:
    name: ClassVar[str] = "native"
    capabilities: ClassVar[frozenset[str]] = frozenset({NATIVE_STEP, VIRTUAL_HW_BREAKPOINTS})

    def __init__(self) -> None:
        self.steps = 0

    def attach(self, services: BackendServices) -> None:
        self.services = services

    def step(self, cpu: VCPU, during: Callable[[], None]) -> None:
        during()
        cpu.step()
        self.steps += 1

    def stats(self) -> dict[str, int]:
        return {
            "steps": self.steps,
            "host_exits": 0,
            "planted": 0,
            "restored": 0,
            "foreign_hits": 0,
        }
