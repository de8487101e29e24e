"""XICS, the pSeries interrupt controller, as a PAPR guest sees it through hypercalls.

Two layers (PAPR, "Interrupt Presentation"): each interrupt *source* (ICS) has a server (the
vCPU it is routed to) and a priority (0 most favoured, 0xff masked); each *presentation
controller* (ICP, one per vCPU) holds the current processor priority CPPR, the pending source
XISR with its priority, and the MFRR of the vCPU's inter-processor interrupt (source 2). The
guest reads XIRR = CPPR << 24 | XISR to accept an interrupt (H_XIRR) and writes it back to end
it (H_EOI). The ICP's output is the vCPU's external interrupt line.

The behaviour is QEMU 7.2's hw/intc/xics.c, for message-signalled (edge) sources, which is what
QEMU makes of VIO devices such as the console: a source that is asserted while masked stays
"masked pending" until it is given a priority; one that a busier ICP rejects is re-sent when
that ICP's priority drops (``resend``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

XICS_IPI = 2  # XISR of the inter-processor interrupt
PRIORITY_MASKED = 0xFF
CPPR_SHIFT = 24
XISR_MASK = 0x00FF_FFFF


@dataclass
class Presentation:
    """One vCPU's ICP."""

    xirr: int = 0  # CPPR << 24 | XISR
    pending_priority: int = PRIORITY_MASKED
    mfrr: int = PRIORITY_MASKED
    owner_is_source: bool = False  # XISR came from a source (not the IPI): reject it back

    @property
    def cppr(self) -> int:
        return self.xirr >> CPPR_SHIFT

    @property
    def xisr(self) -> int:
        return self.xirr & XISR_MASK


@dataclass
class Source:
    """One ICS source (message-signalled)."""

    server: int = 0
    priority: int = PRIORITY_MASKED
    saved_priority: int = PRIORITY_MASKED  # what ibm,int-on restores
    masked_pending: bool = False
    rejected: bool = False


@dataclass
class Xics:
    """The ICPs of ``servers`` vCPUs and the given sources; ``output(server, level)`` drives a
    vCPU's external interrupt line."""

    servers: int
    source_numbers: tuple[int, ...] = ()
    output: Callable[[int, bool], None] = lambda server, level: None
    icps: list[Presentation] = field(default_factory=list)
    sources: dict[int, Source] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.icps:
            self.icps = [Presentation() for _ in range(self.servers)]
        for nr in self.source_numbers:
            self.sources.setdefault(nr, Source())

    # -- presentation (hypercalls) ---------------------------------------------------------
    def valid_server(self, server: int) -> bool:
        return 0 <= server < self.servers

    def set_cppr(self, server: int, cppr: int) -> None:
        icp = self.icps[server]
        old = icp.cppr
        icp.xirr = (icp.xirr & XISR_MASK) | (cppr & 0xFF) << CPPR_SHIFT
        if cppr < old:
            if icp.xisr and cppr <= icp.pending_priority:
                old_xisr, from_source = icp.xisr, icp.owner_is_source
                icp.xirr &= ~XISR_MASK
                icp.pending_priority = PRIORITY_MASKED
                icp.owner_is_source = False
                self.output(server, False)
                if from_source:
                    self._reject(old_xisr)
        elif not icp.xisr:
            self._resend(server)

    def set_mfrr(self, server: int, mfrr: int) -> None:
        icp = self.icps[server]
        icp.mfrr = mfrr & 0xFF
        if icp.mfrr < icp.cppr:
            self._check_ipi(server)

    def accept(self, server: int) -> int:
        """H_XIRR: the pending XIRR; CPPR becomes the accepted interrupt's priority."""
        icp = self.icps[server]
        xirr = icp.xirr
        self.output(server, False)
        icp.xirr = icp.pending_priority << CPPR_SHIFT
        icp.pending_priority = PRIORITY_MASKED
        icp.owner_is_source = False
        return xirr

    def eoi(self, server: int, xirr: int) -> None:
        icp = self.icps[server]
        icp.xirr = (icp.xirr & XISR_MASK) | (xirr & ~XISR_MASK & 0xFF00_0000)
        if not icp.xisr:
            self._resend(server)

    def _check_ipi(self, server: int) -> None:
        icp = self.icps[server]
        if icp.xisr and icp.pending_priority <= icp.mfrr:
            return
        if icp.xisr and icp.owner_is_source:
            self._reject(icp.xisr)
        icp.xirr = (icp.xirr & ~XISR_MASK) | XICS_IPI
        icp.pending_priority = icp.mfrr
        icp.owner_is_source = False
        self.output(server, True)

    def _resend(self, server: int) -> None:
        if self.icps[server].mfrr < self.icps[server].cppr:
            self._check_ipi(server)
        for nr, src in self.sources.items():
            if src.rejected:
                src.rejected = False
                if src.priority != PRIORITY_MASKED:
                    self._present(src.server, nr, src.priority)

    def _present(self, server: int, nr: int, priority: int) -> None:
        """icp_irq: present source ``nr`` at ``server`` or reject it."""
        icp = self.icps[server]
        if priority >= icp.cppr or (icp.xisr and icp.pending_priority <= priority):
            self._reject(nr)
            return
        if icp.xisr and icp.owner_is_source:
            self._reject(icp.xisr)
        icp.xirr = (icp.xirr & ~XISR_MASK) | (nr & XISR_MASK)
        icp.pending_priority = priority
        icp.owner_is_source = True
        self.output(server, True)

    def _reject(self, nr: int) -> None:
        src = self.sources.get(nr)
        if src is not None:
            src.rejected = True

    # -- sources (RTAS and devices) ---------------------------------------------------------
    def pulse(self, nr: int) -> None:
        """A message-signalled source fires (the console received input)."""
        src = self.sources[nr]
        if src.priority == PRIORITY_MASKED:
            src.masked_pending = True
        else:
            self._present(src.server, nr, src.priority)

    def set_xive(self, nr: int, server: int, priority: int, saved: int | None = None) -> None:
        src = self.sources[nr]
        src.server, src.priority = server, priority
        src.saved_priority = priority if saved is None else saved
        if src.masked_pending and priority != PRIORITY_MASKED:
            src.masked_pending = False
            self._present(server, nr, priority)

    # -- checkpoints ------------------------------------------------------------------------
    def get_state(self) -> dict[str, object]:
        return {
            "icps": [[p.xirr, p.pending_priority, p.mfrr, p.owner_is_source] for p in self.icps],
            "sources": {
                str(nr): [s.server, s.priority, s.saved_priority, s.masked_pending, s.rejected]
                for nr, s in self.sources.items()
            },
        }

    def set_state(self, state: dict[str, object]) -> None:
        icps = state["icps"]
        sources = state["sources"]
        assert isinstance(icps, list) and isinstance(sources, dict)
        self.icps = [Presentation(x, pp, m, bool(o)) for x, pp, m, o in icps]
        self.sources = {
            int(nr): Source(sv, pr, sp, bool(mp), bool(rj))
            for nr, (sv, pr, sp, mp, rj) in sources.items()
        }
