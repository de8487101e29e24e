from __future__ import annotations

from typing import Any

from pydantic import Field

from .common import Hex, Model, parse_int  # noqa: F401  (parse_int: the routes' input rule)


class RegistersPublic(Model):
    vcpu: int
    registers: dict[str, Hex | None] = Field(
        description="0x%016x, or 0x%08x for the 32-bit cr, xer and fpscr; null if unreadable",
        examples=[{"pc": "0x0000000000001000", "cr": "0x20000000"}],
    )


class RegistersUpdate(Model):
    """Register values: hex strings, decimal strings or integers, by ISA name."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"registers": {"r3": "0x10", "pc": 4096, "cr": "0"}}]},
    }
    registers: dict[str, Any] = Field(min_length=1, max_length=512)
