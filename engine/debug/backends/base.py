"""What a stepping backend is, and what the controller lends it."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Protocol

from ...cpu import VCPU
from ...machine import Machine
from ..planter import Planter

# Capabilities a backend may declare (docs/stepping.md "Backends").
NATIVE_STEP = "native_step"  # the engine executes exactly one instruction
INTERCEPTS_GUEST_INTERRUPTS = "intercepts_guest_interrupts"  # KVM PR: the host sees them first
HYPERVISOR_EXIT_ON_DEBUG_INSTRUCTION = "hypervisor_exit_on_debug_instruction"  # KVM HV
PLANTED_BREAKPOINTS = "planted_breakpoints"  # software breakpoints are debug words in memory
VIRTUAL_HW_BREAKPOINTS = "virtual_hw_breakpoints"  # any number of hardware breakpoints
NEEDS_GUEST_PROFILE = "needs_guest_profile"


class StepError(RuntimeError):
    """A step the backend could not carry out (e.g. the trace vector is not mapped)."""


class BackendServices(Protocol):
    """What the controller lends a backend."""

    machine: Machine
    planter: Planter

    def register_stops(self, cpu: VCPU, addresses: set[int]) -> None:
        """Physical addresses where ``cpu`` stops its step when it hits a planted word."""

    def clear_stops(self, cpu: VCPU) -> None: ...


class Backend(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[str]]

    def attach(self, services: BackendServices) -> None: ...

    def step(self, cpu: VCPU, during: Callable[[], None]) -> None:
        """Move ``cpu`` by one step as the guest sees it (docs/stepping.md "What one step means").

        ``during`` runs the other vCPUs; call it while the step is in
        progress, after anything planted for the step and before removal.
        """

    def stats(self) -> dict[str, int]: ...
