"""The guest profile's console pair (H_PUT_TERM_CHAR / H_GET_TERM_CHAR) and typed input."""

from __future__ import annotations

from engine.cpu import VCPU
from engine.host import H_GET_TERM_CHAR, H_SUCCESS, GuestHost
from engine.memory import PhysicalMemory


class _ArrivesDuringRead(bytearray):
    """Console input to which more is typed while the host copies a chunk out of it."""

    late: bytes = b""

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        got = super().__getitem__(key)
        if isinstance(key, slice) and self.late:
            self.extend(self.late)
            self.late = b""
        return got


def _get(host: GuestHost, cpu: VCPU) -> bytes:
    cpu.gpr[3] = H_GET_TERM_CHAR
    host.hypercall(cpu)
    assert cpu.gpr[3] == H_SUCCESS
    n = cpu.gpr[4]
    return (cpu.gpr[5].to_bytes(8, "big") + cpu.gpr[6].to_bytes(8, "big"))[:n]


def test_input_typed_while_the_guest_reads_a_chunk_is_not_lost() -> None:
    cpu = VCPU(PhysicalMemory(1 << 20), 0)
    host = GuestHost([cpu])
    buf = _ArrivesDuringRead(b"echo hi; ls ")
    buf.late = b"-s\r"
    host.console_in = buf
    assert _get(host, cpu) == b"echo hi; ls "
    assert _get(host, cpu) == b"-s\r"
    assert _get(host, cpu) == b""


def test_console_input_is_read_sixteen_bytes_at_a_time_in_order() -> None:
    cpu = VCPU(PhysicalMemory(1 << 20), 0)
    host = GuestHost([cpu])
    assert host.console_input(b"0123456789abcdefXYZ") == 19
    assert _get(host, cpu) == b"0123456789abcdef"
    assert host.console_input(b"!") == 4
    assert _get(host, cpu) == b"XYZ!"
