"""Generated code kept across runs (engine/codecache.py): found again, exact, never required."""

from __future__ import annotations

import json
import marshal
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from engine.codecache import CodeCache, default_path
from tests.asm import assemble

ROOT = Path(__file__).resolve().parents[2]

SOURCE = "def make(a):\n    def blk(c):\n        return a + c\n    return blk\n"


def _same(a: object, b: object) -> bool:
    return marshal.dumps(a) == marshal.dumps(b)


def test_code_compiled_in_one_run_is_read_back_in_the_next(tmp_path: Path) -> None:
    path = tmp_path / "code.sqlite"
    first = CodeCache(path)
    made = first.compile(SOURCE, "<block 3>")
    first.flush()
    again = CodeCache(path)
    found = again.compile(SOURCE, "<block 3>")
    assert (first.compiled, first.loaded, again.compiled, again.loaded) == (1, 0, 0, 1)
    assert _same(found, made) and _same(found, compile(SOURCE, "<block 3>", "exec"))
    ns: dict[str, object] = {}
    exec(found, ns)  # noqa: S102
    assert ns["make"](2)(3) == 5  # type: ignore[operator]


def test_the_label_is_part_of_the_key(tmp_path: Path) -> None:
    # Fault points are read from a block's traceback: its file name must be the one asked for.
    path = tmp_path / "code.sqlite"
    cache = CodeCache(path)
    cache.compile(SOURCE, "<block 3>")
    cache.flush()
    other = CodeCache(path).compile(SOURCE, "<region 2>")
    assert other.co_filename == "<region 2>"


def test_a_damaged_entry_is_compiled_again(tmp_path: Path) -> None:
    path = tmp_path / "code.sqlite"
    cache = CodeCache(path)
    cache.compile(SOURCE, "<b>")
    cache.flush()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE code SET code = ?", (b"\xff\x00garbage",))
    again = CodeCache(path)
    code = again.compile(SOURCE, "<b>")
    assert again.compiled == 1 and again.loaded == 0 and _same(code, compile(SOURCE, "<b>", "exec"))


def test_a_file_that_cannot_be_opened_turns_the_cache_off_and_compiling_goes_on(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    cache = CodeCache(blocker / "code.sqlite")  # its parent is a file
    code = cache.compile(SOURCE, "<b>")
    assert _same(code, compile(SOURCE, "<b>", "exec"))
    assert cache.error is not None and "not-a-dir" in cache.error
    cache.compile(SOURCE + "\n", "<b>")
    cache.flush()
    assert cache.compiled == 2


def test_a_file_past_the_limit_starts_over(monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "code.sqlite"
    cache = CodeCache(path)
    for i in range(50):
        cache.compile(SOURCE + f"x{i} = {i}\n", "<b>")
    cache.flush()
    monkeypatch.setattr("engine.codecache.LIMIT", path.stat().st_size - 1)
    again = CodeCache(path)
    again.compile(SOURCE + "x0 = 0\n", "<b>")
    assert again.compiled == 1 and again.loaded == 0
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM code").fetchone() == (0,)


def test_the_environment_names_the_file_or_turns_it_off(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PPCDBG_CODE_CACHE", str(tmp_path / "x.sqlite"))
    assert default_path() == tmp_path / "x.sqlite"
    monkeypatch.setenv("PPCDBG_CODE_CACHE", "off")
    assert default_path() is None
    monkeypatch.delenv("PPCDBG_CODE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = default_path()
    assert path is not None and path.parent == tmp_path / "ppcdbg"
    off = CodeCache(None)
    off.compile(SOURCE, "<b>")
    off.flush()
    assert off.compiled == 1 and off.error is None


LOOP = """
    .org 0x10
_start:
    li 3, 0
    li 4, 0
    lis 5, 0x10
    li 6, 3000
    mtctr 6
loop:
    addi 3, 3, 7
    stdu 3, 8(5)
    ld 7, 0(5)
    xor 4, 4, 7
    rldicl 4, 4, 3, 0
    bdnz loop
    li 6, 0
    ld 8, 0(6)
    b _start
"""

RUN = """
import hashlib, json, sys
from engine import codecache
from engine.loader import load_image
from engine.machine import Machine, MachineConfig
m = Machine(load_image(open(sys.argv[1], 'rb').read()),
            MachineConfig(vcpus=1, profile='powernv', memory=256 << 20))
m.vcpus[0].dec_zero = 1 << 40
m.run(200_000)
c = m.vcpus[0]
state = repr(sorted((k, repr(v)) for k, v in c.get_state().items()))
print(json.dumps({'state': hashlib.sha256(state.encode()).hexdigest(),
                  'blocks': len(c.icache.blocks),
                  'loaded': codecache.CACHE.loaded, 'compiled': codecache.CACHE.compiled}))
"""


def _run(image: Path, cache: str) -> dict[str, object]:
    env = {**os.environ, "PPCDBG_CODE_CACHE": cache, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", RUN, str(image)], env=env, check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout  # fmt: skip
    return json.loads(out)  # type: ignore[no-any-return]


def test_a_second_process_runs_the_same_program_from_the_file_to_the_same_state(
    tmp_path: Path,
) -> None:
    image = tmp_path / "loop.bin"
    image.write_bytes(assemble(LOOP))
    cache = str(tmp_path / "code.sqlite")
    first, second, off = _run(image, cache), _run(image, cache), _run(image, "off")
    assert first["compiled"] and not second["compiled"]  # blocks, regions, instructions
    assert second["loaded"] == first["compiled"] + first["loaded"]
    assert first["state"] == second["state"] == off["state"]
    assert first["blocks"] == second["blocks"] == off["blocks"]
    assert off["loaded"] == 0
