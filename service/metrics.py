"""Prometheus metrics, one registry per app (so tests can build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.requests = Counter(
            "ppcdbg_http_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "ppcdbg_http_request_seconds", "HTTP request latency", ["method"], registry=r,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5),
        )  # fmt: skip
        self.sessions = Gauge("ppcdbg_sessions", "Live debug sessions", registry=r)
        self.sessions_lost = Counter("ppcdbg_sessions_lost",
                                     "Sessions whose engine worker died", registry=r)  # fmt: skip
        self.sessions_taken_over = Counter(
            "ppcdbg_sessions_taken_over",
            "Sessions this replica took over from replicas whose lease expired", registry=r,
        )  # fmt: skip
        self.instructions = Counter(
            "ppcdbg_instructions_executed", "Guest instructions executed", registry=r
        )
        self.steps = Counter("ppcdbg_steps", "Instructions single-stepped", registry=r)
        self.events_sent = Counter("ppcdbg_events_sent", "Events sent to WebSocket clients",
                                   registry=r)  # fmt: skip
        self.events_dropped = Counter(
            "ppcdbg_events_dropped", "Events dropped for slow WebSocket clients", registry=r
        )
        self.ws_clients = Gauge("ppcdbg_websocket_clients", "Connected WebSocket clients",
                                registry=r)  # fmt: skip
