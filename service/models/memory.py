from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import Address, Hex, Input, Int, Model


class MemoryPublic(Model):
    address: Hex
    length: int
    space: Literal["physical", "effective"]
    data: str = Field(description="the bytes as lower-case hex", examples=["7c0802a6"])


class MemoryWrite(Input):
    """Bytes to write (hex), at a physical or effective address."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"address": "0x2000", "data": "00000001"}]},
    }
    address: Address
    data: str = Field(pattern=r"^([0-9a-fA-F]{2})+$", max_length=2 << 20,
                      description="hex, at least one byte")  # fmt: skip
    space: Literal["physical", "effective"] = "physical"
    vcpu: Int = Field(default=0, ge=0, le=63)


class InstructionPublic(Model):
    address: Hex
    word: str
    mnemonic: str
    operands: str
    text: str
    symbol: str | None


class DisassemblyPublic(Model):
    data: list[InstructionPublic]
    count: int
