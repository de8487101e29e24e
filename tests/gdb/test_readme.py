"""The README's gdb commands, run as written: the gdb server on the SMP example and
gdb-multiarch with the ELF, a breakpoint at `done`, a continue and the state there."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

from service.launch import ROOT, free_port
from tests.conftest import require_tool


def readme_gdb_commands() -> tuple[list[str], list[str]]:
    """The two commands of the README's gdb block (line continuations joined)."""
    text = (ROOT / "README.md").read_text()
    block = text[text.index("## gdb\n") :].split("\n\n")[1]
    lines = block.replace("\\\n", " ").splitlines()
    server, gdb = (shlex.split(line) for line in lines)
    assert server[0] == "ppcdbg" and gdb[0] == "gdb-multiarch", block
    return server, gdb


def test_the_readme_gdb_commands_stop_at_done() -> None:
    server, gdb = readme_gdb_commands()
    port = free_port()
    server = [sys.executable, "-m", "service.cli", *server[1:]]
    server[server.index("--port") + 1] = str(port)
    gdb = [require_tool("gdb-multiarch"), "-q", "-nx", "-batch", *gdb[1:]]
    gdb = [a.replace("127.0.0.1:1234", f"127.0.0.1:{port}") for a in gdb]
    proc = subprocess.Popen(server, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        assert "listening on" in proc.stderr.readline()
        out = subprocess.run(gdb, cwd=ROOT, capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL)  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(10)
    text = out.stdout + out.stderr
    assert "No symbol table" not in text, text
    assert re.search(r"Breakpoint 1 at 0x[0-9a-f]+", text), text
    assert re.search(r"Thread \S+ hit Breakpoint 1, 0x[0-9a-f]+ in done \(\)|Breakpoint 1, "
                     r"0x[0-9a-f]+ in done \(\)", text), text  # fmt: skip
    assert len(re.findall(r"^[ *] +\d+ +Thread ", text, re.M)) == 4, text  # the vCPUs
    assert re.search(r"^\$1 = 0x[0-9a-f]+$", text, re.M), text
