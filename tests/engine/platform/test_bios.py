"""The QEMU -bios contract (engine/platform/pseries/boot.py, ``PseriesConfig.bios``): the raw
firmware image at 0 entered at 0x100, the kernel at 0x400000, the tree where QEMU puts it and
as QEMU writes it (checked with dtc), bad input, a program of ours through a one-branch boot
ROM, and Debian's kernel reached through such a ROM (needs ``make linux``)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from engine.loader import ImageError
from engine.machine import ConfigError, Machine
from engine.platform.pseries import boot
from engine.platform.pseries.firmware import RTAS_STUB
from tests.asm import assemble_elf

from .test_boot import PROGRAM, console
from .test_devicetree import cells, decompile, parse_dts, relevant
from .test_firmware import kernel_files

INITRD = bytes(range(256)) * 0x101  # 0x10100 bytes: not a multiple of 64 KiB


def branch_rom(target: int = 0x400000, size: int = 0x104) -> bytes:
    """A boot ROM as kvm-unit-tests builds it: one instruction at 0x100, ``b target``."""
    rom = bytearray(size)
    rom[0x100:0x104] = struct.pack(">I", 0x48000000 | (target - 0x100))
    return bytes(rom)


def bios_config(**kw: object) -> boot.PseriesConfig:
    base: dict[str, object] = {"kernel": assemble_elf(PROGRAM), "bios": branch_rom()}
    base.update(kw)
    return boot.PseriesConfig(**base)  # type: ignore[arg-type]


def layout(m: Machine) -> boot.Layout:
    return m.pseries_layout  # type: ignore[attr-defined, no-any-return]


def tree_of(m: Machine) -> bytes:
    address = layout(m).tree_address
    return m.mem.read_bytes(address, m.mem.read(address + 4, 4, "big"))


def test_vcpu_0_enters_the_firmware_at_0x100_with_r3_the_tree_as_qemu() -> None:
    m = boot.build_machine(bios_config(vcpus=2))
    c = m.vcpus[0]
    assert (c.nia, c.msr) == (0x100, 0)
    assert (c.gpr[1], c.gpr[3], c.gpr[4], c.gpr[5]) == (0, 0x3FE00000, 0, 0)
    assert m.mem.read(0x3FE00000, 4, "big") == 0xD00DFEED
    assert m.mem.read_bytes(0, 0x104) == branch_rom()  # the image, byte for byte, at 0
    # The program (linked at 0) at 0x400000 by the low 28 bits of its address, as QEMU.
    elf_text = boot.load_image(assemble_elf(PROGRAM), "elf").segments[0].data
    assert m.mem.read_bytes(0x400000, len(elf_text)) == elf_text
    assert m.vcpus[1].halted and layout(m).rtas_base is None


@pytest.mark.parametrize(("memory", "tree"), [(256 << 20, 0x0FE00000), (3 << 30, 0x7FE00000)])
def test_the_tree_sits_2_mib_below_memory_or_2_gib(memory: int, tree: int) -> None:
    m = boot.build_machine(bios_config(memory=memory))
    assert m.vcpus[0].gpr[3] == layout(m).tree_address == tree


def test_the_tree_names_the_kernel_and_reserves_it_as_qemu(tmp_path: Path) -> None:
    kernel = assemble_elf(PROGRAM)
    m = boot.build_machine(bios_config(kernel=kernel, initrd=INITRD, cmdline="a b"))
    size = sum(s.memsz for s in boot.load_image(kernel, "elf").segments)
    text, warnings = decompile(tree_of(m), tmp_path)
    assert relevant(warnings) == []
    nodes, reserves = parse_dts(text)
    chosen = nodes["/chosen"]
    assert cells(chosen["qemu,boot-kernel"]) == [0, 0x400000, 0, size]
    assert "qemu,boot-kernel-le" not in chosen  # a big-endian ELF
    initrd = (0x400000 + size + 0x1FFFF) & ~0xFFFF
    assert cells(chosen["linux,initrd-start"]) == [initrd]
    assert cells(chosen["linux,initrd-end"]) == [initrd + len(INITRD)]
    assert chosen["bootargs"] == '"a b"'
    # QEMU reserves the kernel and the initrd at their own sizes, and places no RTAS.
    assert reserves == [(0x400000, size), (initrd, len(INITRD))]
    assert "linux,rtas-base" not in nodes["/rtas"] and "linux,rtas-entry" not in nodes["/rtas"]
    assert cells(nodes["/rtas"]["get-time-of-day"]) == [0x2001]
    assert m.mem.read_bytes(initrd, len(INITRD)) == INITRD
    assert RTAS_STUB not in m.mem.read_bytes(0, 0x100000)


def test_a_little_endian_kernel_gets_qemu_boot_kernel_le(tmp_path: Path) -> None:
    m = boot.build_machine(bios_config(kernel=assemble_elf(PROGRAM, little=True)))
    nodes, _ = parse_dts(decompile(tree_of(m), tmp_path)[0])
    assert "qemu,boot-kernel-le" in nodes["/chosen"]


def test_a_program_runs_through_a_one_branch_boot_rom_to_power_off() -> None:
    m = boot.build_machine(bios_config(vcpus=2))
    run = boot.run(m, 100_000)
    assert (run.reason, console(m)) == ("poweroff", b"ABC\n")
    assert m.host.stats()["rtas"]["start-cpu"] == 1  # type: ignore[index, union-attr]


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        ({"bios": b""}, ConfigError, "the firmware image (bios) is empty"),
        ({"bios": bytes(0x400001)}, ConfigError, "the firmware image is 4,194,305 bytes"),
        ({"bios": b"\x7fELF" + bytes(60)}, ConfigError, "-bios takes a raw image"),
        ({"kernel_base": 0}, ConfigError, "with a firmware image the kernel goes at 0x400000"),
        ({"kernel": branch_rom()}, ImageError, "the kernel must be a 64-bit PowerPC ELF"),
        ({"initrd": bytes(0x3FA00000)}, ConfigError, "past the device tree at 0x3fe00000"),
    ],
)
def test_bad_input_is_refused_with_a_reason(kw: dict[str, object], error: type[Exception],
                                            message: str) -> None:  # fmt: skip
    with pytest.raises(error) as e:
        boot.build_machine(bios_config(**kw))
    assert message in str(e.value)


def test_a_4_mib_firmware_fits_below_the_kernel() -> None:
    m = boot.build_machine(bios_config(bios=branch_rom(size=0x400000)))
    assert m.mem.read(0x100, 4, "big") == 0x48000000 | 0x3FFF00


def test_the_stock_kernel_is_entered_at_0x400000_with_r3_the_tree() -> None:
    """The kernel runs from 0x400000 as under QEMU: it relocates and copies itself down (~26 M
    instructions, too long here), so this checks the entry and its first instructions."""
    vmlinux, initrd = kernel_files()
    cfg = boot.PseriesConfig(kernel=vmlinux.read_bytes(), initrd=initrd.read_bytes(),
                             cmdline="console=hvc0", bios=branch_rom())  # fmt: skip
    m = boot.build_machine(cfg)
    c = m.vcpus[0]
    m.run(1)
    assert (c.nia, c.gpr[3], c.gpr[4], c.gpr[5]) == (0x400000, 0x3FE00000, 0, 0)
    run = boot.run(m, 5000)
    # It got going in the kernel's own code (0x400000 up), with no hypercall or fault yet.
    assert run.reason == "limit" and 0x400000 <= c.nia < 0x400000 + 0x287CA18
    assert m.host.stats()["hcalls"] == {}  # type: ignore[union-attr]
