"""Shared helpers of the conformance suite: sessions and the guest-visible state."""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller
from engine.debug.events import TraceBatch
from engine.loader import load_image
from engine.registers import read_register

PROGRAMS = Path(__file__).resolve().parent / "programs"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GUEST_SPRS = (
    "srr0", "srr1", "sprg0", "sprg1", "sprg2", "sprg3", "dar", "dsisr", "lpcr", "dec", "tb",
    "pidr", "amr",
)  # fmt: skip


def session(
    program: str,
    backend: str,
    profile: str = "guest",
    vcpus: int = 1,
    locking: str = "step",
    **kw: object,
) -> Controller:
    path = (
        EXAMPLES / f"{program[len('examples/') :]}.elf"
        if program.startswith("examples/")
        else (PROGRAMS / f"{program}.elf")
    )
    image = load_image(path.read_bytes())
    # Every backend is compared with native under the same atomic-sequence
    # mode; the defaults differ by backend (docs/stepping.md).
    kw.setdefault("atomic_sequences", "whole")
    config = SessionConfig(
        profile=profile, vcpus=vcpus, backend=backend, scheduler_locking=locking, **kw
    )  # type: ignore[arg-type]
    return Controller(image, config)


def traced_batches(program: str, profile: str, vcpus: int, budget: int = 3000
                   ) -> list[TraceBatch]:  # fmt: skip
    """The trace batches of ``program``'s first ``budget`` instructions, every vCPU
    traced (at least 500 events)."""
    ctl = session(program, "native", profile=profile, vcpus=vcpus, notimer=False)
    got: list[object] = []
    ctl.subscribe(got.append, batches=True)
    ctl.set_trace(list(range(vcpus)))
    ctl.cont(budget=budget)
    batches = [b for b in got if isinstance(b, TraceBatch)]
    assert sum(map(len, batches)) > 500
    return batches


def guest_state(ctl: Controller) -> tuple[object, ...]:
    """Everything the guest can observe: registers of every vCPU, memory, console."""
    cpus = []
    for c in ctl.machine.vcpus:
        sprs = tuple(read_register(c, n) for n in GUEST_SPRS)
        cpus.append(
            (
                c.index,
                c.nia,
                c.msr,
                tuple(c.gpr),
                tuple(c.vsr),
                c.vscr,
                c.cr,
                c.xer,
                c.lr,
                c.ctr,
                c.fpscr,
                sprs,
                c.sleeping,
                c.halted,
            )
        )
    digest = hashlib.sha256()
    for pn in sorted(ctl.machine.mem.pages):
        page = ctl.read_memory(pn << 12, 4096)
        if any(page):  # an allocated page of zeros reads like one never touched
            digest.update(pn.to_bytes(8, "big"))
            digest.update(page)
    host = ctl.machine.host
    console = bytes(host.console_out) if host is not None else b""
    return (tuple(cpus), digest.hexdigest(), console)


def describe_difference(a: tuple[object, ...], b: tuple[object, ...]) -> str:
    names = (
        "index",
        "nia",
        "msr",
        "gpr",
        "fpr",
        "cr",
        "xer",
        "lr",
        "ctr",
        "fpscr",
        "sprs",
        "sleeping",
        "halted",
    )
    out = []
    for ca, cb in zip(a[0], b[0], strict=True):  # type: ignore[call-overload]
        for name, x, y in zip(names, ca, cb, strict=True):
            if x != y:
                if name in ("gpr", "fpr", "sprs"):
                    labels = GUEST_SPRS if name == "sprs" else [f"{name[0]}{i}" for i in range(32)]
                    diffs = [
                        f"{lab}: {u:#x} vs {v:#x}"
                        for lab, u, v in zip(labels, x, y, strict=True)
                        if u != v
                    ]
                    out.append(f"vcpu {ca[0]} {name}: " + ", ".join(diffs))
                else:
                    out.append(f"vcpu {ca[0]} {name}: {x!r:.80} vs {y!r:.80}")
    if a[1] != b[1]:
        out.append("memory differs")
    if a[2] != b[2]:
        out.append(f"console {a[2]!r} vs {b[2]!r}")
    return "; ".join(out)
