"""Supervisor and hypervisor instructions: MSR moves, SPR moves, rfid, sc, time base."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..bits import M32, M64, ppc_bit, s32, s64
from ..interrupts import (
    EXCP_FU,
    EXCP_HV_EMU,
    EXCP_PROGRAM,
    EXCP_SYSCALL,
    PEND_DOORBELL,
    PEND_HDOORBELL,
    Interrupt,
)
from ..msr import (
    LPCR_AIL,
    LPCR_AIL_SHIFT,
    LPCR_ILE,
    MSR_DR,
    MSR_EE,
    MSR_HV,
    MSR_IR,
    MSR_LE,
    MSR_ME,
    MSR_PR,
    MSR_RI,
    MSR_SF,
    SRR1_INTERRUPT_BITS,
    SRR1_PROGRAM_PRIV,
    SRR1_PROGRAM_TRAP,
)
from ..sprs import (
    SPR_BY_NUMBER,
    SPR_CTR,
    SPR_HID0,
    SPR_HSRR0,
    SPR_HSRR1,
    SPR_LPCR,
    SPR_LR,
    SPR_PIR,
    SPR_SRR0,
    SPR_SRR1,
    SPR_XER,
)
from . import pmu
from .common import ClockSync, Resync, Stop
from .fields import SC, XFX, XL, D, Encoding, X, reserved
from .forms import Ctx, Exec, f_rb, f_rt, f_si, f_spr, inline
from .insn import Insn

if TYPE_CHECKING:
    from ..state import CPUState

HID0_ENABLE_ATTN = ppc_bit(3)  # skiboot's SPR_HID0_POWER9_ENABLE_ATTN

# SPRs whose writes change translation, interrupt routing or timers: the
# run loops must look at the machine state again after them.
RESYNC_SPRS = frozenset({22, 48, 176, 310, 313, 318, 319, 464, 1008})

# SPRs that read or write virtual time: their instructions need the exact clock.
TIMED_SPRS = frozenset({22, 268, 269, 284, 285, 286, 308, 309, 310, 849})

# The MSR bits POWER9 implements (QEMU's POWER9 msr_mask): writes keep only these.
MSR_IMPLEMENTED = 0x9000_0001_0280_FF37


def msr_after_write(old: int, new: int, *, keep: int) -> int:
    """MSR update rules shared by mtmsr(d) and rfid (docs/machine.md).

    ``keep`` are bits the instruction may not change. Setting PR also sets
    EE, IR and DR.
    """
    new &= MSR_IMPLEMENTED
    value = (old & keep) | (new & ~keep & M64)
    if value & MSR_PR:
        value |= MSR_EE | MSR_IR | MSR_DR
    return value


def mfmsr(w: int, x: Ctx) -> Exec:
    rt, npc = f_rt(w), x.npc

    def ex(c: CPUState) -> int:
        c.gpr[rt] = c.msr
        return npc

    return ex


def mtmsr(w: int, x: Ctx, *, wide: bool) -> Exec:
    """mtmsrd (wide) and mtmsr: L=1 moves only EE and RI."""
    rs, npc = f_rt(w), x.npc
    l_field = bool(w & 0x10000)

    def ex(c: CPUState) -> int:
        v = c.gpr[rs]
        if l_field:
            c.set_msr((c.msr & ~(MSR_EE | MSR_RI)) | (v & (MSR_EE | MSR_RI)))
            return npc
        keep = MSR_HV | MSR_ME | MSR_LE
        if not wide:
            keep |= 0xFFFF_FFFF_0000_0000  # mtmsr changes the low word only
        c.set_msr(msr_after_write(c.msr, v, keep=keep))
        return npc

    return ex


def rfid(w: int, x: Ctx, *, hyper: bool) -> Exec:
    """rfid / hrfid: MSR from (H)SRR1, NIA from (H)SRR0."""
    s0, s1 = (SPR_HSRR0, SPR_HSRR1) if hyper else (SPR_SRR0, SPR_SRR1)
    cia = x.pc

    def ex(c: CPUState) -> int:
        c.cfar = cia  # docs/machine.md "CFAR": rfid and hrfid set it as taken branches do
        old = c.msr
        src = c.spr[s1]
        keep = 0 if old & MSR_HV else MSR_ME
        new = msr_after_write(old, src, keep=keep)
        # HV can be cleared but never set from HV=0 (ISA 3.0B: MSR_HV <- MSR_HV & SRR1_HV).
        new = (new & ~MSR_HV) | (old & src & MSR_HV)
        c.set_msr(new)
        target = c.spr[s0] & ~3
        return target if new & MSR_SF else target & M32

    return ex


def sc(w: int, x: Ctx) -> Exec:
    lev = (w >> 5) & 0x7F
    npc = x.npc

    def ex(c: CPUState) -> int:
        raise Interrupt(EXCP_SYSCALL, next_pc=npc, hv_call=lev == 1)

    return ex


FSCR_SCV = ppc_bit(51)  # system call vectored enabled
FSCR_IC_SCV = 12
SCV_VECTOR = 0x17000  # scv's vector base; AIL=3 moves it to 0xc000000000003000
SCV_AIL3_VECTOR = 0xC000_0000_0000_3000


def scv_entry(lpcr: int, msr: int, lev: int) -> tuple[int, int]:
    """(vector, new MSR) of scv LEV under ``lpcr`` and ``msr``; the debugger's successors of
    an scv come from here too."""
    new = MSR_SF | (msr & (MSR_ME | MSR_HV | MSR_EE | MSR_RI))
    if lpcr & LPCR_ILE:
        new |= MSR_LE
    vector = SCV_VECTOR + 0x20 * lev
    ail = (lpcr & LPCR_AIL) >> LPCR_AIL_SHIFT
    if ail >= 2 and msr & MSR_IR and msr & MSR_DR:
        new |= MSR_IR | MSR_DR
        if ail == 3:
            vector = SCV_AIL3_VECTOR + 0x20 * lev
    return vector, new


def scv(w: int, x: Ctx) -> Exec:
    """scv LEV (system call vectored, ISA 3.0B 7.5.19), as QEMU 7.2 delivers it: no SRR0/1;
    LR = the next instruction, CTR = the MSR (interrupt bits 33:36, 42:47 cleared), the
    new MSR keeps ME, HV, EE and RI, LE = LPCR[ILE]; vector 0x17000 + 0x20 * LEV, with
    AIL = 3 (and MSR[IR] = MSR[DR] = 1) 0xc000000000003000 + 0x20 * LEV and IR DR set,
    AIL = 2 sets IR DR only. FSCR[SCV] = 0: facility unavailable (cause 12)."""
    lev, npc = (w >> 5) & 0x7F, x.npc

    def ex(c: CPUState) -> int:
        if not c.spr[SPR_FSCR] & FSCR_SCV:
            fscr = c.spr[SPR_FSCR] & ~(0xFF << FSCR_IC_SHIFT)
            c.spr[SPR_FSCR] = fscr | (FSCR_IC_SCV << FSCR_IC_SHIFT)
            raise Interrupt(EXCP_FU)
        old = c.msr
        vector, new = scv_entry(c.spr[SPR_LPCR], old, lev)
        c.lr = npc
        c.ctr = old & ~SRR1_INTERRUPT_BITS & M64
        c.lose_reservation()
        c.set_msr(new)
        return vector

    return ex


def rfscv(w: int, x: Ctx) -> Exec:
    """rfscv: MSR from CTR and NIA from LR by rfid's rules (QEMU 7.2: do_rfi(lr, ctr))."""
    cia = x.pc

    def ex(c: CPUState) -> int:
        c.cfar = cia
        old = c.msr
        src = c.ctr
        new = msr_after_write(old, src, keep=0 if old & MSR_HV else MSR_ME)
        new = (new & ~MSR_HV) | (old & src & MSR_HV)
        c.set_msr(new)
        target = c.lr & ~3
        return target if new & MSR_SF else target & M32

    return ex


def _spr_allowed(need: str | None, msr: int) -> int | None:
    """None when the access is allowed, else the interrupt vector it raises."""
    if need is None:
        return EXCP_HV_EMU
    if need == "user":
        return None
    if msr & MSR_PR:
        return EXCP_PROGRAM
    if need == "hyper" and not msr & MSR_HV:
        return EXCP_HV_EMU
    return None


def _raise(vector: int) -> Exec:
    srr1 = SRR1_PROGRAM_PRIV if vector == EXCP_PROGRAM else 0

    def ex(c: CPUState) -> int:
        raise Interrupt(vector, srr1)

    return ex


# Problem-state access to these SPRs is enabled by an FSCR bit (ISA 3.0B 4.2.? and
# QEMU 7.2's spr_read_tar): number -> (FSCR enable bit, interruption cause).
# Without it: facility unavailable (0xf60), FSCR[IC] = the cause.
SPR_FSCR = 153
FSCR_IC_SHIFT = 56
FSCR_EBB = ppc_bit(56)
FSCR_IC_EBB = 7
FSCR_GATED = {
    815: (ppc_bit(55), 8),  # TAR
    3: (ppc_bit(61), 2),  # DSCR
    # EBBHR, EBBRR, BESCR and QEMU 7.2's BESCRS/BESCRR (+ upper halves): spr_read_ebb.
    # QEMU does not look at HFSCR[EBB] (and ppcdbg's pseries host leaves it all enabled).
    **dict.fromkeys(range(800, 807), (FSCR_EBB, FSCR_IC_EBB)),
}


def _fscr_gate(n: int, x: Ctx, inner: Exec) -> Exec:
    gate = FSCR_GATED.get(n)
    if gate is None or not x.msr & MSR_PR:
        return inner
    bit, cause = gate

    def ex(c: CPUState) -> int:
        if not c.spr[SPR_FSCR] & bit:
            fscr = c.spr[SPR_FSCR] & ~(0xFF << FSCR_IC_SHIFT)
            c.spr[SPR_FSCR] = fscr | (cause << FSCR_IC_SHIFT)
            raise Interrupt(EXCP_FU)
        return inner(c)

    return ex


def mfspr(w: int, x: Ctx) -> Exec:
    return _fscr_gate(f_spr(w), x, _mfspr(w, x))


def mtspr(w: int, x: Ctx) -> Exec:
    return _fscr_gate(f_spr(w), x, _mtspr(w, x))


# SPR numbers that raise HEAI even in privileged state when not implemented:
# mfspr 0, 4, 5, 6 and mtspr 0 (ISA 3.0B 4.4.4; QEMU 7.2 gen_mfspr/gen_mtspr).
HEAI_SPR_NUMBERS = {"read": frozenset({0, 4, 5, 6}), "write": frozenset({0})}


def _unknown_spr(n: int, x: Ctx, direction: str) -> Exec:
    """mfspr/mtspr of an SPR number ppcdbg does not implement.

    Privileged numbers (SPR field bit 0x10 set, ISA 3.0B 4.4.4): program
    privileged in problem state, a no-op otherwise. The others: HEAI in problem
    state and for the numbers of HEAI_SPR_NUMBERS, a no-op otherwise. Measured
    on QEMU 7.2 powernv9 (sv_priv.S) for 0, 2, 4, 5, 20 and 777 from PR=1,
    HV=0 and HV=1.

    A no-op mfspr leaves RT as it was, which is wrong for an SPR POWER9 has and
    ppcdbg lacks, so every execution is counted on the vCPU by direction and
    number (``VCPU.unsupported_sprs["read 849"]``, the pseries host's
    stats()["unsupported_sprs"]): a user sees what the guest missed.
    """
    pr = bool(x.msr & MSR_PR)
    if n & 0x10:
        inner = _raise(EXCP_PROGRAM) if pr else _nop(x.npc)
    elif pr or n in HEAI_SPR_NUMBERS[direction]:
        inner = _raise(EXCP_HV_EMU)
    else:
        inner = _nop(x.npc)
    key = f"{direction} {n}"

    def ex(c: CPUState) -> int:
        counts = c.unsupported_sprs
        counts[key] = counts.get(key, 0) + 1
        return inner(c)

    return ex


def _mfspr(w: int, x: Ctx) -> Exec:
    rt, n, npc = f_rt(w), f_spr(w), x.npc
    d = SPR_BY_NUMBER.get(n)
    if d is None:
        return _unknown_spr(n, x, "read")
    bad = _spr_allowed(d.read, x.msr)
    if bad is not None:
        return _raise(bad)
    if n in pmu.GROUP_A and x.msr & MSR_PR:
        return pmu.user_read(n, rt, npc)
    if n == SPR_XER:

        def rd_xer(c: CPUState) -> int:
            c.gpr[rt] = c.xer
            return npc

        return rd_xer
    if n == SPR_LR:

        def rd_lr(c: CPUState) -> int:
            c.gpr[rt] = c.lr
            return npc

        return inline(rd_lr, f"g[{rt}] = c.lr")
    if n == SPR_CTR:

        def rd_ctr(c: CPUState) -> int:
            c.gpr[rt] = c.ctr
            return npc

        return inline(rd_ctr, f"g[{rt}] = c.ctr")

    if n in TIMED_SPRS:

        def rd_time(c: CPUState) -> int:
            if not c.exact_clock:
                raise ClockSync
            c.gpr[rt] = c.read_spr(n)
            return npc

        # A translated block knows how many slots it ran before this one (@SLOTS,
        # engine/blocks.py), so it reads the time inline instead of leaving to step.
        return inline(rd_time, f"g[{rt}] = c.read_spr_at({n}, @SLOTS)")

    def rd(c: CPUState) -> int:
        c.gpr[rt] = c.read_spr(n)
        return npc

    return rd


def _mtspr(w: int, x: Ctx) -> Exec:
    rs, n, npc = f_rt(w), f_spr(w), x.npc
    d = SPR_BY_NUMBER.get(n)
    if d is None:
        return _unknown_spr(n, x, "write")
    bad = _spr_allowed(d.write, x.msr)
    if bad is not None:
        return _raise(bad)
    if n in pmu.GROUP_A and x.msr & MSR_PR:
        return pmu.user_write(n, rs, npc)
    if n == SPR_XER:

        def wr_xer(c: CPUState) -> int:
            c.xer = c.gpr[rs]
            return npc

        return wr_xer
    if n == SPR_LR:

        def wr_lr(c: CPUState) -> int:
            c.lr = c.gpr[rs]
            return npc

        return inline(wr_lr, f"c.lr = g[{rs}]")
    if n == SPR_CTR:

        def wr_ctr(c: CPUState) -> int:
            c.ctr = c.gpr[rs]
            return npc

        return inline(wr_ctr, f"c.ctr = g[{rs}]")

    if n in RESYNC_SPRS or n in TIMED_SPRS:

        def wr_mode(c: CPUState) -> int:
            if not c.exact_clock:
                raise ClockSync
            c.write_spr(n, c.gpr[rs])
            raise Resync(npc)

        return wr_mode

    def wr(c: CPUState) -> int:
        c.write_spr(n, c.gpr[rs])
        return npc

    return wr


def _nop(npc: int) -> Exec:
    def ex(c: CPUState) -> int:
        return npc

    return ex


def mftb(w: int, x: Ctx) -> Exec:
    """mftb: the time base (268) or its upper half (269); other numbers act as mfspr (QEMU)."""
    rt, n, npc = f_rt(w), f_spr(w), x.npc
    if n not in (268, 269):
        return mfspr(w, x)

    def ex(c: CPUState) -> int:
        if not c.exact_clock:
            raise ClockSync
        c.gpr[rt] = c.read_spr(n)
        return npc

    return inline(ex, f"g[{rt}] = c.read_spr_at({n}, @SLOTS)")  # as rd_time in _mfspr


# -- traps ----------------------------------------------------------------------
def trap(w: int, x: Ctx, *, imm: bool, word: bool) -> Exec:
    """tw/twi/td/tdi: program interrupt (SRR1 trap bit) when any TO condition holds."""
    to, ra, rb = f_rt(w), (w >> 16) & 31, (w >> 11) & 31
    simm = f_si(w)
    npc = x.npc

    def ex(c: CPUState) -> int:
        a = c.gpr[ra]
        b = simm & M64 if imm else c.gpr[rb]
        if word:
            a, b = s32(a), s32(b)
            ua, ub = a & M32, b & M32
        else:
            ua, ub = a, b
            a, b = s64(a), s64(b)
        if (
            (to & 0x10 and a < b) or (to & 0x08 and a > b) or (to & 0x04 and a == b)
            or (to & 0x02 and ua < ub) or (to & 0x01 and ua > ub)
        ):  # fmt: skip
            raise Interrupt(EXCP_PROGRAM, SRR1_PROGRAM_TRAP)
        return npc

    return ex


def attn(w: int, x: Ctx) -> Exec:
    """attn: a machine stop the debugger reports, when HID0[ENABLE_ATTN] allows it.

    Otherwise the illegal-instruction path, as QEMU 7.2 (which has no attn) does.
    """

    def ex(c: CPUState) -> int:
        if c.spr[SPR_HID0] & HID0_ENABLE_ATTN:
            raise Stop("attn", None, halt=True)
        raise Interrupt(EXCP_HV_EMU)

    return ex


def stop(w: int, x: Ctx) -> Exec:
    """stop: sleep until a wake-up event, then resume at the next instruction (PSSCR[EC]=0)."""
    npc = x.npc

    def ex(c: CPUState) -> int:
        raise Stop("stop", npc, halt=False)

    return ex


# -- translation-cache maintenance ------------------------------------------------
def tlb_flush(w: int, x: Ctx, *, broadcast: bool) -> Exec:
    """tlbie (broadcast to every vCPU), tlbiel, slbia, slbie: drop cached translations."""
    npc = x.npc

    def ex(c: CPUState) -> int:
        for cpu in c.peers if broadcast else (c,):
            cpu.flush_translation()
        raise Resync(npc)

    return ex


LPCR_GTSE = ppc_bit(53)  # guest translation shootdown enable
LPCR_HR_BIT = ppc_bit(43)


def _hv_gate(x: Ctx, inner: Exec, heai: Callable[[int], bool]) -> Exec:
    """From HV=0, raise HEAI when ``heai(LPCR)`` says the instruction is hypervisor privileged.

    LPCR is not part of the decode context, so the check runs at execution.
    """
    if x.msr & MSR_HV:
        return inner

    def ex(c: CPUState) -> int:
        if heai(c.spr[SPR_LPCR]):
            raise Interrupt(EXCP_HV_EMU)
        return inner(c)

    return ex


TLBIE_EPN = 0xFFFF_FFFF_FFFF_F000  # RB[0:51]
QUADRANT_BITS = 0xC000_0000_0000_0000
RADIX_AP_SHIFTS = {0: 12, 5: 16, 1: 21, 2: 30}  # RB[AP] -> page size (ISA 3.0B 5.10.1)


def _tlbi_flush(w: int, x: Ctx, *, broadcast: bool) -> Exec:
    """The invalidation itself: one page for a radix TLB invalidation by address.

    RIC=0 (TLB only), R=1 and RB[IS]=0 name one page (RB[EPN], any size):
    only its translations go, as in QEMU 7.2's helper_tlbie_isa300 (the ISA
    lets an implementation drop more, but a debugger comparing with QEMU
    should not). Everything else (IS=1-3, RIC=1/2, hash) drops all of them.
    """
    ric, radix, rb, npc = (w >> 18) & 3, bool(w & 0x10000), f_rb(w), x.npc

    def ex(c: CPUState) -> int:
        v = c.gpr[rb]
        ea = v & TLBIE_EPN if ric == 0 and radix and not (v >> 10) & 3 else None
        for cpu in c.peers if broadcast else (c,):
            if ea is None:
                cpu.flush_tlb()
            else:
                # Decoded code and data maps elsewhere keep their translation: drop only
                # this page's (its size from RB[AP]; the largest, 1 GiB, when AP names
                # none), in every quadrant, as the MMU's own cache drops them.
                size = 1 << RADIX_AP_SHIFTS.get((v >> 5) & 7, 30)
                cpu.flush_tlb_page(ea, ea & ~(size - 1) & ~QUADRANT_BITS, size)
        raise Resync(npc)

    return ex


def tlbi(w: int, x: Ctx, *, broadcast: bool) -> Exec:
    """tlbie / tlbiel: privileged, but hypervisor privileged (HEAI from HV=0) when

    PRS=0 with LPCR[HR]=1, and for tlbie also when LPCR[GTSE]=0 (ISA 3.0B 5.9.3.3).
    QEMU 7.2 raises program/privileged in those cases (do_tlbie's gen_priv_opc).
    """
    prs = bool(w & 0x20000)
    inner = _tlbi_flush(w, x, broadcast=broadcast)
    return _hv_gate(
        x, inner,
        lambda lpcr: (not prs and bool(lpcr & LPCR_HR_BIT))
        or (broadcast and not lpcr & LPCR_GTSE),
    )  # fmt: skip


def tlbsync(w: int, x: Ctx) -> Exec:
    """tlbsync: supervisor privileged with LPCR[GTSE], hypervisor privileged without."""
    return _hv_gate(x, _nop(x.npc), lambda lpcr: not lpcr & LPCR_GTSE)


def nop(w: int, x: Ctx) -> Exec:
    return _nop(x.npc)


# -- doorbells ----------------------------------------------------------------------
DBELL_TYPE_SHIFT = 27
DBELL_TYPE_SERVER = 5  # the only message type POWER9 acts on
DBELL_PROCIDTAG_MASK = 0xFFFFF


def msg(w: int, x: Ctx, *, send: bool, hyper: bool) -> Exec:
    """msgsnd/msgclr (hypervisor doorbell by PIR) and msgsndp/msgclrp (within the core).

    As QEMU 7.2: message types other than 5 are no-ops; msgsndp targets the
    thread number in RB[57:63] of the sender's core, and every POWER9 core
    here has one thread.
    """
    rb, npc = f_rb(w), x.npc
    bit = PEND_HDOORBELL if hyper else PEND_DOORBELL

    def ex(c: CPUState) -> int:
        v = c.gpr[rb]
        if (v >> DBELL_TYPE_SHIFT) & 0x1F != DBELL_TYPE_SERVER:
            return npc
        if not send:
            c.pending &= ~bit
            return npc
        if hyper:
            tag = v & DBELL_PROCIDTAG_MASK
            targets = [p for p in c.peers if p.spr[SPR_PIR] == tag]
        else:
            targets = [c] if v & 0x7F == 0 else []
        for t in targets:
            t.pending |= bit
        raise Resync(npc)

    return ex


# Each line's reserved mask is QEMU 7.2's: it treats a word with any of those bits set
# as invalid (its GEN_HANDLER "inval" masks), and so do we. These lines' semantics are
# closure makers (``closure=True``): their decode-time work is more than extracting
# fields (an SPR's handler and gates, privilege and HV checks), and being privileged or
# block-ending they are called from translated blocks, never pasted into them.
_MAKER_PARAMS = ("wide", "hyper", "imm", "word", "broadcast", "send")


def _sys(mnemonic: str, enc: Encoding, maker: Callable[..., Exec], syntax: str = "",
         **kw: Any) -> Insn:  # fmt: skip
    params = {k: kw.pop(k) for k in _MAKER_PARAMS if k in kw}
    return Insn(mnemonic, enc, maker, params, closure=True, syntax=syntax, **kw)


def _mtspr_ends(w: int) -> bool:
    """An mtspr that is more than a move (LPCR, PTCR, PID...) ends a block and may change
    what decoded code means."""
    return f_spr(w) not in PLAIN_MTSPR


# SPRs whose mtspr closure only moves a value (no flush, no resync): blocks run past them.
PLAIN_MTSPR = frozenset({1, 8, 9, 256, 272, 273, 274, 275, 815})

OPS: list[Insn] = [
    _sys("mfmsr", reserved(X(31, 83), 0x001FF801), mfmsr, "rt", priv="super", msr_read=True),
    _sys("mtmsr", reserved(X(31, 146), 0x001EF801), mtmsr, "rs, l15", wide=False,
         priv="super", resyncs=True, msr_write="rs"),
    _sys("mtmsrd", reserved(X(31, 178), 0x001EF801), mtmsr, "rs, l15", wide=True,
         priv="super", resyncs=True, msr_write="rs"),
    _sys("rfid", reserved(XL(19, 18), 0x03FFF801), rfid, hyper=False, priv="super",
         untraced=True, resyncs=True, flow="srr0", msr_write="srr1"),
    _sys("hrfid", reserved(XL(19, 274), 0x03FFF801), rfid, hyper=True, priv="hyper",
         untraced=True, resyncs=True, flow="hsrr0", msr_write="hsrr1"),
    _sys("sc", reserved(SC(17, 2), 0x03FFF01C), sc, "lev", untraced=True, ends=True,
         flow="syscall"),
    _sys("scv", reserved(SC(17, 1), 0x03FFF01C), scv, "lev", untraced=True, ends=True,
         resyncs=True, flow="scv", msr_write="scv"),
    _sys("rfscv", reserved(XL(19, 82), 0x03FF8001), rfscv, priv="super", untraced=True,
         resyncs=True, flow="lr", msr_write="ctr"),
    _sys("mfspr", reserved(XFX(31, 339), 0x1), mfspr, "rt, spr"),
    _sys("mtspr", reserved(XFX(31, 467), 0x1), mtspr, "spr, rs", spr_write=True,
         ends=_mtspr_ends, writes_code=_mtspr_ends),
    _sys("mftb", reserved(XFX(31, 371), 0x1), mftb, "rt, spr"),
    _sys("tw", reserved(X(31, 4), 0x1), trap, "to, ra, rb", imm=False, word=True),
    _sys("td", reserved(X(31, 68), 0x1), trap, "to, ra, rb", imm=False, word=False),
    _sys("twi", D(3), trap, "to, ra, si", imm=True, word=True),
    _sys("tdi", D(2), trap, "to, ra, si", imm=True, word=False),
    _sys("attn", reserved(X(0, 256), 0x03FFF801), attn, ends=True),
    _sys("stop", reserved(XL(19, 370), 0x03FFF801), stop, priv="hyper", untraced=True,
         ends=True),
    _sys("tlbie", reserved(X(31, 306), 0x00100001), tlbi, "rb, rs", broadcast=True,
         priv="super"),
    _sys("tlbiel", reserved(X(31, 274), 0x00100001), tlbi, "rb, rs", broadcast=False,
         priv="super"),
    _sys("tlbsync", reserved(X(31, 566), 0x03FFF801), tlbsync, priv="super"),
    _sys("slbia", reserved(X(31, 498), 0x031FF801), tlb_flush, "ih", broadcast=False,
         priv="super"),
    _sys("slbie", reserved(X(31, 434), 0x03FF0001), tlb_flush, "rb", broadcast=False,
         priv="super"),
    _sys("msgsnd", reserved(X(31, 206), 0x03FF0001), msg, "rb", send=True, hyper=True,
         priv="hyper"),
    _sys("msgclr", reserved(X(31, 238), 0x03FF0001), msg, "rb", send=False, hyper=True,
         priv="hyper"),
    _sys("msgsndp", reserved(X(31, 142), 0x03FF0001), msg, "rb", send=True, hyper=False,
         priv="super"),
    _sys("msgclrp", reserved(X(31, 174), 0x03FF0001), msg, "rb", send=False, hyper=False,
         priv="super"),
]  # fmt: skip
