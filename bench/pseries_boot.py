"""``python -m bench.pseries_boot``: boot Debian's stock kernel (``make linux``) on the pseries
platform and report how far it gets, as JSON on stdout (the guest console on stderr with -v).

Milestones are those docs/pseries.md lists: kernel symbols (stop addresses, 0xc000... effective
addresses as the kernel runs them), the first console byte and RTAS call, and the initramfs's
userspace marker; each is reported with the instruction count (all vCPUs) at which it was
reached, to compare with QEMU's budget by phase (docs/pseries.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from engine import codecache
from engine.machine import Machine
from engine.platform.pseries import boot as boot_module
from engine.platform.pseries.hcalls import PseriesHost
from engine.target import ENGINES, NativeUnavailable, current_engine, native_stats, set_engine
from engine.worker import GC_THRESHOLDS

ROOT = Path(__file__).resolve().parents[1]
LINUX = ROOT / "build" / "linux"
SYMBOLS = ("start_kernel", "time_init", "start_secondary", "do_populate_rootfs", "free_initmem",
           "run_init_process", "kernel_power_off", "pseries_power_off")  # fmt: skip
MARKER = b"PPCDBG-USERSPACE-OK"
CMDLINE = "console=hvc0 cryptomgr.notests ppcdbg.poweroff"
# The same boot with the crypto manager's self-tests (RSA/DH in mpihelp_*: about 740 M more
# instructions), issue 17's second boot figure.
CRYPTO_CMDLINE = "console=hvc0 ppcdbg.poweroff"


def boot(kernel: Path, initrd: Path, cmdline: str = CMDLINE, smp: int = 1, base: int = 0,
         max_instructions: int = 400_000_000, verbose: bool = False,
         chunk: int = 5_000_000) -> dict[str, Any]:  # fmt: skip
    """Boot to the end of the run: its reason, instructions, seconds, rate, milestones."""
    cfg = boot_module.PseriesConfig(
        kernel=kernel.read_bytes(),
        initrd=initrd.read_bytes(),
        cmdline=cmdline,
        vcpus=smp,
        kernel_base=base,
        rng_seed=bytes(32),
    )
    m = boot_module.build_machine(cfg)
    # The collector as ``ppcdbg boot`` (service/boot/cli.py collect_less) and the session
    # worker run it, restored afterwards for the benchmarks that follow in this process.
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        return _run(m, max_instructions, verbose, chunk, smp)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _run(m: Machine, max_instructions: int, verbose: bool, chunk: int, smp: int) -> dict[str, Any]:
    host = m.host
    assert isinstance(host, PseriesHost)
    milestones: dict[str, int] = {}
    if verbose:

        def show(_vcpu: int, data: bytes) -> None:
            sys.stderr.write(data.decode("utf-8", "replace"))
            sys.stderr.flush()

        host.on_console = show
    # ELFv2: direct calls enter at the local entry point, 8 bytes past the symbol (the global
    # entry, which sets up r2, falls through to it): stop at both.
    stops = {m.image.symbols[s] + d: s for s in SYMBOLS if s in m.image.symbols for d in (0, 8)}
    seconds_at: dict[str, float] = {}
    native = current_engine() == "native"
    native_before = native_stats() if native else {}
    t0 = time.perf_counter()
    loaded, compiled = codecache.CACHE.loaded, codecache.CACHE.compiled
    reason = "limit"
    next_report = chunk
    while True:
        done = boot_module.instructions(m)
        if done >= max_instructions:
            break
        _, who = m.run(min(1_000_000, max_instructions - done), frozenset(stops))
        done = boot_module.instructions(m)
        if "first console byte" not in milestones and host.console_out:
            milestones["first console byte"] = done
        if "first RTAS call" not in milestones and host.rtas_counts:
            milestones["first RTAS call"] = done
        if "userspace marker" not in milestones and MARKER in host.console_out:
            milestones["userspace marker"] = done
            seconds_at["userspace marker"] = time.perf_counter() - t0
        if who is not None and m.vcpus[who].nia in stops and not host.stop_reason:
            name = stops[m.vcpus[who].nia]
            milestones.setdefault(name, done)
            seconds_at.setdefault(name, time.perf_counter() - t0)
            stops = {a: n for a, n in stops.items() if n != name}
        if host.stop_reason:
            reason = host.stop_reason
            break
        if all(c.halted for c in m.vcpus):
            reason = "stopped"
            break
        if verbose and done >= next_report:
            next_report += chunk
            rate = done / (time.perf_counter() - t0) / 1e6
            print(f"{done / 1e6:.0f} M instructions, {rate:.2f} M/s", file=sys.stderr)
    seconds = time.perf_counter() - t0
    total = boot_module.instructions(m)
    extra: dict[str, Any] = {}
    if native:
        # This boot's share of the process's totals (engine.target.native_stats): instructions
        # run natively, dispatcher calls and slow exits, blocks compiled or found on disk.
        after = native_stats()
        extra["native"] = {k: v - native_before[k] if isinstance(v, int) else v
                           for k, v in after.items()}  # fmt: skip
    return {
        "engine": current_engine(),
        "reason": reason,
        "vcpus": smp,
        "instructions": total,
        "seconds": round(seconds, 1),
        "m_instructions_per_second": round(total / seconds / 1e6, 3),
        "per_vcpu": [c.retired for c in m.vcpus],
        "milestones": dict(sorted(milestones.items(), key=lambda kv: kv[1])),
        "seconds_to": {k: round(v, 1) for k, v in seconds_at.items()},
        "console_tail": bytes(host.console_out[-600:]).decode("utf-8", "replace"),
        # Generated code read from the code cache (engine/codecache.py) or compiled in this
        # boot: a first boot on a machine compiles it all, later ones read it back.
        "code_cache": {
            "loaded": codecache.CACHE.loaded - loaded,
            "compiled": codecache.CACHE.compiled - compiled,
            "path": None if codecache.CACHE.path is None else str(codecache.CACHE.path),
        },
        **extra,
        **host.stats(),
    }


def qemu_boot(kernel: Path, initrd: Path, cmdline: str = CMDLINE, smp: int = 1,
              vof: bool = False, timeout: float = 600) -> dict[str, Any] | None:  # fmt: skip
    """QEMU ``-M pseries`` (SLOF, or ``x-vof=on``) booting the same files to power-off: wall
    seconds, and whether the userspace marker was printed. None without QEMU."""
    qemu = shutil.which("qemu-system-ppc64")
    if qemu is None:
        return None
    machine = "pseries,x-vof=on" if vof else "pseries"
    cmd = [qemu, "-M", machine, "-m", "1G", "-smp", str(smp), "-nographic", "-vga", "none",
           "-nodefaults", "-serial", "mon:stdio", "-no-reboot", "-kernel", str(kernel),
           "-initrd", str(initrd), "-append", cmdline]  # fmt: skip
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                       check=False)  # fmt: skip
    seconds = time.perf_counter() - t0
    return {
        "machine": machine,
        "vcpus": smp,
        "seconds": round(seconds, 2),
        "exit_status": r.returncode,
        "userspace_marker": MARKER in r.stdout,
        "powered_off": b"reboot: Power down" in r.stdout,
    }


def run(qemu: bool = True, kernel: Path = LINUX / "vmlinux",
        initrd: Path = LINUX / "initramfs.cpio",
        crypto: bool = True) -> dict[str, Any]:  # fmt: skip
    """``make bench``'s boot figures: ppcdbg's firmware-less boot of the stock kernel with
    1 and 2 vCPUs to power-off, and QEMU's pseries (SLOF and x-vof=on) on the same files,
    with the ratios (issue 16: <= 120 s; issue 17: <= QEMU); with ``crypto``, the same boot
    with the crypto self-tests on, 1 vCPU, beside QEMU with 1 and 2 vCPUs."""
    if not (kernel.is_file() and initrd.is_file()):
        return {"pseries_boot": {"skipped": "no build/linux: run `make linux`"}}
    out: dict[str, Any] = {"cmdline": CMDLINE, "target_seconds": 120}
    for smp in (1, 2):
        ours = boot(kernel, initrd, smp=smp)
        ours.pop("console_tail")
        entry: dict[str, Any] = {"ppcdbg": ours}
        if qemu:
            _beside_qemu(entry, kernel, initrd, CMDLINE,
                         (("qemu_slof", smp, False), ("qemu_vof", smp, True)))  # fmt: skip
        out[f"smp{smp}"] = entry
    if crypto:
        out["crypto_selftests"] = crypto_boot(kernel, initrd, qemu)
    return {"pseries_boot": out}


def crypto_boot(kernel: Path, initrd: Path, qemu: bool = True) -> dict[str, Any]:
    """The boot with the crypto self-tests (``CRYPTO_CMDLINE``), 1 vCPU, and QEMU's."""
    ours = boot(kernel, initrd, CRYPTO_CMDLINE, smp=1, max_instructions=3_000_000_000)
    ours.pop("console_tail")
    entry: dict[str, Any] = {"cmdline": CRYPTO_CMDLINE, "ppcdbg": ours}
    if qemu:
        _beside_qemu(entry, kernel, initrd, CRYPTO_CMDLINE,
                     (("qemu_slof", 1, False), ("qemu_vof", 1, True),
                      ("qemu_slof_smp2", 2, False)))  # fmt: skip
    return entry


def _beside_qemu(entry: dict[str, Any], kernel: Path, initrd: Path, cmdline: str,
                 runs: tuple[tuple[str, int, bool], ...]) -> None:  # fmt: skip
    """QEMU's boots of the same files, ``runs`` = (key, vCPUs, x-vof=on), into ``entry`` with
    ppcdbg's ratio to each."""
    ours = entry["ppcdbg"]["seconds"]
    for key, smp, vof in runs:
        q = qemu_boot(kernel, initrd, cmdline, smp=smp, vof=vof)
        entry[key] = q
        if q is not None and q["seconds"] > 0:
            entry[f"ppcdbg_over_{key}"] = round(ours / q["seconds"], 1)


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
    ap.add_argument("--qemu", action="store_true", help="also time QEMU (SLOF and x-vof=on)")
    ap.add_argument("--engine", choices=ENGINES, default="python",
                    help="python (the reference) or native (engine/native; needs cc)")  # fmt: skip
    args = ap.parse_args(argv)
    try:
        set_engine(args.engine)
    except NativeUnavailable as e:
        print(f"{ap.prog}: the native engine cannot run here: {str(e).splitlines()[0]}",
              file=sys.stderr)  # fmt: skip
        return 2
    report = boot(args.kernel, args.initrd, args.cmdline, args.smp, args.base,
                  int(args.max_instructions), args.verbose, args.chunk)  # fmt: skip
    if args.qemu:
        report["qemu"] = [qemu_boot(args.kernel, args.initrd, args.cmdline, args.smp, vof)
                          for vof in (False, True)]  # fmt: skip
    print(json.dumps(report, indent=2))
    return 0 if report["reason"] == "poweroff" else 1


if __name__ == "__main__":
    sys.exit(main())
