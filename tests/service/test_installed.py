"""ppcdbg as a wheel installs it (the Dockerfile's `pip install .`), away from the source
tree: every example the dashboard offers is in the package and served, and the demo loads."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from service.launch import ROOT, free_port

EXAMPLES = re.findall(r'file: "([a-z0-9_]+\.(?:elf|bin))"',
                      (ROOT / "service" / "dashboard" / "app.js").read_text())  # fmt: skip


@pytest.mark.slow
def test_the_installed_package_serves_every_dashboard_example(tmp_path: Path) -> None:
    assert len(EXAMPLES) >= 4
    # From a clean copy: setuptools reuses a build/ directory, which could hold files the
    # package description no longer names.
    src = tmp_path / "src"
    keep = ("engine", "service", "examples", "pyproject.toml", "README.md", "LICENSE")
    shutil.copytree(ROOT, src, ignore=lambda d, names: [
        n for n in names if Path(d) == ROOT and n not in keep or n == "__pycache__"])  # fmt: skip
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(tmp_path / "dist"), str(src)], check=True, timeout=300)  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("ppcdbg-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)  # a wheel is the installed tree; the dependencies are ours
    for name in EXAMPLES:
        assert (site / "examples" / name).is_file(), f"the wheel lacks examples/{name}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PPCDBG_")}
    env["PYTHONPATH"] = str(site)  # first: the installed package, not the checkout
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--demo", "--port", str(port),
         "--database", str(tmp_path / "db.sqlite3")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        banner = []
        for line in proc.stdout:
            banner.append(line)
            if line.startswith("ppcdbg ready"):
                break
        text = "".join(banner)
        assert "demo session:" in text, text
        assert str(site) in subprocess.run(
            [sys.executable, "-c", "import service; print(service.__file__)"], cwd=tmp_path,
            env=env, capture_output=True, text=True, check=True).stdout  # fmt: skip
        token = re.search(r"token:\s+(\S+)", text)
        assert token is not None
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            for name in EXAMPLES:
                r = c.get(f"/dashboard/examples/{name}")
                assert r.status_code == 200 and len(r.content) > 64, name
                up = c.post("/v1/images", files={"file": (name, r.content)},
                            headers={"Authorization": f"Bearer {token.group(1)}"})  # fmt: skip
                assert up.status_code == 201, (name, up.text)
    finally:
        proc.terminate()
        proc.wait(10)
