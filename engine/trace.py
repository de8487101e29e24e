"""``ppcdbg trace``: run an image and print machine state as JSON lines (docs/trace-format.md).

It drives the machine through the stepping controller, like every other
client, so ``--backend`` changes how steps are carried out and never what
they print. Step mode prints a line per step, so its lines come from
``trace_format`` (cached hex, a fixed template) and its steps from
``Controller.stepping`` (``Controller.step`` without the bookkeeping where that
is provably the same); ``state`` below is the reference both are tested against.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from .cpu import VCPU
from .debug.config import SessionConfig
from .debug.controller import Controller
from .loader import Image
from .memory import MemoryFault
from .registers import canonical, read_register, width
from .trace_format import StateFormatter, VectorFields

DEFAULT_REGS = ("srr0", "srr1")
# Names ``--regs`` accepts for several registers at once (docs/trace-format.md).
REGISTER_GROUPS: dict[str, tuple[str, ...]] = {
    "vector": (*(f"vs{i}" for i in range(64)), "vscr"),  # VR n is vs(32+n): not twice
}


def expand_groups(regs: tuple[str, ...]) -> tuple[str, ...]:
    """``regs`` with every group name replaced by its registers, in order."""
    out: list[str] = []
    for r in regs:
        out.extend(REGISTER_GROUPS.get(r.strip().lower(), (r,)))
    return tuple(out)


@dataclass
class TraceOptions:
    steps: int | None = None
    stop_at: list[int] = field(default_factory=list)
    until: list[int] = field(default_factory=list)
    regs: tuple[str, ...] = DEFAULT_REGS
    mem: list[tuple[str, int, int]] = field(default_factory=list)  # (label, address, length)
    max_instructions: int = 10_000_000
    step_vcpu: int | None = None
    stats: bool = False
    # A "vector" object on every line: the VSRs and VSCR that changed since the vCPU's
    # previous line (all of them on its first line and on final and stop lines).
    vector_changes: bool = False


def fmt64(v: int) -> str:
    return f"0x{v:016x}"


def fmt32(v: int) -> str:
    return f"0x{v & 0xFFFFFFFF:08x}"


def state(ctl: Controller, cpu: VCPU, regs: tuple[str, ...]) -> dict[str, object]:
    """The fixed state fields of one vCPU plus the extra registers, in order."""
    g = cpu.gpr
    d: dict[str, object] = {
        "cpu": cpu.index,
        "pc": fmt64(cpu.nia),
        "msr": fmt64(cpu.msr),
        "insn": _insn(ctl, cpu),
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
        w = width(canonical(name))
        d[name] = fmt32(v) if w == 32 else f"0x{v:032x}" if w == 128 else fmt64(v)
    return d


def _insn(ctl: Controller, cpu: VCPU) -> str | None:
    """The word at pc as the vCPU would fetch it, with planted words shown as the original."""
    word = ctl.instruction_word(cpu, cpu.nia)
    return None if word is None else fmt32(word)


def _insn_reader(ctl: Controller) -> Callable[[VCPU], int | None]:
    """``_insn`` as a word (None: the fetch would fault), for the formatter."""
    read = ctl.instruction_word
    return lambda cpu: read(cpu, cpu.nia)


def formatter(ctl: Controller, regs: tuple[str, ...]) -> StateFormatter:
    return StateFormatter(_insn_reader(ctl), regs)


def vector_state(cpu: VCPU) -> dict[str, str]:
    """Every VSR and VSCR as a line's ``"vector"`` object prints them."""
    d = {f"vs{i}": f"0x{v:032x}" for i, v in enumerate(cpu.vsr)}
    d["vscr"] = fmt32(cpu.vscr)
    return d


# Keys of a line that are not state fields: an extra "register" of one of these
# names (not a register, so null) replaces the key's value in a dict, which
# the fixed template does not do, so such traces print through the dicts.
LINE_KEYS = frozenset(
    {"step", "final", "cpu", "insn", "gpr", "stop", "stopped_cpu", "mem", "vector"}
)


class Lines:
    """State lines as ``json.dumps`` of ``state()`` dicts: the reference.

    With ``vector``, each line ends its state with a ``"vector"`` object: on
    step lines the VSRs/VSCR that differ from the vCPU's previous line (all
    on its first), on final and stop lines all of them.
    """

    def __init__(self, ctl: Controller, regs: tuple[str, ...], vector: bool = False) -> None:
        self.ctl = ctl
        self.regs = regs
        self.vector = vector
        self._seen: dict[int, dict[str, str]] = {}  # the vector state each vCPU last printed

    def _state(self, cpu: VCPU, changes: bool) -> dict[str, object]:
        d = state(self.ctl, cpu, self.regs)
        if self.vector:
            now = vector_state(cpu)
            before = self._seen.get(cpu.index)
            self._seen[cpu.index] = now
            if changes and before is not None:
                now = {k: v for k, v in now.items() if before[k] != v}
            d["vector"] = now
        return d

    def step(self, i: int, cpu: VCPU) -> str:
        return _line({"step": i, **self._state(cpu, True)})

    def final(self, cpu: VCPU) -> str:
        return _line({"final": True, **self._state(cpu, False)})

    def stop(self, cpu: VCPU, tail: dict[str, object]) -> str:
        return _line({**self._state(cpu, False), **tail})


class FastLines(Lines):
    """The same text from the cached formatter and a fixed template."""

    def __init__(self, ctl: Controller, regs: tuple[str, ...], vector: bool = False) -> None:
        super().__init__(ctl, regs, vector)
        self.fields = formatter(ctl, regs).fields

    def step(self, i: int, cpu: VCPU) -> str:
        return f'{{"step": {i}, {self.fields(cpu)}}}'

    def final(self, cpu: VCPU) -> str:
        return f'{{"final": true, {self.fields(cpu)}}}'

    def stop(self, cpu: VCPU, tail: dict[str, object]) -> str:
        return f"{{{self.fields(cpu)}, {_line(tail)[1:]}"


class FastVectorLines(FastLines):
    """FastLines with the ``"vector"`` object (a class of its own: the default pays nothing)."""

    def __init__(self, ctl: Controller, regs: tuple[str, ...], vector: bool = True) -> None:
        super().__init__(ctl, regs, vector)
        self.vfields = VectorFields()

    def step(self, i: int, cpu: VCPU) -> str:
        return f'{{"step": {i}, {self.fields(cpu)}, "vector": {self.vfields.changes(cpu)}}}'

    def final(self, cpu: VCPU) -> str:
        return f'{{"final": true, {self.fields(cpu)}, "vector": {self.vfields.full(cpu)}}}'

    def stop(self, cpu: VCPU, tail: dict[str, object]) -> str:
        v = self.vfields.full(cpu)
        return f'{{{self.fields(cpu)}, "vector": {v}, {_line(tail)[1:]}'


def lines(ctl: Controller, regs: tuple[str, ...], vector: bool = False) -> Lines:
    if LINE_KEYS.intersection(regs):
        return Lines(ctl, regs, vector)
    return FastVectorLines(ctl, regs) if vector else FastLines(ctl, regs)


def _line(obj: dict[str, object]) -> str:
    return json.dumps(obj, separators=(", ", ": "))


def read_mem(ctl: Controller, cpu: VCPU, addr: int, length: int) -> str | None:
    try:
        return ctl.read_memory(addr, length, "effective", cpu.index).hex()
    except Exception:  # noqa: BLE001 - unreadable memory prints as null
        return None


class Tracer:
    """A session of the trace's own (``ppcdbg trace``).

    The trace reads its vCPUs directly, as fast as the engine runs, so it holds
    its Controller itself; what drives it (the CLI) sees only this.
    """

    def __init__(self, image: Image, config: SessionConfig) -> None:
        self._ctl = Controller(image, config)  # ConfigError, ControllerError: here, before output

    def lines(self, opts: TraceOptions) -> Iterator[str]:
        """The trace's JSON lines, one at a time as the machine runs."""
        return run_trace(self._ctl, opts)


def run_trace(ctl: Controller, opts: TraceOptions, fast: bool = True) -> Iterator[str]:
    """The trace's lines; ``fast=False`` steps through ``Controller.step`` whatever the session."""
    regs = expand_groups(opts.regs)
    if regs != opts.regs:
        opts = replace(opts, regs=regs)
    if opts.steps is not None:
        yield from _step_mode(ctl, opts, fast)
    else:
        yield from _run_mode(ctl, opts)
    if opts.stats:
        yield _line({"stats": ctl.stats()})


def _step_mode(ctl: Controller, opts: TraceOptions, fast: bool) -> Iterator[str]:
    assert opts.steps is not None
    vcpus = ctl.machine.vcpus
    out = lines(ctl, opts.regs, opts.vector_changes)
    line = out.step
    for cpu in vcpus:
        yield line(0, cpu)
    stop_at = set(opts.stop_at)
    seen: set[int] = set()
    n = len(vcpus)
    watched = {opts.step_vcpu} if opts.step_vcpu is not None else {c.index for c in vcpus}
    with ctl.stepping(fast) as step:
        for i in range(1, opts.steps + 1):
            cpu = vcpus[opts.step_vcpu] if opts.step_vcpu is not None else vcpus[(i - 1) % n]
            step(cpu.index)
            yield line(i, cpu)
            if stop_at:
                if cpu.nia in stop_at:
                    seen.add(cpu.index)
                if watched <= seen:
                    break
    if opts.step_vcpu is not None:
        for other in vcpus:
            if other.index != opts.step_vcpu:
                yield out.final(other)
    if opts.mem:
        cpu0 = vcpus[0]
        yield _line({"mem": {label: read_mem(ctl, cpu0, a, n) for label, a, n in opts.mem}})


def _run_mode(ctl: Controller, opts: TraceOptions) -> Iterator[str]:
    ev = ctl.cont(budget=opts.max_instructions, until=opts.until or None)
    who = ev.vcpu if ev.reason in ("step", "breakpoint") else None
    reason = "breakpoint" if who is not None else "limit"
    out = lines(ctl, opts.regs, opts.vector_changes)
    for cpu in ctl.machine.vcpus:
        tail: dict[str, object] = {"stop": reason, "stopped_cpu": who}
        if cpu.index == who and opts.mem:
            tail["mem"] = {label: read_mem(ctl, cpu, a, n) for label, a, n in opts.mem}
        yield out.stop(cpu, tail)
