"""Random vector programs from the instruction table, run on QEMU and on both engine modes.

Every table line whose facility is "vec" or "vsx" (or a function of the word,
as for the GPR<->VSR moves) is a candidate, so lines other families add join
by themselves. A program is a straight line of candidate words with random
operands; loads and stores get a mapped, 16-byte aligned base (r28-r30 into a
data area, index r31, displacements that are multiples of 16), and no GPR
destination is r28-r31.

Each program starts from its own state: VSRs seeded with the special values
of every element width (NaN payloads signalling and quiet, +-0, +-inf,
denormals, saturating extremes, random bits), MSR with FP, VEC and VSX on
(and LE for little-endian programs, whose words are stored little-endian),
a random FPSCR rounding mode and random VSCR[NJ]/[SAT]. One QEMU is reused:
the program is written with ``M`` and the state with ``G``/``P``.

Three engine runs are compared with QEMU:

* the interpreter (``VCPU.step``) after every step,
* translated blocks one step at a time (``VCPU.run(1)`` with blocks on: a
  one-instruction prefix block, so each line's inlined code), after every step,
* translated blocks over the whole program in one ``run`` (instructions
  pasted next to each other in one block), at the end,

on the core registers, every VSR, VSCR and FPSCR, and the data area at the
end. ``sweep()`` is the deterministic part of the corpus: every candidate line
in programs of its own, several words each, so every vector line runs on
QEMU even when hypothesis' draws miss it; test_vector_coverage.py checks that.
"""

from __future__ import annotations

import random
import struct
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.isa.insn import Insn
from engine.isa.table import ALL_OPS, decode
from engine.loader import load_image
from engine.machine import Machine
from engine.msr import MSR_FP, MSR_HV, MSR_LE, MSR_SF, MSR_VEC, MSR_VSX

from .compare import disassemble
from .qemu import CoreRegs, QemuMachine, fmt32, fmt64

CODE = 0x2000
DATA, DATA_LEN = 0x10000, 0x1000
BASES = (28, 29, 30)  # point into the data area, 16-byte aligned
INDEX = 31  # 0x80: indexed accesses stay aligned
BASE_VALUES = (DATA + 0x400, DATA + 0x800, DATA + 0xC00, 0x80)
STEPS = 24
MEMORY = (DATA + DATA_LEN + 0xFFF) & ~0xFFF
MSR = MSR_SF | MSR_HV | MSR_FP | MSR_VEC | MSR_VSX
VSCR_NJ, VSCR_SAT = 0x10000, 0x1
M128 = (1 << 128) - 1

# Lines left out of the random corpus, each with the reason; every one of them must be
# covered by a hand-written differential program instead (test_vector_coverage.py).
EXCLUDED: dict[str, str] = {
    # QEMU 7.2's helpers for these three do not clear the softfloat status before they run,
    # so they re-report overflow/underflow/inexact left there by whatever FP instruction
    # QEMU ran last, here possibly one of the previous program's (engine/isa/vsx_scalar2.py).
    # programs/vsx_scalar_cmp.S covers them from a known status.
    "xsmaxdp": "QEMU re-reports stale softfloat flags",
    "xsmindp": "QEMU re-reports stale softfloat flags",
    "xscmpexpdp": "QEMU re-reports stale softfloat flags",
    # The same for the binary128 exponent compare (engine/isa/vsx_quad.py); programs/vsx_quad.S
    # covers it from a known status.
    "xscmpexpqp": "QEMU re-reports stale softfloat flags",
    # QEMU 7.2 expands vrldmi with vrldnm's vector code on hosts with the vector ops (x86-64
    # with AVX2), clearing VRT outside the mask; we insert as the ISA says
    # (engine/isa/vmx_compare.py). programs/vmx_shift.S covers it where the two agree.
    "vrldmi": "QEMU's vector expansion is vrldnm's (host-dependent translator bug)",
    # The vector forms share xsmaxdp's helper (engine/isa/vsx_vector2.py); programs/vsx_vec_cmp.S
    # covers them.
    "xvmaxdp": "QEMU re-reports stale softfloat flags",
    "xvmindp": "QEMU re-reports stale softfloat flags",
    "xvmaxsp": "QEMU re-reports stale softfloat flags",
    "xvminsp": "QEMU re-reports stale softfloat flags",
    # QEMU 7.2's xvcvsxdsp/xvcvuxdsp helpers do not clear the softfloat status either
    # (engine/isa/vsx_vconvert.py); programs/vsx_vconvert.S covers them after xscvdpspn.
    "xvcvsxdsp": "QEMU re-reports stale softfloat flags",
    "xvcvuxdsp": "QEMU re-reports stale softfloat flags",
}


def is_vector(o: object) -> bool:
    """A vector line: facility "vec"/"vsx", or chosen from the word (the register half)."""
    f = getattr(o, "facility", None)
    return callable(f) or f in ("vec", "vsx")


def _usable(o: object) -> bool:
    return (
        is_vector(o)
        and getattr(o, "priv", "user") == "user"
        and not getattr(o, "branch", False)
        and not getattr(o, "untraced", False)
        and getattr(o, "mnemonic", "") not in EXCLUDED
    )


VECTOR_OPS: tuple[Insn, ...] = tuple(o for o in ALL_OPS if is_vector(o))  # type: ignore[misc]
CANDIDATES: tuple[Insn, ...] = tuple(o for o in VECTOR_OPS if _usable(o))


# -- words -----------------------------------------------------------------------------
def _set(w: int, shift: int, width: int, value: int) -> int:
    m = ((1 << width) - 1) << shift
    return (w & ~m) | ((value << shift) & m)


def _plain(o: Insn, name: str) -> tuple[int, int] | None:
    """(shift, width) of a free plain field of ``o``'s format, or None."""
    if not o.enc.free(name):
        return None
    f = o.enc.format.fields[name]
    if f.shift is None or f.width is None:
        return None
    return f.shift, f.width


def _is_memory(o: Insn) -> bool:
    return getattr(o, "access", None) in ("load", "store")


def sensible(o: Insn, filler: int) -> int:
    """A word for ``o``: its fixed bits, operands from ``filler`` made safe."""
    w = ((filler & ~o.mask) | o.match) & 0xFFFF_FFFF
    r = random.Random(filler)
    fields = o.enc.format.fields
    memory = _is_memory(o)
    for name, f in fields.items():
        if f.kind != "gpr" or f.shift is None or f.width != 5 or not o.enc.free(name):
            continue
        if memory and name == "ra":
            w = _set(w, f.shift, 5, BASES[r.randrange(3)])
        elif memory and name == "rb":
            w = _set(w, f.shift, 5, INDEX)
        else:
            w = _set(w, f.shift, 5, ((w >> f.shift) & 31) % 28)  # never a base register
    if memory and not o.enc.free("rb") and any(k in fields for k in ("d", "ds", "dq")):
        # D, DS and DQ displacements all sit in bits 16:27 and above for multiples of 16.
        disp = r.randrange(-16, 16) * 16
        w = (w & ~0xFFF0) | (disp & 0xFFF0)
    return ((w & ~o.mask) | o.match) & 0xFFFF_FFFF


def make_word(o: Insn, filler: int) -> int | None:
    """A word that decodes to ``o`` (a more specific line may own some fillers), or None."""
    r = random.Random(filler ^ 0x9E37_79B9)
    for _ in range(16):
        w = sensible(o, filler)
        if decode(w) is o:
            return w
        filler = r.getrandbits(32)
    return None


# -- the initial state -----------------------------------------------------------------
def _f32(x: float) -> int:
    return int(struct.unpack(">I", struct.pack(">f", x))[0])


def _f64(x: float) -> int:
    return int(struct.unpack(">Q", struct.pack(">d", x))[0])


SPECIALS: dict[int, tuple[int, ...]] = {
    8: (0, 1, 0x7F, 0x80, 0xFF, 0xFE, 0x81),
    16: (0, 1, 0x7FFF, 0x8000, 0xFFFF, 0x8001,
         0x7C00, 0xFC00, 0x7E00, 0x7E5A, 0x7C01, 0xFD5A, 0x0001, 0x83FF, 0x3C00, 0x7BFF),
    32: (0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x8000_0001,
         0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0x7FC1_2345, 0x7F81_2345, 0xFFA0_0001,
         0x0000_0001, 0x807F_FFFF, 0x0080_0000, 0x3F80_0000, 0xBF80_0000, 0x7F7F_FFFF,
         0x4F00_0000, 0xCF00_0000, 0x4F80_0000, 0x3F00_0000),
    64: (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, (1 << 63) + 1,
         0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000, 0x7FF8_0000_0000_0000,
         0x7FF8_0000_0001_2345, 0x7FF0_0000_0001_2345, 0xFFF4_0000_0000_0001,
         0x0000_0000_0000_0001, 0x800F_FFFF_FFFF_FFFF, 0x0010_0000_0000_0000,
         0x3FF0_0000_0000_0000, 0xBFF0_0000_0000_0000, 0x7FEF_FFFF_FFFF_FFFF,
         0x43E0_0000_0000_0000, 0xC3E0_0000_0000_0000, 0x41E0_0000_0000_0000,
         0xC1E0_0000_0000_0000, 0x47EF_FFFF_E000_0000, 0x36A0_0000_0000_0000,
         0x3FE0_0000_0000_0000, 0x4330_0000_0000_0000),
    128: (0, 1, 1 << 127, M128, (1 << 127) - 1,
          0x7FFF << 112, 0xFFFF << 112, (0x7FFF8 << 108) | 0x1234, (0x7FFF << 112) | 0x1234,
          0x3FFF << 112, 0xBFFF << 112, (0x7FFE << 112) | ((1 << 112) - 1), 1 << 112,
          ((1 << 112) - 1)),
}  # fmt: skip


def _element(r: random.Random, width: int) -> int:
    k = r.random()
    if k < 0.55:
        return r.choice(SPECIALS[width])
    if k < 0.75 and width == 32:
        return _f32(r.choice((1.0, -1.0, 0.5, 3.0)) * r.uniform(-1e3, 1e3))
    if k < 0.75 and width == 64:
        return _f64(r.uniform(-1e6, 1e6) * r.choice((1.0, 1e-300, 1e300, 1.0)))
    if k < 0.85:
        return r.randrange(-3, 4) & ((1 << width) - 1)
    return r.getrandbits(width)


def vsr_value(r: random.Random) -> int:
    """One register: random bits, or elements of one width drawn mostly from SPECIALS."""
    width = r.choice((0, 8, 16, 32, 32, 64, 64, 128))
    if not width:
        return r.getrandbits(128)
    v = 0
    for _ in range(128 // width):
        v = (v << width) | _element(r, width)
    return v


@dataclass(frozen=True)
class State:
    gpr: tuple[int, ...]
    cr: int
    lr: int
    ctr: int
    xer: int
    vsr: tuple[int, ...]
    vscr: int
    fpscr: int
    data: bytes


def initial_state(seed: int) -> State:
    r = random.Random(seed)
    specials = [
        0,
        1,
        (1 << 64) - 1,
        0x7FFF_FFFF_FFFF_FFFF,
        1 << 63,
        0x7FFF_FFFF,
        0x8000_0000,
        0xFFFF_FFFF,
        3,
        7,
        15,
        16,
        31,
        63,
        64,
        127,
        0xFF,
    ]
    gpr = [
        r.choice(specials) if r.random() < 0.5 else r.getrandbits(r.choice((8, 32, 64)))
        for _ in range(28)
    ]
    gpr += list(BASE_VALUES)
    xer = (r.getrandbits(3) << 29) | (r.getrandbits(2) << 18) | r.getrandbits(7)
    vscr = (VSCR_NJ if r.random() < 0.5 else 0) | (VSCR_SAT if r.random() < 0.25 else 0)
    # Rounding mode only: no enable bits (an enabled exception makes QEMU 7.2's single
    # step run away), and the status bits start clear so each one set is seen.
    fpscr = r.getrandbits(2)
    return State(
        tuple(gpr),
        r.getrandbits(32),
        r.getrandbits(64) & ~3,
        r.getrandbits(64),
        xer,
        tuple(vsr_value(r) for _ in range(64)),
        vscr,
        fpscr,
        r.randbytes(DATA_LEN),
    )


# -- running one program -----------------------------------------------------------------
@dataclass
class Difference:
    step: int
    where: str
    fields: list[tuple[str, str, str]]
    program: list[int]
    little: bool

    def __str__(self) -> str:
        listing = "\n".join(
            f"  {CODE + 4 * i:#06x}: {w:08x}  {disassemble(w, self.little)}"
            + ("   <--" if i == self.step - 1 else "")
            for i, w in enumerate(self.program)
        )
        rows = "\n".join(f"  {f}: qemu {e}, engine {g}" for f, e, g in self.fields)
        order = "little" if self.little else "big"
        return f"{self.where} ({order}-endian)\n{rows}\nprogram:\n{listing}"


def _msr(little: bool) -> int:
    return MSR | (MSR_LE if little else 0)


def _image(program: Sequence[int], st: State, little: bool) -> bytes:
    image = bytearray(MEMORY)
    order = "little" if little else "big"
    for i, w in enumerate(program):
        image[CODE + 4 * i : CODE + 4 * i + 4] = w.to_bytes(4, order)
    image[DATA : DATA + DATA_LEN] = st.data
    return bytes(image)


def engine(program: Sequence[int], st: State, little: bool, blocks: bool) -> Machine:
    m = Machine(load_image(_image(program, st, little)))
    c = m.vcpus[0]
    c.use_blocks = blocks
    c.gpr[:] = list(st.gpr)
    c.cr, c.lr, c.ctr, c.xer = st.cr, st.lr, st.ctr, st.xer
    c.vsr[:] = list(st.vsr)
    c.vscr, c.fpscr = st.vscr, st.fpscr
    c.set_msr(_msr(little))
    c.nia = CODE
    return m


def load_program(q: QemuMachine, program: Sequence[int], st: State, little: bool) -> None:
    """Write ``program`` and the state into QEMU's vCPU 0."""
    order = "little" if little else "big"
    q.write_memory(CODE, b"".join(w.to_bytes(4, order) for w in program))
    q.write_memory(DATA, st.data)
    regs = q.core(0)
    regs.gpr = list(st.gpr)
    regs.pc, regs.msr, regs.cr = CODE, _msr(little), st.cr
    regs.lr, regs.ctr, regs.xer = st.lr, st.ctr, st.xer
    # QEMU reads each register of a G packet in the byte order MSR[LE] has at that
    # moment, and MSR comes before CR, LR, CTR and XER: write it once to switch the
    # order, then everything again in the new one.
    q.set_core(0, regs)
    q.select(0)
    q.rsp.write_all_registers(regs.encode(order))
    for n, v in enumerate(st.vsr):
        q.set_register(0, f"vs{n}", v, order)
    q.set_register(0, "vscr", st.vscr, order)
    q.set_register(0, "fpscr", st.fpscr, order)


def qemu_fields(q: QemuMachine) -> dict[str, str]:
    r: CoreRegs = q.core(0)
    d = {
        "pc": fmt64(r.pc),
        "msr": fmt64(r.msr),
        "cr": fmt32(r.cr),
        "lr": fmt64(r.lr),
        "ctr": fmt64(r.ctr),
        "xer": fmt32(r.xer),
    }
    d.update({f"r{i}": fmt64(v) for i, v in enumerate(r.gpr)})
    for n in range(64):
        v = q.register(0, f"vs{n}", r.order)
        d[f"vs{n}"] = "(unreadable)" if v is None else f"0x{v:032x}"
    for name in ("vscr", "fpscr"):
        v = q.register(0, name, r.order)
        d[name] = "(unreadable)" if v is None else fmt32(v)
    return d


def engine_fields(m: Machine) -> dict[str, str]:
    c = m.vcpus[0]
    d = {
        "pc": fmt64(c.nia),
        "msr": fmt64(c.msr),
        "cr": fmt32(c.cr),
        "lr": fmt64(c.lr),
        "ctr": fmt64(c.ctr),
        "xer": fmt32(c.xer),
    }
    d.update({f"r{i}": fmt64(v) for i, v in enumerate(c.gpr)})
    d.update({f"vs{n}": f"0x{v:032x}" for n, v in enumerate(c.vsr)})
    d["vscr"], d["fpscr"] = fmt32(c.vscr), fmt32(c.fpscr)
    return d


def _diff(a: dict[str, str], b: dict[str, str]) -> list[tuple[str, str, str]]:
    return [(k, a[k], b.get(k, "(absent)")) for k in a if a[k] != b.get(k)]


def _safely(fn: Callable[[], object]) -> str | None:
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - an escaping exception is itself the finding
        return repr(e)
    return None


def run_program(
    q: QemuMachine, program: Sequence[int], st: State, little: bool
) -> Difference | None:
    """QEMU and the three engine runs through ``program``; the first difference, or None."""
    prog = list(program)
    load_program(q, prog, st, little)
    interp = engine(prog, st, little, blocks=False)
    stepped = engine(prog, st, little, blocks=True)
    expected = qemu_fields(q)
    diff = _diff(expected, engine_fields(interp))
    if diff:
        return Difference(0, "initial state (QEMU did not take it as written)", diff, prog, little)
    ci, cb = interp.vcpus[0], stepped.vcpus[0]
    for i in range(1, STEPS + 1):
        pc = ci.nia
        k = (pc - CODE) // 4
        word = prog[k] if CODE <= pc < CODE + 4 * len(prog) else None
        o = decode(word) if word is not None else None
        what = o.name(word) if o is not None and word is not None else "?"
        for label, run in (("interpreter", ci.step), ("blocks", lambda: cb.run(1))):
            err = _safely(run)
            if err is not None:
                return Difference(
                    i, f"step {i} at {pc:#x} ({what}): {label} raised {err}", [], prog, little
                )
        q.step(0, pc)
        expected = qemu_fields(q)
        for label, m in (("interpreter", interp), ("blocks, one step", stepped)):
            diff = _diff(expected, engine_fields(m))
            if diff:
                return Difference(i, f"step {i} at {pc:#x} ({what}), {label}", diff, prog, little)
    whole = engine(prog, st, little, blocks=True)
    err = _safely(lambda: whole.vcpus[0].run(STEPS))
    if err is not None:
        return Difference(STEPS, f"blocks over the whole program raised {err}", [], prog, little)
    diff = _diff(expected, engine_fields(whole))
    if diff:
        return Difference(STEPS, "the end, blocks over the whole program", diff, prog, little)
    qmem = q.read_memory(DATA, DATA_LEN)
    for label, m in (("interpreter", interp), ("blocks", stepped), ("whole block", whole)):
        emem = m.mem.read_bytes(DATA, DATA_LEN)
        if qmem != emem:
            at = next(i for i in range(DATA_LEN) if qmem[i] != emem[i])
            a = at & ~15
            return Difference(
                STEPS,
                f"data memory at the end ({label}), first at {DATA + at:#x}",
                [(f"mem[{DATA + a:#x}]", qmem[a : a + 16].hex(), emem[a : a + 16].hex())],
                prog,
                little,
            )
    return None


# -- the corpus ------------------------------------------------------------------------
def random_program(r: random.Random, ops: Sequence[Insn] = CANDIDATES) -> list[int]:
    out: list[int] = []
    while len(out) < STEPS:
        w = make_word(ops[r.randrange(len(ops))], r.getrandbits(32))
        if w is not None:
            out.append(w)
    return out


SWEEP_WORDS = 6  # words per line in the sweep (different operands each)


def sweep(seed: int = 0x5EED_7EC7) -> list[tuple[list[int], int]]:
    """Every candidate line SWEEP_WORDS times, shuffled into programs of STEPS words.

    Returns (program, state seed) pairs; deterministic.
    """
    r = random.Random(seed)
    words: list[int] = []
    for o in CANDIDATES:
        for _ in range(SWEEP_WORDS):
            w = make_word(o, r.getrandbits(32))
            if w is not None:
                words.append(w)
    r.shuffle(words)
    progs = []
    for i in range(0, len(words), STEPS):
        chunk = words[i : i + STEPS]
        while len(chunk) < STEPS:  # the last program: padded with the first words
            chunk += words[: STEPS - len(chunk)]
        progs.append((chunk, r.getrandbits(64)))
    return progs


def survey(count: int = 50, seed: int = 1, little: bool = False) -> dict[str, int]:
    """The sweep and ``count`` random programs; how often each line was the first mismatch."""
    r = random.Random(seed)
    blame: dict[str, int] = {}
    progs = sweep() + [(random_program(r), r.getrandbits(64)) for _ in range(count)]
    with QemuMachine(b"", 1) as q:
        for prog, s in progs:
            d = run_program(q, prog, initial_state(s), little)
            if d is not None:
                k = d.step - 1
                o = decode(prog[k]) if 0 <= k < len(prog) else None
                key = o.mnemonic if o is not None else d.where
                blame[key] = blame.get(key, 0) + 1
                print(d, file=sys.stderr)
    return blame


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    le = len(sys.argv) > 2 and sys.argv[2] == "le"
    for key, v in sorted(survey(n, little=le).items(), key=lambda kv: -kv[1]):
        print(f"{v:4d}  {key}")
