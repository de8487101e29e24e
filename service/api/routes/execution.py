"""Execution: continue, run-to, halt, reverse-step, reverse-continue."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ...models.common import PROBLEM_RESPONSES
from ...models.execution import ContinueRequest, ReverseStepRequest, RunToRequest
from ...models.sessions import SessionPublic
from ...sessions import Session
from .. import views
from ..deps import SessionDep

router = APIRouter(prefix="/v1/sessions/{session_id}", tags=["execution"],
                   responses=PROBLEM_RESPONSES)  # fmt: skip
WaitQuery = Annotated[
    float | None, Query(ge=0, le=3600, description="seconds to wait for the stop")
]
LONG: dict[int | str, dict[str, Any]] = {
    200: {"description": "Stopped within ``wait``", "model": SessionPublic},
    202: {"description": "Running: the stop arrives as an event", "model": SessionPublic},
}


async def _finish(s: Session, fut: asyncio.Future[Any], wait: float | None) -> JSONResponse:
    done = fut.done()
    if not done and wait is not None and wait > 0:
        done = await s.wait(fut, wait)
    elif done:
        fut.result()
    body = views.session(s).model_dump(mode="json")
    return JSONResponse(body, status_code=200 if done and s.state == "stopped" else 202)


@router.post("/continue", name="continue", status_code=202, response_model=SessionPublic,
             responses=LONG)  # fmt: skip
async def cont(session: SessionDep, body: ContinueRequest | None = None,
               wait: WaitQuery = None) -> JSONResponse:  # fmt: skip
    """Continue the vCPUs until a stop (202 at once, or 200 once stopped within ``wait``)."""
    req = body or ContinueRequest()
    until = [session.resolve(u, "until", code=True) for u in req.until] if req.until else None
    fut = session.start_continue(req.vcpus, until, req.budget)
    return await _finish(session, fut, wait)


@router.post("/run-to", name="run-to", status_code=202, response_model=SessionPublic,
             responses=LONG)  # fmt: skip
async def run_to(session: SessionDep, body: RunToRequest, wait: WaitQuery = None) -> JSONResponse:
    """Run until an address or symbol is reached."""
    where = body.symbol if body.symbol is not None else body.address
    assert where is not None
    fut = session.start_run_to(session.resolve(where, "address", code=True), body.vcpu)
    return await _finish(session, fut, wait)


@router.post("/halt", name="halt")
async def halt(session: SessionDep) -> SessionPublic:
    """Stop a running session (within milliseconds); a stopped one stays as it is."""
    await session.halt()
    return views.session(session)


@router.post("/reverse-step", name="reverse-step")
async def reverse_step(session: SessionDep, body: ReverseStepRequest | None = None
                       ) -> SessionPublic:  # fmt: skip
    """Go back one instruction of a vCPU."""
    await session.reverse_step((body or ReverseStepRequest()).vcpu)
    return views.session(session)


@router.post("/reverse-continue", name="reverse-continue", status_code=202,
             response_model=SessionPublic, responses=LONG)  # fmt: skip
async def reverse_continue(session: SessionDep, wait: WaitQuery = None) -> JSONResponse:
    """Go back to the most recent breakpoint hit (or the start of history)."""
    return await _finish(session, session.start_reverse_continue(), wait)
