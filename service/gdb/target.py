"""The GDB target: RSP operations mapped onto the ``Controller`` API.

Everything PowerPC lives here (register layout, byte order, stop reasons,
monitor commands); ``server.py`` only speaks the protocol. vCPU ``n`` is gdb
thread ``n + 1``.

Register numbering (the ``regnum``s of our target description): r0-r31 are
0-31, then pc, msr, cr, lr, ctr, xer (32-37), f0-f31 (38-69), fpscr (70), the
SPRs from 71 on, then gdb's AltiVec feature (vr0-vr31, vscr, vrsave) and its
VSX one (vs0h-vs31h: the low doublewords of VSR 0-31; gdb makes vs0-vs63 out
of f0-f31, these and vr0-vr31). gdb matches registers by name, so the numbers
are ours to choose; this order makes ``g`` start with the core registers as
QEMU sends them (r0-r31, pc, msr, cr, lr, ctr, xer) followed by the FPU ones,
so a client written for QEMU's ``g`` layout reads ours unchanged; the rest of
``g`` is every other register in regnum order.

Every register travels in the vCPU's current byte order (MSR[LE]), as QEMU
7.2's gdbstub sends them: a 128-bit VR is its 16 bytes most significant first
in big-endian mode and reversed as a whole in little-endian mode, which is how
gdb lays out a little-endian target's vector registers (v4_int32[0] is then
the least significant word, element 3 in the ISA's numbering).
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape as xml_escape

from engine.target import (
    MSR_LE,
    SPR_TABLE,
    BreakpointError,
    ConsoleEvent,
    ControllerError,
    Event,
    Reversible,
    StopEvent,
    Target,
)

from .protocol import Stop, TargetError

SIGINT, SIGTRAP = 2, 5
CONT_BUDGET = 1 << 62  # gdb's continue runs until something stops it, not for a budget

Reg = tuple[str, int, str | None]  # gdb's name, bitsize and type (None: gdb's default)
CORE: list[Reg] = [*((f"r{i}", 64, "uint64") for i in range(32)),
    ("pc", 64, "code_ptr"), ("msr", 64, "uint64"), ("cr", 32, "uint32"),
    ("lr", 64, "code_ptr"), ("ctr", 64, "uint64"), ("xer", 32, "uint32"),
]  # fmt: skip
FPU: list[Reg] = [*((f"f{i}", 64, "ieee_double") for i in range(32)), ("fpscr", 32, "uint32")]
# Readable SPRs, by the architecture's (and QEMU's) lower-case names; xer, lr
# and ctr are already in the core feature, vrsave in the AltiVec one.
SPRS: list[Reg] = [(s.name, 64, "uint64") for s in SPR_TABLE
                   if s.read and s.name not in ("xer", "lr", "ctr", "vrsave")]  # fmt: skip
# gdb's features/rs6000/power-altivec.xml and power-vsx.xml: names, sizes, types
# (vscr and vrsave have none: gdb's default, an integer of their size).
ALTIVEC: list[Reg] = [*((f"vr{i}", 128, "vec128") for i in range(32)),
                      ("vscr", 32, None), ("vrsave", 32, None)]  # fmt: skip
VSX: list[Reg] = [(f"vs{i}h", 64, "uint64") for i in range(32)]
ALTIVEC_TYPES = """\
    <vector id="v4f" type="ieee_single" count="4"/>
    <vector id="v4i32" type="int32" count="4"/>
    <vector id="v8i16" type="int16" count="8"/>
    <vector id="v16i8" type="int8" count="16"/>
    <union id="vec128">
      <field name="uint128" type="uint128"/>
      <field name="v4_float" type="v4f"/>
      <field name="v4_int32" type="v4i32"/>
      <field name="v8_int16" type="v8i16"/>
      <field name="v16_int8" type="v16i8"/>
    </union>"""
REGISTERS = CORE + FPU + SPRS + ALTIVEC + VSX
REGNUM = {name: i for i, (name, _, _) in enumerate(REGISTERS)}
REG_BYTES = [bits // 8 for _, bits, _ in REGISTERS]
PC_REGNUM = REGNUM["pc"]
SPR_NUMBER = {s.name: s.number for s in SPR_TABLE}
M32, M64 = (1 << 32) - 1, (1 << 64) - 1

# The head of the ``g`` block: core + FPU registers (packed straight from the vCPU).
G_NAMES = [name for name, _, _ in CORE + FPU]
G_FORMAT = "32Q" + "QQIQQI" + "32Q" + "I"
G_STRUCTS = {"big": struct.Struct(">" + G_FORMAT), "little": struct.Struct("<" + G_FORMAT)}
G_HEAD = G_STRUCTS["big"].size
# The rest of it: every other register in regnum order, read by name.
G_TAIL = REGISTERS[len(G_NAMES) :]
G_SIZE = sum(REG_BYTES)
REG_OFFSET = [sum(REG_BYTES[:i]) for i in range(len(REGISTERS))]  # where each one is in g


VS_HALVES = frozenset(name for name, _, _ in VSX)


def engine_name(name: str) -> str:
    """The engine's register behind gdb's ``name``: vsNh is half of vsN."""
    return name[:-1] if name in VS_HALVES else name


def gdb_value(name: str, value: int) -> int:
    """gdb's register ``name`` from its engine register's ``value``."""
    if name in VS_HALVES:
        return value & M64  # vsNh: VSR N's low doubleword (FPR N is the high one)
    if name == "vrsave":
        return value & M32  # a 32-bit register to gdb (QEMU 7.2 sends the low word)
    return value


# The whole register file as the engine names it, read in one call per g.
G_SOURCES = tuple(engine_name(name) for name, _, _ in REGISTERS)
G_TAIL_SIZES = [(name, bits // 8) for name, bits, _ in G_TAIL]


def engine_value(name: str, value: int, current: int) -> int:
    """The engine register's new value when gdb writes ``value`` to ``name``."""
    if name in VS_HALVES:
        return (current & ~M64) | value
    return value  # vrsave: gdb's 32 bits, the upper ones cleared (as QEMU 7.2 does)


MAX_MEMORY = 0x1000  # bytes one m/M/X may move (replies must fit our PacketSize)

Z_KINDS = {0: "software", 1: "hardware", 2: "write", 3: "read", 4: "access"}
WATCH_KEY = {"write": "watch", "read": "rwatch", "access": "awatch"}

# LPCR fields (Power ISA v3.0B Book III 2.2, IBM bit numbers), for ``monitor lpcr``.
LPCR_FIELDS = (
    ("VPM0", 0, 1), ("VPM1", 1, 1), ("ISL", 2, 1), ("KBV", 3, 1), ("DPFD", 9, 3),
    ("VRMASD", 12, 5), ("ILE", 38, 1), ("AIL", 39, 2), ("UPRT", 41, 1), ("EVIRT", 42, 1),
    ("HR", 43, 1), ("ONL", 45, 1), ("LD", 46, 1), ("PECE", 47, 5), ("MER", 52, 1),
    ("GTSE", 53, 1), ("TC", 54, 1), ("HEIC", 59, 1), ("LPES0", 60, 1), ("LPES1", 61, 1),
    ("HVICE", 62, 1), ("HDICE", 63, 1),
)  # fmt: skip

MONITOR_HELP = """\
ppcdbg monitor commands:
  monitor help          this list
  monitor backend       the session's stepping backend and its options
  monitor stats         stepping statistics (steps, host exits, planted words...)
  monitor lpcr [N|all]  LPCR of every vCPU (or vCPU N), decoded
  monitor time          virtual time (instructions executed by all vCPUs)
  monitor breakpoints   every breakpoint of the session (gdb's and the API's)
"""


def target_xml(order: str) -> bytes:
    """The target description: GDB's power core and FPU features, then the SPRs."""
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
        '<target version="1.0">',
        f"  <!-- registers travel in the vCPU's current byte order: now {order}-endian -->",
        "  <architecture>powerpc:common64</architecture>",
    ]

    def feature(name: str, regs: list[Reg], group: str | None,
                types: str = "") -> None:  # fmt: skip
        lines.append(f'  <feature name="{name}">')
        if types:
            lines.append(types)
        for name_, bits, typ in regs:
            n = REGNUM[name_]
            t = f' type="{typ}"' if typ else ""
            # Untyped registers (vscr, vrsave) go in gdb's vector group, as gdb's file says.
            grp = group if typ else "vector"
            g = f' group="{grp}"' if grp else ""
            comment = f"  <!-- SPR {SPR_NUMBER[name_]} -->" if name_ in SPR_NUMBER else ""
            lines.append(f'    <reg name="{name_}" bitsize="{bits}"{t} regnum="{n}"{g}/>{comment}')
        lines.append("  </feature>")

    feature("org.gnu.gdb.power.core", CORE, None)
    feature("org.gnu.gdb.power.fpu", FPU, "float")
    feature("org.ppcdbg.power.spr", SPRS, "system")
    feature("org.gnu.gdb.power.altivec", ALTIVEC, None, ALTIVEC_TYPES)
    feature("org.gnu.gdb.power.vsx", VSX, None)
    lines.append("</target>")
    return ("\n".join(lines) + "\n").encode()


@dataclass
class _GdbBreakpoint:
    bp_id: str
    kind: str


class ControllerTarget:
    """One gdb connection's view of a session. Not thread-safe except ``interrupt``."""

    def __init__(self, ctl: Target) -> None:
        self.ctl = ctl
        self._bps: dict[tuple[int, int, int], _GdbBreakpoint] = {}
        self._console: list[str] = []
        self._console_lock = threading.Lock()
        self._capturing = False
        self._unsubscribe: Callable[[], None] = ctl.subscribe(self._on_event)

    # -- events ----------------------------------------------------------------
    def _on_event(self, ev: Event) -> None:
        # Called on the engine thread: only collect (console text while gdb's
        # continue runs goes to gdb as O packets before the stop reply).
        if self._capturing and isinstance(ev, ConsoleEvent):
            with self._console_lock:
                self._console.append(ev.text)

    def take_console(self) -> str:
        with self._console_lock:
            text = "".join(self._console)
            self._console.clear()
        return text

    # -- threads -------------------------------------------------------------------
    @property
    def vcpus(self) -> int:
        return self.ctl.vcpu_count

    def _check(self, vcpu: int) -> None:
        if not 0 <= vcpu < self.vcpus:
            raise TargetError(0x16, f"no vCPU {vcpu}")

    def thread_info(self, vcpu: int) -> str:
        cpu = self.ctl.vcpu_views()[vcpu]
        if cpu.halted:
            state = f"halted: {cpu.halt_reason}"
        elif cpu.sleeping:
            state = "sleeping"
        else:
            state = "running" if self.ctl.running else "stopped"
        return f"vCPU {vcpu}, {state}"

    def order(self, vcpu: int) -> Literal["little", "big"]:
        msr = self.ctl.register_values(vcpu, ("msr",))[0]
        return "little" if msr & MSR_LE else "big"

    def last_stop(self) -> Stop:
        ev = self.ctl.last_stop
        if ev is None:
            return Stop(SIGTRAP, 0)
        return self._stop(ev)

    # -- registers -------------------------------------------------------------------
    def read_registers(self, vcpu: int) -> bytes:
        self._check(vcpu)
        values = self.ctl.register_values(vcpu, G_SOURCES)
        order: Literal["little", "big"] = "little" if values[REGNUM["msr"]] & MSR_LE else "big"
        head = G_STRUCTS[order].pack(*values[: len(G_NAMES)])
        tail = b"".join([
            gdb_value(name, v).to_bytes(size, order)
            for (name, size), v in zip(G_TAIL_SIZES, values[len(G_NAMES) :], strict=True)
        ])  # fmt: skip
        return head + tail

    def write_registers(self, vcpu: int, data: bytes) -> None:
        self._check(vcpu)
        order = self.order(vcpu)
        current = self.read_registers(vcpu)
        if len(data) != G_SIZE:
            # gdb sends G in the layout of our g reply, all of it. QEMU's stub writes what a
            # short packet holds and answers OK; a packet that is not a whole register file is
            # a confused client, so it is refused and nothing changes.
            raise TargetError(0x16, f"G carries {len(data)} bytes, the register file {G_SIZE}")
        changed: dict[str, int] = {}
        pos = 0
        for (name, _, _), size in zip(REGISTERS, REG_BYTES, strict=True):
            raw, old = data[pos : pos + size], current[pos : pos + size]
            pos += size
            if raw == old:
                continue
            value = int.from_bytes(raw, order)
            if name in VS_HALVES:
                # VSR N whole, with FPR N as this G sets it (its write, if any, is this one).
                f = f"f{name[2:-1]}"
                changed.pop(f, None)
                at = REG_OFFSET[REGNUM[f]]
                high = int.from_bytes(data[at : at + 8], order)
                changed[engine_name(name)] = (high << 64) | value
            else:
                changed[name] = value
        if changed:
            self.ctl.write_registers(vcpu, changed)

    def read_register(self, vcpu: int, num: int) -> bytes | None:
        """Raw bytes of register ``num``; None when it cannot be read now."""
        self._check(vcpu)
        if not 0 <= num < len(REGISTERS):
            raise TargetError(0x16, f"no register {num}")
        name = REGISTERS[num][0]
        source = engine_name(name)
        value = self.ctl.registers(vcpu, [source])[source]
        if value is None:
            return None
        size = REG_BYTES[num]
        value = gdb_value(name, value) & ((1 << (8 * size)) - 1)
        return value.to_bytes(size, self.order(vcpu))

    def register_size(self, num: int) -> int:
        return REG_BYTES[num] if 0 <= num < len(REGISTERS) else 8

    def write_register(self, vcpu: int, num: int, raw: bytes) -> None:
        self._check(vcpu)
        if not 0 <= num < len(REGISTERS) or len(raw) != REG_BYTES[num]:
            raise TargetError(0x16, f"bad register {num} or size {len(raw)}")
        name = REGISTERS[num][0]
        source = engine_name(name)
        value = int.from_bytes(raw, self.order(vcpu))
        current = self.ctl.registers(vcpu, [source])[source] or 0
        self.ctl.write_registers(vcpu, {source: engine_value(name, value, current)})

    def expedited(self, vcpu: int) -> list[tuple[int, bytes]]:
        """Registers sent with a stop reply (saves gdb a round trip for the pc)."""
        nia = self.ctl.register_values(vcpu, ("pc",))[0]
        return [(PC_REGNUM, nia.to_bytes(8, self.order(vcpu)))]

    # -- memory ----------------------------------------------------------------------
    def read_memory(self, vcpu: int, address: int, length: int) -> bytes:
        self._check(vcpu)
        if length > MAX_MEMORY:
            raise TargetError(0x16, f"at most {MAX_MEMORY} bytes per read")
        try:
            return self.ctl.read_memory(address, length, "effective", vcpu)
        except ControllerError as e:
            raise TargetError(0x0E, str(e)) from None

    def write_memory(self, vcpu: int, address: int, data: bytes) -> None:
        self._check(vcpu)
        if len(data) > MAX_MEMORY:
            raise TargetError(0x16, f"at most {MAX_MEMORY} bytes per write")
        try:
            self.ctl.write_memory(address, data, "effective", vcpu)
        except ControllerError as e:
            raise TargetError(0x0E, str(e)) from None

    # -- breakpoints and watchpoints -----------------------------------------------------
    def insert_breakpoint(self, ztype: int, address: int, kind: int) -> bool:
        """Z0-Z4; False when the type is not supported (an empty reply)."""
        what = Z_KINDS.get(ztype)
        if what is None:
            return False
        key = (ztype, address, kind)
        if key in self._bps and self.ctl.breakpoint(self._bps[key].bp_id) is not None:
            return True  # Z packets are idempotent
        try:
            if ztype <= 1:
                bp = self.ctl.add_breakpoint(what, address=address)
            else:
                bp = self.ctl.add_breakpoint(
                    "watchpoint", address=address, length=kind, access=what
                )
        except (BreakpointError, ControllerError) as e:
            raise TargetError(0x16, str(e)) from None
        self._bps[key] = _GdbBreakpoint(bp.id, what)
        return True

    def remove_breakpoint(self, ztype: int, address: int, kind: int) -> bool:
        if ztype not in Z_KINDS:
            return False
        gbp = self._bps.pop((ztype, address, kind), None)
        if gbp is not None and self.ctl.breakpoint(gbp.bp_id) is not None:
            self.ctl.remove_breakpoint(gbp.bp_id)
        return True

    def detach(self) -> None:
        """gdb is gone: its breakpoints go with it; the session stays as it is."""
        for gbp in self._bps.values():
            if self.ctl.breakpoint(gbp.bp_id) is not None:
                try:
                    self.ctl.remove_breakpoint(gbp.bp_id)
                except (BreakpointError, ControllerError):
                    pass
        self._bps.clear()
        self._unsubscribe()

    # -- execution -----------------------------------------------------------------------
    def step(self, vcpu: int) -> Stop:
        self._check(vcpu)
        return self._stop(self.ctl.step(vcpu))

    def cont(self, vcpus: list[int] | None) -> Stop:
        """Run until something stops the session (a breakpoint, a halt, every vCPU done)."""
        for v in vcpus or ():
            self._check(v)
        self._capturing = True
        try:
            while True:
                ev = self.ctl.cont(vcpus=vcpus, budget=CONT_BUDGET)
                if ev.reason != "limit":
                    return self._stop(ev)
        finally:
            self._capturing = False

    def interrupt(self) -> None:
        """Ctrl-C: thread-safe; stops a running continue within milliseconds."""
        self.ctl.halt()

    def reverse_step(self, vcpu: int) -> Stop:
        self._check(vcpu)
        return self._stop(self._reverse().reverse_step(vcpu))

    def reverse_continue(self) -> Stop:
        return self._stop(self._reverse().reverse_continue())

    @property
    def reversible(self) -> bool:
        return self.ctl.support_reverse() is not None

    def _reverse(self) -> Reversible:
        rev = self.ctl.support_reverse()
        if rev is None:  # gdb was not offered it (qSupported): a client that asks anyway
            raise TargetError(0x16, "the session records no history")
        return rev

    def _stop(self, ev: StopEvent) -> Stop:
        reason = ev.reason
        bp = self.ctl.breakpoint(ev.breakpoint_id) if ev.breakpoint_id else None
        if reason == "step":
            return Stop(SIGTRAP, ev.vcpu)
        if reason == "halt":
            return Stop(SIGINT, ev.vcpu)
        if reason == "breakpoint":
            kind = "hwbreak" if bp is not None and bp.kind == "hardware" else "swbreak"
            return Stop(SIGTRAP, ev.vcpu, [(kind, "")])
        if reason == "watchpoint":
            address = (
                bp.address
                if bp is not None and bp.address is not None
                else (ev.watch.address if ev.watch else 0)
            )
            key = WATCH_KEY.get(bp.access if bp is not None else "write", "watch")
            return Stop(SIGTRAP, ev.vcpu, [(key, f"{address:x}")])
        if reason == "history-start":
            return Stop(SIGTRAP, ev.vcpu, [("replaylog", "begin")])
        if reason == "catch":
            vec = f" (vector 0x{ev.vector:x})" if ev.vector is not None else ""
            msg = f"vCPU {ev.vcpu}: catchpoint {ev.breakpoint_id}{vec}"
            return Stop(SIGTRAP, ev.vcpu, message=msg)
        detail = f": {ev.message}" if ev.message else ""
        return Stop(SIGTRAP, ev.vcpu, message=f"ppcdbg: {reason}{detail}")

    # -- descriptions ----------------------------------------------------------------------
    def target_xml(self, vcpu: int) -> bytes:
        return target_xml(self.order(vcpu))

    def threads_xml(self, thread_id: Callable[[int], str]) -> bytes:
        rows = "".join(
            f'<thread id="{thread_id(v)}" core="{v}" name="vCPU {v}">'
            f"{xml_escape(self.thread_info(v))}</thread>"
            for v in range(self.vcpus)
        )
        return f'<?xml version="1.0"?>\n<threads>{rows}</threads>\n'.encode()

    # -- monitor commands --------------------------------------------------------------------
    def monitor(self, command: str, vcpu: int) -> str:
        words = command.split()
        if not words or words[0] == "help":
            return MONITOR_HELP
        name = words[0]
        ctl = self.ctl
        if name == "backend":
            c = ctl.config
            offered = ctl.capabilities()
            caps = ", ".join(offered["capabilities"]) or "none"
            return (
                f"backend: {c.backend} (capabilities: {caps})\n"
                f"profile: {c.profile}, vCPUs: {c.vcpus}, scheduler locking: "
                f"{c.scheduler_locking}, atomic sequences: {offered['atomic_sequences']}, "
                f"quantum: {c.quantum}\n"
            )
        if name == "stats":
            stats = {"time": ctl.time, **ctl.stats()}
            return "".join(f"{k}: {v}\n" for k, v in stats.items())
        if name == "time":
            return f"time: {ctl.time}\n"
        if name == "lpcr":
            # gdb does not say which thread is current with qRcmd: every vCPU by default.
            which = list(range(self.vcpus)) if len(words) < 2 else self._vcpu_arg(words[1])
            return "".join(self._lpcr(v) for v in which)
        if name == "breakpoints":
            rows = []
            for bp in ctl.breakpoint_list():
                where = f"0x{bp.address:x}" if bp.address is not None else f"vector {bp.vector}"
                owner = "gdb" if any(g.bp_id == bp.id for g in self._bps.values()) else "api"
                rows.append(f"{bp.id}: {bp.kind} {where} hits={bp.hit_count} "
                            f"{'enabled' if bp.enabled else 'disabled'} ({owner})\n")  # fmt: skip
            return "".join(rows) or "no breakpoints\n"
        return f"unknown monitor command {name!r}; try 'monitor help'\n"

    def _vcpu_arg(self, text: str) -> list[int]:
        if text == "all":
            return list(range(self.vcpus))
        try:
            v = int(text, 0)
        except ValueError:
            raise TargetError(0x16, f"not a vCPU number: {text!r}") from None
        self._check(v)
        return [v]

    def _lpcr(self, vcpu: int) -> str:
        value = self.ctl.registers(vcpu, ["lpcr"])["lpcr"] or 0
        fields = []
        for name, bit, width in LPCR_FIELDS:
            f = (value >> (63 - bit - width + 1)) & ((1 << width) - 1)
            if f:
                fields.append(name if width == 1 else f"{name}={f}")
        return f"vCPU {vcpu}: LPCR = 0x{value:016x} ({' '.join(fields) or 'all fields 0'})\n"
