from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from .common import Hex, Input, Int, Links, Model, given

StepFlag = Literal["noirq", "notimer"]


def _default_flags() -> list[StepFlag]:
    return ["noirq", "notimer"]


class SessionCreate(Input):
    """A debug session over an image (or re-created from a snapshot)."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {"image_id": "img-0123456789abcdef", "vcpus": 4, "profile": "powernv"},
                {"snapshot_id": "snp-0123456789abcdef"},
            ],
            "anyOf": given("image_id", "snapshot_id"),  # _source
        },
    }
    image_id: str | None = None
    snapshot_id: str | None = Field(
        default=None, description="re-create a session at this snapshot (same image and config)"
    )
    profile: Literal["powernv", "guest"] = "powernv"
    vcpus: Int = Field(default=1, ge=1, le=64)
    memory_mb: Int = Field(default=1024, ge=1, le=1 << 20)
    backend: Literal["native", "trace-intercept", "trace-vector"] = "native"
    scheduler_locking: Literal["off", "step", "on"] = "step"
    step_flags: list[StepFlag] = Field(default_factory=_default_flags)
    atomic_sequences: Literal["each", "whole"] | None = None
    quantum: Int = Field(default=10, ge=1, le=1_000_000)
    history: bool = True

    @model_validator(mode="after")
    def _source(self) -> SessionCreate:
        if self.image_id is None and self.snapshot_id is None:
            raise ValueError("give image_id or snapshot_id")
        return self


class SessionConfigPublic(Model):
    profile: str
    vcpus: int
    memory_mb: int
    backend: str
    scheduler_locking: str
    step_flags: list[str]
    atomic_sequences: str | None
    quantum: int
    history: bool


class WatchPublic(Model):
    address: Hex
    size: int
    kind: Literal["read", "write"]
    old: Hex | None
    new: Hex | None


class StopPublic(Model):
    reason: str = Field(examples=["breakpoint"])
    vcpu: int
    pc: Hex
    time: int
    breakpoint_id: str | None = None
    vector: Hex | None = None
    message: str | None = None
    watch: WatchPublic | None = None


class VCPUPublic(Model):
    index: int
    pc: Hex
    msr: Hex
    halted: bool
    halt_reason: str | None
    sleeping: bool
    retired: int
    links: Links


class VCPUsPublic(Model):
    data: list[VCPUPublic]
    count: int


class SessionPublic(Model):
    id: str
    image_id: str
    state: Literal["running", "stopped"]
    config: SessionConfigPublic
    vcpus: list[VCPUPublic]
    last_stop: StopPublic | None
    time: int = Field(description="virtual time: instructions executed by every vCPU")
    event_seq: int = Field(description="the seq of the session's latest event")
    recovered: bool = Field(description="re-created from its definition after a restart")
    created_at: dt.datetime
    links: dict[str, str]


class SessionsPublic(Model):
    data: list[SessionPublic]
    count: int


class StatsPublic(Model):
    session_id: str
    time: int
    steps: int
    instructions: int
    snapshots: int
    breakpoints: int
    event_seq: int
    event_clients: int
    events_dropped: int
    engine: dict[str, int]
