"""engine/ray_worker.py on a real local Ray cluster (ray start --head): sessions as Ray
actors answer and emit exactly what a Controller in this process does, two at once; an
actor killed with ray.kill leaves its target lost while the other steps on, and a new
actor takes the session back from its snapshot."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from engine.ray_worker import RayTransport, reason
from engine.target import LostEvent, WorkerLost, open_session
from engine.worker import RemoteTarget
from tests.engine.debug.test_worker import CONFIG, IMAGE, _plain, _script

pytestmark = pytest.mark.usefixtures("ray_cluster")


def _ray(t: Any) -> RayTransport:
    assert isinstance(t, RemoteTarget) and isinstance(t.transport, RayTransport)
    return t.transport


def test_two_ray_sessions_answer_as_thread_isolation_does():
    want, want_events = _script(open_session(IMAGE, CONFIG))
    targets = [open_session(IMAGE, CONFIG, isolation="ray") for _ in range(2)]
    try:
        (n1, p1), (n2, p2) = (_ray(t).where() for t in targets)
        assert p1 != p2  # an actor (a worker process) each
        results: list[Any] = [None, None]

        def run(i: int) -> None:
            results[i] = _script(targets[i])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        for got, got_events in results:
            assert got == want
            assert _plain(got_events) == _plain(want_events)
    finally:
        for t in targets:
            t.close()


def test_a_killed_actor_loses_its_session_only_and_a_new_actor_restores_it():
    import ray

    a, b = (open_session(IMAGE, CONFIG, isolation="ray") for _ in range(2))
    try:
        events: list[Any] = []
        a.subscribe(events.append)
        a.step(0, 10)
        snaps = a.support_snapshots()
        assert snaps is not None
        blob, at = snaps.take_snapshot("ten")
        regs = a.registers(0)
        a.step(0, 5)
        ray.kill(_ray(a).actor)
        deadline = time.monotonic() + 20
        while a.lost is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert a.lost == "its Ray actor was killed (ray.kill)"
        assert events[-1] == LostEvent("its Ray actor was killed (ray.kill)", 15)
        with pytest.raises(WorkerLost, match="ray.kill"):
            a.step(0)
        assert (a.time, a.running) == (15, False)
        assert b.step(0, 3).time == 3  # the other session steps on
        a.close()
        # Back from the snapshot in a new actor.
        a = open_session(IMAGE, CONFIG, isolation="ray")
        snaps = a.support_snapshots()
        assert snaps is not None
        snaps.load_snapshot("ten", blob, at)
        snaps.restore_snapshot("ten")
        assert (a.time, a.registers(0)) == (10, regs)
        assert a.step(0, 5).time == 15
        assert b.step(0).time == 4
    finally:
        a.close()
        b.close()


def test_a_dead_actors_reason_is_rays_sentence():
    import ray

    worker = ray.exceptions.ActorDiedError()
    worker.error_msg = ("The actor died unexpectedly before finishing this task.\n"
                        "\tclass_name: SessionActor\n\tpid: 17576\n"
                        "The actor is dead because its worker process has died. Worker exit "
                        "type: SYSTEM_ERROR")  # fmt: skip
    assert reason(worker) == "its Ray actor died: its worker process has died"
