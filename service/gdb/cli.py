"""``ppcdbg gdbserver IMAGE --port P``: a standalone session served to gdb."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.target import (
    ATOMIC_SEQUENCES,
    BACKENDS,
    SCHEDULER_LOCKING,
    ConfigError,
    ControllerError,
    ImageError,
    SessionConfig,
    load_image,
    open_session,
)

from .. import engine_choice
from . import start_gdb_server


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("gdbserver", help="serve a new session to gdb over the remote protocol")
    p.add_argument("image")
    p.add_argument("--port", type=int, default=1234, help="TCP port (0: any free port)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--vcpus", type=int, default=1)
    p.add_argument("--profile", choices=("powernv", "guest"), default="powernv")
    p.add_argument("--backend", choices=BACKENDS, default="native")
    p.add_argument("--scheduler-locking", choices=SCHEDULER_LOCKING, default="step")
    p.add_argument("--atomic-sequences", choices=ATOMIC_SEQUENCES)
    p.add_argument("--quantum", type=int, default=10)
    p.add_argument("--once", action="store_true", help="exit when the first gdb disconnects")
    engine_choice.add_option(p)


def run(args: argparse.Namespace) -> int:
    try:
        try:
            data = Path(args.image).read_bytes()
        except OSError as e:
            raise ImageError(f"cannot read image {args.image}: {e.strerror}") from None
        if not 0 <= args.port < 65536:
            raise ConfigError("--port must be between 0 and 65535")
        ctl = open_session(
            load_image(data),
            SessionConfig(
                profile=args.profile, vcpus=args.vcpus, backend=args.backend,
                scheduler_locking=args.scheduler_locking, quantum=args.quantum,
                atomic_sequences=args.atomic_sequences,
            ),
        )  # fmt: skip
        server = start_gdb_server(ctl, args.host, args.port)
    except (ImageError, ConfigError, ControllerError, OSError) as e:
        print(f"ppcdbg gdbserver: {e}", file=sys.stderr)
        return 2
    # The port line is what scripts wait for (with --port 0 it is the only way to learn it).
    print(f"ppcdbg gdbserver: listening on {server.host}:{server.port}", file=sys.stderr,
          flush=True)  # fmt: skip
    try:
        # Short waits keep Ctrl-C (KeyboardInterrupt) responsive in the main thread.
        while not (server.finished.wait(0.5) and args.once):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
