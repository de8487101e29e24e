"""Checkpoints as bytes, so a snapshot outlives the process (the service keeps them in SQLite).

A ``Checkpoint`` holds live objects (reservation owners are VCPUs), so it is written as a
JSON header of plain values (vCPU states, scheduler, host, reservations by vCPU index) and
the touched memory pages after it, zlib-compressed. Loading needs a machine of the same
shape (image, vCPU count, profile), which supplies the owners again.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

from .cpu import VSCR_NJ
from .machine import Checkpoint, Machine
from .memory import MemorySnapshot

MAGIC = b"PPCDBGCP1"
PAGE_SIZE = 4096


def dump_checkpoint(cp: Checkpoint, machine: Machine) -> bytes:
    index = {id(c): c.index for c in machine.vcpus}
    pages = sorted(cp.memory.pages)
    header: dict[str, Any] = {
        "vcpus": [_state_out(s) for s in cp.vcpus],
        "next_vcpu": cp.next_vcpu,
        "steps_taken": cp.steps_taken,
        "slice_left": cp.slice_left,
        "ticks": cp.ticks,
        "host": cp.host,
        "reservations": {str(g): sorted(index[id(o)] for o in owners)
                         for g, owners in cp.memory.reservations.items()},
        "pages": pages,
    }  # fmt: skip
    head = json.dumps(header, separators=(",", ":")).encode()
    body = b"".join(bytes(cp.memory.pages[pn]) for pn in pages)
    return MAGIC + zlib.compress(struct.pack(">I", len(head)) + head + body, 1)


def load_checkpoint(data: bytes, machine: Machine) -> Checkpoint:
    """The checkpoint ``dump_checkpoint`` wrote; ValueError when it does not fit ``machine``."""
    if not data.startswith(MAGIC):
        raise ValueError("not a ppcdbg checkpoint")
    raw = zlib.decompress(data[len(MAGIC) :])
    (n,) = struct.unpack(">I", raw[:4])
    header = json.loads(raw[4 : 4 + n])
    if len(header["vcpus"]) != len(machine.vcpus):
        raise ValueError("the checkpoint has a different number of vCPUs")
    body = raw[4 + n :]
    pages = {
        pn: bytearray(body[i * PAGE_SIZE : (i + 1) * PAGE_SIZE])
        for i, pn in enumerate(header["pages"])
    }
    owners = {int(g): {machine.vcpus[i] for i in who} for g, who in header["reservations"].items()}
    host = header["host"]
    return Checkpoint(
        MemorySnapshot(pages, owners),
        [_state_in(s) for s in header["vcpus"]],
        header["next_vcpu"],
        header["steps_taken"],
        _host_in(host),
        header["slice_left"],
        header["ticks"],
    )  # fmt: skip


def _host_in(host: Any) -> dict[str, object] | None:
    """The host state; a checkpoint written before hosts had their own state dict holds the
    list [console out (hex), console in (hex), process table, hypercall count]."""
    if host is None or isinstance(host, dict):
        return host
    out, inp, table, hcalls = host
    return {"console_out": out, "console_in": inp, "process_table": table, "hcalls": hcalls}


def _state_out(state: dict[str, object]) -> dict[str, object]:
    out = dict(state)
    out["spr"] = {str(k): v for k, v in state["spr"].items()}  # type: ignore[attr-defined]
    return out


def _state_in(state: dict[str, Any]) -> dict[str, object]:
    out = dict(state)
    if "fpr" in out:  # written before the vector facility: FPRs only, no VSCR, no CFAR
        out["vsr"] = [f << 64 for f in out.pop("fpr")] + [0] * 32
        out.setdefault("vscr", VSCR_NJ)
        out.setdefault("cfar", out["spr"].pop("28", 0))
    out["spr"] = {int(k): v for k, v in state["spr"].items()}
    return out
