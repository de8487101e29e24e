"""The initramfs ``make linux`` builds (service/linux/initramfs.py) and the offline parts of
the download script (service/linux/__main__.py). The download itself needs the network and is
run by hand (README, "Linux")."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from service.linux import __main__ as linux
from service.linux import cpio, initramfs

FAKE_BUSYBOX = b"\x7fELF-not-really-busybox"


def by_name() -> dict[str, cpio.Member]:
    return {m.name: m for m in cpio.read(initramfs.build(FAKE_BUSYBOX))}


def test_the_archive_has_init_busybox_its_applets_and_a_console() -> None:
    members = by_name()
    init = members["init"]
    assert init.kind == stat.S_IFREG and init.mode & 0o111 and init.data.startswith(b"#!/bin/sh")
    assert members["bin/busybox"].data == FAKE_BUSYBOX and members["bin/busybox"].mode & 0o111
    for applet in ("sh", "mount", "uname", "poweroff", "cat", "setsid", "cttyhack"):
        link = members[f"bin/{applet}"]
        assert link.kind == stat.S_IFLNK and link.data == b"busybox"
    console = members["dev/console"]
    assert stat.S_ISCHR(console.mode) and (console.rdev_major, console.rdev_minor) == (5, 1)
    for d in ("proc", "sys", "dev", "bin", "tmp"):
        assert members[d].kind == stat.S_IFDIR
    # Parents come before their children (the kernel creates members in archive order).
    names = list(members)
    for n in names:
        if "/" in n:
            assert names.index(n.rsplit("/", 1)[0]) < names.index(n)


def test_the_init_script_does_what_the_readme_says() -> None:
    text = initramfs.INIT_SCRIPT
    lines = [ln.strip() for ln in text.splitlines()]
    for mount in ("proc proc /proc", "sysfs sysfs /sys", "devtmpfs devtmpfs /dev"):
        assert f"mount -t {mount}" in lines
    # The marker, then uname, then the power-off word check, then the shell, then power-off.
    order = [
        lines.index(f"echo {initramfs.MARKER}"),
        lines.index("uname -a"),
        next(i for i, ln in enumerate(lines) if initramfs.POWEROFF_WORD in ln and "*" in ln),
        next(i for i, ln in enumerate(lines) if ln.startswith("setsid cttyhack sh")),
        len(lines) - 1 - lines[::-1].index("poweroff -f"),
    ]
    assert order == sorted(order)
    assert lines.count("poweroff -f") == 2
    assert initramfs.MARKER == "PPCDBG-USERSPACE-OK"


@pytest.mark.parametrize(
    ("cmdline", "powers_off"),
    [
        ("console=hvc0 cryptomgr.notests ppcdbg.poweroff", True),
        ("ppcdbg.poweroff", True),
        ("console=hvc0 ppcdbg.poweroff quiet", True),
        ("console=hvc0", False),
        ("console=hvc0 ppcdbg.poweroffx", False),
        ("xppcdbg.poweroff", False),
    ],
)
def test_the_poweroff_word_is_matched_as_a_word(
    cmdline: str, powers_off: bool, tmp_path: Path
) -> None:
    """Run the script's command-line test with the host's sh, the commands stubbed."""
    sh = shutil.which("sh")
    assert sh is not None
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (tmp_path / "cmdline").write_text(cmdline + "\n")
    for cmd in ("mount", "uname", "poweroff", "setsid"):
        stub = bindir / cmd
        stub.write_text(f'#!/bin/sh\necho "{cmd} $*"\n')
        stub.chmod(0o755)
    cat = shutil.which("cat")
    assert cat is not None
    (bindir / "cat").symlink_to(cat)
    script = initramfs.INIT_SCRIPT.replace("export PATH=/bin:/sbin", f"export PATH={bindir}")
    script = script.replace("/proc/cmdline", str(tmp_path / "cmdline"))
    # The real poweroff -f does not return; the stub does.
    script = script.replace("    poweroff -f\n", "    poweroff -f; exit 0\n", 1)
    out = subprocess.run(
        [sh, "-c", script], capture_output=True, text=True, timeout=30, check=True
    ).stdout.splitlines()
    assert out[:5] == [
        "mount -t proc proc /proc",
        "mount -t sysfs sysfs /sys",
        "mount -t devtmpfs devtmpfs /dev",
        initramfs.MARKER,
        "uname -a",
    ]
    if powers_off:
        assert out[5:] == ["poweroff -f"]
    else:
        assert out[5].startswith("ppcdbg: busybox shell")
        assert out[6:] == ["setsid cttyhack sh -l", "poweroff -f"]


def test_the_kernel_package_is_read_from_apt_cache_depends() -> None:
    out = "linux-image-powerpc64le\n  Depends: linux-image-6.1.0-57-powerpc64le\n"
    assert linux.kernel_package(out) == "linux-image-6.1.0-57-powerpc64le"
    with pytest.raises(linux.LinuxBuildError):
        linux.kernel_package("linux-image-powerpc64le\n  Depends: kmod\n")


def test_print_uris_and_the_already_downloaded_check(tmp_path: Path) -> None:
    import hashlib

    body = b"a package"
    digest = hashlib.sha256(body).hexdigest()
    out = (
        f"'http://mirror.invalid/pool/b/busybox_1.35_ppc64el.deb' busybox_1.35_ppc64el.deb "
        f"{len(body)} SHA256:{digest}\n"
    )
    (d,) = linux.parse_print_uris(out)
    assert (d.filename, d.size, d.sha256) == ("busybox_1.35_ppc64el.deb", len(body), digest)
    path = tmp_path / d.filename
    assert not linux.have(path, d)
    path.write_bytes(body)
    assert linux.have(path, d)
    path.write_bytes(b"a pAckage")
    assert not linux.have(path, d)


def test_apt_runs_with_a_private_architecture_lists_and_cache(tmp_path: Path) -> None:
    opts = linux.apt_options(tmp_path)
    pairs = dict(o.split("=", 1) for o in opts[1::2])
    assert opts[0::2] == ["-o"] * len(pairs)
    assert pairs["APT::Architecture"] == pairs["APT::Architectures"] == "ppc64el"
    assert pairs["Dir::State::Lists"] == str(tmp_path / "lists")
    assert pairs["Dir::Cache"] == str(tmp_path / "cache")
