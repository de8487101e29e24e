"""Browser fixtures: Debian's Chromium driven by Playwright (sync API) against a real
``ppcdbg serve`` on a free loopback port.

``playwright install`` cannot download browsers here, so the system Chromium is launched by
path. Without Chromium or the playwright package the tests skip, and with
``PPCDBG_REQUIRE_TOOLS=1`` (CI) they fail instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.launch import ServerProcess
from tests.conftest import REQUIRE_TOOLS, require_tool

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TOKEN = "tok-dash"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
VIEWPORT = {"width": 1600, "height": 1000}


def playwright_api(at_import: bool = False) -> Any:
    """``playwright.sync_api``; skip without it, fail when CI demands tools. At a test
    module's import it skips the module, or returns None under PPCDBG_REQUIRE_TOOLS=1 so
    that each test fails in the ``browser`` fixture (a collection error would stop the
    whole run)."""
    try:
        import playwright.sync_api as api
    except ImportError:
        msg = "the playwright package is not installed (pip install -e '.[dev]')"
        if REQUIRE_TOOLS:
            if at_import:
                return None
            pytest.fail(msg + " (PPCDBG_REQUIRE_TOOLS=1)")
        pytest.skip(msg, allow_module_level=True)
    return api


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    chromium = require_tool("chromium")
    with playwright_api().sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    d = tmp_path_factory.mktemp("dashboard")
    with ServerProcess(str(d / "db.sqlite3"), f"dash:{TOKEN}", log=str(d / "server.log")) as s:
        yield s


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page; JavaScript errors on it fail the test, and a failing test leaves a
    screenshot in ``tests/dashboard/artifacts/``."""
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    # Assertions too (their own default is 5 s): a loaded CI machine runs the browser, the
    # server and the engine on two cores.
    playwright_api().expect.set_options(timeout=15_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failed.png"))
    context.close()
    assert not errors, errors


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call = rep  # type: ignore[attr-defined]
