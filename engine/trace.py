"""``ppcdbg trace``: run an image and print machine state as JSON lines (TRACE-FORMAT.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from .cpu import VCPU
from .machine import Machine
from .memory import MemoryFault
from .registers import WIDTH32, canonical, read_register

DEFAULT_REGS = ("srr0", "srr1")


@dataclass
class TraceOptions:
    steps: int | None = None
    stop_at: list[int] = field(default_factory=list)
    until: list[int] = field(default_factory=list)
    regs: tuple[str, ...] = DEFAULT_REGS
    mem: list[tuple[str, int, int]] = field(default_factory=list)  # (label, address, length)
    max_instructions: int = 10_000_000
    step_vcpu: int | None = None
    scheduler_locking: str = "step"
    quantum: int = 10
    stats: bool = False


def fmt64(v: int) -> str:
    return f"0x{v:016x}"


def fmt32(v: int) -> str:
    return f"0x{v & 0xFFFFFFFF:08x}"


def fetch_or_none(cpu: VCPU) -> str | None:
    try:
        return fmt32(cpu.fetch(cpu.nia))
    except MemoryFault:
        return None


def state(cpu: VCPU, regs: tuple[str, ...]) -> dict[str, object]:
    """The fixed state fields of one vCPU plus the extra registers, in order."""
    g = cpu.gpr
    d: dict[str, object] = {
        "cpu": cpu.index,
        "pc": fmt64(cpu.nia),
        "msr": fmt64(cpu.msr),
        "insn": fetch_or_none(cpu),
        "gpr": [fmt64(v) for v in g],
        "cr": fmt32(cpu.cr),
        "lr": fmt64(cpu.lr),
        "ctr": fmt64(cpu.ctr),
        "xer": fmt32(cpu.xer),
    }
    for name in regs:
        try:
            v = read_register(cpu, name)
        except (KeyError, MemoryFault):
            d[name] = None
            continue
        d[name] = fmt32(v) if canonical(name) in WIDTH32 else fmt64(v)
    return d


def _line(obj: dict[str, object]) -> str:
    return json.dumps(obj, separators=(", ", ": "))


def read_mem(m: Machine, cpu: VCPU, addr: int, length: int) -> str | None:
    try:
        return m.mem.read_bytes(cpu.real_address(addr), length).hex()
    except MemoryFault:
        return None


def run_trace(m: Machine, opts: TraceOptions) -> Iterator[str]:
    if opts.steps is not None:
        yield from _step_mode(m, opts)
    else:
        yield from _run_mode(m, opts)
    if opts.stats:
        yield _line({"stats": {"steps": m.steps_taken, "host_exits": 0, "planted": 0,
                               "restored": 0, "foreign_hits": 0}})


def _step_mode(m: Machine, opts: TraceOptions) -> Iterator[str]:
    assert opts.steps is not None
    for cpu in m.vcpus:
        yield _line({"step": 0, **state(cpu, opts.regs)})
    stop_at = set(opts.stop_at)
    seen: set[int] = set()
    n = len(m.vcpus)
    for i in range(1, opts.steps + 1):
        if opts.step_vcpu is not None:
            cpu = m.vcpus[opts.step_vcpu]
            if opts.scheduler_locking == "off":
                for other in m.vcpus:
                    if other is not cpu:
                        other.run(opts.quantum)
        else:
            cpu = m.vcpus[(i - 1) % n]
        cpu.step()
        m.steps_taken += 1
        yield _line({"step": i, **state(cpu, opts.regs)})
        if stop_at:
            if cpu.nia in stop_at:
                seen.add(cpu.index)
            watched = {opts.step_vcpu} if opts.step_vcpu is not None else {c.index for c in m.vcpus}
            if watched <= seen:
                break
    if opts.step_vcpu is not None:
        for other in m.vcpus:
            if other.index != opts.step_vcpu:
                yield _line({"final": True, **state(other, opts.regs)})
    if opts.mem:
        cpu0 = m.vcpus[0]
        yield _line({"mem": {label: read_mem(m, cpu0, a, n) for label, a, n in opts.mem}})


def _run_mode(m: Machine, opts: TraceOptions) -> Iterator[str]:
    done, who = m.run(opts.max_instructions, frozenset(opts.until))
    reason = "breakpoint" if who is not None else "limit"
    for cpu in m.vcpus:
        d = state(cpu, opts.regs)
        d["stop"] = reason
        d["stopped_cpu"] = who
        if cpu.index == who and opts.mem:
            d["mem"] = {label: read_mem(m, cpu, a, n) for label, a, n in opts.mem}
        yield _line(d)
