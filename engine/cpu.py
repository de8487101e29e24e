"""A vCPU: architected state, instruction fetch/decode caching, execution.

Execution is closure-threaded: each address is decoded once into a closure
that executes that instruction with its operands baked in and returns the
next instruction address. The closures are cached per decode context (the
MSR bits that change how a word executes) and dropped when the page that
held the word is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from . import blocks as _blocks
from . import native as _native
from .bits import M64, sext
from .blocks import Block, Cut, DecodeCache, fault_point
from .interrupts import (
    EXCP_FPU,
    EXCP_HDECR,
    EXCP_HV_EMU,
    EXCP_MCHECK,
    EXCP_PROGRAM,
    EXCP_SDOOR,
    EXCP_SDOOR_HV,
    EXCP_TRACE,
    EXCP_VPU,
    EXCP_VSXU,
    HV_VECTORS,
    PEND_DOORBELL,
    PEND_HDOORBELL,
    Interrupt,
    deliver,
    select_async,
)
from .isa.common import ClockSync, Resync, Stop
from .isa.forms import Ctx, Exec
from .isa.insn import Insn
from .isa.table import decode
from .memory import PAGE_SHIFT, RESERVATION_SHIFT, MemoryFault, PhysicalMemory
from .msr import (
    LPCR_HDICE,
    LPCR_LD,
    MSR_BE,
    MSR_DECODE_CONTEXT,
    MSR_DR,
    MSR_EE,
    MSR_FP,
    MSR_HV,
    MSR_IR,
    MSR_LE,
    MSR_ME,
    MSR_PR,
    MSR_SE,
    MSR_SF,
    MSR_VEC,
    MSR_VSX,
    SRR1_PROGRAM_PRIV,
    SRR1_TRACE,
)
from .sprs import (
    LPCR_WRITE_MASK,
    MMCR0_RESET,
    PVR_POWER9_DD2,
    SPR_BY_NAME,
    SPR_CFAR,
    SPR_DEC,
    SPR_DPDES,
    SPR_HDEC,
    SPR_HRMOR,
    SPR_LPCR,
    SPR_MMCR0,
    SPR_PIR,
    SPR_PVR,
    SPR_TABLE,
    SPR_VTB,
)
from .state import CPUState

DEC_RESET = 0x7FFF_FFFF
VSCR_NJ = 0x0001_0000  # non-Java mode: denormals flush to zero (set at reset, as QEMU)
VSCR_SAT = 0x0000_0001  # a saturating instruction saturated
# SPRs kept in attributes of their own rather than in VCPU.spr.
_OWN_SPRS = frozenset({SPR_CFAR})
# Every SPR kept in VCPU.spr at reset (PIR is set per vCPU).
SPR_RESET: dict[int, int] = {
    **{s.number: 0 for s in SPR_TABLE if s.number not in _OWN_SPRS},
    SPR_PVR: PVR_POWER9_DD2,
    SPR_MMCR0: MMCR0_RESET,
}
REAL_MODE_MASK = 0x0FFF_FFFF_FFFF_FFFF  # real addressing ignores EA bits 0:3
XER_FLAG_BITS = 0xE00C_0000  # SO, OV, CA, OV32, CA32: kept as separate fields
LARGE_DEC_BITS = 56  # POWER9's large decrementer (LPCR[LD]) and HDEC width, as QEMU
NO_EVENT = 1 << 62
# MSR bits that change what an effective data address maps to (or may do).
_TLB_MSR = MSR_DR | MSR_PR | MSR_HV
# Writes to these SPRs change translation: PIDR, IAMR, HRMOR, LPCR, LPIDR, PTCR. (AMR too,
# but the MMU's cache keys on it: a write only drops the data TLB, which checks nothing.)
TRANSLATION_SPRS = frozenset({48, 61, 313, 318, 319, 464})
SPR_AMR_NUMBER = 29


# What a trace event compares before and after an instruction: XER as its six stored
# fields (cheaper than composing it twice per instruction), each named "xer", so a
# dict of the changed entries has one "xer" key, in XER's place (its value is then
# the composed register). One name per entry.
TRACE_REG_NAMES = (*(f"r{i}" for i in range(32)), "cr", *("xer",) * 6, "lr", "ctr", "msr")


def trace_regs(c: VCPU) -> tuple[int, ...]:
    """The values of TRACE_REG_NAMES (VCPU._run_traced builds the same tuple inline)."""
    return (*c.gpr, c.cr, c.so, c.ov, c.ca, c.ov32, c.ca32, c.xer_rest, c.lr, c.ctr, c.msr)


def trace_xer(regs: tuple[int, ...]) -> int:
    """XER composed from a trace_regs() tuple (as the VCPU.xer property composes it)."""
    return (
        (regs[33] << 31)
        | (regs[34] << 30)
        | (regs[35] << 29)
        | (regs[36] << 19)
        | (regs[37] << 18)
        | regs[38]
    )


TraceRecord = tuple[int, tuple[int, ...], int | None]  # pc, trace_regs() before, word
TraceHook = Callable[["VCPU", list[TraceRecord], tuple[int, ...]], None]


class VCPU:
    """One hardware thread. The machine owns several, sharing ``mem``."""

    # Attributes that make up the architected and timing state (checkpoints).
    STATE_FIELDS = (
        "fpscr", "cr", "so", "ov", "ca", "ov32", "ca32", "xer_rest", "lr", "ctr", "nia",
        "retired", "clock", "tb_offset", "tb_ratio", "dec_zero", "hdec_zero", "pending",
        "sleeping", "halted", "halt_reason", "exit_reason", "resv_size", "resv_ea", "darn_state",
        "hdec_armed", "cfar", "vscr", "vtb_offset",
    )  # fmt: skip
    # Fields added after checkpoints were first written: a checkpoint without one
    # restores the reset value.
    STATE_DEFAULTS: dict[str, object] = {"vtb_offset": 0}

    def __init__(self, mem: PhysicalMemory, index: int) -> None:
        self.mem = mem
        self.index = index
        self.gpr: list[int] = [0] * 32
        # The vector-scalar registers, 128-bit values numbered as the ISA does
        # (bit 0 most significant). FPR n is the high doubleword of VSR n (n < 32)
        # and VR n is VSR 32+n: one storage (docs/machine.md "Vector facility").
        self.vsr: list[int] = [0] * 64
        self.vscr = VSCR_NJ
        self.fpscr = 0
        self.cr = 0
        self.so = self.ov = self.ca = self.ov32 = self.ca32 = 0
        self.xer_rest = 0  # XER bits other than SO/OV/CA/OV32/CA32 (the byte count)
        self.lr = 0
        self.ctr = 0
        self.msr = 0
        self.nia = 0
        self.spr: dict[int, int] = dict(SPR_RESET)
        # CFAR: the address of the last taken branch or rfid (docs/machine.md "CFAR"); an
        # attribute, as branches write it on every taken path.
        self.cfar = 0
        self.spr[SPR_PIR] = 4 * index
        self.retired = 0  # instructions executed (or replaced by an interrupt)
        # Virtual time: ``clock`` counts instruction slots, including the ones a
        # sleeping vCPU lets pass; the time base is tb_offset + clock * tb_ratio.
        self.clock = 0
        self.tb_offset = 0
        self.tb_ratio = 1
        # VTB = vtb_offset + clock * tb_ratio: the virtual time base counts with the time
        # base but has an offset of its own (see vtb).
        self.vtb_offset = 0
        self.dec_zero = 0  # time base value at which DEC reads 0
        self.hdec_zero = 0
        self.hdec_armed = True  # HDEC interrupts once per expiry (cleared on delivery, as QEMU)
        # DEC = HDEC = 0x7fffffff at reset (docs/machine.md): positive, so no decrementer
        # interrupt is pending until software writes DEC, as in QEMU 7.2.
        self.dec_zero = self.hdec_zero = DEC_RESET
        self.pending = 0  # PEND_* bits of asynchronous conditions
        self.sleeping = False  # in `stop` or H_CEDE until a wake-up event
        self.darn_state = 0x853C49E6748FEA9B ^ index  # darn: deterministic generator state
        self.resv_addr: int | None = None  # physical address of the reservation
        self.resv_ea = 0
        self.resv_size = 0
        # mfspr/mtspr executions of SPRs ppcdbg lacks ("read 849" -> n; engine/isa/system.py
        # _unknown_spr): statistics, not architected state (not in checkpoints).
        self.unsupported_sprs: dict[str, int] = {}
        self.halted = False  # checkstop or attn: the vCPU does not run again
        self.halt_reason: str | None = None
        # Set when something the host (debugger) must see stops the vCPU: a
        # planted debug instruction, a host exit. Run loops return at once.
        self.exit_reason: str | None = None
        # Set by a debugger's exit handler when the slot that raised the exit
        # must not count (a planted word the guest never saw).
        self.refund = 0
        self.icaches: dict[int, DecodeCache] = {}
        self.icache = DecodeCache()
        # Run through translated blocks (engine/blocks.py); False: the interpreter
        # only, the reference (PPCDBG_BLOCKS=0 makes that the default).
        self.use_blocks = _blocks.ENABLED
        # The native engine's dispatcher (engine/native, PPCDBG_ENGINE=native), or None.
        self.native_run: Callable[..., tuple[int, int, int]] | None = (
            _blocks.native_entry() if _native.ENABLED else None
        )
        self.block_stops: frozenset[int] | set[int] = frozenset()  # the stop set blocks obey
        # Debugger controls (docs/stepping.md). host_se: a single step the guest
        # cannot see (KVM PR's shadow MSR[SE]); mask_async: hold off
        # asynchronous interrupts (step flag noirq); intercept: sees every
        # interrupt before delivery and may consume it (returns True).
        self.host_se = False
        self.mask_async = False
        # True while step() executes an instruction: the clock is exact then
        # (time-reading instructions raise ClockSync in the fast loops).
        self.exact_clock = False
        # Slots the current chunk of _run_blocks used before the block it is running
        # (translated blocks read the time base inline from it: read_spr_at).
        self.slots_before = 0
        self.intercept: Callable[[VCPU, Interrupt, int], bool] | None = None
        # Told of every instruction this vCPU executes in run(): (vcpu, records in
        # order, trace_regs() after the last); a record is (pc, trace_regs() before,
        # the word executed: None when the fetch faulted or the instruction dropped
        # its own decoded page). The debugger's trace events.
        self.trace_hook: TraceHook | None = None
        # The guest-profile host: hypervisor-level events exit to it.
        self.host: Host | None = None
        self.peers: list[VCPU] = [self]  # every vCPU of the machine (tlbie, msgsnd)
        self.mmu: Translator | None = None
        # Observers of delivered interrupts (vector, srr0): the debugger's catchpoints.
        self.on_interrupt: Callable[[VCPU, int, int], None] | None = None
        self.order = "big"
        # Effective page -> host page for loads and stores that need nothing
        # else (engine/memory.py): instruction closures index these dicts.
        self.dtlb = mem.new_tlb()
        self.tlb_load = self.dtlb.load
        self.tlb_store = self.dtlb.store
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
        # The other bits are kept as written, reserved ones included, as QEMU does
        # (mfxer after mtxer of all ones reads 0xffffffff: XER is 32 bits there).
        self.xer_rest = v & ~XER_FLAG_BITS & 0xFFFF_FFFF

    # -- MSR and decode context ---------------------------------------------
    def set_msr(self, value: int) -> None:
        if (self.msr ^ value) & _TLB_MSR:
            self.dtlb.clear()
        self.msr = value & M64
        key = value & MSR_DECODE_CONTEXT
        cache = self.icaches.get(key)
        if cache is None:
            cache = self.icaches[key] = DecodeCache()
        self.icache = cache
        self.order = "little" if value & MSR_LE else "big"

    def flush_decoded(self) -> None:
        """Forget every decoded instruction and data TLB entry (translation changed)."""
        self.dtlb.clear()
        for cache in self.icaches.values():
            cache.flush()

    def flush_decoded_range(self, lo: int, size: int) -> None:
        """Forget decoded instructions at effective [lo, lo + size) and the data TLB: what a
        tlbie of one page invalidates (the rest of the decoded code stays valid)."""
        self.dtlb.clear()
        for cache in self.icaches.values():
            cache.drop_range(lo, size)

    def flush_tlb_page(self, ea: int, low: int, size: int) -> None:
        """A tlbie of the page holding ``ea``: [low, low + size) in every quadrant. The MMU
        drops the translations covering ``ea`` (a large page's every piece); the data TLB
        drops its entries in the range and those pieces, unless the MMU cannot tell which
        it holds (then all of them); decoded code in the range goes."""
        gone = None
        if self.mmu is not None:
            gone = self.mmu.flush_page(ea)
        if gone is None:
            self.dtlb.clear()
        else:
            first, count = low >> 12, size >> 12
            for epns in (self.dtlb.load, self.dtlb.store):
                if not epns:
                    continue
                if count > len(epns):
                    doomed = [
                        k for k in epns if 0 <= (k & _EPN_NO_QUADRANT) - first < count or k in gone
                    ]
                else:
                    doomed = [
                        k
                        for q in range(4)
                        for k in range(first | q << 50, (first | q << 50) + count)
                        if k in epns
                    ]
                    doomed += [k for k in gone if k in epns]
                for k in doomed:
                    epns.pop(k, None)
        for cache in self.icaches.values():
            for quadrant in range(4):
                cache.drop_range(low | quadrant << 62, size)

    def flush_tlb(self) -> None:
        """A tlbie that drops every translation: what walking the tables again would find
        differently goes (its data TLB entries and decoded code); the rest would be found
        again as it is (RadixMMU.flush_stale), so it stays. Everything goes when the MMU
        cannot tell."""
        mmu = self.mmu
        gone = None if mmu is None else mmu.flush_stale()
        if gone is None:
            self.flush_translation()
            return
        if gone:
            load, store = self.dtlb.load, self.dtlb.store
            for epn in gone:
                load.pop(epn, None)
                store.pop(epn, None)
            for cache in self.icaches.values():
                cache.suspend_pages(gone)

    def suspend_decoded(self) -> None:
        """Translation may have changed anywhere: drop the data TLB and set decoded code
        aside; each page comes back on its next fetch if it still maps where it did."""
        self.dtlb.clear()
        for cache in self.icaches.values():
            cache.suspend()

    def flush_mmu(self) -> None:
        """Drop cached translations (MMU and data TLB), keeping decoded instructions."""
        if self.mmu is not None:
            self.mmu.flush()
        self.dtlb.clear()

    def flush_translation(self) -> None:
        if self.mmu is not None:
            self.mmu.flush()
        self.suspend_decoded()
        if self.mmu is not None:
            self.mmu.exact_again()

    # -- time: time base, DEC, HDEC -------------------------------------------
    @property
    def timebase(self) -> int:
        """Virtual time: advances with instruction slots, never with host time."""
        return (self.tb_offset + self.clock * self.tb_ratio) & M64

    @property
    def vtb(self) -> int:
        """The virtual time base (SPR 849), as QEMU 7.2's cpu_ppc_load_vtb: the time base's
        rate from the same virtual time with an offset of its own (0 at reset, so it reads
        the clock's ticks; a hypervisor mtspr VTB moves only that offset). Deterministic:
        it depends on instruction slots only, never on host time; checkpoints hold the
        offset (STATE_FIELDS)."""
        return (self.vtb_offset + self.clock * self.tb_ratio) & M64

    def set_vtb(self, v: int) -> None:
        self.vtb_offset = (self.vtb_offset + (v & M64) - self.vtb) & M64

    def _dec_width(self) -> int:
        return LARGE_DEC_BITS if self.spr[SPR_LPCR] & LPCR_LD else 32

    def dec_value(self) -> int:
        return (self.dec_zero - self.timebase) & ((1 << self._dec_width()) - 1)

    def set_dec(self, v: int) -> None:
        # Writing a negative value (MSB of the implemented width) leaves DEC negative.
        self.dec_zero = self.timebase + sext(v, self._dec_width())

    def hdec_value(self) -> int:
        return (self.hdec_zero - self.timebase) & ((1 << LARGE_DEC_BITS) - 1)

    def set_hdec(self, v: int) -> None:
        self.hdec_zero = self.timebase + sext(v, LARGE_DEC_BITS)
        self.hdec_armed = True

    def dec_negative(self) -> bool:
        return self.dec_zero < self.timebase

    def hdec_negative(self) -> bool:
        return self.hdec_armed and self.hdec_zero < self.timebase

    def ticks_until_timer(self) -> int:
        """Instruction slots until DEC or HDEC turns negative (not counting ones already so)."""
        # Called once per scheduler turn: plain comparisons, no calls.
        best = NO_EVENT
        clock, offset, ratio = self.clock, self.tb_offset, self.tb_ratio
        tb = (offset + clock * ratio) & M64
        zero = self.dec_zero
        if zero >= tb:
            # the first clock at which tb_offset + clock*ratio > zero
            best = (zero - offset) // ratio + 1 - clock
        if self.hdec_armed:
            zero = self.hdec_zero
            if zero >= tb:
                best = min(best, (zero - offset) // ratio + 1 - clock)
        return best if best > 1 else 1

    def async_interrupt(self) -> int | None:
        """The asynchronous interrupt deliverable now, if any (docs/machine.md priorities)."""
        if self.mask_async:
            return None
        tb = (self.tb_offset + self.clock * self.tb_ratio) & M64
        dec = self.dec_zero < tb
        hdec = self.hdec_armed and self.hdec_zero < tb
        if not self.pending:
            # The common cases, checked once per scheduler turn (select_async's
            # rules with nothing pending): DEC needs MSR[EE]; HDEC needs MSR[EE]
            # or HV=0.
            msr = self.msr
            if msr & MSR_EE:
                if not (dec or hdec):
                    return None
            elif not hdec or msr & MSR_HV:
                return None
        return select_async(self.msr, self.spr[SPR_LPCR], self.pending, dec, hdec)

    def wake_condition(self) -> bool:
        """A sleeping vCPU wakes on any pending condition (masked or not), as `stop` EC=0 does."""
        lpcr = self.spr[SPR_LPCR]
        return bool(
            self.pending or self.dec_negative() or (self.hdec_negative() and lpcr & LPCR_HDICE)
        )

    # -- SPRs with behaviour ------------------------------------------------------
    # Numbers that are views of another register's storage.
    # The PMU's problem-state numbers (769-782) are views of the supervisor ones (+ 16)
    # except USIER (768), which QEMU 7.2 keeps apart; the gates are engine/isa/pmu.py's.
    _SPR_ALIAS = {3: 17, 259: 275, 823: 855, 898: 896, 152: 136, 269: 268, 284: 268, 285: 268,
                  **{n: n + 16 for n in range(769, 783) if n not in (777, 778)}}  # fmt: skip
    # BESCRSU, BESCRRU: the upper word of BESCRS, BESCRR (QEMU 7.2's spr_*_prev_upper32;
    # QEMU keeps BESCRS and BESCRR as registers of their own, not BESCR's set/reset views).
    _SPR_UPPER = {801: 800, 803: 802}

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
        if n == SPR_CFAR:
            return self.cfar
        if n == SPR_DEC:
            return self.dec_value()
        if n == SPR_HDEC:
            return self.hdec_value()
        if n == SPR_VTB:
            return self.vtb
        if n in self._SPR_UPPER:
            return self.spr[self._SPR_UPPER[n]] >> 32
        if n == 898:
            return self.spr[896] & 0xFFFF_FFFF
        if n == SPR_DPDES:
            # DPDES is the directed privileged doorbell state of the core's
            # threads; with one thread per core, bit 63 (as QEMU 7.2).
            return 1 if self.pending & PEND_DOORBELL else 0
        return self.spr[self._SPR_ALIAS.get(n, n)]

    def read_spr_at(self, n: int, k: int) -> int:
        """SPR ``n`` (a time register) as read by the instruction ``k`` slots into the
        translated block now running: at the clock the exact path would have then. The
        chunk adds its slots to ``clock`` only when it ends, so the time is the clock,
        the slots the chunk ran before this block (``slots_before``) and ``k``."""
        skew = self.slots_before + k
        self.clock += skew
        try:
            return self.read_spr(n)
        finally:
            self.clock -= skew

    def write_spr(self, n: int, v: int) -> None:
        v &= M64
        if n == 1:
            self.xer = v
        elif n == 8:
            self.lr = v
        elif n == 9:
            self.ctr = v
        elif n == SPR_CFAR:
            self.cfar = v
        elif n == SPR_DEC:
            self.set_dec(v)
        elif n == SPR_HDEC:
            self.set_hdec(v)
        elif n == SPR_VTB:
            self.set_vtb(v)
        elif n in self._SPR_UPPER:
            low = self._SPR_UPPER[n]
            self.spr[low] = (self.spr[low] & 0xFFFF_FFFF) | (v & 0xFFFF_FFFF) << 32
        elif n == 284:  # TBL: write the low word of the time base
            self.tb_offset += ((self.timebase & ~0xFFFF_FFFF) | (v & 0xFFFF_FFFF)) - self.timebase
        elif n == 285:  # TBU
            upper = (self.timebase & 0xFFFF_FFFF) | ((v & 0xFFFF_FFFF) << 32)
            self.tb_offset += upper - self.timebase
        elif n == 898:
            self.spr[896] = (self.spr[896] & ~0xFFFF_FFFF) | (v & 0xFFFF_FFFF)
        elif n == SPR_DPDES:
            # QEMU 7.2 ignores a value with bits other than bit 63 (one thread).
            if not v & ~1:
                self.pending = (self.pending & ~PEND_DOORBELL) | (PEND_DOORBELL if v else 0)
        elif n in (SPR_PVR, SPR_PIR, 446):
            pass  # read-only
        elif n == SPR_LPCR:
            self.spr[n] = v & LPCR_WRITE_MASK
            self.flush_translation()
        else:
            self.spr[self._SPR_ALIAS.get(n, n)] = v
            if n in TRANSLATION_SPRS:
                self.flush_translation()
            elif n == SPR_AMR_NUMBER:
                self.dtlb.clear()

    def spr_by_name(self, name: str) -> int:
        return self.read_spr(SPR_BY_NAME[name].number)

    # -- address translation ---------------------------------------------------
    def real_address(self, ea: int) -> int:
        pa = ea & REAL_MODE_MASK
        if self.msr & MSR_HV and not (ea >> 63):
            pa |= self.spr[SPR_HRMOR]
        return pa

    def translate_data(self, ea: int, write: bool) -> int:
        if self.msr & MSR_DR and self.mmu is not None:
            return self.mmu.translate(ea, "w" if write else "r")
        return self.real_address(ea)

    def translate_fetch(self, ea: int) -> int:
        if self.msr & MSR_IR and self.mmu is not None:
            return self.mmu.translate(ea, "x")
        return self.real_address(ea)

    def probe(self, ea: int, fetch: bool = False) -> int | None:
        """The real address of ``ea`` for the debugger: no side effects, None when unmapped."""
        on = MSR_IR if fetch else MSR_DR
        if self.msr & on and self.mmu is not None:
            return self.mmu.probe(ea, "x" if fetch else "r")
        return self.real_address(ea)

    # -- data access (used by instruction closures) -----------------------------
    def read(self, ea: int, size: int, order: str) -> int:
        """A load's slow path: translate, then map the page in the load TLB when it may be."""
        msr = self.msr
        if msr & MSR_DR:
            if (ea & 0xFFF) + size > 0x1000:
                return int.from_bytes(self._split(ea, size, False, None), order)  # type: ignore[arg-type]
            pa = self.translate_data(ea, False)
        else:
            pa = ea & REAL_MODE_MASK
            if msr & MSR_HV and not ea >> 63:
                pa |= self.spr[SPR_HRMOR]
        mem = self.mem
        off = pa & 0xFFF
        if off + size <= 0x1000:
            page = mem.loadable(pa >> PAGE_SHIFT)
            if page is not None:
                self.tlb_load[ea >> PAGE_SHIFT] = page
                return int.from_bytes(page[off : off + size], order)  # type: ignore[arg-type]
        return mem.read(pa, size, order)

    def map_data(self, ea: int, store: int) -> None:
        """Map ``ea``'s page in the data TLB as read() (``store`` 0) or write() would for an
        access inside the page, and do nothing else: the native engine's data TLB fill
        (engine/native), after which the access itself goes through the map. A fault or a
        page off the fast path leaves it unmapped: the access then runs here and faults or
        takes its slow path exactly. Translating has the effects the access's own would
        (the MMU's R and C bits, its caches; a fault's SPRs, written again by the access)."""
        msr = self.msr
        try:
            if store or msr & MSR_DR:
                pa = self.translate_data(ea, bool(store))
            else:
                pa = ea & REAL_MODE_MASK
                if msr & MSR_HV and not ea >> 63:
                    pa |= self.spr[SPR_HRMOR]
        except (Interrupt, MemoryFault):
            return
        if store:
            self.mem.storable(pa >> PAGE_SHIFT, self.dtlb, ea >> PAGE_SHIFT)
        else:
            page = self.mem.loadable(pa >> PAGE_SHIFT)
            if page is not None:
                self.tlb_load[ea >> PAGE_SHIFT] = page

    def _split(self, ea: int, size: int, write: bool, data: bytes | None) -> bytes:
        """An access that crosses a page with translation on: each page translates alone.

        Both pages are translated before any byte is stored, so a fault on the
        second page leaves memory untouched (the ISA's "no partial store").
        """
        first = 0x1000 - (ea & 0xFFF)
        pa0 = self.translate_data(ea, write)
        pa1 = self.translate_data((ea + first) & M64, write)
        if data is None:
            return self.mem.read_bytes(pa0, first) + self.mem.read_bytes(pa1, size - first)
        writer = self if self.mem.reservations else None
        self.mem.write_bytes(pa0, data[:first], writer)
        self.mem.write_bytes(pa1, data[first:], writer)
        return data

    def write(self, ea: int, size: int, value: int, order: str) -> None:
        """A store's slow path: translate, then map the page in the store TLB when it may be."""
        value &= (1 << (size * 8)) - 1
        if (ea & 0xFFF) + size > 0x1000 and self.msr & MSR_DR:
            self._split(ea, size, True, value.to_bytes(size, order))  # type: ignore[arg-type]
            return
        pa = self.translate_data(ea, True)
        mem = self.mem
        off = pa & 0xFFF
        if off + size <= 0x1000:
            page = mem.storable(pa >> PAGE_SHIFT, self.dtlb, ea >> PAGE_SHIFT)
            if page is not None:
                page[off : off + size] = value.to_bytes(size, order)  # type: ignore[arg-type]
                return
        mem.write_bytes(pa, value.to_bytes(size, order), self)  # type: ignore[arg-type]

    # -- reservations ----------------------------------------------------------
    def reserve(self, ea: int, size: int) -> None:
        pa = self.translate_data(ea, False)
        old = self.resv_addr
        if old is None or old >> RESERVATION_SHIFT != pa >> RESERVATION_SHIFT:
            self.lose_reservation()
            self.mem.reserve(self, pa)
        # else: the granule this vCPU already reserves (a larx spinning on a lock): the
        # memory's record would be dropped and made again exactly as it is.
        self.resv_addr, self.resv_size, self.resv_ea = pa, size, ea

    def lose_reservation(self) -> None:
        if self.resv_addr is not None:
            self.mem.unreserve(self, self.resv_addr)
            self.resv_addr = None

    def holds_reservation(self, ea: int, size: int) -> bool:
        """Whether a st*cx. at ``ea`` succeeds: the reservation covers its granule.

        The granule rules are docs/machine.md's "Storage".
        The effective address is compared first, with no translation, so a
        failing st*cx. to an unmapped page fails quietly, as in QEMU.
        """
        if self.resv_addr is None or (ea >> 7) != (self.resv_ea >> 7):
            return False
        return (self.translate_data(ea, True) >> 7) == (self.resv_addr >> 7)

    # -- fetch and decode -------------------------------------------------------
    def fetch(self, pc: int) -> int:
        """The instruction word at ``pc`` as this vCPU would fetch it."""
        return self.mem.read(self.translate_fetch(pc), 4, self.order)

    def decode_at(self, pc: int) -> Exec:
        pa = self.translate_fetch(pc)
        cache = self.icache
        held = cache.held
        if held and pc >> 12 in held and cache.revive(pc >> 12, pa >> 12):
            known = cache.get(pc)
            if known is not None:
                return known
        word = self.mem.read(pa, 4, self.order)
        msr = self.msr
        ctx = Ctx(pc, msr & MSR_DECODE_CONTEXT, bool(msr & MSR_SF), self.order)
        fn = make_exec(decode(word), word, ctx)
        cache[pc] = fn
        cache.words[pc] = word
        pn = pa >> PAGE_SHIFT
        pcs = cache.by_page.get(pn)
        if pcs is None:
            pcs = cache.by_page[pn] = []
            self.mem.watch_code(pa, lambda c=cache, p=pn: c.drop_page(p))  # type: ignore[misc]
        pcs.append(pc)
        eas = cache.by_ea.get(pc >> 12)
        if eas is None:
            eas = cache.by_ea[pc >> 12] = {}
            cache.ea_pa[pc >> 12] = pn
        eas[pc] = fn
        return fn

    # -- execution ------------------------------------------------------------
    def step(self, allow_async: bool = True) -> Interrupt | None:
        """Execute one instruction, or deliver the interrupt that replaces it.

        With ``allow_async`` a pending, enabled asynchronous interrupt is
        delivered in place of the instruction (docs/stepping.md, case 3).
        MSR[SE]/MSR[BE] trace interrupts are delivered as part of the same
        step. Returns the interrupt delivered, if any.
        """
        if self.halted or self.exit_reason:
            return None
        if self.sleeping:
            if not self.wake_condition():
                self.clock += 1
                return None
            self.sleeping = False
        if allow_async:
            vector = self.async_interrupt()
            if vector is not None:
                self.clock += 1
                return self._take(Interrupt(vector, next_pc=self.nia), self.nia)
        pc = self.nia
        msr = self.msr
        fn: Exec | None = None
        self.retired += 1
        # The instruction executes at the time before it retires, as in run()'s
        # chunks: an `mtdec` of -1 leaves DEC negative even when a step with
        # notimer winds the clock back afterwards (QEMU raises it at once).
        self.exact_clock = True
        try:
            fn = self.icache.get(pc)
            if fn is None:
                fn = self.decode_at(pc)
            npc = fn(self)
        except Resync as r:
            npc = r.npc
        except Interrupt as exc:
            self.clock += 1
            return self._take(exc, pc)
        except MemoryFault:
            self.clock += 1
            return self._take(Interrupt(EXCP_MCHECK), pc)
        except Stop as s:
            self.clock += 1
            self._stop(s, pc)
            return None
        finally:
            self.exact_clock = False
        self.clock += 1
        self.nia = npc
        if msr & (MSR_SE | MSR_BE) or self.host_se:
            o: Insn = getattr(fn, "op")  # noqa: B009 - set on every closure by make_exec
            if not o.untraced and (msr & MSR_SE or self.host_se or o.branch):
                trace = Interrupt(EXCP_TRACE, SRR1_TRACE, next_pc=npc)
                return self._take(trace, pc)
        return None

    def run(self, budget: int, stop_at: frozenset[int] | set[int] = frozenset()) -> int:
        """Run for at most ``budget`` instruction slots; stop before any address in ``stop_at``.

        Returns the slots used. Asynchronous interrupts are taken at exact
        instruction boundaries: each fast chunk ends where a timer fires.
        Falls back to ``step`` while MSR[SE]/MSR[BE] tracing is on.
        """
        done = 0
        while done < budget and not (self.halted or self.exit_reason):
            if self.sleeping and not self.wake_condition():
                # Asleep: let time pass up to the next timer event in one go.
                skip = min(budget - done, self.ticks_until_timer())
                self.clock += skip
                done += skip
                continue
            if (
                self.sleeping
                or self.msr & (MSR_SE | MSR_BE)
                or self.host_se
                or (self.mem.watching and (not self.use_blocks or self.trace_hook is not None))
                or self.async_interrupt() is not None
            ):
                # The exact path, one instruction at a time: MSR[SE]/[BE] and host
                # tracing, sleep, watchpoints without blocks (the reference; blocks
                # check hits themselves; a hit stops the vCPU after the accessing
                # instruction), and the trace hook while watching.
                if done and self.nia in stop_at and not self.sleeping:
                    break
                hook = self.trace_hook
                if hook is not None:
                    pc, retired = self.nia, self.retired
                    regs = trace_regs(self)
                    cache = self.icache  # the word executed is decoded into this one
                self.step()
                done += 1
                if self.refund:
                    self._refund()
                    done -= 1
                if hook is not None and self.retired != retired:
                    hook(self, [(pc, regs, cache.words.get(pc))], trace_regs(self))
                if self.mem.watch_hits and self.mem.watch_exit and not self.exit_reason:
                    self.exit_reason = "watchpoint"
                continue
            left = budget - done
            timer = self.ticks_until_timer()
            if timer < left:
                left = timer
            # The fast modes, one chunk (up to the next timer event) at a time: traced
            # (a record per instruction for the hook), translated blocks, or the
            # interpreter (the reference, PPCDBG_BLOCKS=0). Each returns the slots it
            # used and whether the run must end, and accounts exactly as step() would.
            if self.trace_hook is not None:
                n, stopped = self._run_traced(left, stop_at, done)
            elif self.use_blocks:
                n, stopped = self._run_blocks(left, stop_at, done)
                mem = self.mem
                if mem.watch_hits and mem.watch_exit and not self.exit_reason:
                    self.exit_reason = "watchpoint"  # after the accessing instruction
                    stopped = True
            else:
                n, stopped = self._run_interpreted(left, stop_at, done)
            done += n
            if stopped:
                break
        return done

    def _run_interpreted(
        self, left: int, stop_at: frozenset[int] | set[int], done: int
    ) -> tuple[int, bool]:
        """``left`` slots through the decode cache's closures, one call per instruction.

        Returns (slots used, whether the run must end: a stop address or a Stop).
        """
        pc = self.nia
        n = 0
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
                self.nia = pc
                self.retired += n
                self.clock += n
                return n, n < left
            while n < left:
                fn = self.icache.get(pc)
                if fn is None:
                    fn = self.decode_at(pc)
                pc = fn(self)
                n += 1
            self.nia = pc
        except Resync as r:
            self.nia = r.npc
            n += 1
        except ClockSync:
            # pc reads or writes time: account what ran, then step it exactly.
            self.nia = pc
            self.retired += n
            self.clock += n
            self.step()
            return n + 1, False
        except (Interrupt, MemoryFault) as exc:
            n += 1
            self.retired += n
            self.clock += n
            self._take(exc if isinstance(exc, Interrupt) else Interrupt(EXCP_MCHECK), pc)
            if self.refund:
                self._refund()
                n -= 1
            return n, False
        except Stop as s:
            n += 1
            self.retired += n
            self.clock += n
            self._stop(s, pc)
            return n, True
        self.retired += n
        self.clock += n
        return n, False

    def _run_traced(
        self, left: int, stop_at: frozenset[int] | set[int], done: int
    ) -> tuple[int, bool]:
        """``left`` slots one instruction at a time, reporting them to the trace hook.

        The interpreter's fast loop with a record per instruction (pc, registers
        before, word): what it reports and counts is what the exact path (``step``
        + hook) reports and counts, without step()'s per-instruction checks.
        Records go to the hook in batches: at the end of the chunk, and before
        anything that may report other events (an interrupt, a host exit, a
        stop), so the order of events is the order of execution. Anything
        unusual ends the chunk after it is handled exactly as the fast loop
        handles it, so run() re-checks the mode.
        Returns (slots used, whether the run must end).
        """
        hook = self.trace_hook
        assert hook is not None
        records: list[TraceRecord] = []
        # The decode cache changes only with MSR (a Resync or an interrupt, both of
        # which end the chunk), and instructions never read the slot counts (time
        # reads are ClockSync): those are added up when the chunk ends, before the
        # hook reads the time. Until then n instructions ran, one record each.
        cache = self.icache
        get, word_of, gpr = cache.get, cache.words.get, self.gpr
        n = 0
        while n < left and not (self.halted or self.exit_reason):
            pc = self.nia
            if stop_at and pc in stop_at and (n or done):
                break
            regs = (
                *gpr,
                self.cr,
                self.so,
                self.ov,
                self.ca,
                self.ov32,
                self.ca32,
                self.xer_rest,
                self.lr,
                self.ctr,
                self.msr,
            )  # trace_regs, inline
            word = None  # stays None only when the fetch itself faults
            try:
                fn = get(pc)
                if fn is None:
                    fn = self.decode_at(pc)
                word = word_of(pc)
                npc = fn(self)
            except Resync as r:
                self.retired += n + 1
                self.clock += n + 1
                self.nia = r.npc
                records.append((pc, regs, word))
                hook(self, records, trace_regs(self))
                return n + 1, False
            except ClockSync:
                # It reads or writes time: the exact step, as the other loops do.
                self.retired += n
                self.clock += n
                if records:
                    hook(self, records, regs)
                retired = self.retired
                self.step()
                n += 1
                if self.refund:
                    self._refund()
                    n -= 1
                if self.retired != retired:
                    hook(self, [(pc, regs, word)], trace_regs(self))
                return n, False
            except (Interrupt, MemoryFault, Stop) as exc:
                self.retired += n
                self.clock += n
                if records:
                    hook(self, records, regs)  # before the events delivery may report
                self.retired += 1
                self.clock += 1
                n += 1
                if isinstance(exc, Stop):
                    self._stop(exc, pc)
                    hook(self, [(pc, regs, word)], trace_regs(self))
                    return n, True
                self._take(exc if isinstance(exc, Interrupt) else Interrupt(EXCP_MCHECK), pc)
                if self.refund:
                    self._refund()
                    return n - 1, False
                hook(self, [(pc, regs, word)], trace_regs(self))
                return n, False
            self.nia = npc
            n += 1
            records.append((pc, regs, word))
        self.retired += n
        self.clock += n
        if records:
            hook(self, records, trace_regs(self))
        return n, n < left and not (self.halted or self.exit_reason)

    def _run_blocks(
        self, left: int, stop_at: frozenset[int] | set[int], done: int
    ) -> tuple[int, bool]:
        """``left`` slots (no timer fires before) through translated blocks.

        Returns (slots used, whether the run must end: a stop address or a Stop).
        Exceptions leave a block at the instruction that raised them; the
        slots before it and its own slot count, exactly as in the interpreter.
        """
        if stop_at is not self.block_stops:
            # Blocks end before stop addresses: drop those that run through new ones.
            new = stop_at.difference(self.block_stops)
            if new:
                _blocks.invalidate_containing(self, new)
            self.block_stops = stop_at
        cache = self.icache
        get = cache.blocks.get
        build = _blocks.build
        # With watchpoints that stop the vCPU, blocks built to leave after any
        # instruction that hit one (keyed pc | 1 beside the plain ones).
        watch = 1 if self.mem.watching and self.mem.watch_exit else 0
        hits = self.mem.watch_hits
        pc = self.nia
        n = 0
        b: Block | None = None
        # The native dispatcher (engine/native), for blocks that have native code.
        nrun = self.native_run if not watch else None
        if nrun is not None:
            ncomp = _native.compiler()
            ndone = ncomp.done  # compiled functions waiting to take their blocks' places
        try:
            while n < left:
                if stop_at and pc in stop_at and (n or done):
                    self.nia = pc
                    self.retired += n
                    self.clock += n
                    return n, True
                if watch and hits:
                    break
                b = get(pc | watch)
                if nrun is not None:
                    if ndone:
                        ncomp.install()
                        b = get(pc)
                    if b is not None and b.native and b.length <= left - n:
                        # Native blocks from here, as far as they go (engine/native).
                        pc, used, slow = nrun(self, cache, pc, left - n, stop_at, self.map_data)
                        n += used
                        if slow:
                            # It left before an instruction it does not hold: that one
                            # runs here as a cold block runs it, by its closure (the
                            # handlers below count it as a one-instruction block's).
                            b = None
                            fn = cache.get(pc)
                            if fn is None:
                                fn = self.decode_at(pc)
                            pc = fn(self)
                            n += 1
                        continue
                    ncomp.tick()
                if b is None:
                    b = build(self, pc, stop_at, watch=bool(watch))
                self.slots_before = n  # the blocks' inline time reads count from it
                room = left - n
                length = b.length
                if length > room:
                    # The budget (quantum, timer) ends inside the block: run its prefix.
                    b = _blocks.prefix(b, room, pc)
                    pc = b.run(self)
                    n += room
                elif b.loop:
                    ran: tuple[int, int]  # no typing.cast: a call per dispatch
                    if b.starts:
                        # A region (blocks chained on one page) returns (pc, instructions
                        # run), never more than the room it is given.
                        ran = b.run(self, room)  # type: ignore[assignment]
                        pc, used = ran
                        n += used
                    else:
                        # A loop back to a stop address stops after each pass.
                        limit = 1 if stop_at and pc in stop_at else room // length
                        # A loop block returns (pc, passes).
                        ran = b.run(self, limit)  # type: ignore[assignment]
                        pc, passes = ran
                        n += passes * length
                else:
                    pc = b.run(self)
                    n += length
            self.nia = pc
            self.retired += n
            self.clock += n
            return n, False
        except Cut as cut:
            n += cut.done
            self.nia = cut.npc
            self.retired += n
            self.clock += n
            return n, False
        except ClockSync as exc:
            # A time-reading instruction: account the slots before it, step it exactly.
            fpc = pc
            if b is not None:
                before, fpc = fault_point(b, exc.__traceback__, pc)
                n += before
            self.retired += n
            self.clock += n
            self.nia = fpc
            self.step()
            return n + 1, False
        except (Resync, Interrupt, MemoryFault, Stop) as exc:
            fpc = pc
            if b is None:
                n += 1
            else:
                before, fpc = fault_point(b, exc.__traceback__, pc)
                n += before + 1
            self.retired += n
            self.clock += n
            if isinstance(exc, Resync):
                self.nia = exc.npc
                return n, False
            if isinstance(exc, Stop):
                self._stop(exc, fpc)
                return n, True
            self._take(exc if isinstance(exc, Interrupt) else Interrupt(EXCP_MCHECK), fpc)
            if self.refund:
                self._refund()
                n -= 1
            return n, False

    def _refund(self) -> None:
        self.refund = 0
        self.retired -= 1
        self.clock -= 1

    def _take(self, exc: Interrupt, pc: int) -> Interrupt | None:
        """Deliver ``exc`` raised at ``pc``, or hand it to the host when it leaves the guest."""
        if exc.vector == EXCP_MCHECK and not self.msr & MSR_ME:
            self.nia = pc
            self.halted = True
            self.halt_reason = "checkstop"
            return exc
        if exc.vector == EXCP_HDECR:
            self.hdec_armed = False
        elif exc.vector == EXCP_SDOOR:
            self.pending &= ~PEND_DOORBELL  # doorbells are consumed by delivery (as QEMU)
        elif exc.vector == EXCP_SDOOR_HV:
            self.pending &= ~PEND_HDOORBELL
        if self.intercept is not None and self.intercept(self, exc, pc):
            return exc
        host = self.host
        if host is not None and not self.msr & MSR_HV and (exc.vector in HV_VECTORS or exc.hv_call):
            host.vm_exit(self, exc, pc)
            return exc
        deliver(self, exc, pc)
        if self.on_interrupt is not None:
            self.on_interrupt(self, exc.vector, pc)
        return exc

    def _stop(self, s: Stop, pc: int) -> None:
        self.nia = s.npc if s.npc is not None else pc
        if s.halt:
            self.halted = True
            self.halt_reason = s.reason
        else:
            self.sleeping = True

    # -- checkpoints -------------------------------------------------------------
    def get_state(self) -> dict[str, object]:
        d: dict[str, object] = {k: getattr(self, k) for k in self.STATE_FIELDS}
        d["gpr"] = list(self.gpr)
        d["vsr"] = list(self.vsr)
        d["spr"] = dict(self.spr)
        d["msr"] = self.msr
        d["resv_addr"] = self.resv_addr
        return d

    def set_state(self, d: dict[str, object]) -> None:
        """Restore a ``get_state()`` image; memory and its reservations are the caller's."""
        for k in self.STATE_FIELDS:
            setattr(self, k, d[k] if k in d or k not in self.STATE_DEFAULTS
                    else self.STATE_DEFAULTS[k])  # fmt: skip
        self.gpr = list(d["gpr"])  # type: ignore[call-overload]
        self.vsr = list(d["vsr"])  # type: ignore[call-overload]
        # SPRs added since the checkpoint was written start at their reset values.
        self.spr = {**SPR_RESET, **d["spr"]}  # type: ignore[dict-item]
        self.resv_addr = d["resv_addr"]  # type: ignore[assignment]
        self.set_msr(d["msr"])  # type: ignore[arg-type]
        if self.mmu is not None:
            self.mmu.flush()
        self.flush_decoded()


class Host(Protocol):
    """The hypervisor side of the `guest` profile (engine/host.py)."""

    def vm_exit(self, cpu: VCPU, exc: Interrupt, pc: int) -> None: ...


_EPN_NO_QUADRANT = (1 << 50) - 1  # an effective page number without the quadrant bits


class Translator(Protocol):
    """A vCPU's MMU (engine/mmu.py)."""

    def translate(self, ea: int, access: str) -> int: ...

    def probe(self, ea: int, access: str = "r") -> int | None: ...

    def flush(self, ea: int | None = None) -> None: ...

    def flush_stale(self) -> set[int] | None: ...

    def flush_page(self, ea: int) -> set[int] | None: ...

    def exact_again(self) -> None: ...


# -- turning a table entry into an executable closure ---------------------------
def _raiser(vector: int, srr1: int = 0) -> Exec:
    def ex(c: CPUState) -> int:
        raise Interrupt(vector, srr1)

    return ex


def make_exec(o: Insn | None, word: int, ctx: Ctx) -> Exec:
    """The closure for ``word`` at ``ctx.pc``, with privilege and facility checks folded in."""
    if o is None:
        # Illegal and reserved words raise HEAI on POWER9 (docs/machine.md).
        fn = _raiser(EXCP_HV_EMU)
        fn.op = ILLEGAL  # type: ignore[attr-defined]
        return fn
    if o.priv != "user" and ctx.msr & MSR_PR:
        fn = _raiser(EXCP_PROGRAM, SRR1_PROGRAM_PRIV)
    elif o.priv == "hyper" and not ctx.msr & MSR_HV:
        fn = _raiser(EXCP_HV_EMU)
    elif (fac := o.facility_of(word)) is not None and not ctx.msr & FACILITY_MSR[fac]:
        fn = _raiser(FACILITY_VECTOR[fac])
    else:
        fn = o.build(word, ctx)
    fn.op = o  # type: ignore[attr-defined]
    return fn


# The MSR bit each facility needs, and the interrupt its absence raises (docs/machine.md).
FACILITY_MSR = {"fp": MSR_FP, "vec": MSR_VEC, "vsx": MSR_VSX}
FACILITY_VECTOR = {"fp": EXCP_FPU, "vec": EXCP_VPU, "vsx": EXCP_VSXU}


def _illegal_factory(word: int, ctx: Ctx) -> Exec:
    return _raiser(EXCP_HV_EMU)


from .isa.fields import D  # noqa: E402

# The line an illegal word's closure reports (never in the table, never decoded).
ILLEGAL = Insn("(illegal)", D(0), _illegal_factory, closure=True, ends=True)


if TYPE_CHECKING:
    # The ISA and interrupt delivery see a vCPU only as engine/state.py's CPUState.
    _conforms: type[CPUState] = VCPU
