from __future__ import annotations

from tests.service.conftest import ALICE


def test_healthz_readyz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["status"] == "ready"


def test_metrics_count_requests_sessions_and_steps(client, sid):
    client.post(f"/v1/sessions/{sid}/vcpus/0/step", headers=ALICE, json={"count": 2})
    r = client.get("/metrics")
    assert r.status_code == 200
    text = r.text
    assert "ppcdbg_sessions 1.0" in text
    assert "ppcdbg_steps_total 2.0" in text
    assert "ppcdbg_instructions_executed_total 2.0" in text
    assert 'route="/v1/sessions/{session_id}/vcpus/{n}/step"' in text
    for name in ("ppcdbg_events_sent_total", "ppcdbg_events_dropped_total"):
        assert name in text


def test_swagger_ui_is_served_locally(client):
    r = client.get("/docs")
    assert r.status_code == 200
    assert "/static/swagger-ui/swagger-ui-bundle.js" in r.text
    assert "cdn" not in r.text.lower()
    r = client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert r.status_code == 200
    assert len(r.content) > 100_000


def test_problem_types_are_documented(client):
    r = client.get("/problems/unknown-register")
    assert r.status_code == 200
    assert r.json()["title"] == "Unknown register"


def test_request_id_is_echoed(client):
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
