"""``bench.pseries_boot``'s report: what the boot compiled and what it read from the code cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.engine.platform.test_firmware import kernel_files

ROOT = Path(__file__).resolve().parents[1]


def _boot(cache: Path, vmlinux: Path, initrd: Path) -> dict[str, Any]:
    env = {**os.environ, "PPCDBG_CODE_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "bench.pseries_boot", "--max-instructions", "3e6",
            "--kernel", str(vmlinux), "--initrd", str(initrd)]  # fmt: skip
    # Exit status 1: the boot stopped before power-off, as asked.
    out = subprocess.run(argv, env=env, cwd=ROOT, check=False, capture_output=True, text=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_the_boot_report_says_how_much_code_came_from_the_cache(tmp_path: Path) -> None:
    vmlinux, initrd = kernel_files()
    cache = tmp_path / "code.sqlite"
    first, second = _boot(cache, vmlinux, initrd), _boot(cache, vmlinux, initrd)
    made, read = first["code_cache"], second["code_cache"]
    assert made["compiled"] > 100 and made["path"] == str(cache)
    assert read["compiled"] == 0 and read["loaded"] == made["compiled"] + made["loaded"]
    assert first["instructions"] == second["instructions"] == 3_000_000
