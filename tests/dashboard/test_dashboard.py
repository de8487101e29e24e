"""The dashboard in a real Chromium: sessions, breakpoints from the disassembly, stops with
highlighted registers, stepping both ways, a dropped WebSocket resumed with ``since=``, the
live trace view, the token prompt and the guest console (an xterm.js terminal)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import ARTIFACTS, ROOT, TOKEN, playwright_api

_api = playwright_api(at_import=True)
expect = _api.expect if _api is not None else None

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def open_dashboard(page: Any, server: Any) -> None:
    page.goto(f"{server.url}/#token={TOKEN}")
    expect(page.locator("#conn")).to_have_text(re.compile("live|offline"))


def create_example(page: Any, example: str, vcpus: int) -> str:
    page.select_option("#create-source", f"example:{example}")
    page.fill("#create-vcpus", str(vcpus))
    page.click("#create-btn")
    expect(page.locator("#create-msg")).to_contain_text("created ses-")
    sid: str = page.locator("#create-msg").inner_text().split()[-1]
    expect(page.locator("#disasm .ln.pc")).to_have_count(1)
    expect(page.locator("#conn")).to_contain_text("live")
    return sid


def session_json(page: Any, server: Any, sid: str) -> dict[str, Any]:
    r = page.request.get(f"{server.url}/v1/sessions/{sid}", headers=AUTH)
    assert r.ok
    body: dict[str, Any] = r.json()
    return body


def reg(page: Any, name: str) -> Any:
    return page.locator(f'#registers .reg[data-reg="{name}"]')


def test_smp_breakpoint_continue_step_reverse_and_resume_after_a_dropped_socket(page, server):
    open_dashboard(page, server)
    assert "token" not in page.url  # the fragment is dropped once read
    sid = create_example(page, "smp_spinlock.elf", 4)
    expect(page.locator("#vcpus .vcpu")).to_have_count(4)

    # A breakpoint on the store to the shared counter, set by clicking the gutter.
    line = page.locator("#disasm .ln", has_text=re.compile(r"std\s+r7")).first
    bp_addr = int(line.get_attribute("data-addr"), 16)
    line.locator(".gutter").click()
    expect(page.locator("#disasm .ln.bp")).to_have_count(1)
    expect(page.locator("#breakpoints li")).to_have_count(1)

    page.check("#trace-on")  # trace the run up to the breakpoint
    page.keyboard.press("c")  # continue
    expect(page.locator("#stopline")).to_contain_text("breakpoint")
    stopped = page.locator("#vcpus .vcpu.stopped-here")
    expect(stopped).to_have_count(1)
    expect(stopped).to_contain_text("breakpoint")
    s = session_json(page, server, sid)
    assert s["last_stop"]["reason"] == "breakpoint"
    vcpu = s["last_stop"]["vcpu"]
    expect(page.locator("#regs-vcpu")).to_have_text(f"vCPU {vcpu}")
    expect(page.locator("#disasm .ln.pc")).to_have_attribute("data-addr", f"0x{bp_addr:016x}")
    expect(page.locator("#disasm .ln.pc.bp")).to_have_count(1)
    # The registers the loop set since the start are highlighted (pc, r7, the lock's r5...).
    expect(reg(page, "pc")).to_have_class(re.compile("changed"))
    expect(reg(page, "r7")).to_have_class(re.compile("changed"))
    expect(reg(page, "pc").locator(".v")).to_have_text(f"0x{bp_addr:016x}")
    expect(page.locator("#breakpoints li")).to_contain_text("1 hit")
    s = session_json(page, server, sid)
    page.wait_for_function(f"ppcdbg.state.trace.total >= {s['time']}")  # one per instruction
    page.mouse.move(800, 950)  # no hover highlight in the picture
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "smp-breakpoint.png"))
    if os.environ.get("PPCDBG_UPDATE_DOCS") == "1":  # the README's picture
        (ROOT / "docs").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "docs" / "dashboard.png"))
    page.uncheck("#trace-on")

    page.click('#controls button[data-act="into"]')
    expect(page.locator("#stopline")).to_contain_text("step")
    expect(reg(page, "pc").locator(".v")).to_have_text(f"0x{bp_addr + 4:016x}")
    expect(reg(page, "pc")).to_have_class(re.compile("changed"))
    expect(reg(page, "r7")).not_to_have_class(re.compile("changed"))  # std wrote no register
    expect(page.locator("#disasm .ln.pc")).to_have_attribute("data-addr", f"0x{bp_addr + 4:016x}")

    page.keyboard.press("Shift+S")  # reverse step
    expect(reg(page, "pc").locator(".v")).to_have_text(f"0x{bp_addr:016x}")
    expect(page.locator("#disasm .ln.pc")).to_have_attribute("data-addr", f"0x{bp_addr:016x}")
    expect(reg(page, "pc")).to_have_class(re.compile("changed"))
    page.screenshot(path=str(ARTIFACTS / "smp-reverse-step.png"))

    # Drop the event stream and make events while it is down: two steps over REST.
    before = page.evaluate("ppcdbg.lastSeq()")
    page.evaluate("ppcdbg.dropSocket(1500)")
    page.wait_for_function("!ppcdbg.connected()")
    for _ in range(2):
        r = page.request.post(f"{server.url}/v1/sessions/{sid}/vcpus/{vcpu}/step",
                              headers=AUTH, data={"count": 1})  # fmt: skip
        assert r.ok
    last = session_json(page, server, sid)["event_seq"]
    assert last > before
    page.wait_for_function("ppcdbg.connected()")
    page.wait_for_function(f"ppcdbg.lastSeq() >= {last}")
    seqs = page.evaluate("ppcdbg.seqs()")
    assert seqs == list(range(1, last + 1))  # nothing lost, nothing twice
    assert page.evaluate("ppcdbg.state.reconnects") >= 1
    expect(page.locator(f'#events .e[data-seq="{last}"]')).to_have_count(1)
    # The refresh those events triggered shows the vCPU two instructions on.
    expect(reg(page, "pc").locator(".v")).to_have_text(f"0x{bp_addr + 8:016x}")

    # Run to the cursor: pick the line with a click, then "r".
    target = page.locator("#disasm .ln", has_text=re.compile(r"addi\s+r24")).first
    target_addr = target.get_attribute("data-addr")
    target.click()
    expect(target).to_have_class(re.compile("cursor"))
    page.keyboard.press("r")
    expect(page.locator("#disasm .ln.pc")).to_have_attribute("data-addr", target_addr)
    expect(reg(page, "pc").locator(".v")).to_have_text(target_addr)


def test_live_trace_stays_responsive_and_bounded(page, server):
    open_dashboard(page, server)
    create_example(page, "smp_spinlock.elf", 2)
    page.check("#trace-on")
    page.keyboard.press("c")
    expect(page.locator("#state")).to_have_text("running")
    page.wait_for_function("ppcdbg.state.trace.total > 20000", timeout=20_000)
    # The page answers while batches pour in: a frame within a generous bound.
    t0 = time.monotonic()
    page.evaluate("new Promise(r => requestAnimationFrame(() => r(1)))")
    assert time.monotonic() - t0 < 1.0
    rows = page.locator("#trace .tr:not([hidden])")
    assert 0 < rows.count() <= 200  # a bounded window, whatever the rate
    expect(page.locator("#trace-stats")).to_contain_text("/s")
    page.keyboard.press("h")  # halt, while tracing
    expect(page.locator("#state")).to_have_text("stopped")
    assert page.evaluate("ppcdbg.state.trace.count") <= 20000
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trace.png"))


def test_a_continue_during_a_failing_refresh_still_shows_running(page, server):
    """The race behind a CI failure: a refresh of the stopped session is still reading
    registers when "c" starts the run; that read answers 409 (running), and the refresh the
    continue asked for must still happen, or the badge says "stopped" while the guest runs."""
    open_dashboard(page, server)
    sid = create_example(page, "smp_spinlock.elf", 1)
    held: list[Any] = []
    page.route("**/registers", lambda route: held.append(route))
    page.evaluate("() => { ppcdbg.refresh(); }")
    while not held:  # the refresh waits on its register read
        page.wait_for_timeout(20)
    page.keyboard.press("c")
    deadline = time.monotonic() + 15
    while session_json(page, server, sid)["state"] != "running":
        assert time.monotonic() < deadline
        page.wait_for_timeout(20)
    page.wait_for_timeout(200)  # the continue's own refresh is asked for meanwhile
    problem = {"type": "about:blank", "title": "Conflict", "status": 409,
               "detail": "the session is running"}  # fmt: skip
    for route in held:
        route.fulfill(status=409, content_type="application/problem+json", json=problem)
    page.unroute("**/registers")
    expect(page.locator("#state")).to_have_text("running")
    page.keyboard.press("h")
    expect(page.locator("#state")).to_have_text("stopped")


def test_token_prompt_upload_and_guest_console(page, server, tmp_path: Path):
    page.goto(server.url + "/")
    dialog = page.locator("#token-dialog")
    expect(dialog).to_be_visible()
    page.fill("#token-input", "wrong")
    page.press("#token-input", "Enter")
    expect(page.locator("#token-msg")).to_contain_text("refused")
    page.fill("#token-input", TOKEN)
    page.press("#token-input", "Enter")
    expect(dialog).to_be_hidden()

    page.select_option("#create-source", "upload")
    page.set_input_files("#create-file", str(ROOT / "examples" / "guest_console.elf"))
    page.fill("#create-vcpus", "1")
    page.select_option("#create-profile", "guest")
    page.click("#create-btn")
    expect(page.locator("#create-msg")).to_contain_text("created ses-")
    expect(page.locator("#conn")).to_contain_text("live")
    page.fill("#bp-input", "done")
    page.press("#bp-input", "Enter")
    expect(page.locator("#breakpoints li")).to_contain_text("done")
    page.click('#controls button[data-act="continue"]')
    expect(page.locator("#stopline")).to_contain_text("breakpoint")
    page.wait_for_function("ppcdbg.terminalText().includes('hello from the guest')")
    expect(page.locator("#terminal .xterm")).to_be_visible()
    expect(page.locator("#events .e.console").first).to_be_visible()

    # Delete it from the list.
    n = page.locator("#sessions li").count()
    page.locator("#sessions li.sel .del").click()
    expect(page.locator("#sessions li")).to_have_count(max(n - 1, 1))


def _li64(r: int, v: int) -> str:
    return (f"    lis {r}, {v >> 48 & 0xFFFF:#x}\n    ori {r}, {r}, {v >> 32 & 0xFFFF:#x}\n"
            f"    sldi {r}, {r}, 32\n    oris {r}, {r}, {v >> 16 & 0xFFFF:#x}\n"
            f"    ori {r}, {r}, {v & 0xFFFF:#x}\n")  # fmt: skip


# MSR[FP|VEC|VSX] on, then f32/f64 edge cases in vr1-vr3 and vr4 = NaN, 0, 0, 0; at `stop1`
# a vor writes vr4 (three of its words change), then another writes vr5.
VECTOR_SOURCE = (
    "    .globl _start\n_start:\n" + _li64(3, 0x9000000002802000) + "    mtmsrd 3\n"
    + _li64(4, 0x7FC00000_80000000) + _li64(5, 0x7F800000_FF800000)  # NaN -0 inf -inf
    + "    mtvsrdd 33, 4, 5\n"
    + _li64(4, 0x80000000_00000000) + _li64(5, 0x7FF00000_00000001)  # -0.0, sNaN(0x1)
    + "    mtvsrdd 34, 4, 5\n"
    + _li64(4, 0x3FC00000_00000001) + _li64(5, 0xC0200000_7FC00001)  # 1.5 1e-45 -2.5 NaN(0x1)
    + "    mtvsrdd 35, 4, 5\n"
    + _li64(4, 0x7FC00000_00000000) + "    li 6, 0\n    mtvsrdd 36, 4, 6\n"
    + "    .globl stop1\nstop1:\n    vor 4, 1, 1\n    vor 5, 1, 1\ndone:\n    b done\n"
)  # fmt: skip


def els(page: Any, name: str) -> Any:
    return page.locator(f'#vector .vreg[data-reg="{name}"] .el')


def test_vector_panel_element_views_and_the_change_at_a_step(page, server):
    base = server.url
    img = page.request.post(f"{base}/v1/images", headers=AUTH,
                            data={"name": "vec.S", "source": VECTOR_SOURCE})  # fmt: skip
    assert img.ok, img.text()
    s = page.request.post(f"{base}/v1/sessions", headers=AUTH,
                          data={"image_id": img.json()["id"], "vcpus": 1})  # fmt: skip
    assert s.ok
    sid = s.json()["id"]
    stop1 = int(img.json()["symbols"]["stop1"], 16)
    assert page.request.post(f"{base}/v1/sessions/{sid}/breakpoints", headers=AUTH,
                             data={"kind": "software", "symbol": "stop1"}).ok  # fmt: skip
    r = page.request.post(f"{base}/v1/sessions/{sid}/continue?wait=20", headers=AUTH, data={})
    assert r.json()["last_stop"]["reason"] == "breakpoint"

    vector_gets: list[str] = []
    page.on("request", lambda req: vector_gets.append(req.url) if "group=vector" in req.url
            else None)  # fmt: skip
    page.goto(f"{base}/#token={TOKEN}&session={sid}")
    expect(page.locator("#disasm .ln.pc")).to_have_count(1)
    expect(reg(page, "pc").locator(".v")).to_have_text(f"0x{stop1:016x}")
    expect(page.locator("#vector")).to_be_hidden()
    assert vector_gets == []  # closed: the vector registers are never fetched

    page.click("#vec-toggle")
    expect(page.locator("#vec-toggle")).to_have_attribute("aria-expanded", "true")
    expect(els(page, "vr1")).to_have_count(4)  # 4 x u32 by default
    expect(els(page, "vr1")).to_have_text(["7fc00000", "80000000", "7f800000", "ff800000"])
    assert len(vector_gets) == 1
    expect(page.locator("#vector .vreg.changed")).to_have_count(0)  # nothing to compare with

    page.select_option("#vec-view", "f32")
    expect(els(page, "vr1")).to_have_text(["NaN", "-0", "inf", "-inf"])
    expect(els(page, "vr3")).to_have_text(["1.5", "1e-45", "-2.5", "NaN(0x1)"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "vector-f32.png"))
    page.select_option("#vec-view", "f64")
    expect(els(page, "vr2")).to_have_text(["-0", "sNaN(0x1)"])
    for view, n in (("u8", 16), ("u16", 8), ("u64", 2)):
        page.select_option("#vec-view", view)
        expect(els(page, "vr1")).to_have_count(n)
    page.select_option("#vec-view", "u8")
    expect(els(page, "vr1").first).to_have_text("7f")
    page.check("#vec-dec")
    expect(els(page, "vr1").first).to_have_text("127")
    page.uncheck("#vec-dec")
    page.select_option("#vec-set", "vs")
    expect(els(page, "vs33")).to_have_text([format(b, "02x") for b in bytes.fromhex(
        "7fc0000080000000" "7f800000ff800000")])  # fmt: skip
    expect(page.locator("#vector .vreg")).to_have_count(64)
    page.select_option("#vec-set", "vr")

    # A step that writes vr4: its row and the three words that changed are highlighted.
    page.select_option("#vec-view", "u32")
    page.click('#controls button[data-act="into"]')
    expect(page.locator("#vec-info")).to_contain_text("1 changed")
    expect(page.locator('#vector .vreg[data-reg="vr4"]')).to_have_class(re.compile("changed"))
    expect(page.locator("#vector .vreg.changed")).to_have_count(1)
    expect(els(page, "vr4")).to_have_text(["7fc00000", "80000000", "7f800000", "ff800000"])
    assert [els(page, "vr4").nth(i).get_attribute("class") for i in range(4)] == [
        "el", "el changed", "el changed", "el changed"]  # fmt: skip
    page.check("#vec-changed")
    expect(page.locator("#vector .vreg")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "vector.png"))
    page.uncheck("#vec-changed")

    # Closed again: stops fetch nothing more.
    fetched = len(vector_gets)
    page.keyboard.press("v")
    expect(page.locator("#vector")).to_be_hidden()
    page.click('#controls button[data-act="into"]')
    expect(reg(page, "pc").locator(".v")).to_have_text(f"0x{stop1 + 8:016x}")
    page.evaluate("ppcdbg.refresh()")
    assert len(vector_gets) == fetched
    # Reopened: the values the second vor wrote, with no stale highlight.
    page.keyboard.press("v")
    expect(els(page, "vr5")).to_have_text(["7fc00000", "80000000", "7f800000", "ff800000"])
    expect(page.locator("#vector .vreg.changed")).to_have_count(0)


# A symbol whose name is markup: were it inserted as HTML, the <img> would run its onerror.
EVIL = "<img src=x onerror=window.__pwned=1>"
EVIL_SOURCE = (
    '    .globl _start\n_start:\n    li 3, 0\n    bl "' + EVIL + '"\n'
    "done:\n    b done\n"
    '"' + EVIL + '":\n    addi 3, 3, 1\n    blr\n'
)


def test_symbol_names_are_text_branch_targets_are_named_and_bad_symbols_are_problems(page, server):
    base = server.url
    img = page.request.post(f"{base}/v1/images", headers=AUTH,
                            data={"name": "evil.S", "source": EVIL_SOURCE})  # fmt: skip
    assert img.ok, img.text()
    assert EVIL in img.json()["symbols"]
    sid = page.request.post(f"{base}/v1/sessions", headers=AUTH,
                            data={"image_id": img.json()["id"]}).json()["id"]  # fmt: skip
    page.goto(f"{base}/#token={TOKEN}&session={sid}")
    expect(page.locator("#disasm .ln.pc")).to_have_count(1)
    # The label and the branch target show the name as text, and no script ran.
    expect(page.locator("#disasm .sym", has_text=EVIL)).to_have_count(1)
    expect(page.locator("#disasm .ln", has_text=re.compile(r"bl\s+0x[0-9a-f]+ <" + re.escape(EVIL)
                                                           + ">"))).to_have_count(1)  # fmt: skip
    page.fill("#bp-input", EVIL)
    page.press("#bp-input", "Enter")
    expect(page.locator("#breakpoints li")).to_contain_text(EVIL)
    page.click('#controls button[data-act="continue"]')
    expect(page.locator("#stopline")).to_contain_text(EVIL)
    assert page.locator("#disasm img, #breakpoints img, #stopline img").count() == 0
    assert page.evaluate("window.__pwned") is None
    # An unknown symbol in "go to": the server's problem, not a JavaScript SyntaxError.
    page.fill("#disasm-goto", "nosuchsym")
    page.press("#disasm-goto", "Enter")
    expect(page.locator("#disasm-error")).to_contain_text("nosuchsym")
    expect(page.locator("#disasm-error")).not_to_contain_text("SyntaxError")
    page.fill("#disasm-goto", "done")
    page.press("#disasm-goto", "Enter")
    expect(page.locator("#disasm .sym", has_text="<done>:")).to_have_count(1)


SOURCE = (
    ".globl _start\n_start:\n    li 3, 0\nloop:\n    addi 3, 3, 1\n    cmpwi 3, 3\n"
    "    bne loop\ndone:\n    b done\n"
)


def test_source_view_follows_the_pc(page, server):
    base = server.url
    img = page.request.post(f"{base}/v1/images", headers=AUTH,
                            data={"name": "loop.S", "source": SOURCE})  # fmt: skip
    assert img.ok, img.text()
    sid = page.request.post(f"{base}/v1/sessions", headers=AUTH,
                            data={"image_id": img.json()["id"]}).json()["id"]  # fmt: skip
    page.goto(f"{base}/#token={TOKEN}&session={sid}")
    expect(page.locator("#source-panel")).to_be_visible()
    expect(page.locator("#source-where")).to_have_text("prog.S:3")
    expect(page.locator("#source .sl.pc")).to_have_text(re.compile(r"^3\s+li 3, 0$"))
    page.click('#controls button[data-act="into"]')
    expect(page.locator("#source .sl.pc")).to_have_text(re.compile(r"^5\s+addi 3, 3, 1$"))
    page.click('#controls button[data-act="into"]')
    expect(page.locator("#source-where")).to_have_text("prog.S:6")


def test_terminal_types_at_a_running_guest_and_shows_its_echo(page, server):
    open_dashboard(page, server)
    assert page.evaluate("typeof window.Terminal") == "function", "xterm.js is not vendored"
    sid = create_example(page, "guest_echo.elf", 1)
    expect(page.locator("#console-info")).to_have_text("click and type")
    page.click('#controls button[data-act="continue"]')
    # Generous waits: a loaded CI machine runs the browser, the server and the guest at once.
    expect(page.locator("#state")).to_have_text("running", timeout=30_000)
    page.wait_for_function("ppcdbg.terminalText().includes('echo> ')", timeout=60_000)
    page.click("#terminal")
    # Keys go to the guest, not to the dashboard's shortcuts (h would halt, s would step).
    page.keyboard.type("echo hi; ls -s")
    page.keyboard.press("Enter")
    page.wait_for_function("ppcdbg.terminalText().includes('echo> echo hi; ls -s')", timeout=60_000)
    assert session_json(page, server, sid)["state"] == "running"
    page.click('#controls button[data-act="halt"]')
    expect(page.locator("#state")).to_have_text("stopped", timeout=30_000)
    echoed = page.request.get(
        f"{server.url}/v1/sessions/{sid}/memory",
        params={"addr": "echoed", "length": "8"},
        headers=AUTH,
    )
    assert echoed.ok, echoed.text()
    assert int(echoed.json()["data"], 16) == len("echo hi; ls -s\r")  # the guest read them all
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "terminal.png"))


def test_a_profile_without_a_console_says_so(page, server):
    open_dashboard(page, server)
    create_example(page, "smp_spinlock.elf", 2)
    expect(page.locator("#console-info")).to_contain_text("powernv profile has none")


def test_a_pseries_session_from_a_kernel_upload_boots_to_power_off(page, server, tmp_path: Path):
    from tests.asm import assemble_elf
    from tests.engine.platform.test_boot import PROGRAM

    kernel = tmp_path / "smp-kernel.elf"
    kernel.write_bytes(assemble_elf(PROGRAM))
    initrd = tmp_path / "initrd.cpio"
    initrd.write_bytes(b"070701" + bytes(2042))
    open_dashboard(page, server)
    page.select_option("#create-source", "upload")
    page.set_input_files("#create-file", str(kernel))
    page.fill("#create-vcpus", "2")
    page.select_option("#create-profile", "pseries")
    expect(page.locator("#create-pseries")).to_be_visible()
    page.set_input_files("#create-initrd", str(initrd))
    page.fill("#create-cmdline", "console=hvc0 quiet")
    page.click("#create-btn")
    expect(page.locator("#create-msg")).to_contain_text("created ses-")
    sid = page.locator("#create-msg").inner_text().split()[-1]
    cfg = session_json(page, server, sid)["config"]
    assert cfg["profile"] == "pseries" and cfg["cmdline"] == "console=hvc0 quiet"
    assert cfg["initrd"] and cfg["kernel"]
    expect(page.locator("#console-info")).to_have_text("click and type")
    page.click('#controls button[data-act="continue"]')
    expect(page.locator("#stopline")).to_contain_text("poweroff", timeout=60_000)
    page.wait_for_function("ppcdbg.terminalText().includes('ABC')")


@pytest.mark.slow
def test_the_terminal_runs_echo_hi_at_the_stock_kernel_s_busybox_prompt(page, server):
    """Debian's kernel and the busybox initramfs (``make linux``) uploaded, booted in a pseries
    session to the shell, ``echo hi`` typed at the prompt, ``hi`` read back, ``exit`` powers the
    machine off. About 220 M instructions: minutes at today's engine speed."""
    from tests.engine.platform.test_firmware import kernel_files

    vmlinux, initramfs = kernel_files()
    base = server.url

    def upload(path: Path, fmt: str) -> str:
        r = page.request.post(f"{base}/v1/images", headers=AUTH, timeout=120_000, multipart={
            "file": {"name": path.name, "mimeType": "application/octet-stream",
                     "buffer": path.read_bytes()},
            "format": fmt,
        })  # fmt: skip
        assert r.ok, r.text()
        return str(r.json()["id"])

    body = {
        "profile": "pseries",
        "kernel": upload(vmlinux, "elf"),
        "initrd": upload(initramfs, "raw"),
        "cmdline": "console=hvc0 cryptomgr.notests",
    }
    s = page.request.post(f"{base}/v1/sessions", headers=AUTH, data=body)
    assert s.ok, s.text()
    sid = s.json()["id"]
    page.goto(f"{base}/#token={TOKEN}&session={sid}")
    expect(page.locator("#console-info")).to_have_text("click and type")
    page.click('#controls button[data-act="continue"]')
    page.wait_for_function("ppcdbg.terminalText().includes('PPCDBG-USERSPACE-OK')",
                           timeout=900_000, polling=1000)  # fmt: skip
    page.wait_for_function("/[/~] #\\s*$/m.test(ppcdbg.terminalText())", timeout=120_000)
    page.click("#terminal")
    page.keyboard.type("echo hi")
    page.keyboard.press("Enter")
    # The shell echoes the command line, then prints the word on a line of its own.
    page.wait_for_function("ppcdbg.terminalText().split('\\n').some(l => l.trim() === 'hi')",
                           timeout=120_000)  # fmt: skip
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "busybox.png"))
    page.keyboard.type("exit")
    page.keyboard.press("Enter")
    expect(page.locator("#stopline")).to_contain_text("poweroff", timeout=120_000)
