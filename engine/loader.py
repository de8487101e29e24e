"""Loading guest images: ELF (pyelftools) and raw binaries."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

RAW_ENTRY = 0x10
ELF_MAGIC = b"\x7fELF"
EM_PPC64 = "EM_PPC64"


class ImageError(ValueError):
    """A malformed or unsupported image; the message names what is wrong."""


@dataclass(frozen=True)
class Segment:
    paddr: int
    data: bytes
    memsz: int


@dataclass
class Image:
    format: str  # "elf" or "raw"
    entry: int
    segments: list[Segment]
    symbols: dict[str, int] = field(default_factory=dict)
    byte_order: str = "big"  # of the ELF file; a raw image has none of its own
    elf_abi: int | None = None  # 1 or 2 (e_flags) for ELF

    def symbol_at(self, addr: int) -> str | None:
        for name, value in self.symbols.items():
            if value == addr:
                return name
        return None


def load_image(data: bytes, fmt: str = "auto") -> Image:
    if fmt not in ("auto", "elf", "raw"):
        raise ImageError(f"unknown image format {fmt!r} (auto, elf or raw)")
    if fmt == "elf" or (fmt == "auto" and data[:4] == ELF_MAGIC):
        return _load_elf(data)
    if not data:
        raise ImageError("the image is empty")
    return Image("raw", RAW_ENTRY, [Segment(0, bytes(data), len(data))])


def _load_elf(data: bytes) -> Image:
    try:
        elf = ELFFile(io.BytesIO(data))
        if elf.header["e_machine"] != EM_PPC64:
            raise ImageError(f"ELF machine is {elf.header['e_machine']}, not EM_PPC64")
        if elf.elfclass != 64:
            raise ImageError("ELF class is 32-bit; ppcdbg runs 64-bit PowerPC images")
        segments = []
        for seg in elf.iter_segments():
            if seg["p_type"] != "PT_LOAD":
                continue
            body = seg.data()
            if len(body) != seg["p_filesz"]:
                raise ImageError(
                    f"PT_LOAD segment at 0x{seg['p_paddr']:x} is truncated "
                    f"({len(body)} of {seg['p_filesz']} bytes)"
                )
            segments.append(Segment(seg["p_paddr"], body, seg["p_memsz"]))
        if not segments:
            raise ImageError("ELF has no PT_LOAD segment")
        symbols: dict[str, int] = {}
        symtab = elf.get_section_by_name(".symtab")
        if symtab is not None:
            for sym in symtab.iter_symbols():  # type: ignore[attr-defined]
                if sym.name and sym["st_info"]["type"] in ("STT_NOTYPE", "STT_FUNC", "STT_OBJECT"):
                    symbols.setdefault(sym.name, sym["st_value"])
        abi = elf.header["e_flags"] & 3 or None
        order = "little" if elf.little_endian else "big"
        return Image("elf", elf.header["e_entry"], segments, symbols, order, abi)
    except ImageError:
        raise
    except (ELFError, ValueError, KeyError, OSError, AttributeError, TypeError) as e:
        raise ImageError(f"malformed ELF: {e}") from e
    except Exception as e:  # pyelftools raises bare structure errors on truncation
        raise ImageError(f"malformed ELF: {e.__class__.__name__}: {e}") from e
