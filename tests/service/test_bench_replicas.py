"""bench/replicas.py (issue 18's "the same through two API replicas"): it measures through
both replicas on the PostgreSQL and Redis it starts, and without them it skips in one line."""

from __future__ import annotations

import argparse
import shutil
from typing import Any

import pytest

from bench import replicas
from tests.conftest import require_tool
from tests.postgres import bin_path


def _args(**overrides: Any) -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    replicas.add_arguments(ap)
    args = ap.parse_args([])
    for k, v in overrides.items():
        setattr(args, k, v)
    return args


def test_the_replicas_bench_skips_in_one_line_without_redis(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = shutil.which

    def which(name: str, path: str | None = None) -> str | None:
        return None if name == "redis-server" else real(name, path=path)

    monkeypatch.setattr(replicas.shutil, "which", which)
    out = replicas.run(_args())
    assert list(out) == ["skipped"] and "redis-server not installed" in out["skipped"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bench.replicas: skipped: redis-server")


@pytest.mark.slow
def test_the_replicas_bench_measures_through_both_replicas() -> None:
    for tool in ("initdb", "pg_ctl"):
        require_tool(tool, bin_path())
    require_tool("redis-server")
    out = replicas.run(
        _args(
            creates=2, steps=50, event_steps=50, cpu_budget=100_000, repeat=1, trace_events=20_000
        )
    )
    assert out["create"]["on_b"]["create_ms"]["median"] > 0
    for kind in ("rest_steps_per_second", "websocket_steps_per_second"):
        assert out["step"][kind]["holder"]["best"] > 0
        assert out["step"][kind]["forwarded"]["best"] > 0
    events = out["events"]
    # Every warm-up and timed step's stop reached B, seq after seq (the receiver checks).
    assert events["events_per_run"] == 50 + replicas.WARMUP
    assert events["replay_events_per_second"]["via_redis_on_b"]["best"] > 0
    assert events["redis_stream"]["bytes_per_event"] > 0
    # The traced run's every numbered event reached the stream (its last seq is there).
    trace = out["trace_into_redis"]
    assert trace["events"] > 20_000 and trace["into_redis_events_per_second"]["best"] > 0
    # B relayed the same traced run A's client got, event for event.
    through_b = out["trace_through_b"]
    assert through_b["events"] == 20_000 and through_b["client_on_b"]["best"] > 0
    assert set(out["cpu_bound"]["scaling"]) == {"1", "2", "4"}
    # isolation process: a worker per session, each counted once (A also holds the session
    # the steps ran on; the fork servers are not sessions).
    workers = out["cpu_bound"]["workers_mib"]
    assert [len(workers[r]["pss"]) for r in ("a", "b")] == [3, 2]
