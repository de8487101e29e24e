// ppcdbg dashboard: a browser client of the public REST and WebSocket API (docs/api.md).
// Plain ES module, no build step; the one third-party library is xterm.js for the guest
// console (npm @xterm/xterm, vendored into the package at build, loaded by index.html as
// the global `Terminal`). Everything it shows comes from /v1/...; the token is the same
// bearer token every other client uses.

const $ = (sel) => document.querySelector(sel);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

// Examples bundled with the service (served by main.py from examples/): uploaded through
// POST /v1/images like any other file, so the dashboard needs no private route.
const EXAMPLES = [
  { file: "smp_spinlock.elf", label: "SMP spinlock (4 vCPUs)", vcpus: 4, profile: "powernv" },
  { file: "guest_console.elf", label: "guest console + self-step", vcpus: 1, profile: "guest" },
  { file: "interrupts.elf", label: "every interrupt class", vcpus: 1, profile: "powernv" },
  { file: "radix_ail.elf", label: "radix + AIL=3 guest", vcpus: 1, profile: "guest" },
  { file: "guest_echo.elf", label: "guest echoing its console", vcpus: 1, profile: "guest" },
];

const TRACE_RING = 20000; // trace rows kept; older ones fall off (the view is a window)
const TRACE_ROWS = 200; // rows drawn per frame at most
const LOG_MAX = 3000; // event-log rows kept in the DOM
const DISASM_BEFORE = 12; // instructions shown above the pc
const DISASM_COUNT = 64;
const MEM_LEN = 256;

const S = {
  token: null,
  sessions: [],
  sid: null,
  session: null,
  image: null,
  symbols: [], // [[addr BigInt, name]] sorted, for address -> symbol+off
  vcpu: 0,
  regs: new Map(), // vcpu -> {key, values, changed:Set}
  // The vector registers: fetched (?group=vector) only while the panel is open.
  vec: { open: false, view: "u32", set: "vr", dec: false, changedOnly: false, regs: new Map(), fetches: 0 },
  stopKey: null,
  bps: [],
  disasm: { base: null, lines: [], follow: true },
  cursor: null, // BigInt address of the cursor line
  mem: { addr: null, space: "physical", prev: null, prevAddr: null },
  ws: null,
  wsWanted: false,
  lastSeq: 0,
  seqs: [], // every numbered event received (tests check continuity)
  gaps: 0,
  reconnects: 0,
  retryMs: 250,
  holdReconnect: 0,
  trace: null,
  busy: false,
  term: null, // the xterm.js Terminal of the guest console (null without the vendored library)
  hasConsole: false,
};

// ---------------------------------------------------------------- formatting
const hex = (v, w = 16) => "0x" + BigInt(v).toString(16).padStart(w, "0");
const big = (s) => (s === null || s === undefined ? null : BigInt(s));
const bit = (v, n) => (big(v) >> BigInt(n)) & 1n; // n = bit number from the LSB

function symbolize(addr) {
  const a = BigInt(addr);
  let best = null;
  for (const [sa, name] of S.symbols) {
    if (sa > a) break;
    best = [sa, name];
  }
  if (!best) return "";
  const off = a - best[0];
  if (off > 0x10000n) return "";
  return off === 0n ? best[1] : `${best[1]}+0x${off.toString(16)}`;
}

function shortHex(s) {
  const v = BigInt(s);
  return "0x" + v.toString(16);
}

// ---------------------------------------------------------------- REST
class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(method, path, body, { raw = false } = {}) {
  const headers = { Authorization: `Bearer ${S.token}` };
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const r = await fetch(path, { method, headers, body: payload });
  if (r.status === 401) {
    askToken("the token was refused");
    throw new ApiError(401, null);
  }
  if (!r.ok) {
    let problem = null;
    try { problem = await r.json(); } catch { /* not JSON */ }
    throw new ApiError(r.status, problem);
  }
  if (raw || r.status === 204) return r;
  return r.json();
}

const sess = (p = "") => `/v1/sessions/${S.sid}${p}`;

function report(err) {
  const text = err instanceof ApiError ? `${err.status}: ${err.message}` : String(err);
  logLocal("error", text);
  console.warn(err);
}

// ---------------------------------------------------------------- token
function askToken(message) {
  const d = $("#token-dialog");
  $("#token-msg").textContent = message || "";
  $("#token-msg").className = message ? "msg err" : "msg";
  if (!d.open) d.showModal();
  $("#token-input").focus();
}

function initToken() {
  // #token=... (as `make run` can print) wins, then this tab's sessionStorage.
  const frag = new URLSearchParams(location.hash.slice(1));
  const t = frag.get("token");
  if (t) {
    sessionStorage.setItem("ppcdbg.token", t);
    frag.delete("token");
    const rest = frag.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest : ""));
  }
  S.token = t || sessionStorage.getItem("ppcdbg.token");
  const wantSession = frag.get("session");
  $("#token-form").addEventListener("submit", (ev) => {
    const v = $("#token-input").value.trim();
    if (!v) { ev.preventDefault(); return; }
    S.token = v;
    sessionStorage.setItem("ppcdbg.token", v);
    loadSessions().catch(report);
  });
  if (!S.token) askToken();
  else loadSessions(wantSession).catch(report);
}

// ---------------------------------------------------------------- sessions
async function loadSessions(select) {
  const [ss, imgs] = await Promise.all([api("GET", "/v1/sessions"), api("GET", "/v1/images")]);
  S.sessions = ss.data;
  S.images = imgs.data;
  if ($("#token-dialog").open) $("#token-dialog").close();
  renderSessions();
  renderSources();
  const keep = select || S.sid || (S.sessions[0] && S.sessions[0].id);
  if (keep && S.sessions.some((s) => s.id === keep)) {
    if (keep !== S.sid) await selectSession(keep);
  } else if (!S.sessions.length) {
    clearSession();
  }
}

function renderSessions() {
  const ul = $("#sessions");
  ul.replaceChildren();
  for (const s of S.sessions) {
    const li = el("li", s.id === S.sid ? "sel" : "");
    li.dataset.id = s.id;
    li.append(el("span", "dot " + s.state));
    const img = (S.images || []).find((i) => i.id === s.image_id);
    const name = el("span", "grow mono", `${s.id.slice(4, 12)} ${img ? img.name : ""}`);
    name.title = `${s.id}\n${s.config.vcpus} vCPUs, ${s.config.profile}, ${s.config.backend}`;
    li.append(name, el("span", "muted", `${s.config.vcpus}×`));
    const del = el("button", "ghost del", "✕");
    del.title = "Delete this session";
    del.addEventListener("click", (ev) => {
      ev.stopPropagation();
      deleteSession(s.id).catch(report);
    });
    li.append(del);
    li.addEventListener("click", () => selectSession(s.id).catch(report));
    ul.append(li);
  }
  if (!S.sessions.length) ul.append(el("li", "muted", "no sessions yet"));
}

function renderSources() {
  const sel = $("#create-source");
  const cur = sel.value;
  sel.replaceChildren();
  const g1 = el("optgroup");
  g1.label = "Examples";
  for (const ex of EXAMPLES) {
    const o = el("option", "", ex.label);
    o.value = "example:" + ex.file;
    g1.append(o);
  }
  sel.append(g1);
  if (S.images && S.images.length) {
    const g2 = el("optgroup");
    g2.label = "Uploaded images";
    for (const im of S.images) {
      const o = el("option", "", `${im.name} (${im.id.slice(4, 12)})`);
      o.value = "image:" + im.id;
      g2.append(o);
    }
    sel.append(g2);
  }
  const up = el("option", "", "Upload a file (ELF or raw)…");
  up.value = "upload";
  sel.append(up);
  if ([...sel.options].some((o) => o.value === cur)) sel.value = cur;
}

async function imageFor(source) {
  if (source.startsWith("image:")) return source.slice(6);
  let blob, name;
  if (source === "upload") {
    const f = $("#create-file").files[0];
    if (!f) throw new Error("choose a file first");
    blob = f;
    name = f.name;
  } else {
    name = source.slice(8);
    const r = await fetch(`/dashboard/examples/${name}`);
    if (!r.ok) throw new Error(`example ${name} is not available (${r.status})`);
    blob = await r.blob();
    // Reuse an identical upload rather than filling the owner's image quota.
    const same = (S.images || []).find((i) => i.name === name && i.size === blob.size);
    if (same) return same.id;
  }
  const fd = new FormData();
  fd.append("file", blob, name);
  fd.append("name", name);
  const img = await api("POST", "/v1/images", fd);
  return img.id;
}

async function createSession(ev) {
  ev.preventDefault();
  const msg = $("#create-msg");
  msg.className = "msg";
  msg.textContent = "creating…";
  try {
    const image_id = await imageFor($("#create-source").value);
    const profile = $("#create-profile").value;
    const body = {
      vcpus: Number($("#create-vcpus").value) || 1,
      profile,
      backend: $("#create-backend").value,
    };
    if (profile === "pseries") {
      // The image is the kernel; an initrd goes up as a raw image of its own.
      body.kernel = image_id;
      body.cmdline = $("#create-cmdline").value;
      const f = $("#create-initrd").files[0];
      if (f) {
        const fd = new FormData();
        fd.append("file", f, f.name);
        fd.append("name", f.name);
        fd.append("format", "raw");
        body.initrd = (await api("POST", "/v1/images", fd)).id;
      }
    } else {
      body.image_id = image_id;
    }
    const s = await api("POST", "/v1/sessions", body);
    msg.textContent = `created ${s.id}`;
    await loadSessions(s.id);
    await selectSession(s.id);
  } catch (e) {
    msg.className = "msg err";
    msg.textContent = e.message;
  }
}

async function deleteSession(id) {
  await api("DELETE", `/v1/sessions/${id}`);
  if (id === S.sid) clearSession();
  await loadSessions();
}

function clearSession() {
  closeSocket();
  S.sid = null;
  S.session = null;
  $("#session-title").textContent = "no session";
  $("#state").textContent = "–";
  $("#state").className = "badge";
  for (const id of ["#vcpus", "#disasm", "#registers", "#breakpoints", "#stats", "#memory"]) {
    $(id).replaceChildren();
  }
  renderSessions();
}

async function selectSession(id) {
  if (S.sid === id && S.session) return;
  closeSocket();
  Object.assign(S, {
    sid: id, session: null, image: null, symbols: [], vcpu: 0, regs: new Map(), stopKey: null,
    bps: [], cursor: null, lastSeq: 0, seqs: [], gaps: 0,
  });
  S.vec.regs = new Map();
  S.disasm = { base: null, lines: [], follow: true };
  S.mem = { addr: null, space: $("#mem-space").value, prev: null, prevAddr: null };
  $("#events").replaceChildren();
  $("#disasm-error").hidden = true;
  $("#console").textContent = "";
  if (S.term) S.term.reset();
  S.trace.clear();
  renderSessions();
  const s = await api("GET", sess());
  S.image = await api("GET", `/v1/images/${s.image_id}`);
  S.source = null;
  if ((S.image.source || []).length || S.image.lines) {
    const src = await api("GET", `/v1/images/${s.image_id}/source`);
    S.source = { files: src.files, lines: src.lines.map((l) => [BigInt(l.address), l.file, l.line]) };
  }
  $("#source-panel").hidden = S.source === null;
  const seg = S.image.segments.map((g) => [BigInt(g.vaddr), BigInt(g.vaddr) + BigInt(g.memsz)]);
  const inImage = (a) => !seg.length || seg.some(([lo, hi]) => a >= lo && a < hi + 0x1000n);
  S.symbols = Object.entries(S.image.symbols)
    .map(([n, a]) => [BigInt(a), n])
    .filter(([a, n]) => inImage(a) && !n.startsWith("__") && !n.startsWith("_e"))
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1].localeCompare(y[1])));
  const memDefault = ["counter", "lock", "buffer", "counts", "trace_count"].find((n) => n in S.image.symbols);
  S.mem.addr = memDefault ? BigInt(S.image.symbols[memDefault]) : BigInt(S.image.entry);
  $("#mem-goto").value = memDefault || hex(S.mem.addr);
  $("#session-title").textContent = `${id}  ${S.image.name}`;
  S.hasConsole = s.config.profile !== "powernv";
  $("#console-info").textContent = S.hasConsole ? "click and type" : `(the ${s.config.profile} profile has none)`;
  openSocket(0);
  await refresh();
}

// ---------------------------------------------------------------- refresh
let refreshing = null;
let refreshAgain = false;

function refresh() {
  // Coalesce: a stop event and the REST reply of the same step ask for one refresh.
  if (refreshing) { refreshAgain = true; return refreshing; }
  // A refresh asked for while one fails still happens: a session that starts running in the
  // middle of a stopped refresh answers its register reads with 409, and the refresh that the
  // continue asked for is the one that shows "running" (an error there is stale, not shown).
  refreshing = (async () => {
    try {
      do {
        refreshAgain = false;
        try {
          await refreshOnce();
        } catch (e) {
          if (!refreshAgain) report(e);
        }
      } while (refreshAgain);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function refreshOnce() {
  if (!S.sid) return;
  const sid = S.sid;
  const s = await api("GET", sess());
  if (sid !== S.sid) return;
  applySession(s);
  if (S.vcpu >= s.vcpus.length) S.vcpu = 0;
  const tasks = [loadBreakpoints(), loadStats()];
  if (s.state === "stopped") {
    tasks.push(loadRegisters(), loadVcpuInsns(), loadMemory());
    // Closed, the panel fetches nothing; what it had is stale (no highlight on reopening).
    if (S.vec.open) tasks.push(loadVector());
    else S.vec.regs.clear();
    if (S.disasm.follow) S.cursor = null;
  }
  await Promise.all(tasks);
  // Reading guest state needs a stopped session (the service answers 409 while running).
  if (s.state === "stopped") await loadDisasm();
  else renderDisasm();
}

function applySession(s) {
  S.session = s;
  const st = $("#state");
  st.textContent = s.state;
  st.className = "badge " + s.state;
  const key = s.last_stop ? `${s.last_stop.time}/${s.last_stop.vcpu}/${s.last_stop.pc}/${s.last_stop.reason}` : "start";
  if (key !== S.stopKey) {
    S.stopKey = key;
    if (s.last_stop && s.state === "stopped" && S.disasm.follow) S.vcpu = s.last_stop.vcpu;
  }
  const ls = s.last_stop;
  $("#stopline").title = $("#stopline").textContent = ls && s.state === "stopped"
    ? `vCPU ${ls.vcpu} stopped: ${ls.reason} at ${shortHex(ls.pc)} ${symbolize(ls.pc) ? "<" + symbolize(ls.pc) + ">" : ""}${ls.message ? " — " + ls.message : ""}`
    : s.state === "running" ? "running…" : "";
  const idx = S.sessions.findIndex((x) => x.id === s.id);
  if (idx >= 0 && S.sessions[idx].state !== s.state) {
    S.sessions[idx] = s;
    renderSessions();
  }
  for (const b of document.querySelectorAll("#controls button")) {
    const act = b.dataset.act;
    b.disabled = act === "halt" ? s.state !== "running" : s.state === "running";
  }
  $("#backend-name").textContent = s.config.backend;
  renderVcpus();
}

// ---------------------------------------------------------------- vCPUs
const insnCache = new Map(); // vcpu -> text of the instruction at its pc

async function loadVcpuInsns() {
  const s = S.session;
  await Promise.all(s.vcpus.map(async (v) => {
    try {
      const d = await api("GET", sess(`/disassembly?addr=${v.pc}&count=1&vcpu=${v.index}`));
      insnCache.set(v.index, d.data[0] ? d.data[0].text : "?");
    } catch {
      insnCache.set(v.index, "(unreadable)");
    }
  }));
  renderVcpus();
}

function renderVcpus() {
  const box = $("#vcpus");
  const s = S.session;
  if (!s) return;
  box.replaceChildren();
  const ls = s.last_stop;
  for (const v of s.vcpus) {
    const here = ls && ls.vcpu === v.index && s.state === "stopped";
    const c = el("div", "vcpu" + (v.index === S.vcpu ? " sel" : "") + (here ? " stopped-here" : ""));
    c.dataset.vcpu = v.index;
    const hd = el("div", "hd");
    hd.append(el("span", "", `vCPU ${v.index}`));
    let st = s.state === "running" ? "running" : v.halted ? `halted${v.halt_reason ? ": " + v.halt_reason : ""}`
      : v.sleeping ? "sleeping" : "stopped";
    if (here) hd.append(el("span", "why", `◆ ${ls.reason}`));
    else hd.append(el("span", "st", st));
    const sym = symbolize(v.pc);
    c.append(hd, el("div", "", `${shortHex(v.pc)}${sym ? " <" + sym + ">" : ""}`));
    c.append(el("div", "insn", s.state === "stopped" ? insnCache.get(v.index) || "" : "…"));
    const msr = BigInt(v.msr);
    const flags = MSR_BITS.filter(([, b]) => (msr >> BigInt(b)) & 1n).map(([n]) => n).join(" ");
    c.append(el("div", "sub", `${v.retired.toLocaleString()} retired · ${flags}`));
    c.addEventListener("click", () => selectVcpu(v.index));
    box.append(c);
  }
}

function selectVcpu(n) {
  if (!S.session || n >= S.session.vcpus.length) return;
  S.vcpu = n;
  S.disasm.follow = true;
  S.cursor = null;
  renderVcpus();
  if (S.session.state === "stopped") {
    const loads = [loadRegisters(), loadDisasm()];
    if (S.vec.open) loads.push(loadVector());
    Promise.all(loads).catch(report);
  }
  renderVector();
}

// ---------------------------------------------------------------- registers
// Bit numbers from the least significant end (the ISA numbers them from the MSB:
// ISA bit k of a 64-bit register is LSB bit 63-k). Power ISA 3.0B Book III 4.2.1.
const MSR_BITS = [
  ["SF", 63], ["HV", 60], ["TM", 32], ["VEC", 25], ["VSX", 23], ["S", 22], ["EE", 15], ["PR", 14],
  ["FP", 13], ["ME", 12], ["FE0", 11], ["SE", 10], ["BE", 9], ["FE1", 8], ["IR", 5], ["DR", 4],
  ["PMM", 2], ["RI", 1], ["LE", 0],
];
// LPCR (ISA 3.0B Book III 2.2; names as QEMU 7.2 target/ppc/cpu.h for POWER9).
const LPCR_BITS = [
  ["VPM1", 62], ["ISL", 61], ["KBV", 60], ["ILE", 25], ["UPRT", 22], ["EVIRT", 21], ["HR", 20],
  ["ONL", 18], ["LD", 17], ["PDEE", 16], ["HDEE", 15], ["EEE", 14], ["DEE", 13], ["OEE", 12],
  ["MER", 11], ["GTSE", 10], ["TC", 9], ["HEIC", 4], ["LPES0", 3], ["LPES1", 2], ["HVICE", 1],
  ["HDICE", 0],
];
// XER as the 32-bit image the API shows (the low word of the 64-bit SPR).
const XER_BITS = [["SO", 31], ["OV", 30], ["CA", 29], ["OV32", 19], ["CA32", 18]];
const CORE = ["pc", "lr", "ctr", "msr", "cr", "xer"];
const SPECIAL = ["pc", "lr", "ctr", "msr", "cr", "xer", "srr0", "srr1", "hsrr0", "hsrr1", "lpcr",
  "dar", "dsisr", "dec", "hdec", "pir", "sprg0", "sprg1", "hsprg0", "hsprg1", "cfar", "fpscr", "tar"];

async function loadRegisters() {
  const n = S.vcpu;
  const sid = S.sid;
  const r = await api("GET", sess(`/vcpus/${n}/registers`));
  if (sid !== S.sid) return;
  const prev = S.regs.get(n);
  const values = r.registers;
  // Highlight what differs from the last *different* register state of this vCPU: a
  // refresh that finds nothing new (the stop event and the REST reply of one step) keeps
  // the highlight instead of clearing it.
  if (prev && sameValues(prev.values, values)) return renderRegisters();
  const changed = new Set();
  if (prev) for (const [k, v] of Object.entries(values)) if (prev.values[k] !== v) changed.add(k);
  S.regs.set(n, { values, changed, prev: prev ? prev.values : null });
  renderRegisters();
}

function sameValues(a, b) {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function regCell(name, values, changed, label) {
  const d = el("div", "reg" + (changed.has(name) ? " changed" : ""));
  d.dataset.reg = name;
  d.append(el("span", "n", label || name), el("span", "v", values[name] ?? "—"));
  const rec = S.regs.get(S.vcpu);
  if (changed.has(name) && rec?.prev) d.title = `was ${rec.prev[name]}`;
  return d;
}

function bitsRow(defs, value, prevValue) {
  const row = el("div", "bits");
  const v = big(value);
  const p = prevValue === undefined || prevValue === null ? null : big(prevValue);
  for (const [name, b] of defs) {
    const on = (v >> BigInt(b)) & 1n;
    const was = p === null ? on : (p >> BigInt(b)) & 1n;
    const s = el("span", "bit" + (on ? " on" : "") + (on !== was ? " changed" : ""), name);
    s.title = `${name}: ISA bit ${63 - b}`;
    row.append(s);
  }
  return row;
}

function renderRegisters() {
  const box = $("#registers");
  const rec = S.regs.get(S.vcpu);
  $("#regs-vcpu").textContent = S.session ? `vCPU ${S.vcpu}` : "";
  box.replaceChildren();
  if (!rec) return;
  const { values, changed } = rec;
  const prev = rec.prev || {};
  const top = el("div", "gprs");
  for (const n of CORE) if (n in values) top.append(regCell(n, values, changed));
  box.append(top);

  box.append(el("h3", "", "GPRs"));
  const g = el("div", "gprs");
  // Column-major: r0-r15 left, r16-r31 right, as gdb's "info registers" reads.
  for (let i = 0; i < 16; i++) {
    g.append(regCell(`r${i}`, values, changed), regCell(`r${i + 16}`, values, changed));
  }
  box.append(g);

  box.append(el("h3", "", "MSR"));
  box.append(bitsRow(MSR_BITS, values.msr, prev.msr));
  const msr = big(values.msr);
  const ts = (msr >> 33n) & 3n;
  if (ts) box.append(el("div", "field", `TS=${ts}`));

  box.append(el("h3", "", "CR"));
  const crf = el("div", "crf");
  const cr = Number(big(values.cr));
  const pcr = prev.cr === undefined ? cr : Number(big(prev.cr));
  for (let f = 0; f < 8; f++) {
    const nib = (cr >>> (28 - 4 * f)) & 0xf;
    const was = (pcr >>> (28 - 4 * f)) & 0xf;
    const names = [["LT", 8], ["GT", 4], ["EQ", 2], ["SO", 1]].filter(([, m]) => nib & m).map(([x]) => x);
    const d = el("div", nib !== was ? "changed" : "");
    d.dataset.crf = f;
    d.append(el("span", "n", `cr${f}`), el("span", "", names.join(" ") || "·"));
    crf.append(d);
  }
  box.append(crf);

  box.append(el("h3", "", "XER"));
  box.append(bitsRow(XER_BITS, values.xer, prev.xer));
  box.append(el("div", "field", `byte count ${Number(big(values.xer) & 0x7fn)}`));

  if (values.srr1) {
    box.append(el("h3", "", "SRR0 / SRR1"));
    const s01 = el("div", "gprs");
    s01.append(regCell("srr0", values, changed), regCell("srr1", values, changed));
    box.append(s01);
    const srr0sym = symbolize(values.srr0);
    box.append(field(["srr0 ", [srr0sym ? `<${srr0sym}>` : "–"], big(values.srr1) ? " · srr1 as an MSR image:" : ""]));
    if (big(values.srr1) !== 0n) box.append(bitsRow(MSR_BITS, values.srr1, prev.srr1));
  }

  if (values.lpcr) {
    box.append(el("h3", "", "LPCR"));
    box.append(bitsRow(LPCR_BITS, values.lpcr, prev.lpcr));
    const l = big(values.lpcr);
    // AIL is LPCR bits 39:40 (docs/machine.md), DPFD 9:11, VRMASD 12:16, RMLS 34:37.
    box.append(field(["AIL ", [`${(l >> 23n) & 3n}`], " · DPFD ", [`${(l >> 52n) & 7n}`],
      " · VRMASD ", [`0x${((l >> 47n) & 0x1fn).toString(16)}`], " · RMLS ", [`${(l >> 26n) & 0xfn}`]]));
  }

  box.append(el("h3", "", "Special"));
  const sp = el("div", "gprs");
  for (const n of SPECIAL) if (n in values && !CORE.includes(n) && !n.startsWith("srr")) sp.append(regCell(n, values, changed));
  box.append(sp);

  const fprs = Object.keys(values).filter((k) => /^f\d+$/.test(k) && changed.has(k));
  if (fprs.length) {
    box.append(el("h3", "", "FPRs (changed)"));
    const fg = el("div", "gprs");
    for (const k of fprs) fg.append(regCell(k, values, changed));
    box.append(fg);
  }
  const other = Object.keys(values).filter((k) => !/^[rf]\d+$/.test(k) && !SPECIAL.includes(k));
  if (other.length) {
    box.append(el("h3", "", "Other SPRs"));
    const og = el("div", "gprs");
    for (const k of other) og.append(regCell(k, values, changed));
    box.append(og);
  }
}

// A muted line of text; [text] parts are emphasised. Text nodes only: names and values
// never go through innerHTML.
function field(parts) {
  const f = el("div", "field");
  for (const p of parts) if (p !== "") f.append(Array.isArray(p) ? el("b", "", p[0]) : document.createTextNode(p));
  return f;
}

// ---------------------------------------------------------------- vector registers
// vr0-vr31 (VSR 32-63) and vs0-vs63 are 128-bit: "0x%032x", byte 0 (the most
// significant) first. Elements are shown in the ISA's order, element 0 first, whatever
// MSR[LE] says (ISA 3.0B 6.3: element i of a vector is bytes i*w..i*w+w-1).
const VEC_VIEWS = {
  u8: { bits: 8 }, u16: { bits: 16 }, u32: { bits: 32 }, u64: { bits: 64 },
  f32: { bits: 32, float: true }, f64: { bits: 64, float: true },
};
// VSCR (a 32-bit image): NJ is VSCR bit 111 of the 128-bit register, SAT bit 127.
const VSCR_BITS = [["NJ", 16], ["SAT", 0]];

function vecElements(hexValue, bits) {
  const v = BigInt(hexValue);
  const mask = (1n << BigInt(bits)) - 1n;
  const out = [];
  for (let i = 0; i < 128 / bits; i++) out.push((v >> BigInt(128 - bits * (i + 1))) & mask);
  return out;
}

// An IEEE binary32/binary64 element from its bits: NaNs with their kind and payload,
// signed zeros and infinities spelled out, finite values in the shortest form that reads
// back as the same value (an f32 as an f32, not as the double it widens to).
function formatFloat(b, bits) {
  const mbits = bits === 32 ? 23 : 52;
  const ebits = bits - 1 - mbits;
  const sign = (b >> BigInt(bits - 1)) & 1n ? "-" : "";
  const exp = (b >> BigInt(mbits)) & ((1n << BigInt(ebits)) - 1n);
  const man = b & ((1n << BigInt(mbits)) - 1n);
  if (exp === (1n << BigInt(ebits)) - 1n) {
    if (man === 0n) return sign + "inf";
    const quiet = (man >> BigInt(mbits - 1)) & 1n;
    const payload = man & ((1n << BigInt(mbits - 1)) - 1n);
    return sign + (quiet ? "NaN" : "sNaN") + (payload ? `(0x${payload.toString(16)})` : "");
  }
  if (exp === 0n && man === 0n) return sign + "0";
  const dv = new DataView(new ArrayBuffer(8));
  if (bits === 64) {
    dv.setBigUint64(0, b);
    return String(dv.getFloat64(0));
  }
  dv.setUint32(0, Number(b));
  const f = dv.getFloat32(0);
  for (let p = 1; p < 9; p++) {
    const t = Number(f.toPrecision(p));
    if (Math.fround(t) === f) return String(t);
  }
  return String(f);
}

function formatElement(b, view, dec) {
  const d = VEC_VIEWS[view];
  if (d.float) return formatFloat(b, d.bits);
  return dec ? b.toString(10) : b.toString(16).padStart(d.bits / 4, "0");
}

async function loadVector() {
  if (!S.vec.open || !S.session) return;
  const n = S.vcpu;
  const sid = S.sid;
  S.vec.fetches++;
  const r = await api("GET", sess(`/vcpus/${n}/registers?group=vector`));
  if (sid !== S.sid) return;
  const prev = S.vec.regs.get(n);
  const values = r.registers;
  // As for the other registers: compare with the last *different* state of this vCPU.
  if (!(prev && sameValues(prev.values, values))) {
    const changed = new Set();
    if (prev) for (const [k, v] of Object.entries(values)) if (prev.values[k] !== v) changed.add(k);
    S.vec.regs.set(n, { values, changed, prev: prev ? prev.values : null });
  }
  renderVector();
}

function setVectorOpen(open) {
  S.vec.open = open;
  const b = $("#vec-toggle");
  b.setAttribute("aria-expanded", String(open));
  b.textContent = (open ? "▾" : "▸") + " Vector registers";
  $("#vec-panel").classList.toggle("open", open);
  $("#vector").hidden = !open;
  if (open && S.session?.state === "stopped") loadVector().catch(report);
  else renderVector();
}

function vecRow(name, rec, view, dec) {
  const { values, changed, prev } = rec;
  const row = el("div", "vreg" + (changed.has(name) ? " changed" : ""));
  row.dataset.reg = name;
  const label = el("span", "n", name);
  label.title = `${name} = ${values[name]}` + (changed.has(name) && prev ? `\nwas ${prev[name]}` : "");
  row.append(label);
  const bits = VEC_VIEWS[view].bits;
  const now = vecElements(values[name], bits);
  const was = changed.has(name) && prev ? vecElements(prev[name], bits) : null;
  const els = el("span", `els n${now.length}`);
  now.forEach((b, i) => {
    const c = el("span", "el" + (was && was[i] !== b ? " changed" : ""), formatElement(b, view, dec));
    c.dataset.i = i;
    c.title = `${name}[${i}] = 0x${b.toString(16).padStart(bits / 4, "0")}` + (was && was[i] !== b
      ? ` (was ${formatElement(was[i], view, dec)})` : "");
    els.append(c);
  });
  row.append(els);
  return row;
}

function renderVector() {
  const box = $("#vec-regs");
  const info = $("#vec-info");
  box.replaceChildren();
  const rec = S.vec.open ? S.vec.regs.get(S.vcpu) : null;
  if (!rec) { info.textContent = ""; return; }
  const { values, changed, prev } = rec;
  const { view, dec, set, changedOnly } = S.vec;
  const names = [...Array(set === "vr" ? 32 : 64).keys()].map((i) => set + i);
  // Counted in the set shown (vr4 and vs36 are one register).
  const count = [...names, "vscr", "vrsave"].filter((k) => changed.has(k)).length;
  info.textContent = `vCPU ${S.vcpu}` + (prev ? ` · ${count} changed` : "");
  const top = el("div", "gprs");
  for (const n of ["vscr", "vrsave"]) {
    const d = el("div", "reg" + (changed.has(n) ? " changed" : ""));
    d.dataset.reg = n;
    d.append(el("span", "n", n), el("span", "v", values[n] ?? "—"));
    if (changed.has(n) && prev) d.title = `was ${prev[n]}`;
    top.append(d);
  }
  box.append(top);
  const vscr = el("div", "bits");
  for (const [name, b] of VSCR_BITS) {
    const on = bit(values.vscr, b);
    const was = prev ? bit(prev.vscr, b) : on;
    const chip = el("span", "bit" + (on ? " on" : "") + (on !== was ? " changed" : ""), name);
    chip.title = `VSCR[${name}]`;
    vscr.append(chip);
  }
  box.append(vscr);
  const grid = el("div", "vregs " + view);
  let shown = 0;
  for (const name of names) {
    if (changedOnly && !changed.has(name)) continue;
    grid.append(vecRow(name, rec, view, dec));
    shown++;
  }
  if (!shown) grid.append(el("div", "muted", changedOnly ? "no vector register changed at the last stop" : ""));
  box.append(grid);
  box.append(el("div", "field", "element 0 (the most significant) first" +
    (set === "vs" ? " · f0–31 are the high doublewords of vs0–31; vs32–63 are vr0–31" : "")));
}

// ---------------------------------------------------------------- disassembly
function pcOf(n) {
  const v = S.session?.vcpus[n];
  return v ? BigInt(v.pc) : null;
}

async function loadDisasm() {
  if (!S.session) return;
  const sid = S.sid;
  let base = S.disasm.base;
  const pc = pcOf(S.vcpu);
  if (S.disasm.follow || base === null) {
    const lines = S.disasm.lines;
    const inView = lines.length && pc >= BigInt(lines[Math.min(4, lines.length - 1)].address) &&
      pc <= BigInt(lines[Math.max(0, lines.length - 8)].address);
    base = inView && S.disasm.base !== null ? S.disasm.base : pc - BigInt(DISASM_BEFORE * 4);
    if (base < 0n) base = 0n;
  }
  let d;
  try {
    d = await api("GET", sess(`/disassembly?addr=${hex(base)}&count=${DISASM_COUNT}&vcpu=${S.vcpu}`));
  } catch (e) {
    if (base !== pc && pc !== null) { // the window above the pc may be unmapped
      base = pc;
      d = await api("GET", sess(`/disassembly?addr=${hex(base)}&count=${DISASM_COUNT}&vcpu=${S.vcpu}`));
    } else {
      $("#disasm").replaceChildren(el("div", "err", e.message));
      return;
    }
  }
  if (sid !== S.sid) return;
  S.disasm.base = base;
  S.disasm.lines = d.data;
  renderDisasm();
  renderSource();
}

// The line of the pc: the line-table row at the greatest address <= pc. Text nodes only.
function renderSource() {
  if (!S.source) return;
  const box = $("#source");
  const pc = pcOf(S.vcpu);
  let row = null;
  for (const r of S.source.lines) { if (pc !== null && r[0] <= pc) row = r; else if (pc !== null) break; }
  if (!row) { $("#source-where").textContent = "no line for the pc"; box.replaceChildren(); return; }
  const [, file, line] = row;
  $("#source-where").textContent = `${file}:${line}`;
  const text = S.source.files[file];
  if (text === undefined) {
    box.replaceChildren(el("div", "muted", `${file} was not uploaded with the image`));
    return;
  }
  const frag = document.createDocumentFragment();
  let cur = null;
  text.split("\n").forEach((t, i) => {
    const r = el("div", "sl" + (i + 1 === line ? " pc" : ""));
    r.dataset.line = i + 1;
    r.append(el("span", "n", String(i + 1)), document.createTextNode(t));
    if (i + 1 === line) cur = r;
    frag.append(r);
  });
  box.replaceChildren(frag);
  if (cur) box.scrollTop = Math.max(0, cur.offsetTop - box.offsetTop - box.clientHeight / 2);
}

function renderDisasm() {
  const box = $("#disasm");
  const scroll = box.scrollTop;
  box.replaceChildren();
  const s = S.session;
  const pc = s && s.state === "stopped" ? pcOf(S.vcpu) : null;
  const others = new Map(); // pc -> other vCPUs there
  if (s) for (const v of s.vcpus) {
    if (v.index === S.vcpu) continue;
    const k = BigInt(v.pc).toString();
    others.set(k, [...(others.get(k) || []), v.index]);
  }
  const bpAt = new Map();
  for (const b of S.bps) if (b.kind === "software" && b.address) bpAt.set(BigInt(b.address).toString(), b);
  let pcRow = null;
  for (const ln of S.disasm.lines) {
    const a = BigInt(ln.address);
    if (ln.symbol) box.append(el("div", "sym", `<${ln.symbol}>:`));
    const row = el("div", "ln");
    row.dataset.addr = ln.address;
    const b = bpAt.get(a.toString());
    if (b) row.classList.add("bp");
    if (b && !b.enabled) row.classList.add("off");
    if (pc !== null && a === pc) { row.classList.add("pc"); pcRow = row; }
    if (S.cursor !== null && a === S.cursor) row.classList.add("cursor");
    const gut = el("span", "gutter");
    gut.title = b ? `breakpoint ${b.id} (hits ${b.hit_count}); click to remove` : "click to set a breakpoint";
    gut.addEventListener("click", (ev) => { ev.stopPropagation(); toggleBreakpoint(a).catch(report); });
    const o = others.get(a.toString());
    row.append(gut, el("span", "arrow", pc !== null && a === pc ? "▶" : ""),
      el("span", "addr", hex(a)), el("span", "word", ln.word.slice(2)));
    const txt = el("span", "txt");
    // ln.text is ln.mnemonic + operands with branch targets named (<bump>, <loop+0x8>).
    const operands = ln.text.startsWith(ln.mnemonic) ? ln.text.slice(ln.mnemonic.length).trim() : ln.operands;
    txt.append(el("span", "mn", ln.mnemonic.padEnd(8)), document.createTextNode(operands));
    if (o) txt.append(el("span", "others", `   ◀ vCPU ${o.join(", ")}`));
    row.append(txt);
    row.addEventListener("click", () => { S.cursor = a; S.disasm.follow = false; markCursor(); });
    row.addEventListener("dblclick", () => runTo(a).catch(report));
    box.append(row);
  }
  if (pcRow && S.disasm.follow) {
    const top = pcRow.offsetTop - box.offsetTop;
    if (top < box.scrollTop + 20 || top > box.scrollTop + box.clientHeight - 40) {
      box.scrollTop = Math.max(0, top - box.clientHeight / 2);
    } else box.scrollTop = scroll;
  } else box.scrollTop = scroll;
}

function markCursor() {
  for (const r of document.querySelectorAll("#disasm .ln")) {
    r.classList.toggle("cursor", S.cursor !== null && BigInt(r.dataset.addr) === S.cursor);
  }
}

function moveCursor(delta) {
  const lines = S.disasm.lines;
  if (!lines.length) return;
  const cur = S.cursor ?? pcOf(S.vcpu);
  let i = lines.findIndex((l) => BigInt(l.address) === cur);
  i = Math.max(0, Math.min(lines.length - 1, (i < 0 ? 0 : i) + delta));
  S.cursor = BigInt(lines[i].address);
  S.disasm.follow = false;
  markCursor();
  document.querySelector("#disasm .ln.cursor")?.scrollIntoView({ block: "nearest" });
}

async function gotoDisasm(where) {
  where = where.trim();
  if (!where) return;
  let a;
  if (where in (S.image?.symbols || {})) a = BigInt(S.image.symbols[where]);
  else if (/^(0x)?[0-9a-f]{1,16}$/i.test(where)) a = BigInt(where.startsWith("0x") ? where : "0x" + where);
  else {
    // Not a symbol of the image nor a number: the server says what is wrong (as REST does).
    try {
      a = BigInt((await api("GET", sess(`/memory?addr=${encodeURIComponent(where)}&length=1&space=effective&vcpu=${S.vcpu}`))).address);
    } catch (e) {
      // Beside the listing, not in it: a refresh that lands now (a stop) redraws the listing.
      $("#disasm-error").textContent = e.message;
      $("#disasm-error").hidden = false;
      return;
    }
  }
  $("#disasm-error").hidden = true;
  S.disasm.follow = false;
  S.disasm.base = a;
  S.cursor = a;
  await loadDisasm();
}

// ---------------------------------------------------------------- breakpoints
async function loadBreakpoints() {
  const r = await api("GET", sess("/breakpoints"));
  S.bps = r.data;
  const ul = $("#breakpoints");
  ul.replaceChildren();
  for (const b of S.bps) {
    const li = el("li");
    li.dataset.id = b.id;
    li.append(el("span", "dot bp" + (b.enabled ? "" : " off")));
    const where = b.address ? `${shortHex(b.address)} ${b.symbol || symbolize(b.address)}` : b.vector ? `vector ${b.vector}` : b.kind;
    const t = el("span", "grow mono", `${b.kind === "software" ? "" : b.kind + " "}${where}`);
    t.title = `${b.id}${b.condition ? "\nif " + b.condition : ""}`;
    li.append(t, el("span", "muted", `${b.hit_count} hit${b.hit_count === 1 ? "" : "s"}`));
    const en = el("button", "ghost", b.enabled ? "off" : "on");
    en.title = b.enabled ? "Disable" : "Enable";
    en.addEventListener("click", (ev) => {
      ev.stopPropagation();
      api("PATCH", sess(`/breakpoints/${b.id}`), { enabled: !b.enabled }).then(refreshBps).catch(report);
    });
    const del = el("button", "ghost", "✕");
    del.title = "Delete";
    del.addEventListener("click", (ev) => {
      ev.stopPropagation();
      api("DELETE", sess(`/breakpoints/${b.id}`)).then(refreshBps).catch(report);
    });
    li.append(en, del);
    if (b.address) li.addEventListener("click", () => gotoDisasm(b.address).catch(report));
    ul.append(li);
  }
  if (!S.bps.length) ul.append(el("li", "muted", "click the disassembly gutter to add"));
  $("#bp-count").textContent = S.bps.length ? `(${S.bps.length})` : "";
}

async function refreshBps() {
  await loadBreakpoints();
  renderDisasm();
}

async function toggleBreakpoint(addr) {
  const b = S.bps.find((x) => x.kind === "software" && x.address && BigInt(x.address) === addr);
  if (b) await api("DELETE", sess(`/breakpoints/${b.id}`));
  else await api("POST", sess("/breakpoints"), { kind: "software", address: hex(addr) });
  await refreshBps();
}

// ---------------------------------------------------------------- memory
async function loadMemory() {
  if (S.mem.addr === null) return;
  const sid = S.sid;
  const box = $("#memory");
  let d;
  try {
    d = await api("GET", sess(`/memory?addr=${hex(S.mem.addr)}&length=${MEM_LEN}&space=${S.mem.space}&vcpu=${S.vcpu}`));
  } catch (e) {
    box.textContent = e.message;
    return;
  }
  if (sid !== S.sid) return;
  const bytes = d.data.match(/../g) || [];
  // As for registers: compare with the last different contents at this address.
  if (S.mem.prevAddr !== d.address) { S.mem.base = null; S.mem.prev = null; }
  if (S.mem.prev && S.mem.prev.join("") !== d.data) S.mem.base = S.mem.prev;
  const prev = S.mem.base;
  S.mem.prev = bytes;
  S.mem.prevAddr = d.address;
  const base = BigInt(d.address);
  const frag = document.createDocumentFragment();
  for (let row = 0; row < bytes.length; row += 16) {
    const a = base + BigInt(row);
    const sym = S.symbols.find(([sa]) => sa === a);
    frag.append(el("span", "a", hex(a) + "  "));
    let asc = "";
    for (let i = 0; i < 16; i++) {
      const b = bytes[row + i];
      if (b === undefined) { frag.append("   "); continue; }
      const cls = prev && prev[row + i] !== b ? "c" : b === "00" ? "z" : "";
      frag.append(cls ? el("span", cls, b) : b, i === 7 ? "  " : " ");
      const c = parseInt(b, 16);
      asc += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : "·";
    }
    frag.append(el("span", "asc", " " + asc), sym ? el("span", "a", `  <${sym[1]}>`) : "", "\n");
  }
  box.replaceChildren(frag);
}

async function gotoMemory(where) {
  where = where.trim();
  if (!where) return;
  try {
    // The server resolves symbols and numbers alike; ask for one byte to learn the address.
    const d = await api("GET", sess(`/memory?addr=${encodeURIComponent(where)}&length=1&space=${S.mem.space}&vcpu=${S.vcpu}`));
    S.mem.addr = BigInt(d.address);
  } catch (e) {
    $("#memory").textContent = e.message;
    return;
  }
  await loadMemory();
}

// ---------------------------------------------------------------- stats
async function loadStats() {
  const st = await api("GET", sess("/stats"));
  const t = $("#stats");
  const prev = S.statsPrev || {};
  const rows = [
    ["virtual time", st.time], ["steps", st.steps], ["instructions", st.instructions],
    ["breakpoints", st.breakpoints], ["snapshots", st.snapshots], ["event seq", st.event_seq],
    ["ws clients", st.event_clients], ["events dropped", st.events_dropped],
    ...Object.entries(st.engine).map(([k, v]) => [`engine.${k}`, v]),
  ];
  t.replaceChildren();
  for (const [k, v] of rows) {
    const tr = el("tr", prev[k] !== undefined && prev[k] !== v ? "changed" : "");
    tr.dataset.key = k;
    tr.append(el("td", "", k), el("td", "", Number(v).toLocaleString()));
    t.append(tr);
  }
  S.statsPrev = Object.fromEntries(rows);
  if (S.session) {
    const c = S.session.config;
    const tr = el("tr");
    tr.append(el("td", "", "scheduler"), el("td", "", `${c.scheduler_locking}, q=${c.quantum}`));
    t.append(tr);
    const tr2 = el("tr");
    tr2.append(el("td", "", "step flags"), el("td", "", c.step_flags.join(",") || "none"));
    t.append(tr2);
  }
}

setInterval(() => {
  if (S.session?.state === "running" && document.visibilityState === "visible") loadStats().catch(() => {});
}, 1000);

// ---------------------------------------------------------------- execution
async function act(what) {
  if (!S.session) return;
  const n = S.vcpu;
  try {
    switch (what) {
      case "continue": S.disasm.follow = true; await api("POST", sess("/continue"), {}); break;
      case "halt": await api("POST", sess("/halt")); break;
      case "into": case "over": case "out":
        S.disasm.follow = true;
        await api("POST", sess(`/vcpus/${n}/step`), { count: 1, mode: what });
        break;
      case "reverse-step": S.disasm.follow = true; await api("POST", sess("/reverse-step"), { vcpu: n }); break;
      case "reverse-continue": S.disasm.follow = true; await api("POST", sess("/reverse-continue"), {}); break;
      case "run-to": {
        const a = S.cursor;
        if (a === null) { logLocal("error", "run to cursor: click a disassembly line first"); return; }
        await runTo(a);
        return;
      }
      default: return;
    }
  } catch (e) {
    report(e);
  }
  await refresh();
}

async function runTo(addr) {
  S.disasm.follow = true;
  await api("POST", sess("/run-to"), { address: hex(addr), vcpu: S.vcpu });
  await refresh();
}

// ---------------------------------------------------------------- WebSocket
function wsUrl(since) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const q = new URLSearchParams({ token: S.token });
  if (since !== null) q.set("since", String(since));
  return `${proto}//${location.host}/v1/sessions/${S.sid}/events?${q}`;
}

function setConn(cls, text) {
  const c = $("#conn");
  c.className = "conn " + cls;
  c.textContent = text;
}

function openSocket(since) {
  S.wsWanted = true;
  const sid = S.sid;
  const ws = new WebSocket(wsUrl(since ?? S.lastSeq));
  S.ws = ws;
  setConn("retry", "● connecting");
  ws.onopen = () => {
    if (S.ws !== ws) return;
    S.retryMs = 250;
    setConn("live", `● live · seq ${S.lastSeq}`);
    if (S.trace.on) S.trace.subscribe();
  };
  ws.onmessage = (m) => {
    if (S.ws !== ws || S.sid !== sid) return;
    onMessage(JSON.parse(m.data));
  };
  ws.onclose = (ev) => {
    if (S.ws !== ws) return;
    S.ws = null;
    if (!S.wsWanted || S.sid !== sid) return;
    if (ev.code === 4404 || ev.code === 4401) {
      setConn("", `● closed (${ev.reason || ev.code})`);
      if (ev.code === 4401) askToken("the event stream refused the token");
      return;
    }
    // Reconnect from the last seq we saw: the server replays what we missed from its ring.
    const wait = Math.max(S.retryMs, S.holdReconnect);
    S.holdReconnect = 0;
    S.retryMs = Math.min(5000, S.retryMs * 2);
    setConn("retry", `● reconnecting (since ${S.lastSeq})`);
    setTimeout(() => {
      if (S.sid === sid && S.wsWanted && !S.ws) {
        S.reconnects++;
        openSocket(S.lastSeq);
      }
    }, wait);
  };
}

function closeSocket() {
  S.wsWanted = false;
  if (S.ws) { const ws = S.ws; S.ws = null; ws.close(); }
  setConn("", "● offline");
}

function noteSeq(seq) {
  if (typeof seq !== "number") return;
  if (seq <= S.lastSeq) return false; // a replayed duplicate
  if (S.lastSeq && seq !== S.lastSeq + 1 && !S.trace.on) S.gaps++;
  S.lastSeq = seq;
  if (S.seqs.length < 200000) S.seqs.push(seq);
  return true;
}

let refreshTimer = null;
function refreshSoon() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, 15);
}

function onMessage(msg) {
  if (Array.isArray(msg)) { // a batch of trace events
    for (const ev of msg) if (noteSeq(ev.seq) !== false) S.trace.push(ev);
    return;
  }
  if (msg.seq !== null && msg.seq !== undefined && noteSeq(msg.seq) === false) return;
  setConn("live", `● live · seq ${S.lastSeq}`);
  switch (msg.type) {
    case "trace": S.trace.push(msg); return;
    case "reply": return;
    case "console":
      appendConsole(msg.text);
      break;
    case "stop":
    case "session-state":
    case "resume":
      refreshSoon();
      break;
    case "breakpoint-changed":
      refreshBps().catch(report);
      break;
    case "overflow":
      // Our queue overflowed: what we missed (but trace) is still in the server's ring.
      if (msg.seq === null && S.ws) { S.holdReconnect = 50; S.ws.close(); }
      // (kept: the stops and state changes inside that range, sent just before the notice)
      if (S.trace.on) S.trace.dropped += (msg.last_dropped - msg.first_dropped + 1 - (msg.kept || []).length) || 0;
      break;
    default:
      break;
  }
  logEvent(msg);
}

function summary(ev) {
  const sym = (pc) => (symbolize(pc) ? ` <${symbolize(pc)}>` : "");
  switch (ev.type) {
    case "stop": return `vCPU ${ev.vcpu} ${ev.reason} at ${shortHex(ev.pc)}${sym(ev.pc)}${ev.breakpoint_id ? " bp " + ev.breakpoint_id : ""}${ev.watch ? ` ${ev.watch.kind} ${ev.watch.address} ${ev.watch.old}→${ev.watch.new}` : ""}${ev.message ? " — " + ev.message : ""}`;
    case "resume": return `vCPUs ${(ev.vcpus || []).join(",")}`;
    case "interrupt": return `vCPU ${ev.vcpu} vector ${ev.vector} srr0 ${shortHex(ev.srr0)}${sym(ev.srr0)} srr1 ${ev.srr1}`;
    case "console": return JSON.stringify(ev.text);
    case "breakpoint-changed": return `${ev.action} ${ev.breakpoint_id} hits ${ev.hit_count}`;
    case "session-state": return ev.state;
    case "progress": return `${ev.op} ${ev.done.toLocaleString()} of ${ev.count.toLocaleString()}`;
    case "overflow": return `dropped ${ev.first_dropped}–${ev.last_dropped}${(ev.kept || []).length ? ` except ${ev.kept.join(", ")}` : ""}, oldest kept ${ev.oldest_seq}`;
    case "error": return ev.problem ? `${ev.problem.title}: ${ev.problem.detail}` : ev.text || "";
    default: return JSON.stringify(ev);
  }
}

function logEvent(ev) {
  const box = $("#events");
  const stick = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  const row = el("div", "e " + ev.type);
  if (typeof ev.seq === "number") row.dataset.seq = ev.seq;
  row.append(el("span", "s", ev.seq ?? "·"), el("span", "t", ev.type), document.createTextNode(summary(ev)));
  if (ev.time !== undefined && ev.time !== null) row.title = `virtual time ${ev.time}`;
  box.append(row);
  while (box.childElementCount > LOG_MAX) box.firstElementChild.remove();
  if (stick) box.scrollTop = box.scrollHeight;
  $("#ev-stats").textContent = `last ${S.lastSeq}${S.gaps ? ` · ${S.gaps} gaps` : ""}${S.reconnects ? ` · ${S.reconnects} reconnects` : ""}`;
}

function logLocal(type, text) {
  logEvent({ seq: null, type, text });
}

// Console events carry the guest's bytes one character per byte (latin-1): xterm.js gets the
// bytes back and decodes them as the UTF-8 a guest writes.
function appendConsole(text) {
  if (S.term) {
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
    S.term.write(bytes);
    return;
  }
  const c = $("#console");
  c.textContent += text;
  if (c.textContent.length > 200000) c.textContent = c.textContent.slice(-100000);
  c.scrollTop = c.scrollHeight;
}

// What the user types at the terminal goes to the guest: over the event stream when it is
// open (one message per keystroke, in order), else by POST .../console.
function sendConsole(data) {
  if (!S.sid || !S.hasConsole) return;
  if (S.ws && S.ws.readyState === WebSocket.OPEN) {
    S.ws.send(JSON.stringify({ op: "console-input", data }));
  } else {
    api("POST", sess("/console"), { data }).catch(report);
  }
}

function initTerminal() {
  if (typeof window.Terminal !== "function") {
    // Served from a source tree without `make vendor`: the plain text view still works.
    $("#terminal").hidden = true;
    $("#console").hidden = false;
    $("#console-info").textContent = "(xterm.js not bundled: run make vendor)";
    return;
  }
  S.term = new window.Terminal({
    convertEol: false, cursorBlink: true, fontSize: 12, scrollback: 5000,
    fontFamily: getComputedStyle(document.body).getPropertyValue("--mono") || "monospace",
  });
  S.term.open($("#terminal"));
  S.term.onData((data) => sendConsole(data));
  if (window.FitAddon) {
    const fit = new window.FitAddon.FitAddon();
    S.term.loadAddon(fit);
    new ResizeObserver(() => { try { fit.fit(); } catch { /* not laid out yet */ } }).observe($("#terminal"));
  }
}

// ---------------------------------------------------------------- trace view
// Events land in a fixed ring (parallel arrays, no per-event DOM); one requestAnimationFrame
// draws the newest rows into a fixed pool of row elements, so the page keeps up however
// fast batches arrive.
class TraceView {
  constructor(box, stats) {
    this.box = box;
    this.statsEl = stats;
    this.on = false;
    this.follow = true;
    this.pool = [];
    for (let i = 0; i < TRACE_ROWS; i++) {
      const r = el("div", "tr");
      this.pool.push(r);
      box.append(r);
    }
    this.clear();
    this.frame = this.frame.bind(this);
    requestAnimationFrame(this.frame);
  }

  clear() {
    this.seq = new Float64Array(TRACE_RING);
    this.text = new Array(TRACE_RING).fill("");
    this.head = 0; // next slot
    this.count = 0;
    this.total = 0;
    this.dropped = 0;
    this.dirty = true;
    this.rateT = performance.now();
    this.rateN = 0;
    this.rate = 0;
  }

  push(ev) {
    const ch = ev.changed ? Object.entries(ev.changed).map(([k, v]) => `${k}=${shortHex(v)}`).join(" ") : "";
    const i = this.head;
    this.seq[i] = ev.seq;
    this.text[i] = `${String(ev.time).padStart(9)} ${ev.vcpu} ${ev.pc.slice(-8)}  ${(ev.disassembly || "").padEnd(28)} ${ch}`;
    this.head = (i + 1) % TRACE_RING;
    if (this.count < TRACE_RING) this.count++;
    this.total++;
    this.rateN++;
    this.dirty = true;
  }

  frame(now) {
    if (now - this.rateT >= 1000) {
      this.rate = Math.round((this.rateN * 1000) / (now - this.rateT));
      this.rateN = 0;
      this.rateT = now;
      this.dirty = true;
    }
    if (this.dirty && this.follow) {
      this.dirty = false;
      const n = Math.min(this.count, TRACE_ROWS);
      for (let k = 0; k < TRACE_ROWS; k++) {
        const r = this.pool[k];
        if (k < n) {
          const i = (this.head - n + k + TRACE_RING) % TRACE_RING;
          r.textContent = this.text[i];
          r.hidden = false;
        } else r.hidden = true;
      }
      this.box.scrollTop = this.box.scrollHeight;
      this.statsEl.textContent = `${this.total.toLocaleString()} events · ${this.rate.toLocaleString()}/s · ring ${this.count}${this.dropped ? ` · ${this.dropped} dropped` : ""}`;
    }
    requestAnimationFrame(this.frame);
  }

  subscribe() {
    if (!S.ws || S.ws.readyState !== WebSocket.OPEN) return;
    const types = ["stop", "resume", "interrupt", "console", "breakpoint-changed", "session-state", "progress"];
    if (this.on) types.push("trace");
    const msg = { op: "subscribe", id: "trace", types, batch: true };
    if (this.on) msg.trace = { vcpus: S.session ? S.session.vcpus.map((v) => v.index) : [0] };
    S.ws.send(JSON.stringify(msg));
  }

  setOn(on) {
    this.on = on;
    this.subscribe();
  }
}

// ---------------------------------------------------------------- keyboard
function typing(ev) {
  const t = ev.target;
  if (t instanceof HTMLInputElement) return !["checkbox", "radio", "button", "submit"].includes(t.type);
  return t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement;
}

function onKey(ev) {
  if (document.querySelector("dialog[open]")) return;
  if (typing(ev)) {
    // In the terminal every key (Escape included) is the guest's.
    if (ev.key === "Escape" && !ev.target.closest(".xterm")) ev.target.blur();
    return;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const k = ev.key;
  const map = {
    c: "continue", F5: ev.shiftKey ? "halt" : "continue", h: "halt", s: "into", F11: ev.shiftKey ? "out" : "into",
    n: "over", F10: "over", f: "out", r: "run-to", S: "reverse-step", C: "reverse-continue",
  };
  if (map[k]) {
    ev.preventDefault();
    const b = document.querySelector(`#controls button[data-act="${map[k]}"]`);
    if (b && !b.disabled) act(map[k]);
    return;
  }
  if (k === "b" || k === "F9") {
    ev.preventDefault();
    const a = S.cursor ?? pcOf(S.vcpu);
    if (a !== null) toggleBreakpoint(a).catch(report);
  } else if (k === "ArrowDown" || k === "j") { ev.preventDefault(); moveCursor(1); }
  else if (k === "ArrowUp" || k === "k") { ev.preventDefault(); moveCursor(-1); }
  else if (k === ".") { S.disasm.follow = true; S.cursor = null; S.disasm.base = null; loadDisasm().catch(report); }
  else if (k === "g") { ev.preventDefault(); $("#mem-goto").focus(); $("#mem-goto").select(); }
  else if (k === "?") $("#help-dialog").showModal();
  else if (k === "v") setVectorOpen(!S.vec.open);
  else if (/^[1-9]$/.test(k)) selectVcpu(Number(k) - 1);
}

// ---------------------------------------------------------------- wiring
function init() {
  S.trace = new TraceView($("#trace"), $("#trace-stats"));
  initTerminal();
  renderSources();
  $("#create-form").addEventListener("submit", createSession);
  $("#create-source").addEventListener("change", (ev) => {
    const v = ev.target.value;
    if (v === "upload") $("#create-file").click();
    const ex = EXAMPLES.find((e) => "example:" + e.file === v);
    if (ex) {
      $("#create-vcpus").value = ex.vcpus;
      $("#create-profile").value = ex.profile;
      $("#create-pseries").hidden = true;
    }
  });
  $("#create-profile").addEventListener("change", (ev) => {
    $("#create-pseries").hidden = ev.target.value !== "pseries";
  });
  $("#create-file").addEventListener("change", () => {
    const f = $("#create-file").files[0];
    if (f) $("#create-msg").textContent = `file: ${f.name} (${f.size} bytes)`;
  });
  for (const b of document.querySelectorAll("#controls button")) {
    b.addEventListener("click", () => act(b.dataset.act));
  }
  $("#bp-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = $("#bp-input").value.trim();
    if (!v || !S.sid) return;
    const body = /^(0x)?[0-9a-f]+$/i.test(v) && !(v in (S.image?.symbols || {}))
      ? { kind: "software", address: v.startsWith("0x") ? v : "0x" + v } : { kind: "software", symbol: v };
    // Back to the page so the shortcuts work at once (add a breakpoint, press c).
    $("#bp-input").blur();
    api("POST", sess("/breakpoints"), body).then(() => { $("#bp-input").value = ""; return refreshBps(); }).catch(report);
  });
  $("#disasm-goto").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") gotoDisasm(ev.target.value.trim()).catch(report);
  });
  $("#disasm-pc").addEventListener("click", () => { S.disasm.follow = true; S.cursor = null; S.disasm.base = null; loadDisasm().catch(report); });
  $("#mem-goto").addEventListener("keydown", (ev) => { if (ev.key === "Enter") gotoMemory(ev.target.value); });
  $("#mem-space").addEventListener("change", (ev) => { S.mem.space = ev.target.value; loadMemory(); });
  $("#mem-prev").addEventListener("click", () => { if (S.mem.addr !== null) { S.mem.addr = S.mem.addr >= BigInt(MEM_LEN) ? S.mem.addr - BigInt(MEM_LEN) : 0n; loadMemory(); } });
  $("#mem-next").addEventListener("click", () => { if (S.mem.addr !== null) { S.mem.addr += BigInt(MEM_LEN); loadMemory(); } });
  $("#ev-clear").addEventListener("click", () => $("#events").replaceChildren());
  $("#trace-on").addEventListener("change", (ev) => S.trace.setOn(ev.target.checked));
  $("#trace-follow").addEventListener("change", (ev) => { S.trace.follow = ev.target.checked; S.trace.dirty = true; });
  $("#help-btn").addEventListener("click", () => $("#help-dialog").showModal());
  $("#vec-toggle").addEventListener("click", () => setVectorOpen(!S.vec.open));
  $("#vec-view").addEventListener("change", (ev) => { S.vec.view = ev.target.value; renderVector(); });
  $("#vec-set").addEventListener("change", (ev) => { S.vec.set = ev.target.value; renderVector(); });
  $("#vec-dec").addEventListener("change", (ev) => { S.vec.dec = ev.target.checked; renderVector(); });
  $("#vec-changed").addEventListener("change", (ev) => { S.vec.changedOnly = ev.target.checked; renderVector(); });
  document.addEventListener("keydown", onKey);
  initToken();
}

// A small hook for tests and for poking from the devtools console.
window.ppcdbg = {
  state: S,
  // Drop the event stream as a network failure would; reconnect after holdMs.
  dropSocket(holdMs = 0) {
    S.holdReconnect = holdMs;
    if (S.ws) S.ws.close(4000, "dropped by test hook");
  },
  seqs: () => S.seqs.slice(),
  lastSeq: () => S.lastSeq,
  connected: () => !!S.ws && S.ws.readyState === WebSocket.OPEN,
  refresh: () => refresh(),
  // The terminal's visible text, row by row (what a user reads on the screen).
  terminalText: () => {
    if (!S.term) return $("#console").textContent;
    const b = S.term.buffer.active;
    const rows = [];
    for (let i = 0; i < b.length; i++) rows.push(b.getLine(i).translateToString(true));
    return rows.join("\n").replace(/\n+$/, "");
  },
};

init();
