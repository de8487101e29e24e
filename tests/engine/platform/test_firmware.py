"""The pseries guest-code pieces (engine/platform/pseries/firmware.py), and the device tree
checked against the real thing: Debian's stock kernel booted under QEMU's pseries with our tree
and no SLOF, to the initramfs's marker and power-off (needs ``make linux`` first)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import capstone
import pytest
from elftools.elf.elffile import ELFFile

from engine.platform.pseries import devicetree as dt
from engine.platform.pseries import firmware as fw
from tests.conftest import REQUIRE_TOOLS, require_tool

ROOT = Path(__file__).resolve().parents[3]
LINUX = ROOT / "build" / "linux"
MARKER = "PPCDBG-USERSPACE-OK"


def disasm(code: bytes, address: int) -> list[str]:
    md = capstone.Cs(capstone.CS_ARCH_PPC, capstone.CS_MODE_64 | capstone.CS_MODE_BIG_ENDIAN)
    return [f"{i.mnemonic} {i.op_str}".strip() for i in md.disasm(code, address)]


def test_the_rtas_stub_issues_kvmppc_h_rtas_with_the_block_in_r4() -> None:
    assert disasm(fw.RTAS_STUB, 0) == [
        "mr r4, r3",
        "lis r3, 0",
        "ori r3, r3, 0xf000",
        "sc 1",
        "blr",
    ]


def test_the_initrd_goes_64k_past_the_kernel() -> None:
    assert fw.initrd_address(0x400000, 0x287CA18) == 0x2C90000
    assert fw.initrd_address(0, 0x10000) == 0x20000


def test_the_loader_copies_the_tree_and_stub_then_enters_the_kernel() -> None:
    tree = dt.build_dtb(dt.TreeConfig())
    image = fw.loader_firmware(tree, 0x2F00000, 0x2FFF0000)
    assert image[0x1000 : 0x1000 + len(tree)] == tree
    assert image[0x800 : 0x800 + len(fw.RTAS_STUB)] == fw.RTAS_STUB
    code = disasm(image[0x100:0x800].rstrip(b"\0"), 0x100)
    assert code[-8:] == [
        "lis r3, 0x2f0", "ori r3, r3, 0", "li r4, 0", "li r5, 0",
        "lis r6, 0x40", "ori r6, r6, 0", "mtctr r6", "bctr",
    ]  # fmt: skip
    # Two copy loops (tree, stub), each branching back to its load.
    loops = [i for i, c in enumerate(code) if c.startswith("bdnz")]
    assert len(loops) == 2
    for i in loops:
        assert code[i] == f"bdnz {0x100 + 4 * (i - 2):#x}" and code[i - 2] == "lwzu r6, 4(r4)"
    assert code[:4] == ["lis r4, 0", "ori r4, r4, 0xffc", "lis r5, 0x2ef", "ori r5, r5, 0xfffc"]
    with pytest.raises(ValueError, match="32-bit"):
        fw.loader_firmware(tree, 1 << 32, 0x2FFF0000)


def kernel_files() -> tuple[Path, Path]:
    vmlinux, initrd = LINUX / "vmlinux", LINUX / "initramfs.cpio"
    if not (vmlinux.is_file() and initrd.is_file()):
        msg = "no build/linux/vmlinux and initramfs.cpio: run `make linux` (network)"
        if REQUIRE_TOOLS:  # .ci/run runs `make linux` first: a missing kernel is a failure
            pytest.fail(msg + " (PPCDBG_REQUIRE_TOOLS=1)")
        pytest.skip(msg)
    return vmlinux, initrd


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.parametrize("vcpus", [1, 2])
def test_the_stock_kernel_boots_under_qemu_with_our_tree(vcpus: int, tmp_path: Path) -> None:
    qemu = require_tool("qemu-system-ppc64")
    vmlinux, initrd = kernel_files()
    with vmlinux.open("rb") as f:
        (seg,) = [s for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD"]
        memsz = seg["p_memsz"]
    cfg = dt.TreeConfig(
        vcpus=vcpus,
        bootargs="console=hvc0 cryptomgr.notests ppcdbg.poweroff",
        initrd_start=fw.initrd_address(fw.QEMU_KERNEL_BASE, memsz),
        initrd_size=initrd.stat().st_size,
        rng_seed=bytes(32),
    )
    assert cfg.rtas_base is not None
    bios = tmp_path / "loader.bin"
    bios.write_bytes(fw.loader_firmware(dt.build_dtb(cfg), 0x2F00000, cfg.rtas_base))
    # QEMU's -nographic console is the vty at 0x71000000, source 0x1100: the tree's defaults.
    r = subprocess.run(
        [qemu, "-M", "pseries,ic-mode=xics", "-m", "1G", "-smp", str(vcpus), "-nographic",
         "-vga", "none", "-bios", str(bios), "-kernel", str(vmlinux), "-initrd", str(initrd)],
        capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, out[-3000:] + r.stderr.decode(errors="replace")[-2000:]
    assert "Kernel command line: console=hvc0 cryptomgr.notests ppcdbg.poweroff" in out
    assert f"smp: Brought up 1 node, {vcpus} CPU" in out, out[-3000:]
    assert MARKER in out and "ppc64le GNU/Linux" in out, out[-3000:]
    assert "reboot: Power down" in out.split(MARKER)[1]
    assert "Kernel panic" not in out
