"""Domain objects as public models (the only place that formats them)."""

from __future__ import annotations

from typing import Any

from engine.target import Breakpoint, StopEvent

from ..events import hex64, stop_dict
from ..models.breakpoints import BreakpointPublic
from ..models.common import Links
from ..models.images import ImagePublic, SegmentPublic
from ..models.sessions import (
    SessionConfigPublic,
    SessionPublic,
    StopPublic,
    VCPUPublic,
)
from ..models.snapshots import SnapshotPublic
from ..sessions import ImageRecord, Session, SnapshotRecord


def image(rec: ImageRecord) -> ImagePublic:
    img = rec.image
    return ImagePublic(
        id=rec.id, name=rec.name, format=img.format, entry=hex64(img.entry),  # type: ignore[arg-type]
        symbols={k: hex64(v) for k, v in sorted(img.symbols.items())},
        segments=[SegmentPublic(paddr=hex64(s.paddr), vaddr=hex64(s.virtual), filesz=len(s.data),
                                memsz=s.memsz) for s in img.segments],
        size=len(rec.data), sha256=rec.sha256, created_at=rec.created_at,  # type: ignore[arg-type]
        source=sorted(rec.sources), lines=len(img.lines),
        links=Links(self=f"/v1/images/{rec.id}"),
    )  # fmt: skip


def stop(ev: StopEvent | None) -> StopPublic | None:
    return None if ev is None else StopPublic.model_validate(stop_dict(ev))


def session_dict(s: Session) -> dict[str, Any]:
    """The SessionPublic shape as plain JSON data: the hot paths (step) skip pydantic."""
    base = f"/v1/sessions/{s.id}"
    ctl = s.ctl
    last = ctl.last_stop
    return {
        "id": s.id, "image_id": s.image.id, "state": s.state, "config": s.config,
        "vcpus": [{
            "index": c.index, "pc": hex64(c.pc), "msr": hex64(c.msr), "halted": c.halted,
            "halt_reason": c.halt_reason, "sleeping": c.sleeping, "retired": c.retired,
            "links": {"self": f"{base}/vcpus/{c.index}"},
        } for c in ctl.vcpu_views()],
        "last_stop": None if last is None else stop_dict(last),
        "time": ctl.time, "event_seq": s.hub.seq, "recovered": s.recovered,
        "created_at": s.created_at,
        "links": {"self": base, "events": f"{base}/events", "vcpus": f"{base}/vcpus",
                  "breakpoints": f"{base}/breakpoints", "snapshots": f"{base}/snapshots",
                  "memory": f"{base}/memory", "disassembly": f"{base}/disassembly",
                  "image": f"/v1/images/{s.image.id}"},
    }  # fmt: skip


def vcpus(s: Session) -> list[VCPUPublic]:
    out = []
    for c in s.ctl.vcpu_views():
        out.append(VCPUPublic(
            index=c.index, pc=hex64(c.pc), msr=hex64(c.msr),
            halted=c.halted, halt_reason=c.halt_reason, sleeping=c.sleeping,
            retired=c.retired, links=Links(self=f"/v1/sessions/{s.id}/vcpus/{c.index}"),
        ))  # fmt: skip
    return out


def session(s: Session) -> SessionPublic:
    base = f"/v1/sessions/{s.id}"
    return SessionPublic(
        id=s.id, image_id=s.image.id, state=s.state,  # type: ignore[arg-type]
        config=SessionConfigPublic(**s.config), vcpus=vcpus(s), last_stop=stop(s.ctl.last_stop),
        time=s.ctl.time, event_seq=s.hub.seq, recovered=s.recovered,
        created_at=s.created_at,  # type: ignore[arg-type]
        links={"self": base, "events": f"{base}/events", "vcpus": f"{base}/vcpus",
               "breakpoints": f"{base}/breakpoints", "snapshots": f"{base}/snapshots",
               "memory": f"{base}/memory", "disassembly": f"{base}/disassembly",
               "image": f"/v1/images/{s.image.id}"},
    )  # fmt: skip


def breakpoint(s: Session, bp: Breakpoint) -> BreakpointPublic:
    return BreakpointPublic(
        id=bp.id, kind=bp.kind,  # type: ignore[arg-type]
        address=None if bp.address is None else hex64(bp.address), symbol=bp.symbol,
        length=bp.length, access=bp.access if bp.kind == "watchpoint" else None,
        vector=None if bp.vector is None else f"0x{bp.vector:x}", hypercall=bp.hypercall,
        condition=bp.condition.source if bp.condition is not None else None,
        ignore_count=bp.ignore_count, hit_count=bp.hit_count, temporary=bp.temporary,
        enabled=bp.enabled, vcpus=sorted(bp.vcpus) if bp.vcpus is not None else None,
        links=Links(self=f"/v1/sessions/{s.id}/breakpoints/{bp.id}"),
    )  # fmt: skip


def snapshot(rec: SnapshotRecord) -> SnapshotPublic:
    return SnapshotPublic(
        id=rec.id, session_id=rec.session_id, image_id=rec.image_id, name=rec.name,
        time=rec.time, created_at=rec.created_at,  # type: ignore[arg-type]
        links=Links(self=f"/v1/snapshots/{rec.id}"),
    )  # fmt: skip
