"""``python -m bench.pseries_boot``: boot Debian's stock kernel (``make linux``) on the pseries
platform and report how far it gets, as JSON on stdout (the guest console on stderr with -v).

Milestones are those docs/pseries.md lists: kernel symbols (stop addresses, 0xc000... effective
addresses as the kernel runs them), the first console byte and RTAS call, and the initramfs's
userspace marker; each is reported with the instruction count (all vCPUs) at which it was
reached, to compare with QEMU's budget by phase (docs/pseries.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from engine.platform.pseries import boot

ROOT = Path(__file__).resolve().parents[1]
LINUX = ROOT / "build" / "linux"
SYMBOLS = ("start_kernel", "time_init", "start_secondary", "do_populate_rootfs", "free_initmem",
           "run_init_process", "kernel_power_off", "pseries_power_off")  # fmt: skip
MARKER = b"PPCDBG-USERSPACE-OK"
CMDLINE = "console=hvc0 cryptomgr.notests ppcdbg.poweroff"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pseries_boot", description=__doc__)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--max-instructions", type=float, default=400e6)
    ap.add_argument("--base", type=lambda s: int(s, 0), default=0, help="0 or 0x400000")
    ap.add_argument("--kernel", type=Path, default=LINUX / "vmlinux")
    ap.add_argument("--initrd", type=Path, default=LINUX / "initramfs.cpio")
    ap.add_argument("--cmdline", default=CMDLINE)
    ap.add_argument("-v", "--verbose", action="store_true", help="the console on stderr")
    ap.add_argument("--chunk", type=int, default=5_000_000, help="progress line every N")
    args = ap.parse_args(argv)
    cfg = boot.PseriesConfig(
        kernel=args.kernel.read_bytes(),
        initrd=args.initrd.read_bytes(),
        cmdline=args.cmdline,
        vcpus=args.smp,
        kernel_base=args.base,
        rng_seed=bytes(32),
    )
    m = boot.build_machine(cfg)
    host = m.host
    assert host is not None
    milestones: dict[str, int] = {}
    if args.verbose:
        host.on_console = lambda _v, data: (sys.stderr.write(data.decode("utf-8", "replace")),
                                            sys.stderr.flush())  # type: ignore[func-returns-value]  # fmt: skip
    # ELFv2: direct calls enter at the local entry point, 8 bytes past the symbol (the global
    # entry, which sets up r2, falls through to it): stop at both.
    stops = {m.image.symbols[s] + d: s for s in SYMBOLS if s in m.image.symbols for d in (0, 8)}
    limit = int(args.max_instructions)
    t0 = time.perf_counter()
    reason = "limit"
    next_report = args.chunk
    while True:
        done = boot.instructions(m)
        if done >= limit:
            break
        _, who = m.run(min(1_000_000, limit - done), frozenset(stops))
        done = boot.instructions(m)
        if "first console byte" not in milestones and host.console_out:
            milestones["first console byte"] = done
        if "first RTAS call" not in milestones and host.rtas_counts:
            milestones["first RTAS call"] = done
        if "userspace marker" not in milestones and MARKER in host.console_out:
            milestones["userspace marker"] = done
        if who is not None and m.vcpus[who].nia in stops and not host.stop_reason:
            name = stops[m.vcpus[who].nia]
            milestones.setdefault(name, done)
            stops = {a: n for a, n in stops.items() if n != name}
        if host.stop_reason:
            reason = host.stop_reason
            break
        if all(c.halted for c in m.vcpus):
            reason = "stopped"
            break
        if done >= next_report:
            next_report += args.chunk
            rate = done / (time.perf_counter() - t0) / 1e6
            print(f"{done / 1e6:.0f} M instructions, {rate:.2f} M/s", file=sys.stderr)
    seconds = time.perf_counter() - t0
    total = boot.instructions(m)
    report: dict[str, Any] = {
        "reason": reason,
        "instructions": total,
        "seconds": round(seconds, 1),
        "m_instructions_per_second": round(total / seconds / 1e6, 3),
        "per_vcpu": [c.retired for c in m.vcpus],
        "milestones": dict(sorted(milestones.items(), key=lambda kv: kv[1])),
        "console_tail": bytes(host.console_out[-600:]).decode("utf-8", "replace"),
        **host.stats(),
    }
    print(json.dumps(report, indent=2))
    return 0 if reason == "poweroff" else 1


if __name__ == "__main__":
    sys.exit(main())
