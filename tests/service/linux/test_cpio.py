"""The newc cpio writer (service/linux/cpio.py): what it writes reads back with our reader and
with GNU cpio, member for member and byte for byte."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from service.linux import cpio
from tests.conftest import require_tool

MEMBERS = [
    cpio.directory("bin"),
    cpio.directory("etc", 0o700),
    cpio.file("bin/tool", bytes(range(256)) * 3 + b"odd", 0o755),
    cpio.file("etc/empty", b""),
    cpio.file("etc/a-rather-longer-name.txt", b"x"),
    cpio.symlink("bin/sh", "tool"),
    cpio.file("init", b"#!/bin/sh\necho hi\n", 0o755),
]


def test_the_archive_reads_back_with_the_python_reader() -> None:
    data = cpio.write(MEMBERS)
    assert len(data) % 4 == 0
    assert data.startswith(b"070701")
    assert b"TRAILER!!!\0" in data[-128:]
    back = cpio.read(data)
    assert [(m.name, m.mode, m.data) for m in back] == [(m.name, m.mode, m.data) for m in MEMBERS]
    assert all(m.uid == m.gid == m.mtime == 0 for m in back)
    # Deterministic: the same members give the same bytes.
    assert cpio.write(MEMBERS) == data


def test_header_layout() -> None:
    data = cpio.write([cpio.file("ab", b"12345", 0o600)])
    head = data[:110]
    fields = [int(head[6 + 8 * i : 14 + 8 * i], 16) for i in range(13)]
    ino, mode, uid, gid, nlink, mtime, size, _, _, rmaj, rmin, namesize, check = fields
    assert (ino, mode, nlink, size, namesize, check) == (1, stat.S_IFREG | 0o600, 1, 5, 3, 0)
    # name "ab\0" padded so that header + name is a multiple of 4, then data padded to 4.
    assert data[110:113] == b"ab\0" and data[113:116] == b"\0\0\0"
    assert data[116:121] == b"12345" and data[121:124] == b"\0\0\0"
    assert data[124:130] == b"070701"


def test_device_nodes_carry_their_numbers() -> None:
    data = cpio.write([cpio.directory("dev"), cpio.char_device("dev/console", 5, 1)])
    (_, console) = cpio.read(data)
    assert stat.S_ISCHR(console.mode) and (console.rdev_major, console.rdev_minor) == (5, 1)


def test_gnu_cpio_lists_and_extracts_the_archive(tmp_path: Path) -> None:
    tool = require_tool("cpio")
    data = cpio.write([*MEMBERS, cpio.directory("dev"), cpio.char_device("dev/console", 5, 1)])
    listing = subprocess.run(
        [tool, "-t", "-v", "--quiet"], input=data, capture_output=True, timeout=30, check=True
    ).stdout.decode()
    lines = listing.splitlines()
    assert [ln.split()[-1] if "->" not in ln else ln.split()[-3] for ln in lines] == [
        m.name for m in MEMBERS
    ] + ["dev", "dev/console"]
    assert any(ln.startswith("crw-------") and " 5,   1 " in ln for ln in lines), listing
    assert any(ln.startswith("lrwxrwxrwx") and "bin/sh -> tool" in ln for ln in lines)

    # Extract the regular members (a device node needs root to create) and compare.
    out = tmp_path / "root"
    out.mkdir()
    subprocess.run(
        [tool, "-i", "-d", "--quiet", "--no-absolute-filenames"],
        input=cpio.write(MEMBERS), cwd=out, capture_output=True, timeout=30, check=True,
    )  # fmt: skip
    for m in MEMBERS:
        p = out / m.name
        if m.kind == stat.S_IFREG:
            assert p.read_bytes() == m.data and stat.S_IMODE(p.stat().st_mode) == m.mode & 0o777
        elif m.kind == stat.S_IFLNK:
            assert p.is_symlink() and str(p.readlink()) == m.data.decode()
        else:
            assert p.is_dir()


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([cpio.file("a", b""), cpio.file("a", b"")], "twice"),
        ([cpio.Member("d", stat.S_IFDIR | 0o755, b"data")], "has data"),
        ([cpio.Member("big", stat.S_IFREG, rdev_major=1 << 32)], "32 bits"),
    ],
)
def test_bad_members_are_refused(members: list[cpio.Member], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cpio.write(members)


def test_the_reader_refuses_garbage() -> None:
    with pytest.raises(ValueError, match="no newc header"):
        cpio.read(b"not an archive" * 10)
    with pytest.raises(ValueError, match="truncated"):
        cpio.read(cpio.write([cpio.file("f", b"0123456789")])[:118])
