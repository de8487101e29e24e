"""Memory (read, write) and disassembly."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from ...events import hex64
from ...models.common import PROBLEM_RESPONSES
from ...models.memory import DisassemblyPublic, InstructionPublic, MemoryPublic, MemoryWrite
from ...problems import Problem
from ..deps import SessionDep

router = APIRouter(prefix="/v1/sessions/{session_id}", tags=["memory"],
                   responses=PROBLEM_RESPONSES)  # fmt: skip
AddrQuery = Annotated[str, Query(max_length=200, description="hex, decimal or a symbol",
                                 examples=["0x1000", "counter"])]  # fmt: skip
Space = Literal["physical", "effective"]


@router.get(
    "/memory",
    name="read",
    response_model=MemoryPublic,
    responses={
        200: {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            }
        }
    },
)
async def read_memory(
    session: SessionDep, addr: AddrQuery,
    length: Annotated[int, Query(ge=1, le=1 << 30)] = 64,
    space: Space = "physical",
    vcpu: Annotated[int, Query(ge=0, le=63)] = 0,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> MemoryPublic | Response:  # fmt: skip
    """Read memory (hex JSON, or raw bytes with ``Accept: application/octet-stream``)."""
    limit = session.manager.settings.max_memory_read
    if length > limit:
        raise Problem(422, "limit-exceeded", f"reads are limited to {limit} bytes",
                      field="length")  # fmt: skip
    address = session.resolve(addr, "addr")
    session.check_vcpu(vcpu)
    data = session.now(lambda: session.ctl.read_memory(address, length, space, vcpu))
    if accept and "application/octet-stream" in accept and "application/json" not in accept:
        return Response(data, media_type="application/octet-stream")
    return MemoryPublic(address=hex64(address), length=len(data), space=space, data=data.hex())


@router.put("/memory", name="write")
async def write_memory(session: SessionDep, body: MemoryWrite) -> MemoryPublic:
    """Write memory (through breakpoints: planted words keep the new original)."""
    data = bytes.fromhex(body.data)
    if not data:
        raise Problem(422, "validation-error", "data is empty", field="data")
    session.check_vcpu(body.vcpu)
    session.now(lambda: session.ctl.write_memory(body.address, data, body.space, body.vcpu))
    return MemoryPublic(address=hex64(body.address), length=len(data), space=body.space,
                        data=data.hex())  # fmt: skip


@router.get("/disassembly", name="disassemble", tags=["memory"])
async def disassemble(
    session: SessionDep,
    addr: Annotated[str | None, Query(max_length=200, description="default: the vCPU's pc")]
    = None,
    count: Annotated[int, Query(ge=1, le=1 << 20)] = 16,
    vcpu: Annotated[int, Query(ge=0, le=63)] = 0,
) -> DisassemblyPublic:  # fmt: skip
    """Disassemble instructions as a vCPU sees them (capstone, with symbols)."""
    limit = session.manager.settings.max_disassembly
    if count > limit:
        raise Problem(422, "limit-exceeded", f"count is limited to {limit}", field="count")
    session.check_vcpu(vcpu)
    ctl = session.ctl
    address = session.resolve(addr, "addr") if addr is not None else ctl.vcpu_views()[vcpu].pc
    lines = session.now(lambda: ctl.disassemble(address, count, vcpu))
    by_addr = {v: k for k, v in session.image.image.symbols.items()}
    data = [InstructionPublic(address=hex64(ln.address), word=f"0x{ln.word:08x}",
                              mnemonic=ln.mnemonic, operands=ln.operands, text=ln.text,
                              symbol=by_addr.get(ln.address)) for ln in lines]  # fmt: skip
    return DisassemblyPublic(data=data, count=len(data))
