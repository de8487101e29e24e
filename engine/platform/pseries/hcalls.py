"""The pseries platform's host: PAPR hypercalls, RTAS and XICS on top of the guest profile's.

``PseriesHost`` extends engine/host.py's ``GuestHost`` (console pair, H_SET_MODE,
H_REGISTER_PROC_TBL, H_CEDE, H_PROD, H_CONFER, HEAI reflection) with what docs/pseries.md's
hypercall list says: the VPA, the XICS hypercalls, H_GET_CPU_CHARACTERISTICS, H_RANDOM,
H_PAGE_INIT, H_SET_SPRG0, H_SET_DABR and KVMPPC_H_RTAS (engine/platform/pseries/rtas.py).
Numbers and registers are Linux's hvcall.h; behaviour is QEMU 7.2's hw/ppc/spapr_hcall.c and
hw/intc/xics_spapr.c, except:
- H_GET_CPU_CHARACTERISTICS answers "no vulnerabilities, no mitigation wanted" (character and
  behaviour 0, what QEMU answers with cap-cfpc/sbbc/ibs=broken, as kvm-unit-tests runs it):
  with QEMU's default answer the kernel patches in L1D-flush and count-cache-flush sequences
  (mtspr 882, an invalid bcctr form) that cost time and model nothing;
- H_RANDOM is a deterministic generator whose state is in checkpoints (QEMU needs an RNG
  device and reads the host's entropy), and H_XIRR_X returns the timebase.

Every call is counted (``stats()``); an unknown hypercall answers H_FUNCTION and an unknown RTAS
token -3, both counted apart and reported through ``on_unsupported``; never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from engine.bits import M64
from engine.host import (
    H_CEDE,
    H_CONFER,
    H_FUNCTION,
    H_GET_TERM_CHAR,
    H_PARAMETER,
    H_PROD,
    H_PUT_TERM_CHAR,
    H_REGISTER_PROC_TBL,
    H_SET_MODE,
    H_SUCCESS,
    GuestHost,
)
from engine.interrupts import PEND_EXT
from engine.platform.pseries import rtas
from engine.platform.pseries.firmware import KVMPPC_H_RTAS
from engine.platform.pseries.rtas_tokens import RTAS_TOKENS
from engine.platform.pseries.xics import Xics
from engine.sprs import SPR_SPRG0

if TYPE_CHECKING:
    from engine.cpu import VCPU

H_HARDWARE = -1
H_RESOURCE = -16

H_SET_SPRG0 = 0x24
H_SET_DABR = 0x28
H_PAGE_INIT = 0x2C
H_EOI = 0x64
H_CPPR = 0x68
H_IPI = 0x6C
H_IPOLL = 0x70
H_XIRR = 0x74
H_REGISTER_VPA = 0xDC
H_GET_CPU_CHARACTERISTICS = 0x1C8
H_XIRR_X = 0x2FC
H_RANDOM = 0x300

HCALL_NAMES: Mapping[int, str] = {
    H_PUT_TERM_CHAR: "H_PUT_TERM_CHAR", H_GET_TERM_CHAR: "H_GET_TERM_CHAR",
    H_SET_MODE: "H_SET_MODE", H_REGISTER_PROC_TBL: "H_REGISTER_PROC_TBL", H_CEDE: "H_CEDE",
    H_PROD: "H_PROD", H_CONFER: "H_CONFER", H_SET_SPRG0: "H_SET_SPRG0",
    H_SET_DABR: "H_SET_DABR", H_PAGE_INIT: "H_PAGE_INIT", H_EOI: "H_EOI", H_CPPR: "H_CPPR",
    H_IPI: "H_IPI", H_IPOLL: "H_IPOLL", H_XIRR: "H_XIRR", H_XIRR_X: "H_XIRR_X",
    H_REGISTER_VPA: "H_REGISTER_VPA", H_GET_CPU_CHARACTERISTICS: "H_GET_CPU_CHARACTERISTICS",
    H_RANDOM: "H_RANDOM", KVMPPC_H_RTAS: "KVMPPC_H_RTAS",
}  # fmt: skip

# H_REGISTER_VPA subfunctions: r4 >> 45 (hvcall.h H_VPA_FUNC_SHIFT).
VPA_FUNC_SHIFT = 45
VPA_REG_VPA, VPA_REG_DTL, VPA_REG_SLB = 1, 2, 3
VPA_DEREG_VPA, VPA_DEREG_DTL, VPA_DEREG_SLB = 5, 6, 7
VPA_MIN_SIZE = 640
VPA_SHARED_PROC_OFFSET, VPA_SHARED_PROC_VAL = 0x9, 0x2  # QEMU marks the processor shared
DTL_MIN_SIZE = 48
CACHE_LINE = 128

# H_PAGE_INIT flags (hvcall.h)
H_ICACHE_INVALIDATE = 1 << (63 - 40)
H_ICACHE_SYNCHRONIZE = 1 << (63 - 41)
H_ZERO_PAGE = 1 << (63 - 48)
H_COPY_PAGE = 1 << (63 - 49)
PAGE_4K = 4096

STOP_REASONS = ("poweroff", "panic", "reboot")


@dataclass
class PseriesHost(GuestHost):
    """The hypervisor and firmware of a pseries partition."""

    vty_termno: int = 0x71000000
    vty_irq: int = 0x1100
    rtas_tokens: Mapping[str, int] = field(default_factory=lambda: dict(RTAS_TOKENS))
    xics: Xics = field(default_factory=lambda: Xics(0))
    # Per vCPU index: [VPA, DTL, SLB shadow] real addresses (0 = none).
    vpa: dict[int, list[int]] = field(default_factory=dict)
    hcall_counts: dict[int, int] = field(default_factory=dict)
    rtas_counts: dict[str, int] = field(default_factory=dict)
    unknown_rtas: dict[int, int] = field(default_factory=dict)
    stop_reason: str | None = None  # poweroff, panic, reboot: the run is over
    os_term_message: str | None = None
    rtc_offset: int = 0  # seconds set-time-of-day added to the virtual clock
    random_state: int = 0x9E3779B97F4A7C15

    def __post_init__(self) -> None:
        self.rtas_names = {t: n for n, t in self.rtas_tokens.items()}

    def attach(self, vcpus: list[VCPU]) -> None:
        """Bind to the machine's vCPUs: one XICS server each, the console's source."""
        self.vcpus = vcpus
        self.xics = Xics(len(vcpus), (self.vty_irq,), self._ext_line)

    def _ext_line(self, server: int, level: bool) -> None:
        cpu = self.vcpus[server]
        cpu.pending = (cpu.pending | PEND_EXT) if level else (cpu.pending & ~PEND_EXT)

    # -- the run's end and the console ----------------------------------------------------
    def stop_machine(self, cpu: VCPU, reason: str) -> None:
        """Power-off, reboot or panic: every vCPU stops, the caller's run returns ``reason``."""
        self.stop_reason = reason
        for v in self.vcpus:
            v.halted, v.halt_reason = True, reason
        cpu.exit_reason = reason

    def console_write(self, cpu: VCPU, data: bytes) -> None:
        self.console_out += data
        if self.on_console is not None and data:
            self.on_console(cpu.index, data)

    def console_input(self, data: bytes) -> int:
        """Bytes typed at the console: queued for H_GET_TERM_CHAR; the vty's interrupt fires
        when the queue was empty (QEMU's spapr_vty pulses its edge source the same way).
        Returns the bytes now waiting. Call it on the thread that runs the machine (XICS
        state changes)."""
        was_empty = not self.console_in
        waiting = super().console_input(data)
        if was_empty and data:
            self.xics.pulse(self.vty_irq)
        return waiting

    # -- dispatch -----------------------------------------------------------------------
    def hypercall(self, cpu: VCPU) -> None:
        opcode = cpu.gpr[3]
        self.hcall_counts[opcode] = self.hcall_counts.get(opcode, 0) + 1
        super().hypercall(cpu)

    def unsupported_sprs(self) -> dict[str, int]:
        """Executions of mfspr/mtspr of SPRs ppcdbg does not implement, over every vCPU:
        "read 849" -> count, by direction then SPR number (engine/isa/system.py _unknown_spr)."""
        total: dict[str, int] = {}
        for v in self.vcpus:
            for k, c in v.unsupported_sprs.items():
                total[k] = total.get(k, 0) + c
        return dict(sorted(total.items(), key=lambda kc: (kc[0].split()[0], int(kc[0].split()[1]))))

    def stats(self) -> dict[str, object]:
        """Hypercall and RTAS counts by name, the unsupported ones apart (the service's view)."""
        known = {HCALL_NAMES.get(n, f"0x{n:x}"): c for n, c in sorted(self.hcall_counts.items())
                 if n not in self.unknown_hcalls}  # fmt: skip
        return {
            "hcalls": known,
            "rtas": dict(sorted(self.rtas_counts.items())),
            "unsupported_hcalls": {f"0x{n:x}": c for n, c in sorted(self.unknown_hcalls.items())},
            "unsupported_rtas": {f"0x{t:x}": c for t, c in sorted(self.unknown_rtas.items())},
            "unsupported_sprs": self.unsupported_sprs(),
            "stop_reason": self.stop_reason,
        }

    # -- hypercalls ----------------------------------------------------------------------
    def _is_console(self, termno: int) -> bool:
        """The vty's own number, or 0: QEMU's vty_lookup hands terminal 0 (which no device has)
        to the first vty, for early debug code and suites such as kvm-unit-tests that write to
        terminal 0 without reading the tree."""
        return termno == self.vty_termno or termno == 0

    def _put_term_char(self, cpu: VCPU) -> int:
        if not self._is_console(cpu.gpr[4]):
            return H_PARAMETER
        return GuestHost._put_term_char(self, cpu)

    def _get_term_char(self, cpu: VCPU) -> int:
        if not self._is_console(cpu.gpr[4]):
            return H_PARAMETER
        return GuestHost._get_term_char(self, cpu)

    def _rtas(self, cpu: VCPU) -> int:
        block = cpu.gpr[4] & 0xFFFF_FFFF  # RTAS runs 32-bit: the block is a 32-bit address
        name = rtas.call(self, cpu, block)
        if name is None:
            token = cpu.mem.read(block, 4, "big") if block + 4 <= cpu.mem.size else -1
            self.unknown_rtas[token] = self.unknown_rtas.get(token, 0) + 1
            if self.on_unsupported is not None:
                self.on_unsupported(cpu.index, "rtas", token)
        else:
            self.rtas_counts[name] = self.rtas_counts.get(name, 0) + 1
        return H_SUCCESS

    def _register_vpa(self, cpu: VCPU) -> int:
        g = cpu.gpr
        func, target, addr = (g[4] >> VPA_FUNC_SHIFT) & 7, self.vcpu_by_id(g[5]), g[6]
        if target is None:
            return H_PARAMETER
        regs = self.vpa.setdefault(target.index, [0, 0, 0])
        mem = cpu.mem
        if func in (VPA_REG_VPA, VPA_REG_DTL, VPA_REG_SLB):
            if not addr or addr + 8 > mem.size:
                return H_HARDWARE if func == VPA_REG_VPA and not addr else H_PARAMETER
            if func == VPA_REG_VPA:
                if addr % CACHE_LINE:
                    return H_PARAMETER
                size, low = mem.read(addr + 4, 2, "big"), VPA_MIN_SIZE
            else:
                size, low = mem.read(addr + 4, 4, "big"), DTL_MIN_SIZE if func == 2 else 8
            if size < low or addr // PAGE_4K != (addr + size - 1) // PAGE_4K:
                return H_PARAMETER
            if func != VPA_REG_VPA and not regs[0]:
                return H_RESOURCE  # the DTL and SLB shadow need a VPA first
            regs[func - 1] = addr
            if func == VPA_REG_VPA:
                flag = mem.read(addr + VPA_SHARED_PROC_OFFSET, 1, "big")
                mem.write(addr + VPA_SHARED_PROC_OFFSET, 1, flag | VPA_SHARED_PROC_VAL, "big")
            return H_SUCCESS
        if func in (VPA_DEREG_VPA, VPA_DEREG_DTL, VPA_DEREG_SLB):
            if func == VPA_DEREG_VPA and (regs[1] or regs[2]):
                return H_RESOURCE
            regs[func - 5] = 0
            return H_SUCCESS
        return H_PARAMETER

    def _cppr(self, cpu: VCPU) -> int:
        self.xics.set_cppr(cpu.index, cpu.gpr[4] & 0xFF)
        return H_SUCCESS

    def _ipi(self, cpu: VCPU) -> int:
        server = cpu.gpr[4]
        if not self.xics.valid_server(server):
            return H_PARAMETER
        self.xics.set_mfrr(server, cpu.gpr[5] & 0xFF)
        return H_SUCCESS

    def _xirr(self, cpu: VCPU) -> int:
        cpu.gpr[4] = self.xics.accept(cpu.index)
        return H_SUCCESS

    def _xirr_x(self, cpu: VCPU) -> int:
        cpu.gpr[4] = self.xics.accept(cpu.index)
        cpu.gpr[5] = cpu.timebase
        return H_SUCCESS

    def _eoi(self, cpu: VCPU) -> int:
        self.xics.eoi(cpu.index, cpu.gpr[4] & 0xFFFF_FFFF)
        return H_SUCCESS

    def _ipoll(self, cpu: VCPU) -> int:
        server = cpu.gpr[4]
        if not self.xics.valid_server(server):
            return H_PARAMETER
        icp = self.xics.icps[server]
        cpu.gpr[4], cpu.gpr[5] = icp.xirr, icp.mfrr
        return H_SUCCESS

    def _get_cpu_characteristics(self, cpu: VCPU) -> int:
        cpu.gpr[4] = cpu.gpr[5] = 0  # nothing to mitigate, no mitigation favoured
        return H_SUCCESS

    def _random(self, cpu: VCPU) -> int:
        x = self.random_state  # xorshift64*: deterministic, checkpointed
        x ^= x >> 12
        x ^= (x << 25) & M64
        x ^= x >> 27
        self.random_state = x
        cpu.gpr[4] = (x * 0x2545F4914F6CDD1D) & M64
        return H_SUCCESS

    def _page_init(self, cpu: VCPU) -> int:
        g = cpu.gpr
        flags, dst, src = g[4], g[5], g[6]
        known = H_ICACHE_INVALIDATE | H_ICACHE_SYNCHRONIZE | H_ZERO_PAGE | H_COPY_PAGE
        size = cpu.mem.size
        if flags & ~known or dst % PAGE_4K or dst + PAGE_4K > size:
            return H_PARAMETER
        if flags & H_COPY_PAGE:
            if src % PAGE_4K or src + PAGE_4K > size:
                return H_PARAMETER
            cpu.mem.write_bytes(dst, cpu.mem.read_bytes(src, PAGE_4K), None)
        elif flags & H_ZERO_PAGE:
            cpu.mem.write_bytes(dst, bytes(PAGE_4K), None)
        return H_SUCCESS  # the icache flags: decoded code follows stores already

    def _set_sprg0(self, cpu: VCPU) -> int:
        cpu.spr[SPR_SPRG0] = cpu.gpr[4]
        return H_SUCCESS

    def _set_dabr(self, cpu: VCPU) -> int:
        return H_HARDWARE  # POWER9 has no DABR (QEMU's answer; a suite's `sc 1` probe)

    # -- checkpoints ---------------------------------------------------------------------
    def get_state(self) -> dict[str, object]:
        state = super().get_state()
        state["pseries"] = {
            "xics": self.xics.get_state(),
            "vpa": {str(k): v for k, v in self.vpa.items()},
            "hcall_counts": {str(k): v for k, v in self.hcall_counts.items()},
            "rtas_counts": dict(self.rtas_counts),
            "unknown_rtas": {str(k): v for k, v in self.unknown_rtas.items()},
            "stop_reason": self.stop_reason,
            "os_term_message": self.os_term_message,
            "rtc_offset": self.rtc_offset,
            "random_state": self.random_state,
        }
        return state

    def set_state(self, state: dict[str, object]) -> None:
        super().set_state(state)
        p = state.get("pseries")
        if not isinstance(p, dict):
            return
        self.xics.set_state(p["xics"])
        self.vpa = {int(k): list(v) for k, v in p["vpa"].items()}
        self.hcall_counts = {int(k): v for k, v in p["hcall_counts"].items()}
        self.rtas_counts = dict(p["rtas_counts"])
        self.unknown_rtas = {int(k): v for k, v in p["unknown_rtas"].items()}
        self.stop_reason = p["stop_reason"]
        self.os_term_message = p["os_term_message"]
        self.rtc_offset = p["rtc_offset"]
        self.random_state = p["random_state"]

    _HCALLS: ClassVar[dict[int, Callable[[GuestHost, VCPU], int]]] = {
        **GuestHost._HCALLS,
        H_PUT_TERM_CHAR: _put_term_char,  # type: ignore[dict-item]
        H_GET_TERM_CHAR: _get_term_char,  # type: ignore[dict-item]
        KVMPPC_H_RTAS: _rtas,  # type: ignore[dict-item]
        H_REGISTER_VPA: _register_vpa,  # type: ignore[dict-item]
        H_CPPR: _cppr,  # type: ignore[dict-item]
        H_IPI: _ipi,  # type: ignore[dict-item]
        H_XIRR: _xirr,  # type: ignore[dict-item]
        H_XIRR_X: _xirr_x,  # type: ignore[dict-item]
        H_EOI: _eoi,  # type: ignore[dict-item]
        H_IPOLL: _ipoll,  # type: ignore[dict-item]
        H_GET_CPU_CHARACTERISTICS: _get_cpu_characteristics,  # type: ignore[dict-item]
        H_RANDOM: _random,  # type: ignore[dict-item]
        H_PAGE_INIT: _page_init,  # type: ignore[dict-item]
        H_SET_SPRG0: _set_sprg0,  # type: ignore[dict-item]
        H_SET_DABR: _set_dabr,  # type: ignore[dict-item]
    }


__all__ = ["H_FUNCTION", "PseriesHost", "STOP_REASONS"]
