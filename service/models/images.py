from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from .common import Hex, Input, Links, Model, given

# What base64.b64decode(validate=True) takes: groups of four, padded.
B64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class ImageCreate(Input):
    """Upload an ELF or raw image as base64, or assembly source when binutils are installed."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {"name": "prog.bin", "format": "raw", "data_base64": "OGAAAUgAAAA="},
                {"name": "hello", "source": ".globl _start\n_start: li 3, 1\ndone: b done\n"},
            ],
            # what _one_input checks, said in the schema
            "oneOf": given("data_base64", "source"),
        },
    }
    name: str = Field(default="image", max_length=200)
    format: Literal["auto", "elf", "raw"] = "auto"
    data_base64: str | None = Field(default=None, pattern=B64,
                                    description="the file, base64 (RFC 4648)")  # fmt: skip
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
    source: list[str] = Field(description="its source files' names (GET .../source has them)")
    lines: int = Field(description="rows of its DWARF line table (0: built without -g)")
    links: Links


class SourceLine(Model):
    address: Hex
    file: str
    line: int


class SourcePublic(Model):
    files: dict[str, str] = Field(description="source file name -> its text")
    lines: list[SourceLine] = Field(description="the DWARF line table, by address")


class ImagesPublic(Model):
    data: list[ImagePublic]
    count: int
