"""``python -m service.linux [--dir build/linux]``: fetch Debian's ppc64el kernel and
busybox-static, and build an initramfs to boot them with (``make linux``).

apt-get runs with the host's package sources but a private architecture (ppc64el only), package
lists and cache under DIR, so the host's own apt state is untouched and no root is needed. The
kernel is whatever ``linux-image-powerpc64le`` depends on. Already-downloaded packages whose
size and SHA256 match are not fetched again.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from service.linux import initramfs

KERNEL_META = "linux-image-powerpc64le"
BUSYBOX = "busybox-static"
ARCH = "ppc64el"


class LinuxBuildError(Exception):
    pass


@dataclass(frozen=True)
class Download:
    url: str
    filename: str
    size: int
    sha256: str | None


def apt_options(work: Path) -> list[str]:
    opts = {
        "APT::Architecture": ARCH,
        "APT::Architectures": ARCH,
        "Dir::State::Lists": str(work / "lists"),
        "Dir::Cache": str(work / "cache"),
    }
    if os.geteuid() == 0:
        # As root apt drops to the _apt user to download, which cannot write into a private
        # directory under the user's tree: stay root (apt would warn and do so anyway).
        opts["APT::Sandbox::User"] = "root"
    return [a for k, v in opts.items() for a in ("-o", f"{k}={v}")]


def run(cmd: list[str], cwd: Path | None = None) -> str:
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as e:
        raise LinuxBuildError(
            f"{cmd[0]} is not installed (Debian: apt-get install apt dpkg)"
        ) from e
    if r.returncode != 0:
        raise LinuxBuildError(f"{' '.join(cmd[:2])} failed:\n{r.stderr.strip() or r.stdout}")
    return r.stdout


def kernel_package(depends_output: str) -> str:
    """The kernel image package the metapackage depends on, from ``apt-cache depends``."""
    for line in depends_output.splitlines():
        m = re.match(r"\s*\|?Depends:\s*(linux-image-\S+)", line)
        if m:
            return m.group(1)
    raise LinuxBuildError(f"{KERNEL_META} depends on no linux-image package:\n{depends_output}")


def parse_print_uris(output: str) -> list[Download]:
    """``apt-get download --print-uris`` lines: 'URL' FILENAME SIZE SHA256:HEX."""
    out = []
    for line in output.splitlines():
        m = re.match(r"'([^']+)'\s+(\S+)\s+(\d+)\s*(\S*)", line)
        if m:
            digest = m.group(4)
            sha = digest.split(":", 1)[1].lower() if digest.upper().startswith("SHA256:") else None
            out.append(Download(m.group(1), m.group(2), int(m.group(3)), sha))
    return out


def have(path: Path, d: Download) -> bool:
    if not path.is_file() or path.stat().st_size != d.size:
        return False
    if d.sha256 is None:
        return True
    return hashlib.sha256(path.read_bytes()).hexdigest() == d.sha256


def fetch(work: Path, say: bool = True) -> tuple[Path, Path, str]:
    """Download the kernel and busybox packages into WORK/debs: (kernel .deb, busybox .deb,
    kernel package name)."""
    for sub in ("lists/partial", "cache/archives/partial", "debs"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    opts = apt_options(work)
    if say:
        print(f"apt-get update ({ARCH} package lists into {work / 'lists'})", flush=True)
    run(["apt-get", *opts, "-qq", "update"])
    kernel = kernel_package(run(["apt-cache", *opts, "depends", KERNEL_META]))
    debs = work / "debs"
    wanted = parse_print_uris(run(["apt-get", *opts, "download", "--print-uris", kernel, BUSYBOX]))
    if len(wanted) != 2:
        raise LinuxBuildError(f"expected two packages to download, apt-get lists {wanted}")
    missing = [d for d in wanted if not have(debs / d.filename, d)]
    if missing:
        names = [d.filename.split("_")[0] for d in missing]
        if say:
            size = sum(d.size for d in missing) / 1e6
            print(f"apt-get download {' '.join(names)} ({size:.1f} MB)", flush=True)
        run(["apt-get", *opts, "-qq", "download", *names], cwd=debs)
    for d in wanted:
        if not have(debs / d.filename, d):
            raise LinuxBuildError(f"{d.filename} did not download correctly")
    by_name = {d.filename.split("_")[0]: debs / d.filename for d in wanted}
    return by_name[kernel], by_name[BUSYBOX], kernel


def unpack(deb: Path, into: Path) -> None:
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    run(["dpkg-deb", "-x", str(deb), str(into)])


def build(work: Path, say: bool = True) -> tuple[Path, Path]:
    """Fetch, unpack and build: (vmlinux, initramfs.cpio) in WORK."""
    kernel_deb, busybox_deb, kernel = fetch(work, say)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        root = Path(tmp)
        unpack(kernel_deb, root / "kernel")
        unpack(busybox_deb, root / "busybox")
        images = sorted((root / "kernel" / "boot").glob("vmlinux-*"))
        if len(images) != 1:
            raise LinuxBuildError(f"{kernel_deb.name} has no single /boot/vmlinux-*: {images}")
        vmlinux = work / "vmlinux"
        shutil.copyfile(images[0], vmlinux)
        busybox = (root / "busybox" / "bin" / "busybox").read_bytes()
    initrd = work / "initramfs.cpio"
    initrd.write_bytes(initramfs.build(busybox))
    (work / "kernel-release").write_text(kernel.removeprefix("linux-image-") + "\n")
    return vmlinux, initrd


def shown(path: Path) -> str:
    """The path relative to the current directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m service.linux", description=__doc__)
    p.add_argument("--dir", type=Path, default=Path("build/linux"), help="work and output dir")
    args = p.parse_args(argv)
    work = args.dir.resolve()
    try:
        vmlinux, initrd = build(work)
    except LinuxBuildError as e:
        print(f"make linux: {e}", file=sys.stderr)
        return 1
    rel = (work / "kernel-release").read_text().strip()
    k, i = shown(vmlinux), shown(initrd)
    print(f"kernel    {k}  (Debian {rel}, {vmlinux.stat().st_size / 1e6:.1f} MB)")
    print(f"initramfs {i}  (busybox-static, {initrd.stat().st_size / 1e6:.1f} MB)")
    print(
        "boot under QEMU: qemu-system-ppc64 -M pseries -m 1G -nographic -vga none "
        f"-kernel {k} -initrd {i} -append 'console=hvc0 cryptomgr.notests'"
    )
    print(f"(add {initramfs.POWEROFF_WORD} to the command line to power off after the marker)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
