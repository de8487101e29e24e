"""XICS through hypercalls and RTAS (engine/platform/pseries/xics.py), as QEMU 7.2 behaves."""

from __future__ import annotations

from engine.host import H_PARAMETER, H_SUCCESS
from engine.interrupts import EXCP_EXTERNAL, PEND_EXT
from engine.platform.pseries import hcalls as hc

from .pseries_helpers import cpu, hcall, partition, rtas

VTY = 0x1100


def test_an_ipi_below_the_cppr_raises_the_external_line() -> None:
    m, _ = partition(vcpus=2)
    assert hcall(m, hc.H_CPPR, 0xFF, vcpu=1) == H_SUCCESS
    assert hcall(m, hc.H_IPI, 1, 5) == H_SUCCESS
    assert cpu(m, 1).pending & PEND_EXT and not cpu(m).pending & PEND_EXT


def test_xirr_accepts_the_ipi_and_eoi_restores_the_priority() -> None:
    m, _ = partition(vcpus=2)
    hcall(m, hc.H_CPPR, 0xFF, vcpu=1)
    hcall(m, hc.H_IPI, 1, 5)
    assert hcall(m, hc.H_XIRR, vcpu=1) == H_SUCCESS
    assert cpu(m, 1).gpr[4] == 0xFF000002  # old CPPR, XISR = IPI
    assert not cpu(m, 1).pending & PEND_EXT
    assert m.host.xics.icps[1].cppr == 5  # type: ignore[union-attr]
    hcall(m, hc.H_IPI, 1, 0xFF)  # the handler clears MFRR, then EOIs
    assert hcall(m, hc.H_EOI, 0xFF000002, vcpu=1) == H_SUCCESS
    assert m.host.xics.icps[1].cppr == 0xFF  # type: ignore[union-attr]
    assert not cpu(m, 1).pending & PEND_EXT


def test_an_ipi_is_held_while_the_cppr_is_more_favoured() -> None:
    m, _ = partition(vcpus=2)
    hcall(m, hc.H_CPPR, 0, vcpu=1)  # reset CPPR 0: nothing is presented
    hcall(m, hc.H_IPI, 1, 5)
    assert not cpu(m, 1).pending & PEND_EXT
    hcall(m, hc.H_CPPR, 0xFF, vcpu=1)  # opening up presents it
    assert cpu(m, 1).pending & PEND_EXT


def test_ipi_to_a_server_that_does_not_exist_is_a_parameter_error() -> None:
    m, _ = partition()
    assert hcall(m, hc.H_IPI, 3, 5) == H_PARAMETER


def test_console_input_interrupts_once_the_source_is_routed_and_on() -> None:
    m, host = partition()
    hcall(m, hc.H_CPPR, 0xFF)
    host.console_input(b"x")  # source still masked (priority 0xff): masked pending
    assert not cpu(m).pending & PEND_EXT
    assert rtas(m, "ibm,set-xive", VTY, 0, 5) == [0]  # routing it delivers the pending pulse
    assert cpu(m).pending & PEND_EXT
    hcall(m, hc.H_XIRR)
    assert cpu(m).gpr[4] == 0xFF000000 | VTY
    assert rtas(m, "ibm,get-xive", VTY, nret=3) == [0, 0, 5]


def test_int_off_masks_and_int_on_restores_the_priority() -> None:
    m, host = partition()
    hcall(m, hc.H_CPPR, 0xFF)
    rtas(m, "ibm,set-xive", VTY, 0, 5)
    assert rtas(m, "ibm,int-off", VTY) == [0]
    assert rtas(m, "ibm,get-xive", VTY, nret=3) == [0, 0, 0xFF]
    host.console_input(b"y")
    assert not cpu(m).pending & PEND_EXT
    assert rtas(m, "ibm,int-on", VTY) == [0]
    assert rtas(m, "ibm,get-xive", VTY, nret=3) == [0, 0, 5]
    assert cpu(m).pending & PEND_EXT
    assert rtas(m, "ibm,set-xive", 0x1234, 0, 5) == [-3]  # no such source


def test_a_source_rejected_by_a_busy_icp_is_resent_after_eoi() -> None:
    m, host = partition()
    hcall(m, hc.H_CPPR, 0xFF)
    rtas(m, "ibm,set-xive", VTY, 0, 5)
    hcall(m, hc.H_IPI, 0, 2)  # an IPI at a more favoured priority is pending
    host.console_input(b"z")  # rejected: the ICP holds a better one
    hcall(m, hc.H_XIRR)
    assert cpu(m).gpr[4] & 0xFFFFFF == 2
    hcall(m, hc.H_IPI, 0, 0xFF)
    hcall(m, hc.H_EOI, 0xFF000002)  # back to CPPR 0xff: the console is resent
    assert cpu(m).pending & PEND_EXT
    hcall(m, hc.H_XIRR)
    assert cpu(m).gpr[4] & 0xFFFFFF == VTY


def test_the_external_line_delivers_0x500_with_ee() -> None:
    m, _ = partition(vcpus=2)
    hcall(m, hc.H_CPPR, 0xFF, vcpu=1)
    hcall(m, hc.H_IPI, 1, 5)
    c = cpu(m, 1)
    assert c.async_interrupt() is None  # MSR[EE] = 0
    c.set_msr(c.msr | 0x8000)
    assert c.async_interrupt() == EXCP_EXTERNAL
