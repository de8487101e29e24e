"""Debian's stock kernel boots to the same states on the native engine as on the Python engine.

Blocks become native while the kernel runs (compiled as their batches are cut, so the
mix of Python and native blocks is the same in every run of this test): every
checkpoint (each 2 M instructions: the vCPU's whole state, then memory, the console
and the hypercall counts at the end) must equal the Python engine's.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from engine import native
from engine.platform.pseries import boot as boot_module

from .test_firmware import kernel_files

INSTRUCTIONS = 24_000_000  # past start_kernel (20.9 M): early boot and the MMU on
EVERY = 2_000_000


def _boot() -> list[str]:
    vmlinux, initrd = kernel_files()
    cfg = boot_module.PseriesConfig(
        kernel=vmlinux.read_bytes(),
        initrd=initrd.read_bytes(),
        cmdline="console=hvc0 cryptomgr.notests",
        vcpus=1,
        kernel_base=0,
        rng_seed=bytes(32),
    )
    m = boot_module.build_machine(cfg)
    c = m.vcpus[0]
    points = []
    done = 0
    while done < INSTRUCTIONS:
        m.run(EVERY, frozenset())
        done = boot_module.instructions(m)
        points.append(f"{done} {c.nia:#x} {c.clock} {sorted(c.get_state().items())!r}")
    mem = hashlib.sha256()
    for pn in sorted(c.mem.pages):
        mem.update(pn.to_bytes(8, "big") + bytes(c.mem.pages[pn]))
    points.append(mem.hexdigest())
    points.append(bytes(m.host.console_out).hex())
    points.append(repr(m.host.stats()))
    return points


@pytest.mark.slow
def test_the_stock_kernel_boots_to_the_same_states_on_both_engines(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reference = _boot()
    monkeypatch.setenv("PPCDBG_NATIVE_CACHE", str(tmp_path))
    monkeypatch.setattr(native, "ENABLED", True)
    comp = native.Compiler(synchronous=True)  # blocks become native by guest progress alone
    monkeypatch.setattr(native, "_compiler", comp)
    before = native.stats()["instructions"]
    points = _boot()
    ran = native.stats()["instructions"] - before
    assert comp.failed is None
    assert ran > INSTRUCTIONS // 4, f"only {ran} instructions ran natively"
    assert len(points) == len(reference)
    for i, (a, b) in enumerate(zip(points, reference, strict=True)):
        assert a == b, f"checkpoint {i} differs"
