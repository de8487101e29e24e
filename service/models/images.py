from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from .common import Hex, Input, Links, Model


class ImageCreate(Input):
    """Upload an ELF or raw image as base64, or assembly source when binutils are installed."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {"name": "prog.elf", "format": "auto", "data_base64": "f0VMRgIC..."},
                {"name": "hello", "source": ".globl _start\n_start: li 3, 1\ndone: b done\n"},
            ]
        },
    }
    name: str = Field(default="image", max_length=200)
    format: Literal["auto", "elf", "raw"] = "auto"
    data_base64: str | None = None
    source: str | None = Field(default=None, description="PowerPC64 assembly (GNU as syntax)")
    endian: Literal["big", "little"] = Field(default="big", description="for source only")

    @model_validator(mode="after")
    def _one_input(self) -> ImageCreate:
        if (self.data_base64 is None) == (self.source is None):
            raise ValueError("give exactly one of data_base64 and source")
        return self


class SegmentPublic(Model):
    paddr: Hex
    vaddr: Hex
    filesz: int
    memsz: int


class ImagePublic(Model):
    id: str
    name: str
    format: Literal["elf", "raw"]
    entry: Hex
    symbols: dict[str, Hex]
    segments: list[SegmentPublic]
    size: int
    sha256: str
    created_at: dt.datetime
    links: Links


class ImagesPublic(Model):
    data: list[ImagePublic]
    count: int
