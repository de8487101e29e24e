"""``ppcdbg boot`` of Debian's stock kernel on a terminal, as the README shows it: the kernel's
log as it is written, the busybox prompt, a command typed there and its output, ``exit`` and
exit status 0. About 230 M instructions on one vCPU: the suite's longest test beside the
dashboard's, and the only one that drives the CLI's raw-mode terminal with a real kernel."""

from __future__ import annotations

import os
import pty
import select
import sys
import time

import pytest

from tests.engine.platform.test_firmware import kernel_files

BOOT_TIMEOUT = 900.0  # seconds of host time to the prompt (about 80 on an idle machine)


class Terminal:
    """A child process on a pseudo-terminal, read until a word appears."""

    def __init__(self, argv: list[str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the terminal is its stdin, stdout and stderr
            os.execv(argv[0], argv)
        self.seen = b""

    def read_until(self, word: bytes, timeout: float) -> None:
        end = time.monotonic() + timeout
        while word not in self.seen:
            left = end - time.monotonic()
            assert left > 0, f"no {word!r} within {timeout} s; the end: {self.seen[-400:]!r}"
            if select.select([self.fd], [], [], left)[0]:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:  # the child closed the terminal
                    data = b""
                assert data, f"the terminal closed before {word!r}: {self.seen[-400:]!r}"
                self.seen += data

    def type(self, text: bytes) -> None:
        os.write(self.fd, text)

    def exit_status(self, timeout: float) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            if select.select([self.fd], [], [], 0.2)[0]:
                try:
                    self.seen += os.read(self.fd, 65536)
                except OSError:
                    pass
        os.kill(self.pid, 9)
        raise AssertionError(f"ppcdbg boot still running after {timeout} s: {self.seen[-400:]!r}")


@pytest.mark.slow
def test_the_readme_boot_reaches_the_shell_runs_a_typed_command_and_powers_off() -> None:
    vmlinux, initrd = kernel_files()
    term = Terminal([sys.executable, "-m", "service.cli", "boot", str(vmlinux),
                     "--initrd", str(initrd), "--append", "console=hvc0 cryptomgr.notests",
                     "--stats"])  # fmt: skip
    term.read_until(b"Linux version 6.1", 120)
    term.read_until(b"PPCDBG-USERSPACE-OK", BOOT_TIMEOUT)
    term.read_until(b"/ # ", 300)
    # Raw mode: the guest's line discipline echoes and sees a carriage return for Enter.
    term.type(b"echo hi from $(uname -m)\r")
    term.read_until(b"hi from ppc64le", 120)
    term.type(b"exit\r")
    assert term.exit_status(300) == 0, term.seen[-800:]
    out = term.seen.decode("latin-1")
    assert "reboot: Power down" in out
    assert "ppcdbg boot: the guest powered off after" in out
    assert "rtas: " in out and "power-off 1" in out
    # The shell prompt came before the typed command's output, and that before power-off.
    assert out.index("/ # ") < out.index("hi from ppc64le") < out.index("Power down")
