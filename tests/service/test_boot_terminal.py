"""The boot console's terminal handling: QEMU's Ctrl-A escapes, raw mode, stdin reading."""

from __future__ import annotations

import os
import termios

from service.boot.terminal import HELP, ConsoleInput, EscapeFilter, raw_terminal


def test_plain_keys_go_to_the_guest() -> None:
    f = EscapeFilter()
    assert f.feed(b"echo hi\r\x03") == b"echo hi\r\x03"  # Ctrl-C is the guest's
    assert not f.quit


def test_ctrl_a_x_quits_and_drops_what_follows() -> None:
    f = EscapeFilter()
    assert f.feed(b"ls\x01xmore") == b"ls"
    assert f.quit


def test_escape_split_across_reads_still_quits() -> None:
    f = EscapeFilter()
    assert f.feed(b"a\x01") == b"a"
    assert f.feed(b"x") == b""
    assert f.quit


def test_ctrl_a_twice_sends_one_ctrl_a() -> None:
    f = EscapeFilter()
    assert f.feed(b"\x01\x01b") == b"\x01b"
    assert not f.quit


def test_ctrl_a_h_asks_for_help_and_unknown_escapes_are_swallowed() -> None:
    f = EscapeFilter()
    assert f.feed(b"\x01h\x01zq") == b"q"
    assert f.help_requested and not f.quit


def test_console_input_reads_a_pipe_to_its_end() -> None:
    r, w = os.pipe()
    got: list[bytes] = []
    inp = ConsoleInput(r, on_data=got.append).start()
    os.write(w, b"uname -a\n")
    os.close(w)
    assert inp.done.wait(5)
    os.close(r)
    assert b"".join(got) == b"uname -a\n" and not inp.quit


def test_console_input_stops_at_ctrl_a_x_and_prints_help() -> None:
    r, w = os.pipe()
    got: list[bytes] = []
    helped: list[bytes] = []
    quits: list[bool] = []
    inp = ConsoleInput(r, on_data=got.append, on_help=helped.append,
                       on_quit=lambda: quits.append(True)).start()  # fmt: skip
    os.write(w, b"ok\x01h\x01xignored")
    assert inp.done.wait(5)
    assert inp.quit and b"".join(got) == b"ok" and helped == [HELP] and quits == [True]
    os.close(w)
    os.close(r)


def test_raw_mode_on_a_terminal_is_restored_afterwards() -> None:
    master, slave = os.openpty()
    before = termios.tcgetattr(slave)
    with raw_terminal(slave) as is_tty:
        assert is_tty
        mode = termios.tcgetattr(slave)
        assert not mode[3] & (termios.ICANON | termios.ECHO | termios.ISIG)
        assert mode[1] & termios.OPOST
    assert termios.tcgetattr(slave) == before
    os.close(master)
    os.close(slave)


def test_raw_mode_leaves_a_pipe_alone() -> None:
    r, w = os.pipe()
    with raw_terminal(r) as is_tty:
        assert not is_tty
    os.close(r)
    os.close(w)
