"""Registers by name: the vector facility's names, their widths and what they alias."""

from __future__ import annotations

import pytest

from engine.registers import (
    ARCHITECTED,
    VECTOR,
    UnknownRegister,
    canonical,
    read_register,
    width,
    write_register,
)
from tests.engine.isa.conftest import make_cpu


def test_vrsave_is_the_spr_not_a_vector_register():
    cpu = make_cpu([0])
    write_register(cpu, "vrsave", 0xFFFF_0000)
    assert read_register(cpu, "vrsave") == 0xFFFF_0000 == cpu.read_spr(256)
    assert width("vrsave") == 64 and "vrsave" in ARCHITECTED and "vrsave" not in VECTOR


def test_vr_n_is_vsr_32_plus_n_and_fpr_n_its_high_doubleword():
    cpu = make_cpu([0])
    write_register(cpu, "vr5", (1 << 128) - 2)
    assert read_register(cpu, "vs37") == (1 << 128) - 2
    write_register(cpu, "vs6", (0x1111 << 64) | 0x2222)
    assert read_register(cpu, "f6") == 0x1111
    write_register(cpu, "f6", 0x3333)
    assert read_register(cpu, "vs6") == (0x3333 << 64) | 0x2222


def test_widths():
    assert [width(n) for n in ("vr0", "vs63", "vscr", "cr", "r3", "vrsave")] == [
        128, 128, 32, 32, 64, 64]  # fmt: skip


@pytest.mark.parametrize("name", ["vr32", "vs64", "vr01", "vs", "vr", "vrsav"])
def test_unknown_vector_names(name):
    with pytest.raises(UnknownRegister):
        canonical(name)
