"""``ppcdbg boot KERNEL``: an unmodified kernel on the pseries platform, its console here.

The guest console is stdout as it is written and stdin goes to it (raw mode on a terminal;
``Ctrl-A x`` quits, as in QEMU). The run ends when the guest powers off (exit status 0), or
with a one-line reason and a non-zero status: 1 for a guest panic (``ibm,os-term``), a
checkstop or a reboot request, 3 when ``--max-instructions`` retire, 2 for bad input.
``--gdb PORT`` serves the session to gdb before the first instruction (QEMU's ``-s -S``):
gdb drives it from there. ``--bios FILE`` boots as QEMU's ``-bios``: the raw firmware image at 0
(at most 4 MiB) entered at 0x100 with r3 = the device tree, the kernel at 0x400000.
``--engine native`` runs hot blocks as machine code (engine/native) and says, on the line
before the outcome's, how many instructions ran natively.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

from engine.target import (
    ConfigError,
    ConsoleEvent,
    ControllerError,
    ImageError,
    PseriesBoot,
    SessionConfig,
    StopEvent,
    Target,
    current_engine,
    native_stats,
    open_pseries_session,
)

from .. import engine_choice
from ..serve import GC_THRESHOLDS
from .terminal import ConsoleInput, raw_terminal

DEFAULT_MAX = 5_000_000_000
EXIT_POWEROFF, EXIT_GUEST, EXIT_USAGE, EXIT_LIMIT = 0, 1, 2, 3
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


class UsageError(Exception):
    pass


def parse_size(text: str) -> int:
    """QEMU's ``-m`` sizes: a plain number is MiB; K, M, G, T suffixes."""
    m = _SIZE.match(text)
    if not m:
        raise UsageError(f"--memory takes a size such as 1G or 512M, not {text!r}")
    n, unit = int(m.group(1)), m.group(2).lower() or "m"
    return n << {"k": 10, "m": 20, "g": 30, "t": 40}[unit]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "boot",
        help="boot a kernel on the pseries platform with its console on this terminal",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kernel", help="the kernel ELF (vmlinux), either byte order")
    p.add_argument("--initrd", help="an initramfs (cpio, optionally compressed) or raw image")
    p.add_argument("--append", default="console=hvc0", help="the kernel command line")
    p.add_argument("--smp", type=int, default=1, help="vCPUs (one thread per core)")
    p.add_argument("--memory", "-m", default="1G", help="RAM: 1G, 512M, ... (plain: MiB)")
    p.add_argument("--bios", metavar="FILE",
                   help="a raw firmware image (<= 4 MiB) at 0, entered at 0x100 with r3 = the "
                   "tree; the kernel goes at 0x400000 (QEMU's -bios contract)")  # fmt: skip
    p.add_argument("--gdb", type=int, metavar="PORT",
                   help="wait for gdb on this port before the first instruction")  # fmt: skip
    p.add_argument("--max-instructions", type=int, default=DEFAULT_MAX,
                   help="stop (exit status 3) after this many instructions, all vCPUs")  # fmt: skip
    p.add_argument("--stats", action="store_true",
                   help="instructions, speed, hypercalls, RTAS calls on stderr")  # fmt: skip
    p.add_argument("--idle", choices=("skip", "realtime"),
                   help="when every vCPU sleeps: skip to the next timer at once, or wait as long "
                   "on the host clock (woken by typing). Default: realtime when stdin is a "
                   "terminal (an idle shell costs no CPU), else skip")  # fmt: skip
    engine_choice.add_option(p)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {what} {path}: {e.strerror}") from None


def open_target(args: argparse.Namespace) -> Target:
    if not 1 <= args.smp <= 64:
        raise UsageError("--smp must be between 1 and 64")
    if args.max_instructions < 1:
        raise UsageError("--max-instructions must be at least 1")
    if args.gdb is not None and not 0 <= args.gdb < 65536:
        raise UsageError("--gdb takes a TCP port between 0 and 65535")
    kernel = _read(args.kernel, "the kernel")
    initrd = _read(args.initrd, "the initrd") if args.initrd else None
    bios = _read(args.bios, "the firmware image") if args.bios else None
    memory = parse_size(args.memory)
    # The kernel base is the boot's default: 0 in the direct boot, where the kernel runs where
    # it is linked and need not copy itself down (~26 M instructions QEMU's 0x400000 costs it);
    # 0x400000 with --bios, as QEMU.
    boot = PseriesBoot(kernel=kernel, initrd=initrd, cmdline=args.append, vcpus=args.smp,
                       memory=memory, bios=bios)  # fmt: skip
    idle = args.idle or ("realtime" if sys.stdin.isatty() else "skip")
    config = SessionConfig(profile="pseries", vcpus=args.smp, memory=memory, quantum=boot.quantum,
                           history=args.gdb is not None, idle=idle)  # fmt: skip
    return open_pseries_session(boot, config)


class Console:
    """The guest's output on ``out`` as it arrives (from the engine's thread)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.lock = threading.Lock()

    def __call__(self, ev: Any) -> None:
        if isinstance(ev, ConsoleEvent):
            self.write(ev.text.encode("latin-1"))

    def write(self, data: bytes) -> None:
        with self.lock:
            self.out.write(data)
            self.out.flush()


def _outcome(ev: StopEvent | None, quit_: bool) -> tuple[int, str]:
    if quit_:
        return EXIT_POWEROFF, "quit (Ctrl-A x)"
    if ev is None:
        return EXIT_GUEST, "the run ended without a stop"
    if ev.reason == "poweroff":
        return EXIT_POWEROFF, "the guest powered off"
    if ev.reason == "limit":
        return EXIT_LIMIT, "the instruction limit was reached"
    if ev.reason == "panic":
        return EXIT_GUEST, f"guest panic (ibm,os-term){': ' + ev.message if ev.message else ''}"
    if ev.reason == "reboot":
        return EXIT_GUEST, "the guest asked for a reboot (ppcdbg does not restart it)"
    detail = f": {ev.message}" if ev.message else ""
    return EXIT_GUEST, f"the run stopped ({ev.reason}{detail})"


def _stats(ctl: Target, seconds: float, out: BinaryIO) -> None:
    views = ctl.vcpu_views()
    total = sum(v.retired for v in views)
    lines = [
        f"instructions: {total:,}",
        f"seconds: {seconds:.2f}",
        f"M instructions/s: {total / seconds / 1e6 if seconds > 0 else 0:.2f}",
        "per vCPU: " + ", ".join(f"{v.index}: {v.retired:,}" for v in views),
    ]
    for name, counts in ctl.platform_stats().items():
        if isinstance(counts, dict) and counts:
            lines.append(f"{name}: " + ", ".join(f"{k} {c:,}" for k, c in counts.items()))
    out.write(("\n".join(lines) + "\n").encode())
    out.flush()


def native_summary(total: int) -> str:
    """What the native engine did in this process's run of ``total`` instructions, the line
    printed just before the outcome's."""
    s = native_stats()
    ran = s["instructions"]
    share = f" ({100 * ran / total:.1f}%)" if total > 0 else ""
    line = (f"native engine: {ran:,} instructions run natively{share}, {s['blocks']:,} blocks "
            f"in {s['calls']:,} calls, {s['slow_exits']:,} slow exits; {s['compiled']:,} "
            f"blocks compiled, {s['loaded']:,} loaded from the cache")  # fmt: skip
    if s["failed"]:
        line += f"; compiling stopped: {s['failed'].splitlines()[0]}"
    return line


def collect_less() -> None:
    """The collector as the session worker and ``ppcdbg serve`` run it: what exists now (the
    engine's modules, the image's symbols, the machine) frozen out of its passes, which run
    less often. With CPython's (700, 10, 10) the stock kernel's boot spent 12% of its host
    time in 22 full passes over a heap that grows with decoded code (docs/speed.md)."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run(args: argparse.Namespace) -> int:
    err = sys.stderr
    try:
        ctl = open_target(args)
    except (UsageError, ImageError, ConfigError, ControllerError) as e:
        print(f"ppcdbg boot: {e}", file=err)
        return EXIT_USAGE
    collect_less()
    console = Console(sys.stdout.buffer)
    ctl.subscribe(console)
    t0 = time.perf_counter()
    quit_ = False
    if args.gdb is not None:
        ev = _serve_gdb(ctl, args.gdb)
    else:
        fd = _stdin_fd()
        with raw_terminal(fd) if fd >= 0 else contextlib.nullcontext(False) as is_tty:
            inp = None
            if fd >= 0:
                inp = ConsoleInput(fd, on_help=console.write, on_data=ctl.console_input,
                                   on_quit=ctl.halt).start()  # fmt: skip
            # Until the guest ends the run, the limit, or a halt (Ctrl-A x).
            ev = ctl.cont(budget=args.max_instructions)
            quit_ = bool(inp and inp.quit)
            if is_tty:
                console.write(b"\r\n")
    seconds = time.perf_counter() - t0
    status, why = _outcome(ev, quit_)
    if current_engine() == "native":
        print(f"ppcdbg boot: {native_summary(ctl.time)}", file=err)
    print(f"ppcdbg boot: {why} after {ctl.time:,} instructions", file=err, flush=True)
    if args.stats:
        _stats(ctl, seconds, sys.stderr.buffer)
    return status


def _stdin_fd() -> int:
    try:
        return sys.stdin.fileno() if sys.stdin is not None else -1
    except (OSError, ValueError):
        return -1


def _serve_gdb(ctl: Target, port: int) -> StopEvent | None:
    from service.gdb import start_gdb_server

    server = start_gdb_server(ctl, "127.0.0.1", port)
    print(f"ppcdbg boot: waiting for gdb on {server.host}:{server.port}", file=sys.stderr,
          flush=True)  # fmt: skip
    try:
        while not server.finished.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return ctl.last_stop
