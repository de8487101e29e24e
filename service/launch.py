"""Start ``ppcdbg serve`` in a subprocess on a free loopback port (tests and bench)."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    def __init__(self, database: str, tokens: str = "", args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None, log: str | None = None) -> None:  # fmt: skip
        self.database = database
        self.tokens = tokens
        self.args = args
        self.env = env or {}
        self.log = log
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None
        self.banner: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        self.port = free_port()
        # The caller's PPCDBG_ settings stay out (tokens, database), but for the isolation a
        # test run chose (PPCDBG_ISOLATION=process runs tests/service with worker processes).
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PPCDBG_") or k == "PPCDBG_ISOLATION"}  # fmt: skip
        env.update({"PPCDBG_API_TOKENS": self.tokens, "PPCDBG_LOG_LEVEL": "warning", **self.env})
        err = open(self.log, "a") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--database", self.database, *self.args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True,
        )  # fmt: skip
        lines: queue.Queue[str | None] = queue.Queue()
        out = self.proc.stdout
        assert out is not None

        def pump() -> None:
            for line in out:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                self.kill()
                raise RuntimeError("the server did not start in time") from None
            if line is None:
                raise RuntimeError(f"the server exited with {self.proc.wait()}")
            self.banner.append(line)
            if line.startswith("ppcdbg ready"):
                self._wait_listening(timeout)
                return self

    def _wait_listening(self, timeout: float) -> None:
        """The banner comes from the app's startup, which uvicorn runs before it binds its
        socket: wait for the port to take connections."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.proc.wait()}") from None
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError("the server did not listen in time") from None
                time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: nothing gets to clean up."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.stop()
