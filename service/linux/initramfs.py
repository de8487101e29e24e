"""The initramfs ``make linux`` builds: busybox-static and a /init script.

/init mounts /proc, /sys and /dev, prints MARKER and ``uname -a``, then powers off at once when
the kernel command line has the word POWEROFF_WORD, else starts a shell on the console; leaving
that shell (``exit``) powers off too, so a run always ends with RTAS power-off.
"""

from __future__ import annotations

from service.linux import cpio

MARKER = "PPCDBG-USERSPACE-OK"
POWEROFF_WORD = "ppcdbg.poweroff"

# Applets linked into /bin (busybox finds the applet by the name it is run as). A small set
# keeps the archive and the unpack short; `busybox --install -s` at the shell adds the rest.
APPLETS = (
    "sh", "ash", "mount", "umount", "uname", "poweroff", "reboot", "halt", "cat", "echo", "ls",
    "mkdir", "rm", "cp", "mv", "ln", "ps", "dmesg", "grep", "sed", "head", "tail", "wc", "sleep",
    "setsid", "cttyhack", "free", "df", "date", "hostname", "id", "env", "true", "false", "test",
    "[", "vi", "less", "top", "kill", "sync", "stty", "hexdump", "od", "find", "xargs", "awk",
)  # fmt: skip

INIT_SCRIPT = f"""#!/bin/sh
# ppcdbg's initramfs /init (PID 1): mount the pseudo file systems, say hello, then either
# power off (the kernel command line has {POWEROFF_WORD}) or run a shell on the console.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo {MARKER}
uname -a
case " $(cat /proc/cmdline) " in
*" {POWEROFF_WORD} "*)
    poweroff -f
    ;;
esac
echo "ppcdbg: busybox shell on the console; 'exit' powers off"
# cttyhack opens the real console (hvc0) so that the shell has job control.
setsid cttyhack sh -l || sh
poweroff -f
"""


def members(busybox: bytes) -> list[cpio.Member]:
    """The archive's members: the directories, /dev/console (the kernel opens it for init
    before devtmpfs is mounted), busybox and its applet links, /init."""
    out = [cpio.directory(d) for d in ("bin", "sbin", "dev", "proc", "sys", "tmp", "root")]
    out.append(cpio.char_device("dev/console", 5, 1))
    out.append(cpio.file("bin/busybox", busybox, 0o755))
    out += [cpio.symlink(f"bin/{a}", "busybox") for a in APPLETS]
    out.append(cpio.symlink("sbin/init", "../init"))
    out.append(cpio.file("init", INIT_SCRIPT.encode(), 0o755))
    return out


def build(busybox: bytes) -> bytes:
    """The initramfs (an uncompressed newc archive, which every kernel unpacks)."""
    return cpio.write(members(busybox))
