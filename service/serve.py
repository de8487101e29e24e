"""``ppcdbg serve``: every option also as ``PPCDBG_<OPTION>`` (options win over the env)."""

from __future__ import annotations

import argparse
import gc
import secrets
import sys
from typing import Any

from . import engine_choice
from .settings import Settings

LIMITS = (
    "max_upload_bytes", "max_body_bytes", "max_images_per_owner", "max_sessions_per_owner",
    "max_snapshots_per_session", "max_vcpus", "max_memory_mb", "max_instructions_per_continue",
    "max_step_count", "max_breakpoints", "max_memory_read", "max_disassembly",
    "ws_queue_length", "event_ring", "worker_memory_mb", "max_instructions_per_session",
)  # fmt: skip
# Allocations between young collections, and young (then middle) collections between
# older ones: CPython's (700, 10, 10) spend a third of a traced run's event-loop time
# promoting and rescanning ring events; full passes stay bounded (1 per 10^7 allocations).
GC_THRESHOLDS = (10_000, 50, 20)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="serve the REST/WebSocket API (uvicorn)")
    p.add_argument("--host", help="default 127.0.0.1")
    p.add_argument("--port", type=int, help="default 8000")
    p.add_argument(
        "--database",
        help="a SQLite file (default ~/.local/share/ppcdbg/...) or a "
        "PostgreSQL URL, postgresql+psycopg://USER@HOST/DB",
    )
    p.add_argument("--tokens-file", help="owner:token lines")
    p.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="OWNER:TOKEN",
        help="an API token (repeatable; added to PPCDBG_API_TOKENS)",
    )
    p.add_argument(
        "--allow-anonymous",
        action="store_true",
        default=None,
        help="no token needed from 127.0.0.1",
    )
    p.add_argument("--cors-origins", help="comma-separated origins")
    p.add_argument("--log-level", choices=("debug", "info", "warning", "error"))
    p.add_argument(
        "--demo",
        action="store_true",
        default=None,
        help="preload the SMP demo; without tokens, generate and print one",
    )
    p.add_argument("--ws-deflate", action="store_true", default=None,
                   help="offer permessage-deflate on WebSockets (off: it costs more CPU than "
                        "it saves on loopback or a LAN)")  # fmt: skip
    p.add_argument("--isolation", choices=("thread", "process", "ray"),
                   help="where sessions' engines run: threads of this process (default), a "
                        "worker process each, or a Ray actor each (--ray)")  # fmt: skip
    p.add_argument("--ray", dest="ray_address", metavar="ADDRESS",
                   help="place sessions' engines as actors on the Ray cluster at ADDRESS "
                        "(its head's host:port, or auto); isolation ray")  # fmt: skip
    p.add_argument("--redis", metavar="URL",
                   help="several replicas: a Redis URL (redis://HOST:PORT, unix://PATH) for "
                        "the event streams; the database must be PostgreSQL")  # fmt: skip
    p.add_argument("--replica-id", help="this replica's name (default HOST:PORT)")
    p.add_argument(
        "--advertise-url",
        metavar="URL",
        help="where the other replicas reach this one (default http://HOST:PORT)",
    )
    p.add_argument("--replica-lease", type=float, metavar="SECONDS",
                   help="several replicas: how long this one's lease lasts unrenewed; once "
                        "it has expired, another replica takes its sessions over (default "
                        "15)")  # fmt: skip
    for name in LIMITS:
        p.add_argument("--" + name.replace("_", "-"), type=int)
    engine_choice.add_option(p)


def settings_from(args: argparse.Namespace) -> tuple[Settings, str | None]:
    over: dict[str, Any] = {}
    for name in ("host", "port", "database", "tokens_file", "allow_anonymous", "cors_origins",
                 "log_level", "demo", "ws_deflate", "isolation", "ray_address", "redis",
                 "replica_id", "advertise_url", "replica_lease", *LIMITS):  # fmt: skip
        v = getattr(args, name)
        if v is not None:
            over[name] = v
    base = Settings(**over)
    tokens = [t for t in (base.api_tokens, *args.token) if t]
    generated = None
    if base.demo and not tokens and not base.tokens_file and not base.allow_anonymous:
        generated = secrets.token_urlsafe(24)
        tokens.append(f"demo:{generated}")
    over["api_tokens"] = ",".join(tokens)
    return Settings(**over), generated


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from . import logs
    from .api.routes.events import MAX_MESSAGE
    from .main import create_app
    from .sessions import Manager
    from .store import Store, StoreError

    try:
        settings, generated = settings_from(args)
        settings.tokens()
    except (ValueError, OSError) as e:
        print(f"ppcdbg serve: {e}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    try:
        # Opened once here (and checked) so that a truncated, corrupt or unwritable file is
        # one line naming it, not the server's start-up traceback.
        Store(settings.database).close()
    except StoreError as e:
        print(f"ppcdbg serve: {e}", file=sys.stderr)
        return 1
    except ValueError as e:  # --database names no database ppcdbg can use
        print(f"ppcdbg serve: {e}", file=sys.stderr)
        return 2
    if settings.isolation == "ray":
        from engine.target import connect_ray

        try:
            # Joined here, before serving: an unreachable cluster is one line, exit 1.
            connect_ray(settings.ray_address)
        except (ConnectionError, ImportError) as e:
            print(f"ppcdbg serve: {e}", file=sys.stderr)
            return 1
    if settings.redis:
        import redis

        try:
            with redis.Redis.from_url(settings.redis, socket_connect_timeout=5) as r:
                r.ping()
        except (redis.RedisError, OSError) as e:
            print(f"ppcdbg serve: redis does not answer: {e}", file=sys.stderr)
            return 1
    url = f"http://{settings.host}:{settings.port}"

    def ready(manager: Manager) -> None:
        lines = [f"ppcdbg serving {url}", f"  API docs: {url}/docs"]
        if generated:
            lines.append(f"  dashboard: {url}/#token={generated}")
            lines.append(f"  token:    {generated}   (Authorization: Bearer <token>)")
        else:
            lines.append(f"  dashboard: {url}/")
            if settings.allow_anonymous and not settings.tokens():
                lines.append("  anonymous access from 127.0.0.1")
        if settings.demo:
            owner = settings.demo_owner()
            for s in manager.owner_sessions(owner):
                lines.append(f"  demo session: {s.id} (examples/smp_spinlock.elf, "
                             f"{s.config['vcpus']} vCPUs)")  # fmt: skip
        lines.append(f"ppcdbg ready {url}")
        print("\n".join(lines), flush=True)

    app = create_app(settings, on_ready=ready)
    # The event ring keeps tens of thousands of events alive, so during a traced run the
    # collector's passes would rescan them and every module object loaded so far (about
    # 100,000): freeze what exists now, and collect less often.
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    # The interpreter's switch interval stays CPython's 5 ms: a session's engine thread
    # and the event loop share the interpreter lock, and halt crosses it three times
    # (request in, halt seen, stop out). At 20 ms a halt during a traced run took up to
    # 98 ms; at 5 ms 8-24 ms, and trace delivery (batches) is as fast.
    # ws_max_size: a client message longer than the stream's limit is refused by the protocol
    # layer (close 1009) before it is buffered (uvicorn's default would take 16 MiB first).
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                server_header=False, ws_per_message_deflate=settings.ws_deflate,
                ws_max_size=MAX_MESSAGE)  # fmt: skip
    return 0
