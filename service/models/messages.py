"""Client messages on the WebSocket event stream: one model per ``op``, a union tagged by it.

The same strict rules as request bodies: a boolean is not an integer, unknown keys are
refused, and the first failing field is named in the ``error`` event's problem."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from .common import WHOLE, Input, Int, VcpuIndex
from .console import MAX_INPUT

MaxCount = 1 << 62
Cid = str | int | None  # echoed in the reply so a client can match it to its command


class TraceSelection(Input):
    vcpus: list[VcpuIndex] | None = Field(default=None, max_length=64, description="default: all")
    registers: list[Annotated[str, Field(max_length=32)]] | None = Field(
        default=None, max_length=256
    )


class Subscribe(Input):
    op: Literal["subscribe"]
    id: Cid = None
    types: list[Annotated[str, Field(max_length=32)]] | None = Field(default=None, max_length=32)
    trace: TraceSelection | None = None
    batch: bool = False
    since: Annotated[int, Field(ge=0), WHOLE] | None = Field(
        default=None, description="replay from this seq"
    )


class Step(Input):
    op: Literal["step"]
    id: Cid = None
    vcpu: Int = Field(default=0, ge=0, le=63)
    count: Int = Field(default=1, ge=1, le=MaxCount)
    mode: Literal["into", "over", "out"] = "into"


class Continue(Input):
    op: Literal["continue"]
    id: Cid = None
    vcpus: list[VcpuIndex] | None = Field(default=None, max_length=64)
    until: list[str | Int] | None = Field(default=None, max_length=64)
    budget: Annotated[int, Field(ge=1, le=MaxCount), WHOLE] | None = None


class Halt(Input):
    op: Literal["halt"]
    id: Cid = None


class ConsoleInput(Input):
    """Text typed at the guest's console (UTF-8), accepted while the session runs."""

    op: Literal["console-input"]
    id: Cid = None
    data: str = Field(min_length=1, max_length=MAX_INPUT)


Message = Annotated[Subscribe | Step | Continue | Halt | ConsoleInput, Field(discriminator="op")]
MESSAGE: TypeAdapter[Subscribe | Step | Continue | Halt | ConsoleInput] = TypeAdapter(Message)
OPS = ("subscribe", "step", "continue", "halt", "console-input")
