"""Persisted checkpoints carry the whole vector-scalar state, and old ones still load."""

from __future__ import annotations

import json
import struct
import zlib

from engine.cpu import VSCR_NJ
from engine.loader import load_image
from engine.machine import Machine
from engine.serialize import MAGIC, dump_checkpoint, load_checkpoint

IMAGE = (0x48000000).to_bytes(4, "big").rjust(0x14, b"\0")  # b . at 0x10


def _machine() -> Machine:
    return Machine(load_image(IMAGE))


def test_vector_state_round_trips_through_a_dump() -> None:
    m = _machine()
    c = m.vcpus[0]
    c.vsr[0] = (1 << 128) - 1
    c.vsr[63] = 0x0123456789ABCDEF_FEDCBA9876543210
    c.vscr = 1
    c.cfar = 0x1234
    c.write_spr(256, 0xFFFF0000)  # VRSAVE
    data = dump_checkpoint(m.checkpoint(), m)
    fresh = _machine()
    fresh.restore(load_checkpoint(data, fresh))
    f = fresh.vcpus[0]
    assert f.vsr == c.vsr
    assert (f.vscr, f.cfar, f.read_spr(256)) == (1, 0x1234, 0xFFFF0000)


def test_a_checkpoint_written_before_the_vector_facility_loads() -> None:
    m = _machine()
    data = dump_checkpoint(m.checkpoint(), m)
    raw = zlib.decompress(data[len(MAGIC) :])
    (n,) = struct.unpack(">I", raw[:4])
    header = json.loads(raw[4 : 4 + n])
    for s in header["vcpus"]:  # what such a checkpoint held
        s["fpr"] = [3] + [0] * 31
        del s["vsr"], s["vscr"], s["cfar"]
        s["spr"]["28"] = 0x40
    head = json.dumps(header).encode()
    old = MAGIC + zlib.compress(struct.pack(">I", len(head)) + head + raw[4 + n :])
    fresh = _machine()
    fresh.restore(load_checkpoint(old, fresh))
    c = fresh.vcpus[0]
    assert c.vsr[0] == 3 << 64 and c.vsr[1:] == [0] * 63
    assert (c.vscr, c.cfar) == (VSCR_NJ, 0x40)
