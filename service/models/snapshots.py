from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import Input, Links, Model


class SnapshotCreate(Input):
    """Save the machine's whole state (persisted: it survives a restart)."""

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [{"name": "before"}]}}
    name: str | None = Field(default=None, max_length=200)


class SnapshotPublic(Model):
    id: str
    session_id: str
    image_id: str
    name: str | None
    time: int
    created_at: dt.datetime
    links: Links


class SnapshotsPublic(Model):
    data: list[SnapshotPublic]
    count: int
