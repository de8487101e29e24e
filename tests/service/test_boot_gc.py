"""``ppcdbg boot`` runs the collector as the session worker does (service/boot/cli.py)."""

from __future__ import annotations

import gc

from engine.worker import GC_THRESHOLDS as WORKER_THRESHOLDS
from service.boot.cli import collect_less
from service.serve import GC_THRESHOLDS


def test_boot_freezes_the_heap_and_collects_as_the_worker() -> None:
    before = gc.get_threshold()
    try:
        collect_less()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == GC_THRESHOLDS == WORKER_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
