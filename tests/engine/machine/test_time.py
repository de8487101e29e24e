"""Virtual time is exact at every instruction, whichever loop runs the program."""

from __future__ import annotations

import pytest

from ...asm import machine

TIMED = """
    .org 0x900
    mfspr 20, 268             # the time base when the decrementer fired
    addi 21, 21, 1
    lis 9, 0x7fff
    mtdec 9
    rfid
    .org 0x1000
    .globl _start
_start:
    mftb 3
    addi 5, 5, 1
    addi 5, 5, 1
    mftb 4                    # exactly 3 instructions later
    subf 6, 3, 4
    li 7, 50
    mtdec 7                   # fires after 50 ticks, counted exactly
    mfmsr 8
    ori 8, 8, 0x8000
    mtmsrd 8, 1
1:  addi 10, 10, 1
    cmpdi 21, 0
    beq 1b
    mftb 11
done:
    b done
"""


def run_mode() -> tuple[int, ...]:
    m = machine(TIMED)
    m.run(400)
    c = m.vcpus[0]
    return (c.gpr[6], c.gpr[20] - c.gpr[3], c.gpr[10], c.gpr[11] - c.gpr[3], c.nia, c.clock)


def step_mode() -> tuple[int, ...]:
    m = machine(TIMED)
    c = m.vcpus[0]
    for _ in range(400):
        c.step()
    return (c.gpr[6], c.gpr[20] - c.gpr[3], c.gpr[10], c.gpr[11] - c.gpr[3], c.nia, c.clock)


@pytest.mark.parametrize("blocks", ["1", "0"])
def test_time_reads_are_exact_in_fast_runs_and_single_steps(
    blocks: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PPCDBG_BLOCKS", blocks)
    fast = run_mode()
    assert fast == step_mode()
    assert fast[0] == 3  # mftb, addi, addi: three instructions between the reads
    # mtdec 50 executes at tick 6 (t0 = the first mftb), so DEC reads 0 at tick 56
    # and is negative from 57: the interrupt takes slot 57, the handler's mfspr
    # reads the time base at 58.
    assert fast[1] == 58


def test_dec_and_hdec_reset_to_0x7fffffff_so_setting_ee_takes_no_decrementer() -> None:
    """docs/machine.md reset state: DEC = HDEC = 0x7fffffff; QEMU takes no 0x900 before a write."""
    from engine.cpu import VCPU
    from engine.memory import PhysicalMemory
    from engine.msr import MSR_EE, MSR_HV, MSR_SF

    cpu = VCPU(PhysicalMemory(1 << 20), 0)
    assert cpu.dec_value() == 0x7FFF_FFFF
    assert cpu.hdec_value() == 0x7FFF_FFFF
    cpu.mem.write_bytes(0x1000, (0x60000000).to_bytes(4, "big") * 64, None)  # nops
    cpu.set_msr(MSR_SF | MSR_HV | MSR_EE)
    cpu.nia = 0x1000
    for _ in range(64):
        assert cpu.step() is None
    assert cpu.nia == 0x1100
    assert cpu.dec_value() == 0x7FFF_FFFF - 64
