"""Loading guest images: ELF (pyelftools; the symbol table read with struct) and raw binaries.

- Raw binaries load at physical 0 and start at 0x10 (docs/machine.md, like QEMU's ``-bios``).
- ELF images load by their PT_LOAD segments at the segments' *physical* addresses;
  ``memsz`` beyond ``filesz`` is bss, zero-filled (memory starts zeroed, so only the file
  bytes are written).
- ELF entry (docs/machine.md): ELFv2 (``e_flags`` 2) and little-endian images start at
  ``e_entry``. A big-endian ELFv1 image starts at ``e_entry`` too unless ``e_entry`` lies
  inside ``.opd``: only then is it a function descriptor, and the vCPU starts at its first
  doubleword with r2 = its second (the TOC), as gdb and the Linux loader read it. A BE
  vmlinux (``__start`` in ``.text``) and a bare-metal ELF whose entry is code start at the
  code itself. ELFv1 function symbols that point into ``.opd`` resolve to their code.

The header, the program header table and every PT_LOAD range are checked by hand before
pyelftools sees the file, so a bad image gets a message naming what is wrong rather than
a structure-parsing exception.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

RAW_ENTRY = 0x10
ELF_MAGIC = b"\x7fELF"
EM_PPC64 = 21
EM_NAMES = {0: "none", 3: "x86 (EM_386)", 20: "32-bit PowerPC (EM_PPC)", 62: "x86-64",
            40: "ARM", 183: "AArch64", 243: "RISC-V"}  # fmt: skip
ELF64_EHDR_SIZE = 64
ELF64_PHDR_SIZE = 56
PT_LOAD = 1


class ImageError(ValueError):
    """A malformed or unsupported image; the message names what is wrong."""


@dataclass(frozen=True)
class Segment:
    paddr: int
    data: bytes  # the file bytes (filesz); memsz - filesz more bytes of zeros follow
    memsz: int
    vaddr: int | None = None  # None: same as paddr

    @property
    def virtual(self) -> int:
        return self.paddr if self.vaddr is None else self.vaddr


@dataclass
class Image:
    format: str  # "elf" or "raw"
    entry: int
    segments: list[Segment]
    symbols: dict[str, int] = field(default_factory=dict)
    byte_order: str = "big"  # of the ELF file; a raw image has none of its own
    elf_abi: int | None = None  # 1 or 2 for ELF (from e_flags, or inferred from .opd)
    toc: int | None = None  # r2 at reset: the entry descriptor's TOC (BE ELFv1 through .opd)
    # DWARF line table (from .debug_line, when built with -g): (address, file, line), sorted
    lines: tuple[tuple[int, str, int], ...] = ()
    # ELFv2 functions with a separate local entry point: name -> its offset from the symbol
    # (st_other; callers that share the TOC branch there, past the r2 set-up).
    local_entry: dict[str, int] = field(default_factory=dict)

    def code_address(self, name: str) -> int:
        """Where execution of symbol ``name`` arrives, for a breakpoint: an ELFv2 function's
        local entry point (the global entry falls through to it, so both kinds of call stop
        there), as gdb's ppc64 breakpoints do; else the symbol's value. KeyError if unknown."""
        return self.symbols[name] + self.local_entry.get(name, 0)

    def read_virtual(self, addr: int, length: int) -> bytes | None:
        """Bytes at virtual ``addr`` from the segments (bss reads as zero), or None."""
        for seg in self.segments:
            off = addr - seg.virtual
            if 0 <= off and off + length <= seg.memsz:
                chunk = seg.data[off : off + length]
                return chunk + bytes(length - len(chunk))
        return None

    def check_fits(self, ram: int) -> None:
        """ImageError when a segment lies (partly) outside ``ram`` bytes of RAM."""
        for seg in self.segments:
            if seg.paddr + seg.memsz > ram:
                raise ImageError(
                    f"segment at physical 0x{seg.paddr:x} ({seg.memsz} bytes) lies outside "
                    f"RAM ({ram >> 20} MiB, ends at 0x{ram:x})"
                )


def load_image(data: bytes, fmt: str = "auto", ram: int | None = None) -> Image:
    """Parse an image; with ``ram``, also check that every segment fits in RAM."""
    if fmt not in ("auto", "elf", "raw"):
        raise ImageError(f"unknown image format {fmt!r} (auto, elf or raw)")
    if not data:
        raise ImageError("the image is empty")
    if fmt == "elf" or (fmt == "auto" and data[:4] == ELF_MAGIC):
        image = _load_elf(bytes(data))
    else:
        if fmt == "auto" and _is_text(data):
            # A README or a source file uploaded by mistake would otherwise run as code.
            first = data.split(b"\n", 1)[0][:40].decode("utf-8", "replace")
            raise ImageError(
                f"the file is text ({first!r}...), not an ELF or a raw binary; give format "
                "'raw' to run its bytes as code anyway"
            )
        image = Image("raw", RAW_ENTRY, [Segment(0, bytes(data), len(data))])
    if ram is not None:
        image.check_fits(ram)
    return image


def _is_text(data: bytes) -> bool:
    """UTF-8 of printable characters and ordinary white space only. PowerPC code is almost
    never that: most instruction words hold a byte below 0x20 or above 0x7e."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\t\n\r\f\v" for c in text)


# -- ELF ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Phdr:
    type: int
    offset: int
    vaddr: int
    paddr: int
    filesz: int
    memsz: int


def _check_header(data: bytes) -> tuple[str, int, list[_Phdr]]:
    """Validate identification, header and program headers; (byte order, e_flags, phdrs)."""
    if data[:4] != ELF_MAGIC:
        raise ImageError("not an ELF file (bad magic)")
    if len(data) < 6:
        raise ImageError(f"ELF header truncated ({len(data)} of {ELF64_EHDR_SIZE} bytes)")
    cls, enc = data[4], data[5]
    if cls == 1:
        raise ImageError("ELF class is 32-bit (ELFCLASS32); ppcdbg runs 64-bit PowerPC images")
    if cls != 2:
        raise ImageError(f"ELF class byte is {cls}, neither 32-bit (1) nor 64-bit (2)")
    if enc not in (1, 2):
        raise ImageError(f"ELF data encoding byte is {enc}, neither little (1) nor big (2)")
    if len(data) < ELF64_EHDR_SIZE:
        raise ImageError(f"ELF header truncated ({len(data)} of {ELF64_EHDR_SIZE} bytes)")
    e = "<" if enc == 1 else ">"
    (_type, machine, _ver, _entry, phoff, _shoff, flags, _ehsize, phentsize, phnum,
     _shentsize, _shnum, _shstrndx) = struct.unpack_from(e + "HHIQQQIHHHHHH", data, 16)  # fmt: skip
    if machine != EM_PPC64:
        name = EM_NAMES.get(machine, f"machine {machine}")
        raise ImageError(f"ELF machine is {name}, not 64-bit PowerPC (EM_PPC64)")
    if phnum == 0:
        raise ImageError("ELF has no program headers, so no PT_LOAD segment")
    if phentsize < ELF64_PHDR_SIZE:
        raise ImageError(f"ELF program header entry size {phentsize} is too small")
    if phoff + phnum * phentsize > len(data):
        raise ImageError(
            f"ELF program header table truncated (needs bytes up to 0x{phoff + phnum * phentsize:x}"
            f", file has 0x{len(data):x})"
        )
    phdrs = []
    for i in range(phnum):
        p_type, _pflags, off, vaddr, paddr, filesz, memsz, _align = struct.unpack_from(
            e + "IIQQQQQQ", data, phoff + i * phentsize
        )
        phdrs.append(_Phdr(p_type, off, vaddr, paddr, filesz, memsz))
    return ("little" if enc == 1 else "big"), flags, phdrs


def _load_elf(data: bytes) -> Image:
    order, flags, phdrs = _check_header(data)
    segments = []
    for p in phdrs:
        if p.type != PT_LOAD:
            continue
        if p.filesz > p.memsz:
            raise ImageError(
                f"PT_LOAD segment at 0x{p.paddr:x} has filesz {p.filesz} > memsz {p.memsz}"
            )
        if p.offset + p.filesz > len(data):
            have = max(0, len(data) - p.offset)
            raise ImageError(
                f"PT_LOAD segment at 0x{p.paddr:x} is truncated ({have} of {p.filesz} bytes "
                "in the file)"
            )
        for what, base in (("physical", p.paddr), ("virtual", p.vaddr)):
            if base + p.memsz > 1 << 64:
                raise ImageError(
                    f"PT_LOAD segment at {what} 0x{base:x} ({p.memsz} bytes) wraps past 2^64"
                )
        body = data[p.offset : p.offset + p.filesz]
        segments.append(Segment(p.paddr, body, p.memsz, None if p.vaddr == p.paddr else p.vaddr))
    if not segments:
        raise ImageError("ELF has no PT_LOAD segment")
    _check_disjoint(segments)
    try:
        elf = ELFFile(io.BytesIO(data))
        entry = elf.header["e_entry"]
        rows = _symtab(elf, data)
        symbols, opd = _symbols(elf, rows)
    except ImageError:
        raise
    except (ELFError, ValueError, KeyError, OSError, AttributeError, TypeError) as e:
        raise ImageError(f"malformed ELF: {e}") from e
    except Exception as e:  # pyelftools raises bare construct errors on truncated sections
        raise ImageError(f"malformed ELF: {e.__class__.__name__}: {e}") from e
    # ELFv1 when the flags say so, or (flags 0, as GNU as leaves them without .abiversion)
    # when there is an .opd section.
    abi = flags & 3 or (1 if opd is not None else 2)
    image = Image("elf", entry, segments, {}, order, abi)

    def in_opd(addr: int) -> bool:
        return opd is not None and opd[0] <= addr < opd[1]

    if abi != 2 and order == "big" and in_opd(entry):
        image.entry, image.toc = _descriptor(image, entry, "e_entry")
    _check_entry(image)
    image.lines = _line_table(elf)
    for name, (value, is_func) in symbols.items():
        if abi != 2 and is_func and in_opd(value):
            value = _descriptor(image, value, f"symbol {name!r}")[0]
        image.symbols[name] = value
    if abi == 2:
        image.local_entry = _local_entries(rows)
    return image


# One .symtab row as the loader reads it: name, type (st_info's low bits), st_other,
# st_shndx, st_value.
_SymRow = tuple[str, int, int, int, int]
STT_NOTYPE, STT_OBJECT, STT_FUNC = 0, 1, 2
SHN_UNDEF = 0
ELF64_SYM_SIZE = 24


def _symtab(elf: ELFFile, data: bytes) -> list[_SymRow]:
    """The .symtab rows (none without one), unpacked with struct: pyelftools builds a
    structure per symbol, seconds for a kernel's 100,000. Names are read as pyelftools
    reads them (NUL-terminated from the string table's file offset on, UTF-8 with
    replacement). A table that is not plain ELF64 rows inside the file is left to
    pyelftools, so its errors stay its own."""
    symtab = elf.get_section_by_name(".symtab")
    if symtab is None:
        return []
    iter_symbols = symtab.iter_symbols  # type: ignore[attr-defined]  # not a symbol table: as before
    off, size, entsize = symtab["sh_offset"], symtab["sh_size"], symtab["sh_entsize"]
    if entsize != ELF64_SYM_SIZE or off + size > len(data) or size % entsize:
        return [
            (s.name, _STT.get(s["st_info"]["type"], -1), _other(s["st_other"]),
             _shndx(s["st_shndx"]), s["st_value"])
            for s in iter_symbols()
        ]  # fmt: skip
    strtab = elf.get_section(symtab["sh_link"])["sh_offset"]
    fmt = ("<" if elf.little_endian else ">") + "IBBHQQ"
    rows: list[_SymRow] = []
    names: dict[int, str] = {}
    for st_name, info, other, shndx, value, _size in struct.iter_unpack(
        fmt, data[off : off + size]
    ):
        name = names.get(st_name)
        if name is None:
            start = strtab + st_name
            end = data.find(b"\0", start)
            raw = data[start : end if end >= 0 else len(data)]
            name = names[st_name] = raw.decode("utf-8", errors="replace") if raw else ""
        rows.append((name, info & 0xF, other, shndx, value))
    return rows


# pyelftools' names for the values the loader reads (its fallback path).
_STT = {"STT_NOTYPE": STT_NOTYPE, "STT_OBJECT": STT_OBJECT, "STT_FUNC": STT_FUNC}


def _other(other: object) -> int:
    """st_other as a number from pyelftools' form ({"local": bits 5-7, "visibility": ...})."""
    if isinstance(other, int):
        return other
    return int(other["local"]) << 5  # type: ignore[index]


def _shndx(shndx: object) -> int:
    return SHN_UNDEF if shndx == "SHN_UNDEF" else shndx if isinstance(shndx, int) else -1


def _local_entries(rows: list[_SymRow]) -> dict[str, int]:
    """ELFv2 local entry offsets (st_other bits 5-7: 2..6 encode (1 << v) >> 2 instructions,
    the ABI's PPC64_LOCAL_ENTRY_OFFSET), for the functions that have one."""
    out: dict[str, int] = {}
    for name, kind, other, _shndx, _value in rows:
        if name and kind == STT_FUNC:
            v = (other >> 5) & 7
            if 2 <= v <= 6:
                out.setdefault(name, ((1 << v) >> 2) << 2)
    return out


def _symbols(
    elf: ELFFile, rows: list[_SymRow]
) -> tuple[dict[str, tuple[int, bool]], tuple[int, int] | None]:
    """(name -> (value, is function)), and the .opd address range if there is one."""
    symbols: dict[str, tuple[int, bool]] = {}
    for name, kind, _other, shndx, value in rows:
        if name and kind in (STT_NOTYPE, STT_FUNC, STT_OBJECT) and shndx != SHN_UNDEF:
            symbols.setdefault(name, (value, kind == STT_FUNC))
    opd_sec = elf.get_section_by_name(".opd")
    opd = None
    if opd_sec is not None:
        opd = (opd_sec["sh_addr"], opd_sec["sh_addr"] + opd_sec["sh_size"])
    return symbols, opd


def _line_table(elf: ELFFile) -> tuple[tuple[int, str, int], ...]:
    """(address, source file, line) rows of the DWARF line programs, sorted by address: the
    source view's map. Debug information is optional, so a table that does not parse is
    no table (the image still loads)."""
    rows: set[tuple[int, str, int]] = set()
    try:
        if not elf.has_dwarf_info():
            return ()
        dwarf = elf.get_dwarf_info()
        for cu in dwarf.iter_CUs():
            program = dwarf.line_program_for_CU(cu)
            if program is None:
                continue
            files = program["file_entry"]
            base = 0 if program["version"] >= 5 else 1  # DWARF 5 numbers files from 0
            for entry in program.get_entries():
                st = entry.state
                if st is None or st.end_sequence or not 0 <= st.file - base < len(files):
                    continue
                name = files[st.file - base].name.decode("utf-8", "replace")
                rows.add((st.address, name, st.line))
    except Exception:  # noqa: BLE001 - malformed debug info: no source view, not a bad image
        return ()
    return tuple(sorted(rows))


def _check_disjoint(segments: list[Segment]) -> None:
    """Two PT_LOAD segments whose file bytes land on the same physical bytes: which would the
    guest see? (A segment's zero-filled tail may lie under the next one's bytes: ld lays out
    .bss that way with AT(), and memory starts zeroed, so only file bytes are written.)"""
    spans = sorted((s.paddr, s.paddr + len(s.data)) for s in segments if s.data)
    for (a0, a1), (b0, b1) in zip(spans, spans[1:], strict=False):
        if b0 < a1:
            raise ImageError(
                f"PT_LOAD segments overlap: physical 0x{a0:x}-0x{a1 - 1:x} and "
                f"0x{b0:x}-0x{b1 - 1:x}"
            )


def _check_entry(image: Image) -> None:
    """The first instruction must be a word the image loads (by its virtual or its physical
    address: a kernel linked at 0xc000... starts in real mode at its physical copy)."""
    entry = image.entry
    if entry % 4:
        raise ImageError(f"ELF entry 0x{entry:x} is not word-aligned")
    for seg in image.segments:
        if any(0 <= entry - base < seg.memsz for base in (seg.virtual, seg.paddr)):
            return
    raise ImageError(f"ELF entry 0x{entry:x} lies outside every PT_LOAD segment")


def _descriptor(image: Image, addr: int, what: str) -> tuple[int, int]:
    """(code address, TOC): the first two doublewords of the ELFv1 descriptor at ``addr``."""
    raw = image.read_virtual(addr, 16)
    if raw is None:
        raise ImageError(
            f"ELFv1 {what} 0x{addr:x} points at a function descriptor outside every PT_LOAD segment"
        )
    order = image.byte_order
    return int.from_bytes(raw[:8], order), int.from_bytes(raw[8:], order)  # type: ignore[arg-type]
