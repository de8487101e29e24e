"""Checkpoint cost (issue 3): a machine with 64 MiB touched, then after dirtying k pages.

``Machine.checkpoint()`` shares every page with the live memory (copy on the
next store), so a checkpoint costs what ``PhysicalMemory.snapshot()`` costs
(a copy of the page *table*, O(pages touched)) plus the vCPU state; the page
copies are paid by the first store to each page afterwards. Both are
measured: ``checkpoint_ms`` (the call) and ``dirty_ms`` (the k stores that
copy k pages). ``by_touched`` repeats one checkpoint with 16/64/256 MiB
touched, to show what the call is proportional to.

    python -m bench.checkpoint
"""

from __future__ import annotations

import json
import time
from typing import Any

from engine.loader import Image, Segment
from engine.machine import Machine, MachineConfig

PAGE = 4096
MIB = 1 << 20
TARGET_MS = 50.0


def touched_machine(touched: int, vcpus: int = 4) -> Machine:
    image = Image("raw", 0x10, [Segment(0, b"\x48\x00\x00\x00" * 8, 32)])  # b .
    m = Machine(image, MachineConfig(vcpus=vcpus, memory=max(2 * touched, 64 * MIB)))
    blob = bytes(range(256)) * (PAGE // 256)
    for pa in range(0, touched, PAGE):
        m.mem.write_bytes(pa, blob, None)
    return m


def best_ms(fn: Any, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return round(best * 1000, 3)


def dirty(m: Machine, k: int, stride: int) -> None:
    w = m.mem.write_bytes
    for i in range(k):
        w((i * stride) * PAGE + 8, b"\x01\x02\x03\x04\x05\x06\x07\x08", None)


def run(repeat: int = 5) -> dict[str, Any]:
    m = touched_machine(64 * MIB)
    pages = 64 * MIB // PAGE
    first = best_ms(m.checkpoint, 1)
    after_k = []
    for k in (0, 1, 16, 256, 4096, pages):
        stride = max(1, pages // max(k, 1))
        t_cp = t_dirty = float("inf")
        for _ in range(repeat):
            m.checkpoint()  # every page shared again
            t0 = time.perf_counter()
            dirty(m, k, stride)
            t1 = time.perf_counter()
            m.checkpoint()
            t2 = time.perf_counter()
            t_dirty, t_cp = min(t_dirty, t1 - t0), min(t_cp, t2 - t1)
        after_k.append({"pages_dirtied": k, "dirty_ms": round(t_dirty * 1000, 3),
                        "checkpoint_ms": round(t_cp * 1000, 3)})  # fmt: skip
    by_touched = []
    for mib in (16, 64, 256):
        mm = touched_machine(mib * MIB)
        mm.checkpoint()
        dirty(mm, 16, 1)
        by_touched.append({"touched_mib": mib, "checkpoint_ms_after_16_dirty": best_ms(
            lambda mm=mm: (dirty(mm, 16, 1), mm.checkpoint()), repeat)})  # fmt: skip
    restore_ms = best_ms(lambda: m.restore(m.checkpoint()), repeat)
    return {
        "checkpoint": {
            "touched_mib": 64,
            "first_checkpoint_ms": first,
            "target_ms": TARGET_MS,
            "meets_target": first <= TARGET_MS,
            "after_dirtying": after_k,
            "by_touched": by_touched,
            "checkpoint_and_restore_ms": restore_ms,
        }
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
