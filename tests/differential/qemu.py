"""QEMU powernv9 as the reference machine, driven through its gdbstub.

``QemuMachine`` starts ``qemu-system-ppc64 -M powernv9`` held at reset on a free
loopback port, connects the RSP client of ``rsp.py`` and kills the process by
its PID when closed (it is a context manager). ``qemu_trace`` produces the same
JSON lines as ``ppcdbg trace --steps N`` (docs/trace-format.md) from QEMU's state,
and ``run_until`` times a free run to an address for ``bench/``.

Facts about QEMU 7.2 used here come from docs/qemu-reference.md.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

from .rsp import RspClient, RspError

QEMU = "qemu-system-ppc64"
MSR_LE = 1
M64 = (1 << 64) - 1

# The trace format prints these registers as 32-bit values (docs/trace-format.md).
WIDTH32 = frozenset({"cr", "xer", "fpscr", "vscr"})


def _is128(name: str) -> bool:
    return name[:2] in ("vr", "vs") and name[2:].isdigit()


DEFAULT_REGS = ("srr0", "srr1")

# Layout of QEMU's ``g`` reply: r0-r31, pc, msr (8 bytes each), cr (4), lr, ctr (8), xer (4).
G_PC, G_MSR, G_CR, G_LR, G_CTR, G_XER, G_END = 256, 264, 272, 276, 284, 292, 296


def fmt64(v: int) -> str:
    return f"0x{v & M64:016x}"


def fmt32(v: int) -> str:
    return f"0x{v & 0xFFFFFFFF:08x}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def line(obj: dict[str, object]) -> str:
    """One JSON line exactly as ``ppcdbg trace`` writes it."""
    return json.dumps(obj, separators=(", ", ": "))


class CoreRegs:
    """The ``g`` registers of one vCPU, decoded in the byte order QEMU sent them."""

    __slots__ = ("gpr", "pc", "msr", "cr", "lr", "ctr", "xer", "order")

    def __init__(self, raw: bytes) -> None:
        if len(raw) < G_END:
            raise RspError(f"short g reply ({len(raw)} bytes)")
        # QEMU sends registers in the guest's current byte order (MSR[LE]).
        # docs/qemu-reference.md suggests testing MSR[SF], but mode32 clears SF; testing
        # LE itself needs no assumption: read little-endian, a little-endian guest
        # shows LE=1, and a big-endian one shows IBM bit 7 there, which is reserved
        # (always 0) on POWER9.
        le = int.from_bytes(raw[G_MSR:G_CR], "little") & MSR_LE
        self.order = "little" if le else "big"
        o = self.order

        def u(a: int, b: int) -> int:
            return int.from_bytes(raw[a:b], o)

        self.gpr = [u(i * 8, i * 8 + 8) for i in range(32)]
        self.pc = u(G_PC, G_MSR)
        self.msr = u(G_MSR, G_CR)
        self.cr = u(G_CR, G_LR)
        self.lr = u(G_LR, G_CTR)
        self.ctr = u(G_CTR, G_XER)
        self.xer = u(G_XER, G_END)

    def encode(self, order: str | None = None) -> bytes:
        o = order or self.order
        out = b"".join(v.to_bytes(8, o) for v in self.gpr)
        out += self.pc.to_bytes(8, o) + self.msr.to_bytes(8, o) + self.cr.to_bytes(4, o)
        out += self.lr.to_bytes(8, o) + self.ctr.to_bytes(8, o) + self.xer.to_bytes(4, o)
        return out


def _vsr_parts(name: str) -> tuple[str, ...] | None:
    """QEMU's registers that hold engine register ``vsN`` (None for other names)."""
    if not (name.startswith("vs") and name[2:].isdigit()):
        return None
    n = int(name[2:])
    return (f"vr{n - 32}",) if n >= 32 else (f"f{n}", f"vs{n}h")


# Interrupt vectors a differential program's step may land on (HV real mode).
GUARD_VECTORS = (0x300, 0x380, 0x400, 0x480, 0x600, 0x700, 0x800, 0x900, 0xC00, 0xD00, 0xE40)


class QemuMachine:
    """A ``qemu-system-ppc64 -M powernv9`` child process held at reset, with a client."""

    def __init__(self, image: bytes | Path, vcpus: int = 1, qemu: str = QEMU) -> None:
        self.vcpus = vcpus
        self.tmp = tempfile.TemporaryDirectory(prefix="ppcdbg-qemu-")
        path = Path(self.tmp.name) / "prog.bin"
        data = image.read_bytes() if isinstance(image, Path) else image
        # -bios takes a file of at least one page; pad tiny images so QEMU accepts them.
        path.write_bytes(data.ljust(0x1000, b"\0"))
        exe = shutil.which(qemu) or qemu
        self.proc: subprocess.Popen[bytes] | None = None
        self.client: RspClient | None = None
        try:
            self._start(exe, path)
        except BaseException:
            self.close()
            raise

    def _start(self, exe: str, path: Path) -> None:
        for _attempt in range(5):
            port = free_port()
            self.proc = subprocess.Popen(
                [exe, "-M", "powernv9", "-smp", str(self.vcpus), "-nodefaults",
                 "-display", "none", "-monitor", "none", "-serial", "none",
                 "-bios", str(path), "-S", "-gdb", f"tcp:127.0.0.1:{port}"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    self.client = RspClient("127.0.0.1", port)
                    break
                except OSError:
                    time.sleep(0.02)
            if self.client is not None:
                break
            # Lost the port to someone else, or QEMU failed: try again on another port.
            self._kill()
        if self.client is None:
            raise RuntimeError("could not start QEMU with a gdbstub")
        c = self.client
        c.handshake()
        self.tids = c.thread_ids()
        if len(self.tids) != self.vcpus:
            raise RspError(f"expected {self.vcpus} vCPUs, the stub lists {self.tids}")
        self.regmap = c.load_register_map()
        self._selected: str | None = None

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait(timeout=10)
            if self.proc.stderr is not None:
                self.proc.stderr.close()
        self.proc = None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        self._kill()
        self.tmp.cleanup()

    def __enter__(self) -> QemuMachine:
        return self

    def __exit__(
        self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- access ----------------------------------------------------------------------
    @property
    def rsp(self) -> RspClient:
        assert self.client is not None, "QEMU is closed"
        return self.client

    def select(self, cpu: int) -> None:
        tid = self.tids[cpu]
        if tid != self._selected:
            self.rsp.select(tid)
            self._selected = tid

    def core(self, cpu: int) -> CoreRegs:
        self.select(cpu)
        return CoreRegs(self.rsp.read_all_registers())

    def set_core(self, cpu: int, regs: CoreRegs) -> None:
        self.select(cpu)
        self.rsp.write_all_registers(regs.encode())

    def register(self, cpu: int, name: str, order: str) -> int | None:
        """A register by its QEMU name through ``p``; None when the stub refuses (E14).

        ``vsN`` is composed as the engine names it: QEMU's gdbstub has the FPR
        (``fN``, the high doubleword) and ``vsNh`` (the low one) for N < 32 and
        ``vr(N-32)`` above. 128-bit values come in the guest's byte order too
        (a little-endian guest's ``vr0`` is the value's 16 bytes reversed).
        """
        vs = _vsr_parts(name)
        if vs is not None:
            parts = [self.register(cpu, p, order) for p in vs]
            if any(p is None for p in parts):
                return None
            return parts[0] if len(parts) == 1 else (parts[0] << 64) | parts[1]  # type: ignore[operator]
        self.select(cpu)
        num = self.regmap[name]
        try:
            raw = self.rsp.read_register(num)
        except RspError:
            return None
        return int.from_bytes(raw, order)

    def set_register(self, cpu: int, name: str, value: int, order: str) -> None:
        vs = _vsr_parts(name)
        if vs is not None:
            if len(vs) == 1:
                self.set_register(cpu, vs[0], value, order)
            else:
                self.set_register(cpu, vs[0], value >> 64, order)
                self.set_register(cpu, vs[1], value & M64, order)
            return
        self.select(cpu)
        num = self.regmap[name]
        size = self.rsp.regsizes.get(num, 8)
        self.rsp.write_register(num, (value & ((1 << (8 * size)) - 1)).to_bytes(size, order))

    def read_memory(self, addr: int, length: int) -> bytes:
        return self.rsp.read_memory(addr, length)

    def write_memory(self, addr: int, data: bytes) -> None:
        self.rsp.write_memory(addr, data)

    def step(self, cpu: int, pc: int | None = None) -> None:
        """One single step of ``cpu``, held to one instruction.

        QEMU 7.2's gdbstub does not stop after instructions that end their
        translation block by an exit (``mtfsf``, ``mtfsfi``, FP ``Rc=1`` forms,
        the ``or 2,2,2`` priority nop...): the vCPU runs on. A breakpoint at the
        fall-through (``pc`` + 4) stops it before the next instruction in that
        case; it changes nothing for a step that stops by itself.
        """
        if pc is None:
            pc = self.core(cpu).pc
        # Guards at the fall-through and at the vectors a run-away may go
        # through: after an FP instruction that raises an enabled exception,
        # QEMU 7.2 delivers the program interrupt and does not stop at its
        # first instruction either. Never at pc itself (that would stop at once).
        guards = [a for a in {(pc + 4) & M64, *GUARD_VECTORS} if a != pc]
        for a in guards:
            self.rsp.insert_breakpoint(a)
        try:
            self.rsp.step(self.tids[cpu])
        finally:
            for a in guards:
                self.rsp.remove_breakpoint(a)

    # -- the trace format --------------------------------------------------------------
    def state(self, cpu: int, regs: Sequence[str]) -> dict[str, object]:
        """One vCPU's state line fields (docs/trace-format.md), from QEMU."""
        r = self.core(cpu)
        try:
            insn: str | None = fmt32(int.from_bytes(self.read_memory(r.pc, 4), r.order))
        except RspError:
            insn = None
        d: dict[str, object] = {
            "cpu": cpu,
            "pc": fmt64(r.pc),
            "msr": fmt64(r.msr),
            "insn": insn,
            "gpr": [fmt64(v) for v in r.gpr],
            "cr": fmt32(r.cr),
            "lr": fmt64(r.lr),
            "ctr": fmt64(r.ctr),
            "xer": fmt32(r.xer),
        }
        for name in regs:
            # On CPU#1 and later QEMU 7.2 refuses every SPR read (E14): null here, and
            # the comparison skips those fields (compare.QEMU72_SECONDARY_SPRS).
            v = self.register(cpu, name.lower(), r.order)
            d[name] = (
                None
                if v is None
                else (fmt32(v) if name in WIDTH32 else f"0x{v:032x}" if _is128(name) else fmt64(v))
            )
        return d


# QEMU's single-step flags (include/sysemu/accel.h): SSTEP_ENABLE, SSTEP_NOIRQ, SSTEP_NOTIMER.
SSTEP_ENABLE, SSTEP_NOIRQ, SSTEP_NOTIMER = 0x1, 0x2, 0x4
DEFAULT_STEP_FLAGS = ("noirq", "notimer")


def sstep_value(flags: Sequence[str]) -> int:
    return (
        SSTEP_ENABLE
        | (SSTEP_NOIRQ if "noirq" in flags else 0)
        | (SSTEP_NOTIMER if "notimer" in flags else 0)
    )


def qemu_trace(
    image: bytes | Path,
    steps: int,
    vcpus: int = 1,
    regs: Sequence[str] = DEFAULT_REGS,
    qemu: str = QEMU,
    step_flags: Sequence[str] = DEFAULT_STEP_FLAGS,
) -> list[str]:
    """The lines ``ppcdbg trace IMAGE --steps N --vcpus V --regs R`` prints, from QEMU.

    Step 0 is one line per vCPU; step i moves vCPU (i-1) mod vcpus by one raw
    single step while the others are held. ``step_flags`` are QEMU's
    ``qqemu.sstep`` flags, as ``ppcdbg trace --step-flags``: without
    ``noirq`` a step may deliver a pending, enabled asynchronous interrupt
    (the step then stops at the vector, cpu_handle_interrupt's EXCP_DEBUG).
    """
    out: list[str] = []
    with QemuMachine(image, vcpus, qemu) as q:
        if tuple(step_flags) != DEFAULT_STEP_FLAGS:
            q.rsp.ok(f"Qqemu.sstep={sstep_value(step_flags):x}")
        for cpu in range(vcpus):
            out.append(line({"step": 0, **q.state(cpu, regs)}))
        pcs = [int(str(json.loads(s)["pc"]), 16) for s in out]
        for i in range(1, steps + 1):
            cpu = (i - 1) % vcpus
            q.step(cpu, pcs[cpu])
            d = q.state(cpu, regs)
            pcs[cpu] = int(str(d["pc"]), 16)
            out.append(line({"step": i, **d}))
    return out


def run_until(
    image: bytes | Path,
    addresses: Iterable[int],
    vcpus: int = 1,
    qemu: str = QEMU,
    timeout: float | None = 600.0,
) -> tuple[float, int]:
    """Run all vCPUs from reset until one reaches an address; (wall seconds, stop pc).

    Uses gdbstub breakpoints (``Z0``) and ``vCont;c``: the time covers the free
    run only (QEMU TCG speed), not the start-up. For ``bench/``.
    """
    with QemuMachine(image, vcpus, qemu) as q:
        for a in addresses:
            q.rsp.insert_breakpoint(a)
        q.rsp.sock.settimeout(timeout)  # a long TCG run answers only when it stops
        t0 = time.perf_counter()
        reply = q.rsp.cont()
        elapsed = time.perf_counter() - t0
        tid = q.tids[0]
        if b"thread:" in reply:
            tid = RspClient._normalise_tid(reply.split(b"thread:")[1].split(b";")[0].decode())
        cpu = q.tids.index(tid) if tid in q.tids else 0
        return elapsed, q.core(cpu).pc
