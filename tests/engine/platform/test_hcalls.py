"""The pseries host's hypercalls (engine/platform/pseries/hcalls.py), one behaviour per test."""

from __future__ import annotations

from engine.host import (
    H_CEDE,
    H_FUNCTION,
    H_GET_TERM_CHAR,
    H_PARAMETER,
    H_PROD,
    H_PUT_TERM_CHAR,
    H_SUCCESS,
)
from engine.interrupts import PEND_EXT
from engine.machine import LPCR_PSERIES_RESET, STOPPED
from engine.msr import LPCR_GTSE, LPCR_HR, LPCR_UPRT, MSR_EE
from engine.platform.pseries import hcalls as hc
from engine.sprs import SPR_LPCR, SPR_PIR, SPR_SPRG0

from .pseries_helpers import cpu, hcall, partition


def test_vcpu_0_starts_in_32_bit_big_endian_real_mode_and_the_others_are_stopped() -> None:
    m, _ = partition(vcpus=3)
    assert cpu(m).msr == 0 and not cpu(m).halted
    for c in m.vcpus[1:]:
        assert c.halted and c.halt_reason == STOPPED
    assert [c.spr[SPR_PIR] for c in m.vcpus] == [0, 1, 2]  # one thread per core
    assert all(c.spr[SPR_LPCR] == LPCR_PSERIES_RESET for c in m.vcpus)


def test_an_unknown_hypercall_answers_h_function_and_is_counted_and_reported() -> None:
    m, host = partition()
    seen: list[tuple[int, str, int]] = []
    host.on_unsupported = lambda v, kind, nr: seen.append((v, kind, nr))
    assert hcall(m, 0x398) == H_FUNCTION
    assert hcall(m, 0x398) == H_FUNCTION
    assert host.stats()["unsupported_hcalls"] == {"0x398": 2}
    assert "0x398" not in host.stats()["hcalls"]  # type: ignore[operator]
    assert seen == [(0, "hcall", 0x398)] * 2


def test_known_hypercalls_are_counted_by_name() -> None:
    m, host = partition()
    hcall(m, H_PUT_TERM_CHAR, host.vty_termno, 2, 0x6869 << 48, 0)
    assert host.stats()["hcalls"] == {"H_PUT_TERM_CHAR": 1}
    assert bytes(host.console_out) == b"hi"


def test_the_console_answers_only_its_own_terminal_number() -> None:
    m, host = partition()
    assert hcall(m, H_PUT_TERM_CHAR, 0x71000001, 1, 0x41 << 56, 0) == H_PARAMETER
    assert hcall(m, H_GET_TERM_CHAR, 0x71000002) == H_PARAMETER
    assert host.console_out == b""


def test_terminal_0_is_the_console_as_in_qemu() -> None:
    # QEMU's vty_lookup gives terminal 0 to the first vty (kvm-unit-tests writes to 0).
    m, host = partition()
    assert hcall(m, H_PUT_TERM_CHAR, 0, 2, 0x6F6B << 48, 0) == 0
    assert bytes(host.console_out) == b"ok"
    host.console_input(b"x")
    assert hcall(m, H_GET_TERM_CHAR, 0) == 0
    assert (m.vcpus[0].gpr[4], m.vcpus[0].gpr[5] >> 56) == (1, ord("x"))


def test_register_vpa_marks_the_processor_shared_as_qemu_does() -> None:
    m, host = partition()
    m.mem.write(0x10000 + 4, 2, 1024, "big")  # size
    assert hcall(m, hc.H_REGISTER_VPA, hc.VPA_REG_VPA << 45, 0, 0x10000) == H_SUCCESS
    assert m.mem.read(0x10009, 1, "big") & hc.VPA_SHARED_PROC_VAL
    assert host.vpa[0][0] == 0x10000


def test_register_vpa_rejects_a_small_misaligned_or_page_crossing_area() -> None:
    m, _ = partition()
    m.mem.write(0x10004, 2, 100, "big")
    assert hcall(m, hc.H_REGISTER_VPA, 1 << 45, 0, 0x10000) == H_PARAMETER  # < 640 bytes
    assert hcall(m, hc.H_REGISTER_VPA, 1 << 45, 0, 0x10008) == H_PARAMETER  # not a cache line
    m.mem.write(0x10F84, 2, 1024, "big")
    assert hcall(m, hc.H_REGISTER_VPA, 1 << 45, 0, 0x10F80) == H_PARAMETER  # crosses 4 KiB
    assert hcall(m, hc.H_REGISTER_VPA, 1 << 45, 7, 0x10000) == H_PARAMETER  # no such vCPU


def test_a_dispatch_trace_log_needs_a_vpa_first() -> None:
    m, _ = partition()
    m.mem.write(0x20004, 4, 4096, "big")
    assert hcall(m, hc.H_REGISTER_VPA, hc.VPA_REG_DTL << 45, 0, 0x20000) == hc.H_RESOURCE


def test_cpu_characteristics_ask_for_no_mitigation() -> None:
    m, _ = partition()
    cpu(m).gpr[4] = cpu(m).gpr[5] = 0x55
    assert hcall(m, hc.H_GET_CPU_CHARACTERISTICS) == H_SUCCESS
    assert cpu(m).gpr[4] == cpu(m).gpr[5] == 0


def test_h_random_is_deterministic_and_changes_each_call() -> None:
    a, _ = partition()
    b, _ = partition()
    values = []
    for _ in range(3):
        hcall(a, hc.H_RANDOM)
        hcall(b, hc.H_RANDOM)
        assert cpu(a).gpr[4] == cpu(b).gpr[4]
        values.append(cpu(a).gpr[4])
    assert len(set(values)) == 3


def test_page_init_zeroes_and_copies_4k_pages() -> None:
    m, _ = partition()
    m.mem.write_bytes(0x30000, bytes(range(256)) * 16, None)
    assert hcall(m, hc.H_PAGE_INIT, hc.H_COPY_PAGE, 0x40000, 0x30000) == H_SUCCESS
    assert m.mem.read_bytes(0x40000, 4096) == bytes(range(256)) * 16
    assert hcall(m, hc.H_PAGE_INIT, hc.H_ZERO_PAGE, 0x40000, 0) == H_SUCCESS
    assert m.mem.read_bytes(0x40000, 4096) == bytes(4096)
    assert hcall(m, hc.H_PAGE_INIT, hc.H_ZERO_PAGE, 0x40010, 0) == H_PARAMETER


def test_set_sprg0_and_the_dabr_probe() -> None:
    m, _ = partition()
    assert hcall(m, hc.H_SET_SPRG0, 0x1234) == H_SUCCESS and cpu(m).spr[SPR_SPRG0] == 0x1234
    assert hcall(m, hc.H_SET_DABR, 0) == hc.H_HARDWARE  # not H_PRIVILEGE: sc 1 works


def test_register_proc_tbl_sets_uprt_hr_and_gtse_on_every_vcpu() -> None:
    m, _ = partition(vcpus=2)
    assert hcall(m, 0x37C, 0x1D, 0x100000, 0, 0) == H_SUCCESS  # what the kernel passes
    bits = LPCR_UPRT | LPCR_HR | LPCR_GTSE
    for c in m.vcpus:
        assert c.spr[SPR_LPCR] & bits == bits
    assert hcall(m, 0x37C, 0x1C, 0x100000, 0, 0) == H_SUCCESS  # without GTSE: cleared
    assert not cpu(m).spr[SPR_LPCR] & LPCR_GTSE


def test_cede_sleeps_with_ee_set_until_an_interrupt_is_pending() -> None:
    m, _ = partition()
    assert hcall(m, H_CEDE) == H_SUCCESS
    assert cpu(m).sleeping and cpu(m).msr & MSR_EE
    cpu(m).pending |= PEND_EXT
    assert cpu(m).wake_condition()


def test_a_prod_while_running_makes_the_next_cede_return_at_once() -> None:
    m, host = partition(vcpus=2)
    assert hcall(m, H_PROD, 1) == H_SUCCESS  # vCPU 1 is not ceded
    assert hcall(m, H_CEDE, vcpu=1) == H_SUCCESS
    assert not cpu(m, 1).sleeping and not host.prodded
    assert hcall(m, H_CEDE, vcpu=1) == H_SUCCESS and cpu(m, 1).sleeping
    assert hcall(m, H_PROD, 1) == H_SUCCESS and not cpu(m, 1).sleeping
    assert hcall(m, H_PROD, 9) == H_PARAMETER


def test_the_host_state_survives_a_checkpoint() -> None:
    m, host = partition(vcpus=2)
    m.mem.write(0x10004, 2, 1024, "big")
    hcall(m, hc.H_REGISTER_VPA, 1 << 45, 1, 0x10000)
    hcall(m, hc.H_IPI, 1, 5)
    hcall(m, 0x398)
    hcall(m, hc.H_RANDOM)
    cp = m.checkpoint()
    before = (host.stats(), host.xics.get_state(), dict(host.vpa), host.random_state)
    hcall(m, hc.H_XIRR, vcpu=1)
    hcall(m, hc.H_RANDOM)
    hcall(m, 0x399)
    m.restore(cp)
    assert (host.stats(), host.xics.get_state(), dict(host.vpa), host.random_state) == before


def test_when_every_vcpu_is_ceded_virtual_time_jumps_to_the_next_timer() -> None:
    m, _ = partition(vcpus=2)
    m.vcpus[1].halted, m.vcpus[1].halt_reason = False, None
    for i, c in enumerate(m.vcpus):
        c.set_dec(1_000_000 + 1000 * i)
        hcall(m, H_CEDE, vcpu=i)
    clocks = [c.clock for c in m.vcpus]
    assert m._skip_idle(400_000) == 400_000  # one jump, not 40,000 scheduler turns
    assert [c.clock - k for c, k in zip(m.vcpus, clocks, strict=True)] == [400_000] * 2
    assert m._skip_idle(10**9) == 600_001  # to vCPU 0's decrementer going negative
    assert m.vcpus[0].wake_condition() and not m.vcpus[1].wake_condition()
    assert m._skip_idle(10**9) == 0  # someone is awake: the scheduler runs it


def test_unimplemented_sprs_are_reported_in_stats_over_every_vcpu() -> None:
    m, host = partition(vcpus=2)
    cpu(m, 0).unsupported_sprs.update({"read 849": 2, "write 795": 1})
    cpu(m, 1).unsupported_sprs.update({"read 849": 3, "read 1000": 1})
    assert host.stats()["unsupported_sprs"] == {"read 849": 5, "read 1000": 1, "write 795": 1}
