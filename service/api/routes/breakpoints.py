"""Breakpoints, watchpoints and catchpoints."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ...models.breakpoints import (
    BreakpointCreate,
    BreakpointPublic,
    BreakpointsPublic,
    BreakpointUpdate,
)
from ...models.common import PROBLEM_RESPONSES
from .. import views
from ..deps import SessionDep

router = APIRouter(prefix="/v1/sessions/{session_id}/breakpoints", tags=["breakpoints"],
                   responses=PROBLEM_RESPONSES)  # fmt: skip


@router.post("", name="create", status_code=201)
async def create(session: SessionDep, body: BreakpointCreate) -> BreakpointPublic:
    """Set a breakpoint (by address or symbol), watchpoint or catchpoint."""
    spec = body.model_dump(exclude_none=True)
    if body.kind != "watchpoint":
        spec.pop("access", None)
    return views.breakpoint(session, session.add_breakpoint(spec))


@router.get("", name="list")
async def list_breakpoints(session: SessionDep) -> BreakpointsPublic:
    """List the session's breakpoints with their hit counts."""
    data = [views.breakpoint(session, bp) for bp in session.ctl.breakpoint_list()]
    return BreakpointsPublic(data=data, count=len(data))


@router.get("/{bp_id}", name="get")
async def get_breakpoint(session: SessionDep, bp_id: str) -> BreakpointPublic:
    """Get a breakpoint."""
    return views.breakpoint(session, session.breakpoint(bp_id))


@router.patch("/{bp_id}", name="update")
async def update_breakpoint(
    session: SessionDep, bp_id: str, body: BreakpointUpdate
) -> BreakpointPublic:
    """Change a breakpoint's condition, ignore count, enabled, temporary or vCPUs."""
    session.breakpoint(bp_id)
    fields = body.model_dump(exclude_unset=True)
    kw: dict[str, object] = {
        k: fields[k] for k in ("enabled", "condition", "ignore_count", "temporary") if k in fields
    }
    if "condition" in kw and kw["condition"] is None:
        kw["condition"] = ""
    if "vcpus" in fields:
        vcpus = fields["vcpus"]
        for v in vcpus or ():
            session.check_vcpu(v)
        kw["vcpus"] = None if vcpus is None else frozenset(vcpus)
    bp = session.now(lambda: session.ctl.update_breakpoint(bp_id, **kw))  # type: ignore[arg-type]
    session.hub.publish(session.bp_event("updated", bp))
    return views.breakpoint(session, bp)


@router.delete("/{bp_id}", name="delete", status_code=204, response_class=Response)
async def delete_breakpoint(session: SessionDep, bp_id: str) -> Response:
    """Remove a breakpoint."""
    session.breakpoint(bp_id)
    bp = session.now(lambda: session.ctl.remove_breakpoint(bp_id))
    session.hub.publish(session.bp_event("deleted", bp))
    return Response(status_code=204)
