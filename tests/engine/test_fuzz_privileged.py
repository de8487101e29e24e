"""Random privileged programs never raise out of the engine.

Each case fills the first 64 KiB (vectors included) with a random mix of
supervisor words: mtmsr/mtmsrd of random MSR images, mtspr/mfspr of random
SPR numbers (the table's and others) with random values (so LPCR, PTCR,
HRMOR, DEC, SRR0/1... get random contents), rfid/hrfid, sc/sc 1, traps,
tlbie/tlbiel/ptesync, doorbells, stop, attn, loads/stores/larx/stcx. through
random bases, branches and raw random words, then runs it on 1-4 vCPUs in
both profiles for a bounded number of slots, half of them by single steps.
The only acceptable outcomes are the reported ones: running (a loop, wherever
it is), asleep, stopped by the host, or halted by checkstop or attn. A
checkpoint taken midway and restored replays the same end state.
"""

from __future__ import annotations

import random
import time

import pytest

from engine.cpu import VCPU
from engine.loader import Image, Segment
from engine.machine import Machine, MachineConfig
from engine.msr import (
    MSR_BE,
    MSR_DR,
    MSR_EE,
    MSR_FP,
    MSR_HV,
    MSR_IR,
    MSR_LE,
    MSR_ME,
    MSR_PR,
    MSR_RI,
    MSR_SE,
    MSR_SF,
)
from engine.sprs import SPR_TABLE

SEED = 20260
CASES = 400
SLOTS = 1500
TIME_LIMIT = 60.0
M64 = (1 << 64) - 1

MSR_BITS = (MSR_SF, MSR_HV, MSR_EE, MSR_PR, MSR_FP, MSR_ME, MSR_SE, MSR_BE, MSR_IR, MSR_DR,
            MSR_RI, MSR_LE)  # fmt: skip
SPRS = [s.number for s in SPR_TABLE]
HALT_REASONS = {"checkstop", "attn"}


def spr_field(n: int) -> int:
    return ((n & 0x1F) << 16) | ((n >> 5) << 11)


def reg(r: random.Random) -> int:
    return r.randrange(32)


def value(r: random.Random) -> int:
    """A register value: addresses near the image, MSR images, PTCR-like, or anything."""
    kind = r.randrange(6)
    if kind == 0:
        return r.randrange(0, 0x20000, 4)
    if kind == 1:
        msr = 0
        for bit in MSR_BITS:
            if r.random() < 0.4:
                msr |= bit
        return msr
    if kind == 2:
        return r.choice((0x8000, 0x10000, 0x1000000, 0x3FFF_F000, 0x2800_0000 | r.randrange(16)))
    if kind == 3:
        return r.randrange(-64, 64) & M64
    if kind == 4:
        return 0xC000_0000_0000_0000 | r.randrange(0, 1 << 20)
    return r.getrandbits(64)


def word(r: random.Random) -> int:
    """One random supervisor-flavoured instruction word."""
    rs, ra, rb = reg(r), reg(r), reg(r)
    k = r.randrange(26)
    if k == 0:
        return 0x7C000164 | rs << 21 | r.randrange(2) << 16  # mtmsrd
    if k == 1:
        return 0x7C000124 | rs << 21  # mtmsr
    if k == 2:
        return 0x7C0000A6 | rs << 21  # mfmsr
    if k in (3, 4):
        n = r.choice(SPRS) if r.random() < 0.8 else r.randrange(1024)
        return (0x7C0003A6 if k == 3 else 0x7C0002A6) | rs << 21 | spr_field(n)  # mt/mfspr
    if k == 5:
        return r.choice((0x4C000024, 0x4C000224))  # rfid, hrfid
    if k == 6:
        return r.choice((0x44000002, 0x44000022))  # sc, sc 1
    if k == 7:
        return 0x7C000008 | r.randrange(32) << 21 | ra << 16 | rb << 11  # tw
    if k == 8:
        return 0x08000000 | r.randrange(32) << 21 | ra << 16 | r.randrange(1 << 16)  # tdi
    if k == 9:  # tlbie / tlbiel with random RIC/PRS/R
        base = r.choice((0x7C000264, 0x7C000224))
        return base | rs << 21 | r.randrange(3) << 18 | r.randrange(4) << 16 | rb << 11
    if k == 10:
        return r.choice(
            (0x7C4004AC, 0x4C00012C, 0x7C0004AC, 0x7C00046C)
        )  # ptesync isync sync tlbsync
    if k == 11:  # msgsnd, msgclr, msgsndp, msgclrp
        return r.choice((0x7C00019C, 0x7C0001DC, 0x7C00011C, 0x7C00015C)) | rb << 11
    if k == 12:
        return r.choice((0x4C0002E4, 0x00000200))  # stop, attn
    if k in (13, 14):  # ld/std/lwz/stw/lbz/stb
        op = r.choice((0xE8000000, 0xF8000000, 0x80000000, 0x90000000, 0x88000000, 0x98000000))
        return op | rs << 21 | ra << 16 | (r.randrange(1 << 16) & ~3)
    if k == 15:  # lwarx, ldarx, stwcx., stdcx.
        return (
            r.choice((0x7C000028, 0x7C0000A8, 0x7C00012D, 0x7C0001AD))
            | rs << 21
            | ra << 16
            | rb << 11
        )
    if k == 16:
        return 0x48000000 | (r.randrange(-64, 64) * 4) & 0x3FFFFFC  # b
    if k == 17:
        return (
            0x40000000
            | r.randrange(32) << 21
            | r.randrange(32) << 16
            | (r.randrange(-32, 32) * 4) & 0xFFFC
        )
    if k == 18:
        return 0x4E800020 | r.randrange(2)  # blr / blrl
    if k == 19:
        return 0x38000000 | rs << 21 | ra << 16 | r.randrange(1 << 16)  # addi
    if k == 20:
        return 0x64000000 | rs << 21 | ra << 16 | r.randrange(1 << 16)  # oris
    if k == 21:
        return (
            0x7C0003A6 | rs << 21 | spr_field(r.choice((318, 464, 313, 22, 310, 26, 27, 314, 315)))
        )
    if k == 22:
        return r.choice((0x7C0007A4, 0x7C0003E4, 0x7C000364))  # tlbre-ish/slbia/slbie area
    if k == 23:
        return 0xFC00002A | rs << 21 | ra << 16 | rb << 11  # fadd: FP unavailable or not
    if k == 24:
        return 0x60000000  # nop
    return r.getrandbits(32)


def build(r: random.Random) -> Image:
    words = [word(r) for _ in range(0x10000 // 4)]
    data = b"".join(w.to_bytes(4, "big") for w in words)
    return Image("raw", 0x10, [Segment(0, data, len(data))])


def machine(r: random.Random, profile: str, vcpus: int) -> Machine:
    m = Machine(build(r), MachineConfig(vcpus=vcpus, profile=profile, memory=16 << 20,
                                        quantum=r.choice((1, 3, 10, 50))))  # fmt: skip
    for cpu in m.vcpus:
        for i in range(1, 32):
            cpu.gpr[i] = value(r)
        cpu.nia = r.choice((0x10, r.randrange(0, 0x10000, 4)))
    return m


def fingerprint(m: Machine) -> list[tuple[object, ...]]:
    return [(c.nia, c.msr, tuple(c.gpr), tuple(sorted(c.spr.items())), c.halted, c.sleeping,
             c.clock) for c in m.vcpus]  # fmt: skip


def check_reported(cpu: VCPU) -> str:
    """The vCPU's state as the session would report it; fails on anything else."""
    assert 0 <= cpu.nia <= M64 and 0 <= cpu.msr <= M64
    assert all(0 <= g <= M64 for g in cpu.gpr)
    if cpu.halted:
        assert cpu.halt_reason in HALT_REASONS, cpu.halt_reason
        return str(cpu.halt_reason)
    if cpu.exit_reason:
        return "exit"
    return "asleep" if cpu.sleeping else "running"


def run_case(seed: int) -> dict[str, int]:
    r = random.Random(seed)
    profile = r.choice(("powernv", "guest"))
    vcpus = r.randint(1, 4)
    m = machine(r, profile, vcpus)
    stepping = r.random() < 0.5
    cp = None
    for half in range(2):
        if half == 1:
            cp = m.checkpoint()
        if stepping:
            for i in range(SLOTS // 2):
                cpu = m.vcpus[i % vcpus]
                cpu.exit_reason = None  # the host saw it: let the vCPU go on
                cpu.step()
        else:
            for cpu in m.vcpus:
                cpu.exit_reason = None
            m.run(SLOTS // 2)
    end = fingerprint(m)
    outcomes: dict[str, int] = {}
    for cpu in m.vcpus:
        o = check_reported(cpu)
        outcomes[o] = outcomes.get(o, 0) + 1
    if not stepping and cp is not None and r.random() < 0.3:
        m.restore(cp)
        for cpu in m.vcpus:
            cpu.exit_reason = None
        m.run(SLOTS // 2)
        assert fingerprint(m) == end, f"seed {seed}: restore + replay diverged"
    return outcomes


def test_random_privileged_programs_end_in_reported_states() -> None:
    t0 = time.perf_counter()
    totals: dict[str, int] = {}
    for seed in range(SEED, SEED + CASES):
        try:
            outcomes = run_case(seed)
        except AssertionError:
            raise
        except Exception as e:  # noqa: BLE001 - the point: any exception is a bug
            pytest.fail(f"seed {seed}: the engine raised {e!r}")
        for k, v in outcomes.items():
            totals[k] = totals.get(k, 0) + v
        assert time.perf_counter() - t0 < TIME_LIMIT, f"over {TIME_LIMIT}s after seed {seed}"
    assert sum(totals.values()) >= CASES
