"""The repository stands alone: nothing points at files outside it.

The contracts the code follows live in docs/; a reference to a spec file that
only existed beside the repository (or to a docs page that does not exist)
leaves a reader of a fresh clone with nothing to open.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = re.compile(r"\.\./shared|shared/spec|shared/reference|\b[A-Z][A-Z-]+\.md\b")
DOCS_REF = re.compile(r"\bdocs/([\w.-]+\.(?:md|png))")
# Upper-case .md names that are the repository's own files.
OWN = {"README.md", "STYLE.md", "CHANGELOG.md"}


def tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()  # fmt: skip
    out = []
    for n in names:
        p = ROOT / n
        if p.suffix in {".py", ".md", ".toml", ".S", ".inc", ".js", ".html", ".css", ".txt", ""}:
            # This file names the patterns it looks for.
            if p.is_file() and "golden" not in p.parts and p != Path(__file__).resolve():
                out.append(p)
    return out


def test_no_file_points_outside_the_repository() -> None:
    bad = []
    for p in tracked_text_files():
        text = p.read_text(errors="replace")
        for m in OUTSIDE.finditer(text):
            if m.group(0) not in OWN:
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{p.relative_to(ROOT)}:{line}: {m.group(0)}")
    assert not bad, "references to files outside the repository:\n" + "\n".join(bad)


def test_every_docs_page_named_exists() -> None:
    missing = []
    for p in tracked_text_files():
        for m in DOCS_REF.finditer(p.read_text(errors="replace")):
            if not (ROOT / "docs" / m.group(1)).exists():
                missing.append(f"{p.relative_to(ROOT)}: docs/{m.group(1)}")
    assert not missing, "docs pages named but absent:\n" + "\n".join(missing)
