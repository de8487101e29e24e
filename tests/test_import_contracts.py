"""The import contracts of pyproject.toml hold (lint-imports): the engine has no web code,
the service drives the engine through engine.target only, and the engine's layers import
downwards."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "import-linter is a dev dependency (make setup installs it)"
    # --no-cache: the cache can keep a graph made under other settings (seen when
    # exclude_type_checking_imports changed) and report contracts that no longer hold.
    r = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "broken" not in r.stdout.split("Contracts:")[-1].replace("0 broken", "")
