from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from engine.target import ARCHITECTED, VECTOR

from .common import Hex, Input, Model, parse_int  # noqa: F401  (parse_int: the routes' input rule)

# The register groups of ``GET .../registers?group=``: the architected set (what a
# plain GET returns: no vector registers, so a stop does not fetch 96 x 128 bits), the
# vector facility's registers (VMX and VSX), or both.
RegisterGroup = Literal["architected", "vector", "all"]
VECTOR_GROUP = (*VECTOR, "vrsave")
GROUPS: dict[str, tuple[str, ...]] = {
    "architected": tuple(ARCHITECTED),
    "vector": VECTOR_GROUP,
    "all": (*ARCHITECTED, *(n for n in VECTOR_GROUP if n not in ARCHITECTED)),
}

U128_MAX = (1 << 128) - 1
RegisterValue = Annotated[
    Any,
    WithJsonSchema({
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": U128_MAX},
            {"type": "string", "pattern": r"^\s*(0[xX][0-9a-fA-F]{1,32}|[0-9]{1,39})\s*$"},
        ],
        "description": "hex string, decimal string or integer, within the register's width "
        "(32, 64 or 128 bits; vr0-vr31 and vs0-vs63 are 128-bit, byte 0 most significant)",
    }),
]  # fmt: skip


class RegistersPublic(Model):
    vcpu: int
    registers: dict[str, Hex | None] = Field(
        description="0x%016x; 0x%08x for the 32-bit cr, xer, fpscr and vscr; 0x%032x for the "
        "128-bit vr0-vr31 and vs0-vs63 (byte 0, the most significant, first); null if "
        "unreadable",
        examples=[{"pc": "0x0000000000001000", "cr": "0x20000000",
                   "vr0": "0x000102030405060708090a0b0c0d0e0f"}],
    )  # fmt: skip


class RegistersUpdate(Input):
    """Register values: hex strings, decimal strings or integers, by ISA name."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"registers": {
            "r3": "0x10", "pc": 4096, "cr": "0", "vr2": "0x00000001000000020000000300000004",
        }}]},
    }  # fmt: skip
    registers: dict[str, RegisterValue] = Field(min_length=1, max_length=512)
