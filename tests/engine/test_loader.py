"""Image loading: ELFv1/ELFv2 in both byte orders (built with binutils), raw, malformed."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from engine.loader import ImageError, Segment, load_image
from engine.machine import Machine, MachineConfig
from tests.asm import assemble_elf
from tests.conftest import require_tool

# -- images built with the cross binutils at test time --------------------------------
V1_SOURCE = """
    .abiversion 1
    .section .opd,"aw"
    .align 3
    .globl _start
    .type _start,@function
_start:
    .quad .L_start, .TOC.@tocbase, 0
    .globl func
    .type func,@function
func:
    .quad .L_func, .TOC.@tocbase, 0
    .text
.L_start:
    li 3, 1
    bl .L_func
done: b done
.L_func:
    blr
    .data
value: .quad 0x1122334455667788
    .bss
buf: .space 0x3000
"""

# ELFv1 with an .opd (func's descriptor) whose entry, _start, is code in .text: a BE vmlinux
# (__start) or a bare-metal program. It starts at the code itself.
V1_CODE_ENTRY_SOURCE = """
    .abiversion 1
    .section .opd,"aw"
    .align 3
    .globl func
    .type func,@function
func:
    .quad .L_func, .TOC.@tocbase, 0
    .text
    .globl _start
_start:
    li 3, 1
    bl .L_func
done: b done
.L_func:
    blr
"""

V2_SOURCE = """
    .abiversion 2
    .text
    .globl _start
    .type _start,@function
_start:
    li 3, 1
    bl func
done: b done
    .globl func
    .type func,@function
func:
    blr
    .data
value: .quad 0x1122334455667788
    .bss
buf: .space 0x3000
"""

LDSCRIPT_AT = """
SECTIONS {
  . = 0xc000000000001000;
  .text : AT(0x1000) { *(.text) }
  .data : AT(0x3000) { *(.data) }
}
ENTRY(_start)
"""


def build(tmp: Path, source: str, little: bool, script: str | None = None) -> bytes:
    prefix = "powerpc64le-linux-gnu-" if little else "powerpc64-linux-gnu-"
    asm, ld = require_tool(prefix + "as"), require_tool(prefix + "ld")
    (tmp / "p.S").write_text(source)
    subprocess.run([asm, "-mpower9", "-o", str(tmp / "p.o"), str(tmp / "p.S")], check=True)
    link = ["-Ttext=0x1000"]
    if script is not None:
        (tmp / "p.ld").write_text(script)
        link = ["-T", str(tmp / "p.ld")]
    subprocess.run([ld, *link, "-o", str(tmp / "p.elf"), str(tmp / "p.o")], check=True)
    return (tmp / "p.elf").read_bytes()


@pytest.mark.binutils
def test_be_elfv1_entry_in_opd_goes_through_the_descriptor(tmp_path: Path) -> None:
    image = load_image(build(tmp_path, V1_SOURCE, False))
    assert image.elf_abi == 1
    assert image.byte_order == "big"
    assert image.entry == 0x1000  # .L_start, not the descriptor in .opd
    assert image.symbols["_start"] == 0x1000
    assert image.symbols["func"] == 0x100C  # function symbols resolve to code too
    assert image.symbols["done"] == 0x1008
    m = Machine(image, MachineConfig(memory=16 << 20))
    cpu = m.vcpus[0]
    assert cpu.nia == 0x1000
    toc = _opd_doubleword(tmp_path, "_start", 1)
    assert toc != 0 and cpu.gpr[2] == image.toc == toc  # r2 = the descriptor's second doubleword


@pytest.mark.binutils
def test_be_elfv1_entry_in_text_starts_at_e_entry(tmp_path: Path) -> None:
    image = load_image(build(tmp_path, V1_CODE_ENTRY_SOURCE, False))
    assert image.elf_abi == 1
    assert image.entry == 0x1000  # e_entry: code, not read as a descriptor
    assert image.symbols["func"] == 0x100C  # func's descriptor in .opd still resolves
    m = Machine(image, MachineConfig(memory=16 << 20))
    cpu = m.vcpus[0]
    assert (cpu.nia, cpu.gpr[2], image.toc) == (0x1000, 0, None)
    assert cpu.fetch(cpu.nia) == 0x38600001  # li 3, 1


@pytest.mark.binutils
def test_le_elfv1_starts_at_e_entry(tmp_path: Path) -> None:
    # docs/machine.md "ELF entry": little-endian images start at e_entry, whatever it points at.
    data = build(tmp_path, V1_SOURCE, True)
    image = load_image(data)
    assert (image.elf_abi, image.byte_order) == (1, "little")
    e_entry = int.from_bytes(data[24:32], "little")  # _start's descriptor in .opd
    assert image.entry == e_entry != 0x1000 and image.toc is None
    assert image.symbols["_start"] == 0x1000  # symbols name their code


def _opd_doubleword(tmp: Path, symbol: str, index: int) -> int:
    """Doubleword ``index`` of ``symbol``'s descriptor, read with pyelftools from p.elf."""
    from elftools.elf.elffile import ELFFile

    with open(tmp / "p.elf", "rb") as f:
        elf = ELFFile(f)
        sym = elf.get_section_by_name(".symtab").get_symbol_by_name(symbol)[0]  # type: ignore[union-attr]
        opd = elf.get_section_by_name(".opd")
        assert opd is not None
        off = sym["st_value"] - opd["sh_addr"] + 8 * index
        return int.from_bytes(opd.data()[off : off + 8], "big")


@pytest.mark.binutils
@pytest.mark.parametrize("little", [False, True], ids=["be", "le"])
def test_elfv2_entry_is_the_code_address(tmp_path: Path, little: bool) -> None:
    image = load_image(build(tmp_path, V2_SOURCE, little))
    assert image.elf_abi == 2
    assert image.entry == image.symbols["_start"] == 0x1000
    assert image.symbols["func"] == 0x100C
    order = "little" if little else "big"
    word = image.read_virtual(image.entry, 4)
    assert word is not None and int.from_bytes(word, order) == 0x38600001  # li 3, 1


@pytest.mark.binutils
@pytest.mark.parametrize("little", [False, True], ids=["be", "le"])
def test_bss_is_zero_filled_beyond_filesz(tmp_path: Path, little: bool) -> None:
    image = load_image(build(tmp_path, V2_SOURCE, little))
    buf = image.symbols["buf"]
    data_seg = next(s for s in image.segments if s.paddr <= buf < s.paddr + s.memsz)
    assert data_seg.memsz > len(data_seg.data)
    assert image.read_virtual(buf, 0x3000) == bytes(0x3000)
    m = Machine(image, MachineConfig(memory=16 << 20))
    assert m.mem.read_bytes(buf, 0x3000) == bytes(0x3000)
    order = "little" if little else "big"
    assert m.mem.read(image.symbols["value"], 8, order) == 0x1122334455667788


@pytest.mark.binutils
def test_segments_load_at_physical_addresses(tmp_path: Path) -> None:
    image = load_image(build(tmp_path, V2_SOURCE, False, LDSCRIPT_AT))
    assert image.entry == 0xC000000000001000  # e_entry stays virtual
    text = next(s for s in image.segments if s.paddr <= 0x1000 < s.paddr + s.memsz)
    assert text.virtual - text.paddr == 0xC000000000000000
    m = Machine(image, MachineConfig(memory=16 << 20))
    assert m.mem.read(0x1000, 4, "big") == 0x38600001
    assert m.mem.read(0x3000, 8, "big") == 0x1122334455667788
    # Real mode ignores EA bits 0:3, so the vCPU fetches the entry from physical 0x1000.
    assert m.vcpus[0].fetch(m.vcpus[0].nia) == 0x38600001


# -- raw binaries -----------------------------------------------------------------------
def test_raw_image_loads_at_zero_with_entry_0x10() -> None:
    image = load_image(b"\x00" * 16 + bytes.fromhex("38600001"))
    assert (image.format, image.entry) == ("raw", 0x10)
    assert image.segments == [Segment(0, image.segments[0].data, 20)]


def test_empty_file_is_an_error() -> None:
    with pytest.raises(ImageError, match="empty"):
        load_image(b"")


def test_raw_image_larger_than_ram_is_an_error() -> None:
    with pytest.raises(ImageError, match="outside RAM"):
        load_image(bytes(0x2000), ram=0x1000)


# -- hand-made ELF images (no binutils needed) -------------------------------------------
def make_elf(
    *,
    cls: int = 2,
    enc: int = 2,
    machine: int = 21,
    flags: int = 2,
    entry: int = 0x1000,
    phdrs: list[tuple[int, int, int, int, int]] | None = None,
    payload: bytes = bytes.fromhex("38600001") + bytes.fromhex("48000000"),
    opd: tuple[int, int] | None = None,
) -> bytes:
    """ELF64 with program headers (type, offset, paddr, filesz, memsz) after the header;
    with ``opd`` = (address, size), section headers naming an ``.opd`` section there."""
    e = ">" if enc == 2 else "<"
    if phdrs is None:
        phdrs = [(1, 64 + 56, 0x1000, len(payload), len(payload))]
    table = b"".join(
        struct.pack(e + "IIQQQQQQ", t, 5, off, pa, pa, fs, ms, 8) for t, off, pa, fs, ms in phdrs
    )
    body = table + payload
    shoff = shnum = shstrndx = 0
    if opd is not None:
        names = b"\0.opd\0.shstrtab\0"
        strtab_off = 64 + len(body)
        body += names
        shoff, shnum, shstrndx = 64 + len(body), 3, 2
        shdr = e + "IIQQQQIIQQ"
        body += struct.pack(shdr, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        body += struct.pack(shdr, 1, 1, 3, opd[0], 0, opd[1], 0, 0, 8, 0)  # .opd: PROGBITS, WA
        body += struct.pack(shdr, 6, 3, 0, 0, strtab_off, len(names), 0, 0, 1, 0)  # .shstrtab
    ident = b"\x7fELF" + bytes([cls, enc, 1]) + bytes(9)
    hdr = ident + struct.pack(
        e + "HHIQQQIHHHHHH", 2, machine, 1, entry, 64, shoff, flags, 64, 56, len(phdrs), 64,
        shnum, shstrndx,
    )  # fmt: skip
    return hdr + body


def test_hand_made_elf_loads() -> None:
    image = load_image(make_elf())
    assert (image.format, image.entry, image.elf_abi) == ("elf", 0x1000, 2)
    assert image.segments[0].paddr == 0x1000
    assert image.segments[0].data[:4] == bytes.fromhex("38600001")


def test_hand_made_little_endian_elf_loads() -> None:
    payload = (0x38600001).to_bytes(4, "little")
    image = load_image(make_elf(enc=1, payload=payload))
    assert image.byte_order == "little"
    assert image.segments[0].data == payload


def test_hand_made_bss_segment() -> None:
    image = load_image(make_elf(phdrs=[(1, 120, 0x1000, 8, 0x100)]))
    assert image.read_virtual(0x1008, 0xF8) == bytes(0xF8)


_CODE = bytes.fromhex("3860000148000000")  # li 3, 1; b .
_DESC = (0x1000).to_bytes(8, "big") + (0x8800).to_bytes(8, "big") + bytes(8)


def _v1_elf(entry: int, opd: tuple[int, int] | None) -> bytes:
    # Code at 0x1000 and a descriptor at 0x2000 (its own segment) pointing at it, TOC 0x8800.
    return make_elf(
        flags=1, entry=entry, payload=_CODE + _DESC, opd=opd,
        phdrs=[(1, 176, 0x1000, 8, 8), (1, 184, 0x2000, 24, 24)],
    )  # fmt: skip


def test_hand_made_elfv1_entry_in_opd_reads_descriptor() -> None:
    image = load_image(_v1_elf(0x2000, (0x2000, 24)))
    assert (image.elf_abi, image.entry, image.toc) == (1, 0x1000, 0x8800)
    cpu = Machine(image, MachineConfig(memory=16 << 20)).vcpus[0]
    assert (cpu.nia, cpu.gpr[2]) == (0x1000, 0x8800)


def test_hand_made_elfv1_entry_outside_opd_is_code() -> None:
    image = load_image(_v1_elf(0x1000, (0x2000, 24)))
    assert (image.elf_abi, image.entry, image.toc) == (1, 0x1000, None)


def test_hand_made_elfv1_without_opd_starts_at_e_entry() -> None:
    # e_flags say ELFv1, but there is no .opd: e_entry cannot be a descriptor.
    image = load_image(_v1_elf(0x2000, None))
    assert (image.elf_abi, image.entry) == (1, 0x2000)


def test_elfv1_descriptor_outside_segments_is_an_error() -> None:
    with pytest.raises(ImageError, match="function descriptor outside every PT_LOAD"):
        load_image(make_elf(flags=1, entry=0x9000, opd=(0x9000, 0x18)))


def test_wrong_machine_is_named() -> None:
    with pytest.raises(ImageError, match=r"machine is x86-64, not 64-bit PowerPC"):
        load_image(make_elf(machine=62))


def test_32bit_powerpc_elf_is_rejected_as_32bit() -> None:
    with pytest.raises(ImageError, match="32-bit"):
        load_image(make_elf(cls=1, machine=20))


def test_bad_data_encoding_is_named() -> None:
    with pytest.raises(ImageError, match="data encoding"):
        load_image(make_elf(enc=7))


def test_truncated_header() -> None:
    with pytest.raises(ImageError, match=r"header truncated \(20 of 64 bytes\)"):
        load_image(make_elf()[:20])


def test_truncated_header_inside_ident() -> None:
    with pytest.raises(ImageError, match="header truncated"):
        load_image(b"\x7fELF\x02")


def test_truncated_program_header_table() -> None:
    with pytest.raises(ImageError, match="program header table truncated"):
        load_image(make_elf()[:100])


def test_truncated_segment() -> None:
    elf = make_elf()
    with pytest.raises(ImageError, match=r"PT_LOAD segment at 0x1000 is truncated \(4 of 8"):
        load_image(elf[:-4])


def test_no_program_headers() -> None:
    with pytest.raises(ImageError, match="no PT_LOAD"):
        load_image(make_elf(phdrs=[]))


def test_only_non_load_segments() -> None:
    with pytest.raises(ImageError, match="no PT_LOAD"):
        load_image(make_elf(phdrs=[(4, 120, 0, 8, 8)]))  # PT_NOTE


def test_filesz_larger_than_memsz() -> None:
    with pytest.raises(ImageError, match="filesz 8 > memsz 4"):
        load_image(make_elf(phdrs=[(1, 120, 0x1000, 8, 4)]))


def test_segment_outside_ram() -> None:
    elf = make_elf(entry=0x4000_0000 - 4, phdrs=[(1, 120, 0x4000_0000 - 4, 8, 8)])
    with pytest.raises(ImageError, match="outside RAM"):
        load_image(elf, ram=1 << 30)
    with pytest.raises(ImageError, match="0x3ffffffc"):
        Machine(load_image(elf))


def test_forced_elf_format_on_non_elf() -> None:
    with pytest.raises(ImageError, match="bad magic"):
        load_image(b"\x00" * 64, fmt="elf")


def test_a_segment_that_wraps_past_2_64_is_refused() -> None:
    with pytest.raises(ImageError, match="wraps past 2\\^64"):
        load_image(make_elf(entry=0xFFFF_FFFF_FFFF_F000,
                            phdrs=[(1, 120, 0xFFFF_FFFF_FFFF_F000, 8, 0x2000)]))  # fmt: skip


def test_segments_whose_bytes_overlap_are_refused() -> None:
    with pytest.raises(ImageError, match="overlap: physical 0x1000-0x1007 and 0x1004-0x100b"):
        load_image(make_elf(phdrs=[(1, 176, 0x1000, 8, 8), (1, 176, 0x1004, 8, 8)]))


def test_a_bss_tail_under_the_next_segment_is_not_an_overlap() -> None:
    image = load_image(make_elf(phdrs=[(1, 176, 0x1000, 8, 0x100), (1, 176, 0x1010, 8, 8)]))
    assert [s.paddr for s in image.segments] == [0x1000, 0x1010]


@pytest.mark.parametrize("entry", [0xFFFF_FFFF_FFFF_FFFF, 0x2000, 0x1002])
def test_an_entry_outside_the_segments_or_unaligned_is_refused(entry: int) -> None:
    with pytest.raises(ImageError, match=f"entry 0x{entry:x} (lies outside|is not word)"):
        load_image(make_elf(entry=entry))


def test_text_is_not_taken_for_a_raw_image_unless_asked() -> None:
    text = b"hello, this is a README\n"
    with pytest.raises(ImageError, match="the file is text .*give format 'raw'"):
        load_image(text)
    assert load_image(text, "raw").segments[0].data == text
    assert load_image(bytes.fromhex("3860000148000000")).format == "raw"


ELFV2_CALLS = r"""
    .abiversion 2
    .text
    .globl _start
_start:
    li 1, 0x7000
    bl func                   # a local call: arrives at func's local entry
    nop
done:
    b done
    .globl func
    .type func, @function
func:
    addis 2, 12, 0            # the global entry's TOC set-up (r12 = func)
    addi 2, 2, 0
    .localentry func, .-func
    li 3, 42
    blr
"""


@pytest.mark.parametrize("little", [False, True])
def test_elfv2_functions_have_their_local_entry_as_code_address(little: bool) -> None:
    image = load_image(assemble_elf(ELFV2_CALLS, little=little))
    assert image.local_entry == {"func": 8}
    assert image.code_address("func") == image.symbols["func"] + 8
    assert image.code_address("done") == image.symbols["done"]  # not a function: no offset


def test_big_endian_elfv1_symbols_have_no_local_entry() -> None:
    image = load_image(assemble_elf(".globl _start\n_start:\n    b _start\n"))
    assert image.local_entry == {} and image.code_address("_start") == image.symbols["_start"]


SYMBOL_KINDS = r"""
    .abiversion 2
    .text
    .globl _start
_start:
    b _start
    .globl func
    .type func, @function
func:
    addis 2, 12, 0
    addi 2, 2, 0
    .localentry func, .-func
    blr
    .type plain, @function
plain:
    blr
    .data
    .type table, @object
table: .quad 1, 2
    .weak missing             # undefined: not a symbol of the image
    .quad missing
    .globl côté                # a UTF-8 name
côté: .quad 3
"""


@pytest.mark.parametrize("little", [False, True])
def test_symbols_read_with_struct_are_pyelftools_symbols(little: bool) -> None:
    import io

    from elftools.elf.elffile import ELFFile

    from engine.loader import _local_entries, _symbols, _symtab

    data = assemble_elf(SYMBOL_KINDS, little=little)
    elf = ELFFile(io.BytesIO(data))
    table = elf.get_section_by_name(".symtab")
    ref: dict[str, tuple[int, bool]] = {}
    local: dict[str, int] = {}
    for sym in table.iter_symbols():  # type: ignore[union-attr]
        kind = sym["st_info"]["type"]
        if sym.name and kind in ("STT_NOTYPE", "STT_FUNC", "STT_OBJECT"):
            if sym["st_shndx"] != "SHN_UNDEF":
                ref.setdefault(sym.name, (sym["st_value"], kind == "STT_FUNC"))
        v = int(sym["st_other"]["local"])
        if sym.name and kind == "STT_FUNC" and 2 <= v <= 6:
            local.setdefault(sym.name, ((1 << v) >> 2) << 2)
    rows = _symtab(elf, data)
    assert len(rows) == table.num_symbols()  # type: ignore[union-attr]
    assert _symbols(elf, rows)[0] == ref
    assert _local_entries(rows) == local == {"func": 8}
    assert {"func", "plain", "table", "côté", "_start"} <= ref.keys() and "missing" not in ref
