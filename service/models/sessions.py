from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from .common import Hex, Input, Int, Links, Model, given

StepFlag = Literal["noirq", "notimer"]


def _default_flags() -> list[StepFlag]:
    return ["noirq", "notimer"]


_NAMES = ("image_id", "snapshot_id", "kernel", "initrd", "cmdline", "bios")
_GIVEN = dict(zip(_NAMES, given(*_NAMES), strict=True))
_PSERIES = {"required": ["profile"], "properties": {"profile": {"const": "pseries"}}}
# What _source accepts, as JSON Schema: a snapshot (anything else is ignored); an image
# without the pseries fields and not profile pseries; or profile pseries with a kernel and no
# image_id.
_SOURCES = [
    _GIVEN["snapshot_id"],
    {"allOf": [_GIVEN["image_id"]],
     "not": {"anyOf": [_GIVEN["kernel"], _GIVEN["initrd"], _GIVEN["cmdline"], _GIVEN["bios"],
                       _PSERIES]}},
    {"allOf": [_GIVEN["kernel"], _PSERIES], "not": _GIVEN["image_id"]},
]  # fmt: skip


class SessionCreate(Input):
    """A debug session over an image, a pseries partition booting a kernel (``kernel``, with
    ``initrd`` and ``cmdline``, and ``bios`` for QEMU's -bios contract), or re-created from a
    snapshot."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {"image_id": "img-0123456789abcdef", "vcpus": 4, "profile": "powernv"},
                {"profile": "pseries", "kernel": "img-0123456789abcdef",
                 "initrd": "img-fedcba9876543210", "cmdline": "console=hvc0"},
                {"profile": "pseries", "kernel": "img-0123456789abcdef",
                 "bios": "img-00112233445566ff", "cmdline": "console=hvc0"},
                {"snapshot_id": "snp-0123456789abcdef"},
            ],
            "anyOf": _SOURCES,  # _source
        },
    }  # fmt: skip
    image_id: str | None = None
    snapshot_id: str | None = Field(
        default=None, description="re-create a session at this snapshot (same image and config)"
    )
    profile: Literal["powernv", "guest", "pseries"] = "powernv"
    kernel: str | None = Field(
        default=None, description="pseries: the image id of the kernel ELF (vmlinux)"
    )
    initrd: str | None = Field(
        default=None, description="pseries: the image id of an initrd (uploaded as raw)"
    )
    cmdline: str | None = Field(
        default=None, max_length=2048, description="pseries: the kernel command line"
    )
    bios: str | None = Field(
        default=None,
        description="pseries: the image id of a firmware image (uploaded as raw, at most 4 MiB) "
        "booted as QEMU's -bios: at 0, entered at 0x100 with r3 = the device tree; the kernel "
        "then goes at 0x400000",
    )
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
        if self.snapshot_id is not None:
            return self
        if self.profile == "pseries":
            if self.kernel is None:
                raise ValueError("a pseries session boots a kernel: give kernel (an image id)")
            if self.image_id is not None:
                raise ValueError("a pseries session takes kernel (and initrd), not image_id")
        else:
            if any(v is not None for v in (self.kernel, self.initrd, self.cmdline, self.bios)):
                raise ValueError("kernel, initrd, cmdline and bios are for profile pseries")
            if self.image_id is None:
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
    kernel: str | None = Field(default=None, description="pseries: the kernel's image id")
    initrd: str | None = Field(default=None, description="pseries: the initrd's image id")
    cmdline: str | None = Field(default=None, description="pseries: the kernel command line")
    bios: str | None = Field(default=None, description="pseries: the firmware image's id")


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
    state: Literal["running", "stopped", "lost"] = Field(
        description="lost: the session's engine worker died; restore it from a snapshot"
    )
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
