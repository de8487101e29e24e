"""The native engine: hot translated blocks compiled to machine code, and a native dispatcher.

``PPCDBG_ENGINE=native`` (``--engine native``) turns it on; the Python engine stays
the reference and the default. A compiled Python block (engine/blocks.py) is also
translated to C (engine/native/translate.py, from the same inline lines it pastes)
and compiled with the system C compiler, in batches, on a background thread; the
guest sees the same either way, so when a block becomes native changes nothing but
host time. Once it is, the block in the decode cache carries its function's address
(``Block.native``) and the dispatcher (runtime.c) runs it and the native blocks that
follow it without returning to Python.

The contract with the Python engine (``VCPU._run_blocks``):

* The dispatcher runs whole blocks only, while the budget holds the next one, and
  returns when the next address has no native block, is a stop address, or when a
  block leaves before an instruction it does not hold (a *slow exit*: a data TLB
  miss, MMIO, an instruction outside the translated subset). The Python engine then
  runs that instruction exactly, as it runs a time read (``ClockSync``).
* Nothing but native code runs during a call, so the decode cache's dict and the
  data TLB's maps it reads cannot change meanwhile: each is looked up once per
  address or page in a call. Stores reach only pages on memory's fast path, which
  holds no decoded code and no reservation, so native code needs no decode check.
* GPRs, CR, LR, CTR, CFAR and the XER bits are copied in at the call and the ones
  its blocks may write copied back at its end.
* Watch-mode blocks, prefixes and regions are never native; with the native engine
  blocks do not form regions (the dispatcher chains blocks instead).
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import sysconfig
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from .translate import Refused, instruction

ENGINES = ("python", "native")
ENABLED = os.environ.get("PPCDBG_ENGINE", "python") == "native"

_HERE = Path(__file__).parent
BATCH = 64  # blocks per compiled library: gcc's start-up is paid once per batch
SEAL_AFTER = 256  # chunks (``Compiler.tick``) a batch waits to fill before it is compiled
CFLAGS = ("-O1", "-fPIC", "-shared", "-fwrapv", "-fno-strict-aliasing", "-w")


class NativeUnavailable(RuntimeError):
    """The native engine cannot run here (no C compiler, no Python headers)."""


def cache_dir() -> Path:
    base = os.environ.get("PPCDBG_NATIVE_CACHE")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ppcdbg" / "native"


def _cc() -> str:
    return os.environ.get("CC", "cc")


def _compile(source: str, out: Path, extra: Sequence[str] = ()) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        src = Path(tmp) / "src.c"
        src.write_text(source)
        lib = Path(tmp) / out.name
        cmd = [_cc(), *CFLAGS, f"-I{_HERE}", *extra, str(src), "-o", str(lib)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise NativeUnavailable(f"no C compiler ({cmd[0]}): {exc}") from exc
        if proc.returncode != 0:
            raise NativeUnavailable(f"{cmd[0]} failed: {proc.stderr.strip()[:2000]}")
        os.replace(lib, out)  # atomic: a concurrent process sees all of it or none


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


_runtime: ModuleType | None = None


def runtime(native_index: int, length_index: int) -> ModuleType:
    """The dispatcher extension, compiled once per machine (per source and Python).

    The indices are those of ``Block.native`` and ``Block.length`` (engine/blocks.py):
    the dispatcher reads the blocks it finds in a decode cache's dict by position.
    """
    global _runtime
    if _runtime is not None:
        return _runtime
    source = (_HERE / "runtime.c").read_text()
    header = (_HERE / "native.h").read_text()
    tag = sys.implementation.cache_tag
    key = _digest(source, header, tag, *CFLAGS)
    name = f"_ppcdbg_rt_{key}"
    path = cache_dir() / f"{name}{sysconfig.get_config_var('EXT_SUFFIX') or '.so'}"
    if not path.exists():
        include = sysconfig.get_paths()["include"]
        _compile(
            source,
            path,
            [f"-I{include}", f'-DMODNAME="{name}"', f"-DMODSYM={name}", "-O2"],
        )
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    mod.setup(native_index, length_index)
    _runtime = mod
    return mod


def stats() -> dict[str, int]:
    """The dispatcher's totals in this process (calls, blocks, instructions, slow exits);
    zeros before it first ran."""
    if _runtime is None:
        return {"calls": 0, "blocks": 0, "instructions": 0, "slow_exits": 0}
    return dict(_runtime.stats())


# -- blocks -> C --------------------------------------------------------------------------


def block_source(
    lines: Sequence[Sequence[str] | None], pcs: Sequence[int], npc_last: int, branch_last: bool
) -> tuple[str, str] | None:
    """(function name, C text) of a block whose instructions have these inline lines
    (None: the instruction is called, not pasted), or None when not worth it: its first
    instruction would always leave."""
    body: list[str] = []
    gmask = 0
    amask = 0
    ran_all = True
    for i, src in enumerate(lines):
        if src is None:
            ins = None
        else:
            try:
                ins = instruction(src, i, pcs[i])
            except Refused:
                ins = None
        if ins is None or ins.always_slow:
            body.append(f"  {{ s->left_at = {i}; return {pcs[i]}ull; }}")
            ran_all = False
            break
        body += ins.lines
        for k in ins.gpr_writes:
            gmask |= 1 << k
        amask |= ins.attrs
    if body and body[0].startswith("  { s->left_at = 0;"):
        return None
    if ran_all and not branch_last:
        body.append(f"  npc = {npc_last}ull;")
    if ran_all:
        body.append("  return npc;")
    text = "\n".join(
        [
            "(struct st *s) {",
            "  u64 *g = s->g;",
            "  u64 npc = 0;",
            "  (void)g; (void)npc;",
            f"  s->gdirty |= {gmask}ull;",
            f"  s->adirty |= {amask}ull;",
            *body,
            "}",
        ]
    )
    name = "b_" + _digest(text)
    return name, f"u64 {name}{text}\n"


# -- compiling, in batches, on a thread ----------------------------------------------------

Install = Callable[[int], None]


class Compiler:
    """Blocks waiting to be compiled, a thread compiling them, and the results to install.

    ``submit`` queues a block's C with the function to call with its address; the
    thread compiles batches of ``BATCH`` (or what is waiting when it is idle) into a
    library in the cache directory, named by its source, so a later run with the same
    blocks loads it instead of compiling. ``install`` (on the vCPU's thread) calls the
    waiting functions.
    """

    def __init__(self, synchronous: bool = False) -> None:
        # ``synchronous``: each batch is compiled on the vCPU's thread when it is cut, so
        # when a block becomes native depends on the guest alone (tests).
        self.synchronous = synchronous
        self._unstarted()
        self._known: dict[str, int] = {}  # function name -> address (this process)
        self._libs: list[ctypes.CDLL] = []
        self.failed: str | None = None
        self.errors: list[str] = []  # batches that could not be built (the blocks stay Python)
        self.compiled = 0  # blocks compiled by this process
        self.loaded = 0  # blocks found in libraries already on disk
        # A forked worker has no compiling thread: it starts with nothing queued.
        os.register_at_fork(after_in_child=self._unstarted)

    def _unstarted(self) -> None:
        """No thread, nothing queued: a new compiler's state, and a forked child's."""
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._open: list[tuple[str, str, Install]] = []  # the batch being filled
        self._age = 0  # ticks since it was started
        self._pending: list[list[tuple[str, str, Install]]] = []  # sealed batches
        self.done: deque[tuple[Install, int]] = deque()
        self._thread: threading.Thread | None = None
        self._busy = False  # the thread is building a batch

    def submit(self, name: str, text: str, install: Install) -> None:
        addr = self._known.get(name)
        if addr is not None:
            # Installed at the next chunk: the caller has not cached the block yet.
            self.done.append((install, addr))
            return
        if self.failed is not None:
            return
        self._open.append((name, text, install))
        if len(self._open) >= BATCH:
            self._seal()

    def tick(self) -> None:
        """A chunk of guest time went by: a batch left open too long is compiled as it is.

        Batches are cut by the guest's progress, never by host time, so the same run
        makes the same libraries and finds them on disk the next time.
        """
        if self._open:
            self._age += 1
            if self._age >= SEAL_AFTER:
                self._seal()

    def _seal(self) -> None:
        batch, self._open, self._age = self._open, [], 0
        if self.synchronous:
            self._run_batch(batch)
            return
        with self._lock:
            self._pending.append(batch)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="ppcdbg-native", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def install(self) -> None:
        done = self.done
        while done:
            fn, addr = done.popleft()
            fn(addr)

    def drain(self) -> None:
        """Wait until everything submitted is compiled and installed (tests, benchmarks)."""
        if self._open:
            self._seal()
        while True:
            with self._lock:
                idle = not self._pending and not self._busy
            if idle:
                break
            threading.Event().wait(0.01)
        self.install()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._pending:
                    self._wake.wait()
                batch = self._pending.pop(0)
                self._busy = True
            try:
                self._run_batch(batch)
            finally:
                with self._lock:
                    self._busy = False

    def _run_batch(self, batch: list[tuple[str, str, Install]]) -> None:
        try:
            self._build(batch)
        except NativeUnavailable as exc:
            self.failed = str(exc)  # no compiler: nothing more is submitted
        except OSError as exc:
            # This batch only (a full disk, a cache directory removed meanwhile): its
            # blocks stay Python, as they are until compiled anyway.
            self.errors.append(str(exc))

    def _build(self, batch: list[tuple[str, str, Install]]) -> None:
        texts: dict[str, str] = {}
        for name, text, _ in batch:
            if name not in self._known:
                texts[name] = text
        if texts:
            source = '#include "native.h"\n' + "".join(texts[n] for n in sorted(texts))
            key = _digest(source, *CFLAGS, (_HERE / "native.h").read_text())
            path = cache_dir() / "blocks" / f"{key}.so"
            if path.exists():
                self.loaded += len(texts)
            else:
                _compile(source, path)
                self.compiled += len(texts)
            lib = ctypes.CDLL(str(path))
            self._libs.append(lib)
            for name in texts:
                self._known[name] = ctypes.cast(getattr(lib, name), ctypes.c_void_p).value or 0
        for name, _text, install in batch:
            self.done.append((install, self._known[name]))


_compiler: Compiler | None = None


def compiler() -> Compiler:
    global _compiler
    if _compiler is None:
        _compiler = Compiler()
    return _compiler
