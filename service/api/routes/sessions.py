"""Sessions: create (from an image or a snapshot), list, get, delete, counters."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ...models.common import PROBLEM_RESPONSES
from ...models.sessions import SessionCreate, SessionPublic, SessionsPublic, StatsPublic
from .. import views
from ..deps import ManagerDep, OwnerDep, SessionDep

router = APIRouter(prefix="/v1/sessions", tags=["sessions"], responses=PROBLEM_RESPONSES)


@router.post("", name="create", status_code=201)
async def create(body: SessionCreate, owner: OwnerDep, manager: ManagerDep) -> SessionPublic:
    """Create a session over an image, or re-create one from a snapshot."""
    s = await manager.create_session(owner, body.model_dump())
    return views.session(s)


@router.get("", name="list")
async def list_sessions(owner: OwnerDep, manager: ManagerDep) -> SessionsPublic:
    """List your sessions."""
    data = [views.session(s) for s in manager.owner_sessions(owner)]
    return SessionsPublic(data=data, count=len(data))


@router.get("/{session_id}", name="get")
async def get_session(session: SessionDep) -> SessionPublic:
    """Get a session: state (running or stopped), vCPUs and the last stop."""
    return views.session(session)


@router.delete("/{session_id}", name="delete", status_code=204, response_class=Response)
async def delete_session(session: SessionDep, manager: ManagerDep) -> Response:
    """Halt and delete a session (its snapshots stay)."""
    await manager.delete_session(session)
    return Response(status_code=204)


@router.get("/{session_id}/stats", name="stats")
async def stats(session: SessionDep) -> StatsPublic:
    """Session counters: time, steps, events and the engine's own."""
    s = session
    return StatsPublic(
        session_id=s.id, time=s.ctl.time, steps=s.steps, instructions=s.ctl.time,
        snapshots=sum(1 for r in s.manager.snapshots.values() if r.session_id == s.id),
        breakpoints=len(s.ctl.breakpoint_list()), event_seq=s.hub.seq,
        event_clients=len(s.hub.clients), events_dropped=sum(c.dropped for c in s.hub.clients),
        engine={k: int(v) for k, v in s.ctl.stats().items()},
    )  # fmt: skip
