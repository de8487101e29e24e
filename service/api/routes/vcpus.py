"""vCPUs: list, registers (read, write) and single-stepping."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from engine.target import ARCHITECTED, UnknownRegister, canonical

from ...events import reg_hex
from ...models.common import PROBLEM_RESPONSES
from ...models.execution import StepRequest
from ...models.registers import GROUPS, RegisterGroup, RegistersPublic, RegistersUpdate
from ...models.sessions import SessionPublic, VCPUPublic, VCPUsPublic
from ...problems import Problem
from ...sessions import Session
from .. import views
from ..deps import SessionDep

router = APIRouter(prefix="/v1/sessions/{session_id}/vcpus", tags=["vcpus"],
                   responses=PROBLEM_RESPONSES)  # fmt: skip
VcpuPath = Annotated[int, Path(ge=0, le=63, description="vCPU index")]


def _vcpu(s: Session, n: int) -> int:
    if n >= s.ctl.vcpu_count:
        raise Problem(404, "not-found", f"no vCPU {n} in session {s.id}", vcpu=n)
    return n


@router.get("", name="list")
async def list_vcpus(session: SessionDep) -> VCPUsPublic:
    """List the session's vCPUs."""
    data = views.vcpus(session)
    return VCPUsPublic(data=data, count=len(data))


@router.get("/{n}", name="get")
async def get_vcpu(session: SessionDep, n: VcpuPath) -> VCPUPublic:
    """Get one vCPU."""
    return views.vcpus(session)[_vcpu(session, n)]


def _registers(s: Session, n: int, names: list[str] | None) -> RegistersPublic:
    values = s.now(lambda: s.ctl.registers(n, names))
    return RegistersPublic(
        vcpu=n, registers={k: None if v is None else reg_hex(k, v) for k, v in values.items()}
    )


def _names(names: str | None) -> list[str]:
    """The comma-separated ``names``, each checked (422 naming the first unknown one)."""
    wanted = [x.strip() for x in (names or "").split(",") if x.strip()]
    for x in wanted:
        try:
            canonical(x)
        except UnknownRegister as e:
            raise Problem(422, "unknown-register", str(e), field="names",
                          register=x) from None  # fmt: skip
    return wanted


@router.get("/{n}/registers", name="registers-get")
async def get_registers(
    session: SessionDep, n: VcpuPath,
    names: Annotated[str | None, Query(max_length=2000, description="comma-separated names",
                                       examples=["pc,r3,cr"])] = None,
    group: Annotated[RegisterGroup | None, Query(
        description="a register group: architected (the default set), vector (vr0-vr31, "
        "vs0-vs63, vscr, vrsave) or all; with names, the group's registers come first")] = None,
) -> RegistersPublic:  # fmt: skip
    """Read the architected registers (or a ``group``, or ``names``)."""
    _vcpu(session, n)
    wanted = _names(names)
    if group is not None:
        picked = set(GROUPS[group])
        wanted = [*GROUPS[group], *(x for x in wanted if canonical(x) not in picked)]
    return _registers(session, n, wanted or None)


@router.patch("/{n}/registers", name="registers-update")
async def update_registers(
    session: SessionDep, n: VcpuPath, body: RegistersUpdate
) -> RegistersPublic:
    """Write registers (through the controller, so the guest sees the change)."""
    _vcpu(session, n)
    session.write_registers(n, body.registers)
    # The architected set, and the registers written that it leaves out (vr2, vs34...).
    shown = set(ARCHITECTED)
    extra = [k for k in body.registers if canonical(k) not in shown]
    return _registers(session, n, [*ARCHITECTED, *extra] if extra else None)


@router.post("/{n}/step", name="step", response_model=SessionPublic)
async def step(session: SessionDep, n: VcpuPath, body: StepRequest | None = None) -> JSONResponse:
    """Step a vCPU (into, over or out, ``count`` times)."""
    _vcpu(session, n)
    req = body or StepRequest()
    await session.step(n, req.count, req.mode)
    # The hot path: plain data straight to JSON (SessionPublic's shape; the schema test
    # checks it), not a model validated twice.
    return JSONResponse(views.session_dict(session))
