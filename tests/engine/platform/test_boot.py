"""The pseries direct boot (engine/platform/pseries/boot.py): layout, entry, a small program of
our own that uses the console, start-cpu, stop-self and power-off, bad input, and Debian's stock
kernel to its first console line (needs ``make linux``)."""

from __future__ import annotations

import hashlib

import pytest

from engine.loader import Image, ImageError, Segment
from engine.machine import ConfigError, Machine
from engine.platform.pseries import boot
from engine.platform.pseries.firmware import QEMU_KERNEL_BASE, RTAS_STUB
from engine.serialize import dump_checkpoint, load_checkpoint
from tests.asm import assemble_elf

from .test_firmware import kernel_files

# Big-endian, entered with MSR = 0 (32-bit real mode) at its load address. vCPU 0 prints "A",
# starts vCPU 1 (which prints "B" and stops itself), waits until query-cpu-stopped-state says
# it stopped, prints "C\n" and powers off. RTAS through KVMPPC_H_RTAS, as kvm-unit-tests does.
PROGRAM = r"""
    .macro putc ch
    li 3, 0x58
    lis 4, 0x7100
    li 5, 1
    lis 6, (\ch << 8)
    sldi 6, 6, 32
    sc 1
    .endm
    .macro rtas block
    li 3, 0
    ori 3, 3, 0xf000
    mr 4, \block
    sc 1
    .endm
    .macro word off, value
    li 0, \value
    stw 0, \off(9)
    .endm
    .globl _start
_start:
    bl 1f
1:  mflr 31
    addi 31, 31, -4
    putc 0x41
    li 9, 0x3000
    word 0, 0x2006
    word 4, 3
    word 8, 1
    word 12, 1
    addi 4, 31, secondary - _start
    stw 4, 16(9)
    word 20, 1
    rtas 9
2:  word 0, 0x2005
    word 4, 1
    word 8, 2
    word 12, 1
    rtas 9
    lwz 0, 20(9)
    cmpwi 0, 0
    bne 2b
    putc 0x43
    putc 0x0a
    word 0, 0x2003
    word 4, 2
    word 8, 1
    word 12, -1
    word 16, -1
    rtas 9
    b .
secondary:
    putc 0x42
    li 9, 0x3100
    word 0, 0x2007
    word 4, 0
    word 8, 1
    rtas 9
    b .
"""


def program_config(**kw: object) -> boot.PseriesConfig:
    return boot.PseriesConfig(kernel=assemble_elf(PROGRAM), **kw)  # type: ignore[arg-type]


def console(m: Machine) -> bytes:
    assert m.host is not None
    return bytes(m.host.console_out)


def test_the_layout_follows_qemu_for_the_stock_kernel_sizes() -> None:
    kernel = Image("elf", 0xC000000000000000,
                   [Segment(0, b"", 0x287CA18, 0xC000000000000000)])  # fmt: skip
    cfg = boot.PseriesConfig(kernel=b"", initrd=bytes(0x263C00), kernel_base=QEMU_KERNEL_BASE)
    lay = boot.layout(cfg, kernel, 0x1000)
    assert lay.entry == 0x400000 and lay.initrd_start == 0x2C90000
    assert lay.tree_address == 0x2F00000  # the reference's place for it
    assert lay.rtas_base == 0x2F10000
    at_zero = boot.layout(boot.PseriesConfig(kernel=b""), kernel, 0x1000)  # the default
    assert at_zero.entry == 0 and at_zero.initrd_start is None


def test_vcpu_0_enters_the_kernel_with_r3_the_tree_and_r4_r5_zero() -> None:
    m = boot.build_machine(program_config(vcpus=2, kernel_base=QEMU_KERNEL_BASE))
    lay: boot.Layout = m.pseries_layout  # type: ignore[attr-defined]
    c = m.vcpus[0]
    assert c.nia == 0x400000 and c.msr == 0
    assert (c.gpr[3], c.gpr[4], c.gpr[5]) == (lay.tree_address, 0, 0)
    assert m.mem.read(lay.tree_address, 4, "big") == 0xD00DFEED
    assert m.mem.read_bytes(lay.rtas_base, len(RTAS_STUB)) == RTAS_STUB
    assert m.vcpus[1].halted


def test_a_program_starts_a_secondary_and_powers_off() -> None:
    m = boot.build_machine(program_config(vcpus=2))
    run = boot.run(m, 100_000)
    assert run.reason == "poweroff"
    assert console(m) == b"ABC\n"
    assert m.host.stats()["rtas"] == {  # type: ignore[union-attr]
        "power-off": 1, "query-cpu-stopped-state": run_queries(m), "start-cpu": 1, "stop-self": 1,
    }  # fmt: skip
    assert run.per_vcpu[1] > 0 and sum(run.per_vcpu) == run.instructions


def run_queries(m: Machine) -> int:
    return m.host.rtas_counts["query-cpu-stopped-state"]  # type: ignore[union-attr]


def test_the_same_boot_twice_gives_the_same_console_and_instruction_count() -> None:
    runs = []
    for _ in range(2):
        m = boot.build_machine(program_config(vcpus=2, quantum=7))
        r = boot.run(m, 100_000)
        runs.append((r.reason, r.instructions, r.per_vcpu, console(m), m.vcpus[0].timebase))
    assert runs[0] == runs[1]


def test_a_checkpoint_of_a_pseries_machine_replays_the_same_run() -> None:
    m = boot.build_machine(program_config(vcpus=2, quantum=3))
    m.run(40)
    blob = dump_checkpoint(m.checkpoint(), m)
    first = boot.run(m, 100_000)
    out = console(m)
    m.restore(load_checkpoint(blob, m))
    again = boot.run(m, 100_000)
    assert (again.reason, again.instructions, console(m)) == (first.reason, first.instructions, out)


def test_a_kernel_that_is_not_a_powerpc_elf_is_refused() -> None:
    with pytest.raises(ImageError, match="PowerPC ELF"):
        boot.build_machine(boot.PseriesConfig(kernel=b"#!/bin/sh\n"))


def test_bad_configurations_are_refused_with_a_reason() -> None:
    with pytest.raises(ConfigError, match="initrd"):
        boot.build_machine(program_config(initrd=bytes(300 << 20), memory=256 << 20))
    with pytest.raises(ConfigError, match="command line"):
        boot.build_machine(program_config(cmdline="x" * 3000))
    with pytest.raises(ConfigError, match="vcpus"):
        boot.build_machine(program_config(vcpus=0))


# -- Debian's stock kernel ----------------------------------------------------------------------
BANNER = b"Linux version 6.1"


def boot_to_banner() -> tuple[int, bytes, str]:
    vmlinux, initrd = kernel_files()
    cfg = boot.PseriesConfig(
        kernel=vmlinux.read_bytes(),
        initrd=initrd.read_bytes(),
        cmdline="console=hvc0 cryptomgr.notests ppcdbg.poweroff",
        kernel_base=0,
        rng_seed=bytes(32),
    )
    m = boot.build_machine(cfg)
    while BANNER not in console(m):
        r = boot.run(m, 1_000_000)
        assert r.reason == "limit", console(m)[-2000:]
        assert boot.instructions(m) < 60_000_000, "no banner after 60 M instructions"
    digest = hashlib.sha256(bytes(m.vcpus[0].gpr[0].to_bytes(8, "big"))).hexdigest()
    return boot.instructions(m), console(m), digest


@pytest.mark.slow
def test_the_stock_kernel_prints_its_banner_and_does_so_identically_twice() -> None:
    first = boot_to_banner()
    assert first[1].count(b"\n") >= 1
    assert boot_to_banner() == first
