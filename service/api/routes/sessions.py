"""Sessions: create (from an image or a snapshot), list, get, delete, counters."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request, Response

from ...models.common import PROBLEM_RESPONSES
from ...models.sessions import SessionCreate, SessionPublic, SessionsPublic, StatsPublic
from ...replicas import FORWARDED
from ...sessions import Manager
from .. import views
from ..deps import ManagerDep, OwnerDep, SessionDep

router = APIRouter(prefix="/v1/sessions", tags=["sessions"], responses=PROBLEM_RESPONSES)
log = logging.getLogger("ppcdbg.replicas")


@router.post("", name="create", status_code=201)
async def create(body: SessionCreate, owner: OwnerDep, manager: ManagerDep) -> SessionPublic:
    """Create a session over an image, or re-create one from a snapshot."""
    s = await manager.create_session(owner, body.model_dump())
    return views.session(s)


@router.get("", name="list")
async def list_sessions(owner: OwnerDep, manager: ManagerDep, request: Request) -> SessionsPublic:
    """List your sessions."""
    data = [views.session(s) for s in manager.owner_sessions(owner)]
    if manager.remote_sessions(owner) and FORWARDED not in request.headers:
        data += await _remote(manager, owner, request)
        data.sort(key=lambda s: (s.created_at, s.id))
    return SessionsPublic(data=data, count=len(data))


async def _remote(manager: Manager, owner: str, request: Request) -> list[SessionPublic]:
    """The owner's sessions other replicas hold, each as its replica describes it (a replica
    that does not answer leaves its sessions out: they are not reachable now)."""
    rep = manager.replicas
    assert rep is not None
    auth = request.headers.get("authorization")
    headers = {FORWARDED: rep.id, **({"authorization": auth} if auth else {})}

    async def one(row: Any) -> SessionPublic | None:
        try:
            r = await rep.http.get(f"{row['url']}/v1/sessions/{row['id']}", headers=headers)
        except Exception as e:  # noqa: BLE001 - httpx's errors: the replica is away
            log.warning("replica unreachable", extra={"url": row["url"], "error": str(e)})
            return None
        return SessionPublic.model_validate(r.json()) if r.status_code == 200 else None

    got = await asyncio.gather(*(one(row) for row in manager.remote_sessions(owner)))
    return [s for s in got if s is not None]


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
