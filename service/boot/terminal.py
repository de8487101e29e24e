"""The user's terminal as the guest's console, the way QEMU's ``-nographic`` presents it.

- ``raw_terminal``: while the guest runs, a terminal on stdin is in raw mode so that every
  key (Ctrl-C included) goes to the guest, as on a serial line; output post-processing stays
  on so that our own messages on stderr still start at the left margin.
- ``EscapeFilter``: the ``Ctrl-A`` escape of QEMU's character multiplexer: ``Ctrl-A x``
  quits, ``Ctrl-A h`` (or ``?``) prints the keys, ``Ctrl-A Ctrl-A`` sends one ``Ctrl-A`` to
  the guest, any other key after ``Ctrl-A`` is swallowed (QEMU does the same).
- ``ConsoleInput``: a thread that reads stdin and hands what the guest should receive to a
  callback (the session's console input). A pipe on stdin is read to its end and then
  simply gives no more input: the guest keeps running.
"""

from __future__ import annotations

import contextlib
import os
import termios
import threading
import tty
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

ESCAPE = 0x01  # Ctrl-A
HELP = b"\r\nC-a h    print this help\r\nC-a x    exit ppcdbg\r\nC-a C-a  send C-a to the guest\r\n"


@dataclass
class EscapeFilter:
    """Splits keyboard bytes into guest input and escape commands."""

    quit: bool = False
    help_requested: bool = False
    _escaped: bool = False

    def feed(self, data: bytes) -> bytes:
        """The bytes of ``data`` meant for the guest; records ``quit``/``help_requested``."""
        out = bytearray()
        for ch in data:
            if self.quit:
                break
            if self._escaped:
                self._escaped = False
                if ch == ESCAPE:
                    out.append(ch)
                elif ch in b"xX":
                    self.quit = True
                elif ch in b"hH?":
                    self.help_requested = True
            elif ch == ESCAPE:
                self._escaped = True
            else:
                out.append(ch)
        return bytes(out)


@contextlib.contextmanager
def raw_terminal(fd: int) -> Iterator[bool]:
    """Raw mode on ``fd`` if it is a terminal (yields whether it is), restored on exit."""
    if not os.isatty(fd):
        yield False
        return
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd, termios.TCSANOW)
        mode = termios.tcgetattr(fd)
        mode[1] |= termios.OPOST | termios.ONLCR  # oflag: keep \n -> \r\n for our own lines
        termios.tcsetattr(fd, termios.TCSANOW, mode)
        yield True
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@dataclass
class ConsoleInput:
    """Reads ``fd`` on a daemon thread: what the guest should receive goes to ``on_data`` as it
    arrives, ``Ctrl-A h`` to ``on_help``, ``Ctrl-A x`` calls ``on_quit``; ``done`` is set at
    the end of input (or the quit)."""

    fd: int
    on_data: Callable[[bytes], object]
    on_help: Callable[[bytes], object] | None = None
    on_quit: Callable[[], object] | None = None
    filter: EscapeFilter = field(default_factory=EscapeFilter)
    done: threading.Event = field(default_factory=threading.Event)

    def start(self) -> ConsoleInput:
        threading.Thread(target=self._read, name="console-input", daemon=True).start()
        return self

    @property
    def quit(self) -> bool:
        return self.filter.quit

    def _read(self) -> None:
        while not self.filter.quit:
            try:
                data = os.read(self.fd, 1024)
            except OSError:
                data = b""
            if not data:
                break
            guest = self.filter.feed(data)
            if self.filter.help_requested:
                self.filter.help_requested = False
                if self.on_help is not None:
                    self.on_help(HELP)
            if guest:
                self.on_data(guest)
        if self.filter.quit and self.on_quit is not None:
            self.on_quit()
        self.done.set()
