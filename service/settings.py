"""Server settings: every option is also an environment variable ``PPCDBG_<OPTION>``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_WORKER_MEMORY_MB = 384


def _default_database() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "ppcdbg" / "ppcdbg.sqlite3")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PPCDBG_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    database: str = Field(default_factory=_default_database)
    api_tokens: str = ""  # "owner:token,owner:token"
    tokens_file: str | None = None  # one owner:token per line
    allow_anonymous: bool = False  # only ever for clients on 127.0.0.1
    cors_origins: str = ""  # comma-separated origins, "*" for any
    log_level: str = "info"
    demo: bool = False  # preload the SMP demo (examples/smp_spinlock.elf, 4 vCPUs)
    # Limits (docs/api.md "Security and limits"): every one is a 4xx when hit.
    max_upload_bytes: int = 64 << 20  # Debian's vmlinux is 46 MB
    max_body_bytes: int = 96 << 20  # base64 JSON uploads are 4/3 of the image
    max_images_per_owner: int = 100
    max_sessions_per_owner: int = 16
    max_snapshots_per_session: int = 64
    max_vcpus: int = 16
    max_memory_mb: int = 1024
    max_instructions_per_continue: int = 500_000_000
    max_step_count: int = 1_000_000
    max_breakpoints: int = 256
    max_memory_read: int = 1 << 20
    max_disassembly: int = 4096
    ws_queue_length: int = 10_000
    event_ring: int = 65_536
    assemble_timeout: float = 10.0
    inline_step_limit: int = 256  # steps short enough to run without a thread hop
    progress_interval: float = 0.5  # seconds between progress events of a long step
    # permessage-deflate on WebSockets: off by default, since compressing every message
    # costs the server (and each client) more CPU than a loopback or LAN link saves.
    ws_deflate: bool = False
    # Where sessions' engines run (docs/api.md "Isolation"): "thread", in this process;
    # "process", each in a worker process of its own, which enforces the two limits below;
    # "ray", each in a Ray actor on the cluster at ray_address (docs/deployment.md "Ray").
    isolation: Literal["thread", "process", "ray"] = "thread"
    # A Ray cluster's address (host:port of its head, or "auto": the cluster this node is
    # part of); set, it means isolation "ray".
    ray_address: str = ""
    # A worker's address space (RLIMIT_AS); on Ray the actor's memory request; 0: none.
    worker_memory_mb: int = 4096
    max_instructions_per_session: int = 0  # executed over a session's life; 0: none
    # Several API replicas on one database (docs/deployment.md "Several replicas"): a Redis
    # URL turns it on; events then go through a Redis Stream per session. None: one server.
    redis: str | None = None
    # This replica's name in the session directory (default host:port) and the URL the
    # others forward its sessions' requests to (default http://host:port).
    replica_id: str | None = None
    advertise_url: str | None = None
    # Seconds a replica's lease in Redis lasts without renewal (it renews every third of it).
    # A replica whose lease has expired is gone: another takes its sessions over, re-created
    # from their definitions (docs/deployment.md "When a replica dies"). A holder that starts
    # again within the lease takes its sessions back itself.
    replica_lease: float = 15.0

    @field_validator("redis")
    @classmethod
    def _redis(cls, v: str | None) -> str | None:
        if v is not None and v.strip() and not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis is a redis://HOST:PORT, rediss:// or unix://PATH URL")
        return v.strip() or None if v is not None else None

    def replica(self) -> tuple[str, str]:
        """This replica's id and the URL other replicas reach it at."""
        import socket

        host = self.host if self.host not in ("0.0.0.0", "::", "") else socket.gethostname()
        rid = self.replica_id or f"{host}:{self.port}"
        url = (self.advertise_url or f"http://{host}:{self.port}").rstrip("/")
        return rid, url

    @field_validator("replica_lease")
    @classmethod
    def _lease(cls, v: float) -> float:
        if not 1.0 <= v <= 3600.0:
            raise ValueError("replica_lease is between 1 and 3600 seconds")
        return v

    @field_validator("worker_memory_mb")
    @classmethod
    def _worker_memory(cls, v: int) -> int:
        # A worker starts at about 260 MiB of address space (the interpreter, the engine,
        # thread stacks): a lower limit would end every worker at once.
        if v != 0 and v < MIN_WORKER_MEMORY_MB:
            raise ValueError(f"worker_memory_mb is 0 (no limit) or at least "
                             f"{MIN_WORKER_MEMORY_MB}")  # fmt: skip
        return v

    @model_validator(mode="after")
    def _ray(self) -> Settings:
        if self.ray_address and self.isolation == "thread":
            self.isolation = "ray"
        if self.isolation == "ray" and not self.ray_address:
            raise ValueError("isolation ray needs a Ray cluster's address (--ray ADDRESS or "
                             "PPCDBG_RAY_ADDRESS; auto: this node's cluster)")  # fmt: skip
        if self.ray_address and self.isolation != "ray":
            raise ValueError(f"a Ray address means isolation ray, not {self.isolation}")
        return self

    def tokens(self) -> dict[str, str]:
        """token -> owner, from PPCDBG_API_TOKENS and the tokens file."""
        pairs = [p for p in self.api_tokens.split(",") if p.strip()]
        if self.tokens_file:
            text = Path(self.tokens_file).read_text()
            pairs += [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        out: dict[str, str] = {}
        for pair in pairs:
            owner, sep, token = pair.strip().partition(":")
            if not sep or not owner or not token:
                raise ValueError("API tokens are owner:token pairs")
            out[token] = owner
        return out

    def demo_owner(self) -> str:
        tokens = self.tokens()
        return next(iter(tokens.values())) if tokens else "anonymous"

    def origins(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]
