"""A cpio "newc" (SVR4, no CRC) archive writer and reader: the format Linux unpacks an
initramfs from.

Each member is a 110-byte ASCII header ("070701" and 13 eight-digit hex fields: inode, mode,
uid, gid, nlink, mtime, file size, dev major/minor, rdev major/minor, name size with its NUL,
check = 0), the NUL-terminated name, padding to a multiple of 4, the data (a symlink's data is
its target), padding to a multiple of 4. The archive ends with a member named "TRAILER!!!".
The writer is deterministic: owner root, mtime 0 unless given, inodes numbered in order.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from dataclasses import dataclass

MAGIC = b"070701"
TRAILER = "TRAILER!!!"
HEADER_SIZE = 110


@dataclass(frozen=True)
class Member:
    """One archive member. ``mode`` holds the file type bits (stat.S_IFREG, S_IFDIR, ...)."""

    name: str
    mode: int
    data: bytes = b""
    rdev_major: int = 0
    rdev_minor: int = 0
    mtime: int = 0
    uid: int = 0
    gid: int = 0

    @property
    def kind(self) -> int:
        return stat.S_IFMT(self.mode)


def file(name: str, data: bytes, perm: int = 0o644) -> Member:
    return Member(name, stat.S_IFREG | perm, data)


def directory(name: str, perm: int = 0o755) -> Member:
    return Member(name, stat.S_IFDIR | perm)


def symlink(name: str, target: str) -> Member:
    return Member(name, stat.S_IFLNK | 0o777, target.encode())


def char_device(name: str, major: int, minor: int, perm: int = 0o600) -> Member:
    return Member(name, stat.S_IFCHR | perm, rdev_major=major, rdev_minor=minor)


def _pad4(n: int) -> bytes:
    return b"\0" * (-n % 4)


def _header(ino: int, m: Member, nlink: int, namesize: int) -> bytes:
    fields = (
        ino, m.mode, m.uid, m.gid, nlink, m.mtime, len(m.data),
        0, 0, m.rdev_major, m.rdev_minor, namesize, 0,
    )  # fmt: skip
    for f in fields:
        if not 0 <= f <= 0xFFFFFFFF:
            raise ValueError(f"cpio: {m.name!r}: field value {f:#x} does not fit 32 bits")
    return MAGIC + b"".join(b"%08X" % f for f in fields)


def write(members: Iterable[Member]) -> bytes:
    """The archive of ``members`` in the order given (parents before children, as the kernel
    creates them in that order)."""
    out = bytearray()
    seen: set[str] = set()
    ino = 0
    for m in [*members, Member(TRAILER, 0)]:
        name = m.name.lstrip("/") or "."
        if m.name != TRAILER:
            if name in seen:
                raise ValueError(f"cpio: {name!r} appears twice")
            seen.add(name)
            if m.kind not in (stat.S_IFREG, stat.S_IFLNK) and m.data:
                raise ValueError(f"cpio: {name!r} is not a file or symlink but has data")
            ino += 1
        raw_name = name.encode() + b"\0"
        nlink = 2 if m.kind == stat.S_IFDIR else 1
        out += _header(0 if m.name == TRAILER else ino, m, nlink, len(raw_name))
        out += raw_name + _pad4(HEADER_SIZE + len(raw_name))
        out += m.data + _pad4(len(m.data))
    return bytes(out)


def read(data: bytes) -> list[Member]:
    """The members of a newc archive, up to its trailer (which is not returned)."""
    members: list[Member] = []
    pos = 0
    while True:
        head = data[pos : pos + HEADER_SIZE]
        if len(head) < HEADER_SIZE or head[:6] != MAGIC:
            raise ValueError(f"cpio: no newc header at offset {pos}")
        f = [int(head[6 + 8 * i : 14 + 8 * i], 16) for i in range(13)]
        mode, uid, gid, mtime, size, rmaj, rmin, namesize = (
            f[1], f[2], f[3], f[5], f[6], f[9], f[10], f[11],
        )  # fmt: skip
        pos += HEADER_SIZE
        name = data[pos : pos + namesize - 1].decode()
        pos += namesize + len(_pad4(HEADER_SIZE + namesize))
        body = data[pos : pos + size]
        if len(body) < size:
            raise ValueError(f"cpio: {name!r} is truncated")
        pos += size + len(_pad4(size))
        if name == TRAILER:
            return members
        members.append(Member(name, mode, body, rmaj, rmin, mtime, uid, gid))
