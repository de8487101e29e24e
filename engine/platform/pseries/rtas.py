"""RTAS, served by the host: the calls behind the stub's KVMPPC_H_RTAS hypercall.

The guest passes the real address of an argument block of big-endian 32-bit words: token,
nargs, nret, nargs arguments, nret results. Each call here takes the arguments and returns the
results (results[0] is the status); ``call`` reads and writes the block. A token the host does
not know, or one with the wrong number of arguments or results, answers -3 (parameter error /
not supported) and is counted, never an exception.

Behaviour follows QEMU 7.2's hw/ppc/spapr_rtas.c and xics_spapr.c, except:
- get-time-of-day reads virtual time (the timebase from a fixed epoch, plus what
  set-time-of-day added), never the host's clock, so a run is reproducible;
- ibm,os-term ends the run (reason "panic") where QEMU only reports a panic;
- set-indicator, get-sensor-state are no-ops that succeed (a logical partition with nothing to
  report), event-scan answers 1 ("no errors found") as QEMU does.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.bits import M64
from engine.machine import STOPPED
from engine.msr import LPCR_AIL, LPCR_GTSE, LPCR_HR, LPCR_ILE, LPCR_UPRT, MSR_ME, MSR_SF
from engine.platform.pseries.devicetree import TIMEBASE_FREQUENCY
from engine.platform.pseries.rtas_tokens import (
    RTAS_HARDWARE_ERROR,
    RTAS_PARAMETER_ERROR,
    RTAS_SUCCESS,
)
from engine.sprs import SPR_LPCR

if TYPE_CHECKING:
    from engine.cpu import VCPU
    from engine.platform.pseries.hcalls import PseriesHost

# Virtual wall clock: the timebase counts from this moment (a fixed one, for reproducible runs).
RTC_EPOCH = int(_dt.datetime(2025, 1, 1, tzinfo=_dt.UTC).timestamp())
RTAS_NO_ERRORS_FOUND = 1  # event-scan: nothing to report
MAX_OS_TERM_MESSAGE = 511
# Result counts QEMU insists on, by call: (nargs, nret); None = any.
Call = Callable[["PseriesHost", "VCPU", list[int]], list[int]]


def _rets(status: int, *values: int) -> list[int]:
    return [status, *values]


def display_character(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    host.console_write(cpu, bytes([args[0] & 0xFF]))
    return _rets(RTAS_SUCCESS)


def get_time_of_day(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    ns_total = cpu.timebase * 1_000_000_000 // TIMEBASE_FREQUENCY
    seconds, ns = divmod(ns_total, 1_000_000_000)
    t = _dt.datetime.fromtimestamp(RTC_EPOCH + host.rtc_offset + seconds, _dt.UTC)
    return _rets(RTAS_SUCCESS, t.year, t.month, t.day, t.hour, t.minute, t.second, ns)


def set_time_of_day(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    year, month, day, hour, minute, second = args[:6]
    try:
        t = _dt.datetime(year, month, day, hour, minute, second, tzinfo=_dt.UTC)
    except ValueError:
        return _rets(RTAS_PARAMETER_ERROR)
    now = RTC_EPOCH + cpu.timebase // TIMEBASE_FREQUENCY
    host.rtc_offset = int(t.timestamp()) - now
    return _rets(RTAS_SUCCESS)


def power_off(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    host.stop_machine(cpu, "poweroff")
    return _rets(RTAS_SUCCESS)


def system_reboot(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    host.stop_machine(cpu, "reboot")
    return _rets(RTAS_SUCCESS)


def os_term(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    raw = bytearray()
    addr = args[0]
    while len(raw) < MAX_OS_TERM_MESSAGE and addr + len(raw) < cpu.mem.size:
        b = cpu.mem.read_bytes(addr + len(raw), 1)[0]
        if not b:
            break
        raw.append(b)
    host.os_term_message = raw.decode("utf-8", "replace")
    host.stop_machine(cpu, "panic")
    return _rets(RTAS_SUCCESS)


def query_cpu_stopped_state(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    target = host.vcpu_by_id(args[0])
    if target is None:
        return _rets(RTAS_PARAMETER_ERROR)
    return _rets(RTAS_SUCCESS, 0 if target.halt_reason == STOPPED else 2)


def start_cpu(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    """QEMU's rtas_start_cpu: MSR = SF|ME at the start address with r3 as given, LPCR's ILE,
    AIL and radix bits as the caller's, the caller's timebase."""
    hw_id, start, r3 = args
    new = host.vcpu_by_id(hw_id)
    if new is None:
        return _rets(RTAS_PARAMETER_ERROR)
    if new.halt_reason != STOPPED:
        return _rets(RTAS_HARDWARE_ERROR)
    caller = cpu.spr[SPR_LPCR]
    radix = LPCR_UPRT | LPCR_GTSE | LPCR_HR
    keep = LPCR_ILE | LPCR_AIL | radix
    new.spr[SPR_LPCR] = (new.spr[SPR_LPCR] & ~keep) | (caller & (LPCR_ILE | LPCR_AIL))
    if caller & LPCR_UPRT:
        new.spr[SPR_LPCR] |= radix
    new.tb_offset = cpu.timebase - new.clock * new.tb_ratio  # the caller's time, from now on
    new.set_vtb(cpu.vtb)  # one virtual clock for every vCPU, as QEMU's VTB
    new.set_msr(MSR_SF | MSR_ME)
    new.gpr[1], new.gpr[3], new.gpr[4] = 0, r3 & M64, 0
    new.nia = start & M64
    new.halted, new.halt_reason, new.sleeping = False, None, False
    new.flush_translation()
    return _rets(RTAS_SUCCESS)


def stop_self(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    # Never returns to the caller: the vCPU waits for start-cpu.
    cpu.halted, cpu.halt_reason = True, STOPPED
    cpu.sleeping = False
    return []


def get_system_parameter(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    return _rets(RTAS_PARAMETER_ERROR)  # no parameter is offered (-3: not supported)


def event_scan(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    return _rets(RTAS_NO_ERRORS_FOUND)


def no_op(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    return _rets(RTAS_SUCCESS)


def get_sensor_state(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    return _rets(RTAS_SUCCESS, 0)


# -- XICS sources (xics_spapr.c) ------------------------------------------------------------
def set_xive(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    nr, server, priority = args
    if nr not in host.xics.sources or not host.xics.valid_server(server) or priority > 0xFF:
        return _rets(RTAS_PARAMETER_ERROR)
    host.xics.set_xive(nr, server, priority)
    return _rets(RTAS_SUCCESS)


def get_xive(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    src = host.xics.sources.get(args[0])
    if src is None:
        return _rets(RTAS_PARAMETER_ERROR)
    return _rets(RTAS_SUCCESS, src.server, src.priority)


def int_off(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    src = host.xics.sources.get(args[0])
    if src is None:
        return _rets(RTAS_PARAMETER_ERROR)
    host.xics.set_xive(args[0], src.server, 0xFF, saved=src.priority)
    return _rets(RTAS_SUCCESS)


def int_on(host: PseriesHost, cpu: VCPU, args: list[int]) -> list[int]:
    src = host.xics.sources.get(args[0])
    if src is None:
        return _rets(RTAS_PARAMETER_ERROR)
    host.xics.set_xive(args[0], src.server, src.saved_priority)
    return _rets(RTAS_SUCCESS)


# name -> (handler, nargs, nret): a call with other counts answers -3, as QEMU's do
# (None: any count, for calls QEMU does not check).
CALLS: dict[str, tuple[Call, int | None, int | None]] = {
    "display-character": (display_character, 1, None),
    "get-time-of-day": (get_time_of_day, 0, 8),
    "set-time-of-day": (set_time_of_day, 7, 1),
    "power-off": (power_off, 2, 1),
    "system-reboot": (system_reboot, 0, 1),
    "ibm,os-term": (os_term, 1, None),
    "query-cpu-stopped-state": (query_cpu_stopped_state, 1, 2),
    "start-cpu": (start_cpu, 3, 1),
    "stop-self": (stop_self, None, None),
    "ibm,get-system-parameter": (get_system_parameter, None, 1),
    "event-scan": (event_scan, None, 1),
    "set-indicator": (no_op, None, 1),
    "get-sensor-state": (get_sensor_state, None, 2),
    "ibm,set-xive": (set_xive, 3, 1),
    "ibm,get-xive": (get_xive, 1, 3),
    "ibm,int-off": (int_off, 1, 1),
    "ibm,int-on": (int_on, 1, 1),
}


def call(host: PseriesHost, cpu: VCPU, block: int) -> str | None:
    """Run the RTAS call whose argument block is at real address ``block``; the call's name,
    or None for an unknown token (answered -3)."""
    mem = cpu.mem
    if block + 12 > mem.size:
        return None

    def ld(i: int) -> int:
        return mem.read(block + 4 * i, 4, "big")

    token, nargs, nret = ld(0), ld(1), ld(2)
    rets_at = 3 + nargs
    if block + 4 * (rets_at + max(nret, 1)) > mem.size or nargs > 64 or nret > 64:
        return None
    name = host.rtas_names.get(token)
    entry = CALLS.get(name) if name is not None else None
    if entry is None or name is None:
        if nret:
            mem.write(block + 4 * rets_at, 4, RTAS_PARAMETER_ERROR & 0xFFFF_FFFF, "big")
        return None
    fn, want_args, want_rets = entry
    bad_args = want_args is not None and nargs != want_args
    if bad_args or (want_rets is not None and nret != want_rets):
        rets = [RTAS_PARAMETER_ERROR]
    else:
        rets = fn(host, cpu, [ld(3 + i) for i in range(nargs)])
    for i, value in enumerate(rets[:nret]):
        mem.write(block + 4 * (rets_at + i), 4, value & 0xFFFF_FFFF, "big")
    return name
