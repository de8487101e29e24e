"""``--engine python|native``: the engine of the commands that run one (``trace``,
``gdbserver``, ``boot``, ``serve``), in this process and in the session workers it starts.

The default is ``PPCDBG_ENGINE`` when it is set, else ``python``, the reference; ``native``
compiles hot blocks to machine code with the system C compiler (engine/native). The engine
reads ``PPCDBG_ENGINE`` when it is imported, before any option is parsed: ``apply`` sets both
(engine.target.set_engine) before the command opens a session or starts a worker.
"""

from __future__ import annotations

import argparse
import os

from engine.target import ENGINES, ConfigError, NativeUnavailable, set_engine

ENV = "PPCDBG_ENGINE"
EXIT_USAGE, EXIT_UNAVAILABLE = 2, 1


def add_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=ENGINES, default=None,
                   help="python (the reference) or native: hot blocks compiled to machine "
                   "code with the C compiler (cc, or $CC). Default: $PPCDBG_ENGINE, "
                   "else python")  # fmt: skip


def chosen(args: argparse.Namespace) -> str:
    """The engine asked for: the option, else the environment's, else python."""
    return getattr(args, "engine", None) or os.environ.get(ENV) or "python"


def apply(args: argparse.Namespace) -> tuple[int, str] | None:
    """Run this process with the engine ``args`` chose; (exit status, one-line reason) when
    it cannot: a ``PPCDBG_ENGINE`` that names no engine, or ``native`` without a working C
    compiler (or the Python headers)."""
    if getattr(args, "engine", None) is None and ENV not in os.environ:
        return None  # python, as the engine read it at import: nothing to set
    name = chosen(args)
    try:
        set_engine(name)
    except ConfigError:
        return EXIT_USAGE, f"{ENV} must be one of {', '.join(ENGINES)}, not {name!r}"
    except NativeUnavailable as e:
        return EXIT_UNAVAILABLE, (
            f"the native engine cannot run here: {one_line(str(e))} "
            "(install a C compiler, or use --engine python)"
        )
    return None


def one_line(text: str) -> str:
    """A compiler's complaint in one line: its first line, and the first that says
    ``error`` when that one does not."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return "no reason given"
    head = lines[0]
    errors = [ln for ln in lines[1:] if "error" in ln.lower()]
    if "error" not in head.lower() and errors:
        head = f"{head} ... {errors[0]}"
    return head
