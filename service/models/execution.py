from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .common import WHOLE, Address, Input, Int, VcpuIndex, given


class StepRequest(Input):
    """Step one vCPU ``count`` times."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"count": 1, "mode": "into"}]},
    }
    count: Int = Field(default=1, ge=1)
    mode: Literal["into", "over", "out"] = "into"


class ContinueRequest(Input):
    """Continue all vCPUs (or some) until a stop, an ``until`` address or the budget."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{}, {"vcpus": [0], "until": ["done"]}]},
    }
    vcpus: list[VcpuIndex] | None = Field(default=None, max_length=64)
    until: list[str | Int] | None = Field(
        default=None, max_length=64, description="addresses (hex/decimal) or symbols"
    )
    budget: Annotated[int, Field(ge=1), WHOLE] | None = Field(
        default=None, description="instructions, at most the limit"
    )


class RunToRequest(Input):
    """Run until ``address`` (or ``symbol``) is reached."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"symbol": "done"}, {"address": "0x1040", "vcpu": 0}],
            "oneOf": given("address", "symbol"),  # _where
        },
    }
    address: Address | None = None
    symbol: str | None = Field(default=None, max_length=200)
    vcpu: VcpuIndex | None = None

    @model_validator(mode="after")
    def _where(self) -> RunToRequest:
        if (self.address is None) == (self.symbol is None):
            raise ValueError("give exactly one of address and symbol")
        return self


class ReverseStepRequest(Input):
    """Go back one instruction of ``vcpu``."""

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [{"vcpu": 0}]}}
    vcpu: Int = Field(default=0, ge=0, le=63)
