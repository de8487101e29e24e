"""A continue over a guest that sleeps (H_CEDE) until a far timer: virtual time jumps to the
timer in one run and the jump is not taken from the instruction budget, so an idle guest (a
kernel at its shell prompt) is never stopped at "limit" for having slept."""

from __future__ import annotations

import threading
import time

from engine.target import ConsoleEvent, SessionConfig, load_image, open_session
from tests.asm import assemble_elf

# Guest profile: DEC = 0x7fffffff (2^31 slots away), H_CEDE; the decrementer interrupt at 0x900
# prints "W" and spins.
SLEEPER = r"""
    .globl _start
_start:
    b main
    .org 0x900
    li 3, 0x58
    li 4, 0
    li 5, 1
    lis 6, 0x5700
    sldi 6, 6, 32
    sc 1
1:  b 1b
    .org 0x1000
main:
    lis 3, 0x7fff
    ori 3, 3, 0xffff
    mtdec 3
    li 3, 0xe0
    sc 1
2:  b 2b
"""


def test_a_sleep_until_a_far_timer_does_not_spend_the_instruction_budget() -> None:
    ctl = open_session(load_image(assemble_elf(SLEEPER)), SessionConfig(profile="guest"))
    console: list[str] = []
    ctl.subscribe(lambda e: console.append(e.text) if isinstance(e, ConsoleEvent) else None)
    ev = ctl.cont(budget=10_000)
    assert ev.reason == "limit"
    assert "".join(console) == "W"  # the timer fired: the guest woke and ran its handler
    assert ctl.registers(0, ["tb"])["tb"] > 1 << 31  # the sleep passed in virtual time
    assert ctl.time == 10_000  # the budget went on instructions (b 1b), none on the sleep


def _run(idle: str, dec: int) -> tuple[str, int, float]:
    source = SLEEPER.replace("lis 3, 0x7fff\n    ori 3, 3, 0xffff",
                             f"lis 3, {dec >> 16:#x}\n    ori 3, 3, {dec & 0xFFFF:#x}")  # fmt: skip
    ctl = open_session(load_image(assemble_elf(source)), SessionConfig(profile="guest", idle=idle))
    console: list[str] = []
    ctl.subscribe(lambda e: console.append(e.text) if isinstance(e, ConsoleEvent) else None)
    t0 = time.monotonic()
    ev = ctl.cont(budget=10_000)
    assert ev.reason == "limit"
    return "".join(console), ctl.registers(0, ["tb"])["tb"], time.monotonic() - t0


def test_a_realtime_idle_waits_out_the_sleep_on_the_host_clock_and_runs_the_same() -> None:
    dec = 128_000_000  # a quarter of a second of timebase at 512 MHz
    assert _run("realtime", dec)[:2] == _run("skip", dec)[:2]  # the same virtual run
    assert _run("realtime", dec)[2] >= 0.25  # it waited as long as the guest slept


def test_a_halt_ends_a_realtime_idle_wait_at_once() -> None:
    ctl = open_session(load_image(assemble_elf(SLEEPER)),
                       SessionConfig(profile="guest", idle="realtime"))  # fmt: skip
    threading.Timer(0.2, ctl.halt).start()
    t0 = time.monotonic()
    ev = ctl.cont(budget=10_000)  # the guest sleeps 4.2 s (DEC = 0x7fffffff)
    assert ev.reason == "halt"
    assert time.monotonic() - t0 < 3.0
    tb = ctl.registers(0, ["tb"])["tb"]
    assert 0 < tb < 0x7FFFFFFF  # time went on as far as the wait did, no further
