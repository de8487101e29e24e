"""The bundled examples (examples/*.elf, committed builds) do what their sources say.

Each runs through the stepping controller to its ``done`` symbol; the
assertions are the programs' real outcomes, read from their memory and the
guest console. One test rebuilds them with binutils and checks the
committed files are current.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.debug.config import SessionConfig
from engine.debug.controller import Controller, ControllerError
from engine.loader import load_image

from ..conftest import require_tool

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BUDGET = 2_000_000

MSR_SF, MSR_HV, MSR_EE, MSR_PR = 1 << 63, 1 << 60, 0x8000, 0x4000
MSR_ME, MSR_BE, MSR_IR, MSR_DR = 0x1000, 0x200, 0x20, 0x10
SRR1_TRACE = 1 << 30  # bit 33
KERNEL_BASE = 0xC000_0000_0000_0000


def session(name: str, profile: str, vcpus: int = 1, quantum: int = 10) -> Controller:
    image = load_image((EXAMPLES / f"{name}.elf").read_bytes())
    return Controller(
        image,
        SessionConfig(profile=profile, vcpus=vcpus, quantum=quantum, history=False),
    )


def run_to_done(ctl: Controller) -> None:
    done = ctl.symbol("done")
    ev = ctl.cont(until=[done], budget=BUDGET)
    assert (ev.reason, ev.pc) == ("step", done), ev


def u64(ctl: Controller, symbol: str, index: int = 0) -> int:
    return int.from_bytes(ctl.read_memory(ctl.symbol(symbol) + 8 * index, 8), "big")


def u32(ctl: Controller, symbol: str) -> int:
    return int.from_bytes(ctl.read_memory(ctl.symbol(symbol), 4), "big")


# -- smp_spinlock --------------------------------------------------------------------
@pytest.mark.parametrize(("vcpus", "quantum"), [(1, 10), (2, 2), (4, 10), (4, 3), (8, 50)])
def test_spinlock_counter_is_exact(vcpus: int, quantum: int) -> None:
    ctl = session("smp_spinlock", "powernv", vcpus, quantum)
    run_to_done(ctl)
    assert ctl.last_stop is not None and ctl.last_stop.vcpu == 0
    assert u64(ctl, "counter") == 1000 * vcpus
    assert u32(ctl, "arrived") == u32(ctl, "finished") == vcpus
    assert u32(ctl, "lock") == 0


def test_run_to_done_with_quantum_one() -> None:
    ctl = session("guest_console", "guest", quantum=1)
    run_to_done(ctl)


def test_spinlock_others_park() -> None:
    ctl = session("smp_spinlock", "powernv", 4, 10)
    run_to_done(ctl)
    ctl.cont(vcpus=[1, 2, 3], budget=200)
    assert [ctl.vcpu(v).nia for v in (1, 2, 3)] == [ctl.symbol("park")] * 3


# -- interrupts ------------------------------------------------------------------------
(C_MCHECK, C_DSI, C_DSEG, C_ISI, C_ISEG, C_ALIGN, C_PROGRAM, C_FPU, C_DECR, C_HDECR,
 C_DOORBELL, C_SYSCALL, C_TRACE, C_HEAI) = range(14)  # fmt: skip
EXPECTED_COUNTS = {
    C_MCHECK: 1, C_DSI: 1, C_DSEG: 1, C_ISI: 1, C_ISEG: 1, C_ALIGN: 1, C_PROGRAM: 2,
    C_FPU: 1, C_DECR: 1, C_HDECR: 1, C_SYSCALL: 2, C_TRACE: 6, C_HEAI: 2,
}  # fmt: skip


@pytest.fixture(scope="module")
def interrupts() -> Controller:
    ctl = session("interrupts", "powernv")
    run_to_done(ctl)
    return ctl


@pytest.mark.parametrize("cls", sorted(EXPECTED_COUNTS))
def test_interrupt_count(interrupts: Controller, cls: int) -> None:
    assert u64(interrupts, "counts", cls) == EXPECTED_COUNTS[cls]


def test_interrupt_doorbell_taken_once(interrupts: Controller) -> None:
    assert u64(interrupts, "counts", C_DOORBELL) == 1


def test_interrupt_machine_check_past_ram(interrupts: Controller) -> None:
    assert u64(interrupts, "srr0s", C_MCHECK) == interrupts.symbol("mcheck_insn")
    assert u64(interrupts, "srr1s", C_MCHECK) == MSR_SF | MSR_HV | MSR_ME


def test_interrupt_dsi_radix_unmapped(interrupts: Controller) -> None:
    assert u64(interrupts, "srr0s", C_DSI) == interrupts.symbol("dsi_insn")
    assert u64(interrupts, "dars", C_DSI) == 0x8000_0000
    assert u64(interrupts, "dsisrs", C_DSI) == 0x4000_0000  # no translation


def test_interrupt_isi_no_execute(interrupts: Controller) -> None:
    assert u64(interrupts, "srr0s", C_ISI) == 0x4000_0000
    srr1 = u64(interrupts, "srr1s", C_ISI)
    assert srr1 & 0x783F_0000 == 0x1000_0000  # no-execute/guarded
    assert srr1 & (MSR_IR | MSR_DR) == MSR_IR | MSR_DR


def test_interrupt_segments_under_hash(interrupts: Controller) -> None:
    assert u64(interrupts, "srr0s", C_DSEG) == interrupts.symbol("dseg_insn")
    assert u64(interrupts, "dars", C_DSEG) == interrupts.symbol("scratch")
    assert u64(interrupts, "srr0s", C_ISEG) == interrupts.symbol("iseg_target")
    assert u64(interrupts, "srr1s", C_ISEG) & MSR_IR


def test_interrupt_alignment_lwarx(interrupts: Controller) -> None:
    assert u64(interrupts, "srr0s", C_ALIGN) == interrupts.symbol("unaligned_insn")
    assert u64(interrupts, "dars", C_ALIGN) == interrupts.symbol("scratch") + 1
    # QEMU 7.2: DSISR carries the instruction's RT and RA fields (lwarx 5,0,4: 5 << 5 | 0).
    assert u64(interrupts, "dsisrs", C_ALIGN) == 5 << 5


def test_interrupt_program_last_is_privileged_from_problem_state(interrupts: Controller) -> None:
    assert u64(interrupts, "srr0s", C_PROGRAM) == interrupts.symbol("priv_insn")
    srr1 = u64(interrupts, "srr1s", C_PROGRAM)
    assert srr1 & 0x783F_0000 == 0x40000
    assert srr1 & (MSR_PR | MSR_EE | MSR_IR | MSR_DR) == MSR_PR | MSR_EE | MSR_IR | MSR_DR


def test_interrupt_trap_srr1(tmp_path: Path) -> None:
    ctl = session("interrupts", "powernv")
    bp = ctl.add_breakpoint("catchpoint", vector=0x700)
    ev = ctl.cont(budget=10_000)
    assert (ev.reason, ev.vector, ev.pc) == ("catch", 0x700, 0x700), ev
    regs = ctl.registers(0, ["srr0", "srr1"])
    assert regs["srr0"] == ctl.symbol("trap_insn")
    assert regs["srr1"] == MSR_SF | MSR_HV | MSR_ME | 0x20000
    ctl.remove_breakpoint(bp.id)


def test_interrupt_trace_srr1_has_bit_33(interrupts: Controller) -> None:
    srr1 = u64(interrupts, "srr1s", C_TRACE)
    assert srr1 & SRR1_TRACE and srr1 & MSR_BE  # the last one is a branch trace


def test_interrupt_heai_from_problem_state(interrupts: Controller) -> None:
    assert u64(interrupts, "srr0s", C_HEAI) == interrupts.symbol("priv_insn") + 4
    assert u64(interrupts, "srr1s", C_HEAI) & MSR_PR


def test_interrupt_async_srr0_is_next_instruction(interrupts: Controller) -> None:
    for cls in (C_DECR, C_HDECR):
        assert u64(interrupts, "srr1s", cls) & MSR_EE
        assert u64(interrupts, "srr0s", cls) > interrupts.symbol("traced")


def test_interrupt_ends_in_hypervisor_real_mode(interrupts: Controller) -> None:
    assert interrupts.vcpu(0).msr == MSR_SF | MSR_HV | MSR_ME


# -- guest_console ------------------------------------------------------------------
def test_guest_console_output_and_self_stepping() -> None:
    ctl = session("guest_console", "guest")
    seen: list[str] = []
    ctl.subscribe(lambda e: seen.append(e.text) if e.type == "console" else None)  # type: ignore[union-attr]
    run_to_done(ctl)
    host = ctl.machine.host
    assert host is not None
    assert bytes(host.console_out) == b"hello from the guest\ndone\n"
    assert "".join(seen) == "hello from the guest\ndone\n"
    assert u64(ctl, "hcall_status") == 0
    traced = ctl.symbol("traced")
    assert u64(ctl, "trace_count") == 4
    assert [u64(ctl, "trace_pcs", i) for i in range(5)] == [
        traced + 4,
        traced + 8,
        traced + 12,
        traced + 16,
        0,
    ]
    assert ctl.vcpu(0).msr == MSR_SF | MSR_ME


# -- guest_echo --------------------------------------------------------------------------
def test_guest_echo_writes_back_what_is_typed_at_the_console() -> None:
    ctl = session("guest_echo", "guest")
    seen: list[str] = []
    ctl.subscribe(lambda e: seen.append(e.text) if e.type == "console" else None)  # type: ignore[union-attr]
    ctl.cont(budget=200)
    assert "".join(seen) == "echo> "
    assert ctl.console_input(b"uname -a; echo hi\r") == 18
    ctl.cont(budget=2_000)
    assert "".join(seen) == "echo> uname -a; echo hi\r"
    assert u64(ctl, "echoed") == 18


def test_console_input_needs_a_profile_with_a_console() -> None:
    ctl = session("smp_spinlock", "powernv")
    with pytest.raises(ControllerError, match="powernv profile has no console"):
        ctl.console_input(b"x")


# -- radix_ail -------------------------------------------------------------------------
def test_radix_ail_vectors_and_translation() -> None:
    ctl = session("radix_ail", "guest")
    run_to_done(ctl)
    on = MSR_SF | MSR_ME | MSR_IR | MSR_DR
    assert ctl.symbol("done") >> 60 == 0xC
    assert u64(ctl, "hcall_status") == 0
    assert u64(ctl, "virt_msr") == on
    assert u64(ctl, "virt_pc") == KERNEL_BASE + ctl.symbol("virt")
    assert u64(ctl, "real_hits") == 0
    assert u64(ctl, "sc_count") == 1
    assert u64(ctl, "sc_vector") == KERNEL_BASE + 0x4C00
    assert u64(ctl, "sc_msr") == on
    assert u64(ctl, "sc_srr0") == KERNEL_BASE + ctl.symbol("sc_insn") + 4
    assert u64(ctl, "sc_srr1") == on
    traced = KERNEL_BASE + ctl.symbol("traced")
    assert u64(ctl, "trace_count") == 2
    assert u64(ctl, "trace_vector") == KERNEL_BASE + 0x4D00
    assert u64(ctl, "trace_msr") == on
    assert [u64(ctl, "trace_pcs", i) for i in range(3)] == [traced + 4, traced + 8, 0]
    assert ctl.vcpu(0).msr == on


def test_radix_ail_catchpoint_stops_at_relocated_vector() -> None:
    ctl = session("radix_ail", "guest")
    ctl.add_breakpoint("catchpoint", vector=0xC00)
    ev = ctl.cont(budget=10_000)
    assert (ev.reason, ev.pc) == ("catch", KERNEL_BASE + 0x4C00), ev
    assert ctl.vcpu(0).msr & (MSR_IR | MSR_DR) == MSR_IR | MSR_DR


# -- the committed builds ---------------------------------------------------------------
def test_committed_builds_are_current(tmp_path: Path) -> None:
    require_tool("powerpc64-linux-gnu-as")
    require_tool("powerpc64-linux-gnu-ld")
    from examples.build import EXAMPLES as BUILT
    from examples.build import build_all

    fresh = {p.name: p.read_bytes() for p in build_all(tmp_path)}
    assert sorted(fresh) == sorted(f"{e.name}.elf" for e in BUILT)
    for name, data in fresh.items():
        assert (EXAMPLES / name).read_bytes() == data, f"{name} is stale: python -m examples.build"
    for inc in tmp_path.glob("*.inc"):
        assert (EXAMPLES / inc.name).read_text() == inc.read_text(), f"{inc.name} is stale"
