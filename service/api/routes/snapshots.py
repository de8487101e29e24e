"""Snapshots: create, list, restore (persisted: they survive a restart)."""

from __future__ import annotations

from fastapi import APIRouter

from ...models.common import PROBLEM_RESPONSES
from ...models.sessions import SessionPublic
from ...models.snapshots import SnapshotCreate, SnapshotPublic, SnapshotsPublic
from .. import views
from ..deps import ManagerDep, OwnerDep, SessionDep

router = APIRouter(tags=["snapshots"], responses=PROBLEM_RESPONSES)


@router.post("/v1/sessions/{session_id}/snapshots", name="create", status_code=201)
async def create(session: SessionDep, manager: ManagerDep,
                 body: SnapshotCreate | None = None) -> SnapshotPublic:  # fmt: skip
    """Save the session's machine state."""
    rec = await manager.create_snapshot(session, (body or SnapshotCreate()).name)
    return views.snapshot(rec)


@router.get("/v1/sessions/{session_id}/snapshots", name="list")
async def list_for_session(session: SessionDep, manager: ManagerDep) -> SnapshotsPublic:
    """List a session's snapshots."""
    data = [views.snapshot(r) for r in manager.snapshots.values() if r.session_id == session.id]
    return SnapshotsPublic(data=data, count=len(data))


@router.post("/v1/sessions/{session_id}/snapshots/{snapshot_id}/restore", name="restore")
async def restore(session: SessionDep, snapshot_id: str, owner: OwnerDep,
                  manager: ManagerDep) -> SessionPublic:  # fmt: skip
    """Return the session to a snapshot (of the same image and configuration)."""
    await manager.restore_snapshot(session, manager.snapshot(owner, snapshot_id))
    return views.session(session)


@router.get("/v1/snapshots", name="list-all")
async def list_all(owner: OwnerDep, manager: ManagerDep) -> SnapshotsPublic:
    """List all your snapshots (also those of deleted sessions)."""
    data = [views.snapshot(r) for r in manager.snapshots.values() if r.owner == owner]
    return SnapshotsPublic(data=data, count=len(data))


@router.get("/v1/snapshots/{snapshot_id}", name="get")
async def get_snapshot(snapshot_id: str, owner: OwnerDep, manager: ManagerDep) -> SnapshotPublic:
    """Get a snapshot."""
    return views.snapshot(manager.snapshot(owner, snapshot_id))
