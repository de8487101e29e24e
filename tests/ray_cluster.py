"""A real Ray cluster for the tests: ``ray start --head --block`` (Ray from PyPI, the dev
extra) with its own temporary directory and free ports, in a process group of its own that
the tests end by its id (``ray stop`` would end every Ray cluster on the machine)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

START_TIMEOUT = 90.0  # seconds; a head starts in 8-14 s on the loaded 2-core machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RayCluster:
    def __init__(self, ray: str, cpus: int = 2) -> None:
        self.ray = ray
        self.cpus = cpus
        self.dir = Path(tempfile.mkdtemp(prefix="ppcdbg-ray-"))
        self.log = self.dir / "start.log"
        self.proc: subprocess.Popen[str] | None = None
        self.address = ""

    def start(self) -> RayCluster:
        # --port=0: the GCS on a free port; the client server and the dashboard's head
        # take fixed defaults (10001, 8265) unless told, and would collide between runs.
        argv = [self.ray, "start", "--head", "--port=0", f"--num-cpus={self.cpus}",
                "--disable-usage-stats", "--include-dashboard=false",
                f"--ray-client-server-port={_free_port()}", f"--dashboard-port={_free_port()}",
                f"--temp-dir={self.dir}", "--block"]  # fmt: skip
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True)  # fmt: skip
        found = threading.Event()
        out = self.proc.stdout
        assert out is not None

        def read() -> None:
            with open(self.log, "w") as log:
                for line in out:
                    log.write(line)
                    m = re.search(r"ray start --address='([^']+)'", line)
                    if m and not found.is_set():
                        self.address = m.group(1)
                        found.set()

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while not found.wait(0.2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"ray start failed:\n{self.log.read_text()[-3000:]}")
        return self

    def stop(self) -> None:
        """End the head's whole process group (GCS, raylet, workers), then its files: with
        SIGKILL at once, as the cluster is thrown away (SIGTERM took 5-10 s)."""
        if self.proc is not None:
            pgid = self.proc.pid  # start_new_session: the group is the command's
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)  # reaped first: a zombie still counts as the group's
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _group_alive(pgid):
                time.sleep(0.05)
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
