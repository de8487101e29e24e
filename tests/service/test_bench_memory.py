"""bench/memory.py's memory per session: every session's worker counted once, the fork
server and resource tracker apart (they are once per server)."""

from __future__ import annotations

from bench.memory import per_session


def test_per_session_counts_each_worker_once_and_the_fork_server_apart() -> None:
    out = per_session("process", 2)
    assert out["workers"] == 2 and len(out["helpers_rss_mib"]) == 2
    # Forked workers share pages: their PSS is below their RSS.
    assert 0 < out["worker_pss_mib_median"] < out["worker_rss_mib_median"]


def test_per_session_under_threads_has_no_workers() -> None:
    out = per_session("thread", 2)
    assert "workers" not in out and out["server_rss_mib_after"] > 0
