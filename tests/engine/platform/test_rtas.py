"""RTAS served by the pseries host (engine/platform/pseries/rtas.py), one behaviour per test."""

from __future__ import annotations

from engine.machine import STOPPED
from engine.msr import LPCR_AIL, LPCR_GTSE, LPCR_HR, LPCR_ILE, LPCR_UPRT, MSR_ME, MSR_SF
from engine.platform.pseries.devicetree import TIMEBASE_FREQUENCY
from engine.sprs import SPR_LPCR

from .pseries_helpers import cpu, partition, rtas


def test_an_unknown_token_answers_minus_3_and_is_counted() -> None:
    m, host = partition()
    seen: list[tuple[int, str, int]] = []
    host.on_unsupported = lambda v, kind, nr: seen.append((v, kind, nr))
    assert rtas(m, 0x2FFF) == [-3]
    assert host.stats()["unsupported_rtas"] == {"0x2fff": 1}
    assert seen == [(0, "rtas", 0x2FFF)]


def test_a_call_with_the_wrong_argument_count_answers_minus_3() -> None:
    m, host = partition()
    assert rtas(m, "power-off", -1) == [-3]  # needs two arguments
    assert host.stop_reason is None


def test_power_off_stops_every_vcpu_with_reason_poweroff() -> None:
    m, host = partition(vcpus=2)
    assert rtas(m, "power-off", -1, -1) == [0]
    assert host.stop_reason == "poweroff" and cpu(m).exit_reason == "poweroff"
    assert all(c.halted for c in m.vcpus)
    assert host.stats()["rtas"] == {"power-off": 1}


def test_os_term_ends_the_run_as_a_panic_with_the_message() -> None:
    m, host = partition()
    m.mem.write_bytes(0x9000, b"Kernel panic - not syncing: test\0junk", None)
    assert rtas(m, "ibm,os-term", 0x9000) == [0]
    assert host.stop_reason == "panic"
    assert host.os_term_message == "Kernel panic - not syncing: test"


def test_system_reboot_ends_the_run_as_a_reboot() -> None:
    m, host = partition()
    assert rtas(m, "system-reboot") == [0]
    assert host.stop_reason == "reboot"


def test_get_time_of_day_counts_virtual_time_from_a_fixed_epoch() -> None:
    m, _ = partition()
    assert rtas(m, "get-time-of-day", nret=8) == [0, 2025, 1, 1, 0, 0, 0, 0]
    cpu(m).clock = 61 * TIMEBASE_FREQUENCY + TIMEBASE_FREQUENCY // 4  # 61.25 s later
    assert rtas(m, "get-time-of-day", nret=8) == [0, 2025, 1, 1, 0, 1, 1, 250_000_000]


def test_set_time_of_day_moves_the_clock_it_reads() -> None:
    m, _ = partition()
    assert rtas(m, "set-time-of-day", 2030, 6, 15, 12, 30, 0, 0) == [0]
    assert rtas(m, "get-time-of-day", nret=8)[:7] == [0, 2030, 6, 15, 12, 30, 0]
    assert rtas(m, "set-time-of-day", 2030, 13, 1, 0, 0, 0, 0) == [-3]  # no month 13


def test_display_character_writes_to_the_console() -> None:
    m, host = partition()
    for ch in b"ok":
        assert rtas(m, "display-character", ch) == [0]
    assert host.console_out == b"ok"


def test_start_cpu_starts_a_stopped_vcpu_as_qemu_does() -> None:
    m, _ = partition(vcpus=2)
    boot, sec = cpu(m), cpu(m, 1)
    boot.spr[SPR_LPCR] |= LPCR_ILE | (3 << 23) | LPCR_UPRT | LPCR_HR | LPCR_GTSE
    boot.clock = 12345
    assert rtas(m, "query-cpu-stopped-state", 1, nret=2) == [0, 0]
    assert rtas(m, "start-cpu", 1, 0xCEE4, 1) == [0]
    assert not sec.halted and sec.nia == 0xCEE4 and sec.gpr[3] == 1
    assert sec.msr == MSR_SF | MSR_ME
    lpcr = sec.spr[SPR_LPCR]
    assert lpcr & LPCR_ILE and lpcr & LPCR_AIL == 3 << 23
    assert lpcr & (LPCR_UPRT | LPCR_HR | LPCR_GTSE) == LPCR_UPRT | LPCR_HR | LPCR_GTSE
    assert sec.timebase == boot.timebase  # synchronised with the caller
    assert rtas(m, "query-cpu-stopped-state", 1, nret=2) == [0, 2]
    assert rtas(m, "start-cpu", 1, 0xCEE4, 1) == [-1]  # already running
    assert rtas(m, "start-cpu", 5, 0xCEE4, 1) == [-3]  # no such vCPU


def test_stop_self_parks_the_calling_vcpu_until_start_cpu() -> None:
    m, _ = partition(vcpus=2)
    rtas(m, "start-cpu", 1, 0x1000, 0)
    rtas(m, "stop-self", nret=0, vcpu=1)
    assert cpu(m, 1).halted and cpu(m, 1).halt_reason == STOPPED
    assert rtas(m, "query-cpu-stopped-state", 1, nret=2) == [0, 0]
    assert rtas(m, "start-cpu", 1, 0x2000, 7) == [0] and cpu(m, 1).nia == 0x2000


def test_event_scan_finds_nothing_and_indicators_and_sensors_are_no_ops() -> None:
    m, host = partition()
    host.rtas_names.update({0x201A: "set-indicator", 0x201D: "get-sensor-state"})
    assert rtas(m, "event-scan", 0xFFFFFFFF, 0, 0x9000, 0x800) == [1]
    assert rtas(m, "set-indicator", 9005, 0, 1) == [0]
    assert rtas(m, "get-sensor-state", 9001, 0, nret=2) == [0, 0]


def test_get_system_parameter_is_not_supported() -> None:
    m, _ = partition()
    assert rtas(m, "ibm,get-system-parameter", 0x2C, 0x9000, 1024) == [-3]
