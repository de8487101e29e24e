from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .common import WHOLE, Address, Hex, Input, Int, Links, Model, VcpuIndex

Kind = Literal["software", "hardware", "watchpoint", "catchpoint"]


class BreakpointCreate(Input):
    """A breakpoint by address or symbol, a watchpoint, or a catchpoint."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {"kind": "software", "address": "0x1000"},
                {"kind": "software", "symbol": "done", "condition": "r3 == 0"},
                {"kind": "watchpoint", "symbol": "counter", "length": 8, "access": "write"},
                {"kind": "catchpoint", "vector": "0x700"},
            ],
            "not": {"required": ["address", "symbol"]},  # _where
        },
    }
    kind: Kind = "software"
    address: Address | None = None
    symbol: str | None = Field(default=None, max_length=200)
    length: Int = Field(default=4, ge=1, le=1 << 20)
    access: Literal["read", "write", "access"] = "write"
    vector: Address | None = None
    hypercall: Annotated[int, Field(ge=-1, le=0xFFFF), WHOLE] | None = None
    condition: str | None = Field(default=None, max_length=1000)
    ignore_count: Int = Field(default=0, ge=0, le=1 << 62)
    temporary: bool = False
    enabled: bool = True
    vcpus: list[VcpuIndex] | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _where(self) -> BreakpointCreate:
        if self.address is not None and self.symbol is not None:
            raise ValueError("give address or symbol, not both")
        return self


class BreakpointUpdate(Input):
    """Change a breakpoint: only the fields given change (``condition: ""`` removes it)."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"enabled": False}, {"condition": "vcpu == 1"}]},
    }
    enabled: bool | None = None
    condition: str | None = Field(default=None, max_length=1000)
    ignore_count: Annotated[int, Field(ge=0, le=1 << 62), WHOLE] | None = None
    temporary: bool | None = None
    vcpus: list[VcpuIndex] | None = Field(default=None, max_length=64)


class BreakpointPublic(Model):
    id: str
    kind: Kind
    address: Hex | None
    symbol: str | None
    length: int
    access: str | None
    vector: Hex | None
    hypercall: int | None
    condition: str | None
    ignore_count: int
    hit_count: int
    temporary: bool
    enabled: bool
    vcpus: list[int] | None
    links: Links


class BreakpointsPublic(Model):
    data: list[BreakpointPublic]
    count: int
