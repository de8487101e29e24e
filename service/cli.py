"""The ``ppcdbg`` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.target import (
    BACKENDS,
    ConfigError,
    ControllerError,
    Image,
    ImageError,
    SessionConfig,
    UnknownRegister,
    canonical,
    load_image,
)
from engine.trace import DEFAULT_REGS, REGISTER_GROUPS, TraceOptions, Tracer, expand_groups
from service import dbcopy, engine_choice, serve
from service.boot import cli as boot_cli
from service.gdb import cli as gdb_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class UsageError(Exception):
    pass


def parse_address(text: str, image: Image) -> int:
    t = text.strip()
    try:
        return int(t, 16) if t.lower().startswith("0x") else int(t, 0)
    except ValueError:
        pass
    if t in image.symbols:
        return image.symbols[t]
    raise UsageError(f"symbol {t!r} not found in the image")


def _trace_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("trace", help="run an image and print its state as JSON lines")
    p.add_argument("image")
    p.add_argument("--steps", type=int)
    p.add_argument("--stop-at", action="append", default=[])
    p.add_argument("--until", action="append", default=[])
    p.add_argument("--vcpus", type=int, default=1)
    p.add_argument("--profile", choices=("powernv", "guest"), default="powernv")
    p.add_argument("--backend", choices=BACKENDS, default="native")
    p.add_argument("--atomic-sequences", choices=("each", "whole"))
    p.add_argument("--step-vcpu", type=int)
    p.add_argument("--scheduler-locking", choices=("off", "step", "on"), default="step")
    p.add_argument("--quantum", type=int, default=10)
    p.add_argument(
        "--step-flags",
        default="noirq,notimer",
        help="noirq, notimer (both by default, as QEMU's gdbstub) or none",
    )
    p.add_argument(
        "--regs",
        default=",".join(DEFAULT_REGS),
        help="extra registers, comma-separated; groups: " + ", ".join(REGISTER_GROUPS),
    )
    p.add_argument(
        "--vector-changes",
        action="store_true",
        help='a "vector" object per line: the VSRs and VSCR that changed (all on final lines)',
    )
    p.add_argument("--mem", action="append", default=[])
    p.add_argument("--max-instructions", type=int, default=10_000_000)
    p.add_argument("--stats", action="store_true")
    p.add_argument("--out")
    engine_choice.add_option(p)


def cmd_trace(args: argparse.Namespace) -> int:
    try:
        regs = expand_groups(tuple(r.strip() for r in args.regs.split(",") if r.strip()))
        for r in regs:
            canonical(r)
        try:
            data = Path(args.image).read_bytes()
        except OSError as e:
            raise UsageError(f"cannot read image {args.image}: {e.strerror}") from e
        image = load_image(data)
        if args.steps is not None and args.steps < 0:
            raise UsageError("--steps must be non-negative")
        if args.step_vcpu is not None and not 0 <= args.step_vcpu < args.vcpus:
            raise UsageError(f"--step-vcpu must be between 0 and {args.vcpus - 1}")
        mem = []
        for spec in args.mem:
            where, sep, length = spec.rpartition(":")
            if not sep or not length.strip().isdigit() and not length.strip().startswith("0x"):
                raise UsageError(f"--mem takes ADDR_OR_SYMBOL:LENGTH, not {spec!r}")
            mem.append((where, parse_address(where, image), int(length, 0)))
        opts = TraceOptions(
            steps=args.steps,
            stop_at=[parse_address(a, image) for a in args.stop_at],
            until=[parse_address(a, image) for a in args.until],
            regs=regs,
            mem=mem,
            max_instructions=args.max_instructions,
            step_vcpu=args.step_vcpu,
            stats=args.stats,
            vector_changes=args.vector_changes,
        )
        flags = {f.strip() for f in args.step_flags.split(",") if f.strip() and f.strip() != "none"}
        if not flags <= {"noirq", "notimer"}:
            raise UsageError(f"--step-flags takes noirq, notimer or none, not {args.step_flags!r}")
        tracer = Tracer(
            image,
            SessionConfig(
                profile=args.profile, vcpus=args.vcpus, backend=args.backend,
                scheduler_locking=args.scheduler_locking, quantum=args.quantum,
                atomic_sequences=args.atomic_sequences, noirq="noirq" in flags,
                notimer="notimer" in flags, history=False,
            ),
        )  # fmt: skip
    except UnknownRegister as e:
        print(f"ppcdbg trace: {e}", file=sys.stderr)
        return 2
    except (UsageError, ImageError, ConfigError, ControllerError) as e:
        print(f"ppcdbg trace: {e}", file=sys.stderr)
        return 2
    try:
        out = open(args.out, "w") if args.out else sys.stdout  # noqa: SIM115
    except OSError as e:
        print(f"ppcdbg trace: cannot write {args.out}: {e.strerror}", file=sys.stderr)
        return 2
    try:
        for line in tracer.lines(opts):
            out.write(line + "\n")
    finally:
        if args.out:
            out.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    demo = EXAMPLES / "demo.bin"
    print(f"# ppcdbg demo: tracing {demo.name} until 'done'", file=sys.stderr)
    return main(["trace", str(demo), "--steps", "40", "--regs", "srr0,srr1"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ppcdbg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _trace_parser(sub)
    gdb_cli.add_parser(sub)
    boot_cli.add_parser(sub)
    sub.add_parser("demo", help="trace the bundled demo program")
    serve.add_parser(sub)
    dbcopy.add_parser(sub)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    if hasattr(args, "engine"):  # a command that runs the engine: set it up before it does
        failed = engine_choice.apply(args)
        if failed is not None:
            print(f"ppcdbg {args.command}: {failed[1]}", file=sys.stderr)
            return failed[0]
    if args.command == "trace":
        return cmd_trace(args)
    if args.command == "serve":
        return serve.cmd_serve(args)
    if args.command == "gdbserver":
        return gdb_cli.run(args)
    if args.command == "boot":
        return boot_cli.run(args)
    if args.command == "copy-database":
        return dbcopy.run(args)
    return cmd_demo(args)


if __name__ == "__main__":
    sys.exit(main())
