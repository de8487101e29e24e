"""The guest console: what a user types reaches the guest's H_GET_TERM_CHAR.

Output comes the other way as ``console`` events on the session's event stream.
"""

from __future__ import annotations

from fastapi import APIRouter

from ...models.common import PROBLEM_RESPONSES
from ...models.console import ConsoleInput, ConsoleQueued
from ..deps import SessionDep

router = APIRouter(prefix="/v1/sessions/{session_id}", tags=["console"],
                   responses=PROBLEM_RESPONSES)  # fmt: skip


@router.post("/console", name="console-input")
async def console_input(session: SessionDep, body: ConsoleInput) -> ConsoleQueued:
    """Type at the guest's console; accepted while the session runs (a shell reads it when
    it next polls). 409 ``not-supported`` for a profile without a console (``powernv``)."""
    return ConsoleQueued(queued=session.console_input(body.data))
