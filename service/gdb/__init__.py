"""GDB remote serial protocol server over a session's controller (issue 7).

``protocol`` frames and parses packets (no engine imports), ``target`` maps RSP
operations onto the engine's ``Target`` protocol, ``server`` is the TCP server.
"""

from __future__ import annotations

from engine.target import Target

from .server import GdbServerHandle
from .target import ControllerTarget

__all__ = ["GdbServerHandle", "start_gdb_server"]


def start_gdb_server(controller: Target, host: str = "127.0.0.1", port: int = 0) -> GdbServerHandle:
    """Listen for gdb on ``host:port`` (0: any free port, see ``.port``) for this session.

    One gdb at a time; a second one gets an error and is closed. The session
    outlives every client: gdb's breakpoints go when it disconnects, the rest
    stays. ``.close()`` stops listening and drops the client.
    """
    return GdbServerHandle(lambda: ControllerTarget(controller), host, port)
