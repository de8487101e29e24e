"""Probes and metrics (no authentication)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ...metrics import Metrics

router = APIRouter(tags=["health"])


@router.get("/healthz", name="healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process serves requests."""
    return {"status": "ok"}


@router.get("/readyz", name="readyz", responses={503: {"description": "Not ready"}})
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers."""
    manager = getattr(request.app.state, "manager", None)
    # In a thread: a database server that does not answer holds the ping for its connect
    # timeout, which must not stall every other request on the event loop.
    ok = manager is not None and await asyncio.to_thread(manager.store.ping)
    return JSONResponse({"status": "ready" if ok else "not ready"}, status_code=200 if ok else 503)


@router.get(
    "/metrics",
    name="metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics."""
    m: Metrics = request.app.state.metrics
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
