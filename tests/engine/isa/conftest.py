"""Per-instruction test helpers (py65 style): place one word, set registers, step once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.cpu import VCPU
from engine.loader import Image, Segment
from engine.machine import Machine, MachineConfig
from engine.registers import write_register

CODE = 0x1000  # where the word under test sits (above the vectors)


def make_cpu(words: list[int], little: bool = False, **regs: int) -> VCPU:
    """A powernv vCPU at CODE with ``words`` there and ``regs`` set by name."""
    order = "little" if little else "big"
    body = b"".join(w.to_bytes(4, order) for w in words)
    m = Machine(
        Image("raw", CODE, [Segment(CODE, body, len(body))]), MachineConfig(memory=16 << 20)
    )
    cpu = m.vcpus[0]
    cpu.gpr[3] = 0
    if little:
        cpu.set_msr(cpu.msr | 1)
    for name, value in regs.items():
        write_register(cpu, name, value)
    return cpu


@pytest.fixture
def step1() -> Callable[..., VCPU]:
    """step1(word, **regs) -> the vCPU after executing ``word`` once."""

    def run(word: int, little: bool = False, **regs: int) -> VCPU:
        cpu = make_cpu([word], little, **regs)
        cpu.step()
        return cpu

    return run
