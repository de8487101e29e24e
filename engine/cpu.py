"""A vCPU: architected state, instruction fetch/decode caching, execution.

Execution is closure-threaded: each address is decoded once into a closure
that executes that instruction with its operands baked in and returns the
next instruction address. The closures are cached per decode context (the
MSR bits that change how a word executes) and dropped when the page that
held the word is written.
"""

from __future__ import annotations

from collections.abc import Callable
from .bits import M64
from .interrupts import (
    EXCP_HV_EMU,
    EXCP_MCHECK,
    EXCP_PROGRAM,
    EXCP_TRACE,
    Interrupt,
    deliver,
    deliver_vector,
)
from .isa.common import Resync
from .isa.forms import Ctx, Exec, Op
from .isa.table import decode
from .memory import PAGE_SHIFT, MemoryFault, PhysicalMemory
from .msr import (
    MSR_BE,
    MSR_DECODE_CONTEXT,
    MSR_FP,
    MSR_HV,
    MSR_LE,
    MSR_ME,
    MSR_PR,
    MSR_SE,
    MSR_SF,
    SRR1_PROGRAM_PRIV,
    SRR1_TRACE,
)
from .sprs import SPR_BY_NAME, SPR_HRMOR, SPR_PIR, SPR_PVR, SPR_TABLE, PVR_POWER9_DD2

REAL_MODE_MASK = 0x0FFF_FFFF_FFFF_FFFF  # real addressing ignores EA bits 0:3


class Checkstop(Exception):
    """A machine check taken with MSR[ME]=0: the vCPU stops for good."""


class DecodeCache(dict[int, Exec]):
    """Decoded closures by effective address, with the physical pages they came from."""

    def __init__(self) -> None:
        super().__init__()
        self.by_page: dict[int, list[int]] = {}

    def drop_page(self, pn: int) -> None:
        for ea in self.by_page.pop(pn, ()):
            self.pop(ea, None)

    def flush(self) -> None:
        self.clear()
        self.by_page.clear()


class VCPU:
    def __init__(self, mem: PhysicalMemory, index: int) -> None:
        self.mem = mem
        self.index = index
        self.gpr: list[int] = [0] * 32
        self.fpr: list[int] = [0] * 32  # raw IEEE-754 binary64 bits
        self.fpscr = 0
        self.cr = 0
        self.so = self.ov = self.ca = self.ov32 = self.ca32 = 0
        self.xer_rest = 0  # XER bits other than SO/OV/CA/OV32/CA32 (the byte count)
        self.lr = 0
        self.ctr = 0
        self.msr = 0
        self.nia = 0
        self.spr: dict[int, int] = {s.number: 0 for s in SPR_TABLE}
        self.retired = 0  # instructions retired (or replaced by an interrupt)
        self.tb_offset = 0
        self.tb_per_insn = 1
        self.spr[SPR_PVR] = PVR_POWER9_DD2
        self.spr[SPR_PIR] = 4 * index
        self.resv_addr: int | None = None  # physical address of the reservation
        self.resv_size = 0
        self.halted = False  # checkstop or attn
        self.halt_reason: str | None = None
        self.icaches: dict[int, DecodeCache] = {}
        self.icache = DecodeCache()
        # Hooks the machine installs (guest-profile exits, timers...).
        self.on_interrupt: Callable[[VCPU, int], None] | None = None
        self.set_msr(0)

    # -- XER -----------------------------------------------------------------
    @property
    def xer(self) -> int:
        return (
            (self.so << 31) | (self.ov << 30) | (self.ca << 29)
            | (self.ov32 << 19) | (self.ca32 << 18) | self.xer_rest
        )  # fmt: skip

    @xer.setter
    def xer(self, v: int) -> None:
        self.so, self.ov, self.ca = (v >> 31) & 1, (v >> 30) & 1, (v >> 29) & 1
        self.ov32, self.ca32 = (v >> 19) & 1, (v >> 18) & 1
        self.xer_rest = v & 0x7F  # only the byte count is implemented on POWER9

    # -- MSR and decode context ---------------------------------------------
    def set_msr(self, value: int) -> None:
        self.msr = value & M64
        key = value & MSR_DECODE_CONTEXT
        cache = self.icaches.get(key)
        if cache is None:
            cache = self.icaches[key] = DecodeCache()
        self.icache = cache
        self.order = "little" if value & MSR_LE else "big"

    def flush_decoded(self) -> None:
        """Forget every decoded instruction (translation changed)."""
        for cache in self.icaches.values():
            cache.flush()

    # -- SPRs with behaviour ------------------------------------------------------
    # Numbers that are views of another register's storage.
    _SPR_ALIAS = {3: 17, 259: 275, 823: 855, 898: 896, 152: 136, 269: 268, 284: 268, 285: 268}

    @property
    def timebase(self) -> int:
        """Virtual time: advances with retired instructions, never with host time."""
        return (self.tb_offset + self.retired * self.tb_per_insn) & M64

    def read_spr(self, n: int) -> int:
        if n == 1:
            return self.xer
        if n == 8:
            return self.lr
        if n == 9:
            return self.ctr
        if n == 268:
            return self.timebase
        if n == 269:
            return self.timebase >> 32
        if n == 898:
            return self.spr[896] & 0xFFFF_FFFF
        return self.spr[self._SPR_ALIAS.get(n, n)]

    def write_spr(self, n: int, v: int) -> None:
        v &= M64
        if n == 1:
            self.xer = v
        elif n == 8:
            self.lr = v
        elif n == 9:
            self.ctr = v
        elif n == 284:  # TBL: write the low word of the time base
            self.tb_offset += ((self.timebase & ~0xFFFF_FFFF) | (v & 0xFFFF_FFFF)) - self.timebase
        elif n == 285:  # TBU
            self.tb_offset += ((self.timebase & 0xFFFF_FFFF) | ((v & 0xFFFF_FFFF) << 32)) - self.timebase
        elif n == 898:
            self.spr[896] = (self.spr[896] & ~0xFFFF_FFFF) | (v & 0xFFFF_FFFF)
        elif n in (SPR_PVR, SPR_PIR):
            pass  # read-only
        else:
            self.spr[self._SPR_ALIAS.get(n, n)] = v
            if n in (48, 313, 318, 464):
                self.flush_decoded()

    def spr_by_name(self, name: str) -> int:
        return self.read_spr(SPR_BY_NAME[name].number)

    # -- address translation ---------------------------------------------------
    def real_address(self, ea: int) -> int:
        pa = ea & REAL_MODE_MASK
        if self.msr & MSR_HV and not (ea >> 63):
            pa |= self.spr[SPR_HRMOR]
        return pa

    def translate_data(self, ea: int, write: bool) -> int:
        # Radix translation arrives with the supervisor architecture; until
        # then every access is real-mode.
        return self.real_address(ea)

    def translate_fetch(self, ea: int) -> int:
        return self.real_address(ea)

    # -- data access (used by instruction closures) -----------------------------
    def read(self, ea: int, size: int, order: str) -> int:
        return self.mem.read(self.translate_data(ea, False), size, order)

    def write(self, ea: int, size: int, value: int, order: str) -> None:
        pa = self.translate_data(ea, True)
        if self.mem.reservations:
            self.mem.write_bytes(pa, (value & ((1 << (size * 8)) - 1)).to_bytes(size, order), self)  # type: ignore[arg-type]
        else:
            self.mem.write(pa, size, value & ((1 << (size * 8)) - 1), order)

    # -- reservations ----------------------------------------------------------
    def reserve(self, ea: int, size: int) -> None:
        self.lose_reservation()
        pa = self.translate_data(ea, False)
        self.resv_addr, self.resv_size = pa, size
        self.mem.reserve(self, pa)

    def lose_reservation(self) -> None:
        if self.resv_addr is not None:
            self.mem.unreserve(self, self.resv_addr)
            self.resv_addr = None

    def holds_reservation(self, ea: int, size: int) -> bool:
        if self.resv_addr is None:
            return False
        pa = self.translate_data(ea, True)
        # Success needs the same granule (MACHINE.md) and, as QEMU checks, the same size.
        return (pa >> 7) == (self.resv_addr >> 7) and size == self.resv_size

    # -- fetch and decode -------------------------------------------------------
    def fetch(self, pc: int) -> int:
        """The instruction word at ``pc`` as this vCPU would fetch it."""
        return self.mem.read(self.translate_fetch(pc), 4, self.order)

    def decode_at(self, pc: int) -> Exec:
        pa = self.translate_fetch(pc)
        word = self.mem.read(pa, 4, self.order)
        msr = self.msr
        ctx = Ctx(pc, msr & MSR_DECODE_CONTEXT, bool(msr & MSR_SF), self.order)
        fn = make_exec(decode(word), word, ctx)
        cache = self.icache
        cache[pc] = fn
        pn = pa >> PAGE_SHIFT
        pcs = cache.by_page.get(pn)
        if pcs is None:
            pcs = cache.by_page[pn] = []
            self.mem.watch_code(pa, lambda c=cache, p=pn: c.drop_page(p))  # type: ignore[misc]
        pcs.append(pc)
        return fn

    # -- execution ------------------------------------------------------------
    def step(self) -> Interrupt | None:
        """Execute one instruction, or deliver the interrupt that replaces it.

        Applies MSR[SE]/MSR[BE] trace: the trace interrupt is delivered as
        part of the same step. Returns the interrupt delivered, if any.
        """
        if self.halted:
            return None
        pc = self.nia
        msr = self.msr
        fn: Exec | None = None
        try:
            fn = self.icache.get(pc)
            if fn is None:
                fn = self.decode_at(pc)
            npc = fn(self)
        except Resync as r:
            npc = r.npc
        except Interrupt as exc:
            self.retired += 1
            return self._take(exc, pc)
        except MemoryFault:
            self.retired += 1
            return self._take(Interrupt(EXCP_MCHECK), pc)
        self.nia = npc
        self.retired += 1
        if msr & (MSR_SE | MSR_BE):
            o: Op = fn.op  # type: ignore[attr-defined]
            if not o.untraced and (msr & MSR_SE or o.branch):
                trace = Interrupt(EXCP_TRACE, SRR1_TRACE, next_pc=npc)
                return self._take(trace, pc)
        return None

    def run(self, budget: int, stop_at: frozenset[int] | set[int] = frozenset()) -> int:
        """Run at most ``budget`` instructions; stop before any address in ``stop_at``.

        Returns the number executed. Falls back to ``step`` while tracing is
        on. The caller bounds ``budget`` by the next timer event.
        """
        done = 0
        while done < budget and not self.halted:
            if self.msr & (MSR_SE | MSR_BE):
                if done and self.nia in stop_at:
                    break
                self.step()
                done += 1
                continue
            pc = self.nia
            n = 0
            left = budget - done
            try:
                if stop_at:
                    while n < left:
                        if pc in stop_at and (n or done):
                            break
                        fn = self.icache.get(pc)
                        if fn is None:
                            fn = self.decode_at(pc)
                        pc = fn(self)
                        n += 1
                else:
                    while n < left:
                        fn = self.icache.get(pc)
                        if fn is None:
                            fn = self.decode_at(pc)
                        pc = fn(self)
                        n += 1
                self.nia = pc
                done += n
                self.retired += n
                break
            except Resync as r:
                self.nia = r.npc
                n += 1
            except Interrupt as exc:
                n += 1
                self._take(exc, pc)
            except MemoryFault:
                n += 1
                self._take(Interrupt(EXCP_MCHECK), pc)
            done += n
            self.retired += n
        return done

    def _take(self, exc: Interrupt, pc: int) -> Interrupt | None:
        if exc.vector == EXCP_MCHECK and not self.msr & MSR_ME:
            self.nia = pc
            self.halted = True
            self.halt_reason = "checkstop"
            return exc
        if self.on_interrupt is not None:
            self.on_interrupt(self, exc.vector)
        deliver(self, exc, pc)
        return exc

    def raise_vector(self, vector: int, srr1: int, srr0: int) -> None:
        deliver_vector(self, vector, srr1, srr0)


# -- turning a table entry into an executable closure ---------------------------
def _raiser(vector: int, srr1: int = 0) -> Exec:
    def ex(c: VCPU) -> int:
        raise Interrupt(vector, srr1)

    return ex


def make_exec(o: Op | None, word: int, ctx: Ctx) -> Exec:
    """The closure for ``word`` at ``ctx.pc``, with privilege and facility checks folded in."""
    if o is None:
        # Illegal and reserved words raise HEAI on POWER9 (MACHINE.md).
        fn = _raiser(EXCP_HV_EMU)
        fn.op = ILLEGAL  # type: ignore[attr-defined]
        return fn
    if o.priv != "user" and ctx.msr & MSR_PR:
        fn = _raiser(EXCP_PROGRAM, SRR1_PROGRAM_PRIV)
    elif o.priv == "hyper" and not ctx.msr & MSR_HV:
        fn = _raiser(EXCP_HV_EMU)
    elif o.facility == "fp" and not ctx.msr & MSR_FP:
        fn = _raiser(0x800)
    else:
        fn = o.factory(word, ctx, **o.params)
        if o.resyncs:
            inner = fn

            def fn(c: VCPU, inner: Exec = inner) -> int:
                raise Resync(inner(c))

    fn.op = o  # type: ignore[attr-defined]
    return fn


def _illegal_factory(word: int, ctx: Ctx) -> Exec:
    return _raiser(EXCP_HV_EMU)


from .isa.forms import Form  # noqa: E402

ILLEGAL = Op("(illegal)", Form.D, 0, None, _illegal_factory)
