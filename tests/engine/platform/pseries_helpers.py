"""A bare pseries partition for host-side tests: hypercalls and RTAS calls issued directly."""

from __future__ import annotations

from engine.bits import M64, sext
from engine.cpu import VCPU
from engine.loader import Image, Segment
from engine.machine import Machine, MachineConfig
from engine.platform.pseries.firmware import KVMPPC_H_RTAS
from engine.platform.pseries.hcalls import PseriesHost
from engine.platform.pseries.rtas_tokens import RTAS_TOKENS

RTAS_BLOCK = 0x8000  # where the tests build rtas_args


def partition(vcpus: int = 1, code: bytes = b"") -> tuple[Machine, PseriesHost]:
    body = code or bytes(0x1000)
    image = Image("raw", 0x100, [Segment(0, body, max(len(body), 0x1000))])
    host = PseriesHost()
    return Machine(image, MachineConfig(vcpus, "pseries", 256 << 20), host), host


def hcall(m: Machine, nr: int, *args: int, vcpu: int = 0) -> int:
    """Issue hypercall ``nr`` from ``vcpu`` with r4... = args; the signed status (r3)."""
    cpu = m.vcpus[vcpu]
    cpu.gpr[3] = nr
    for i, a in enumerate(args):
        cpu.gpr[4 + i] = a & M64
    assert m.host is not None
    m.host.hypercall(cpu)
    return sext(cpu.gpr[3], 64)


def rtas(m: Machine, name: str | int, *args: int, nret: int = 1, vcpu: int = 0) -> list[int]:
    """An RTAS call through KVMPPC_H_RTAS: the signed 32-bit results."""
    token = RTAS_TOKENS[name] if isinstance(name, str) else name
    mem = m.mem
    words = [token, len(args), nret, *args] + [0xDEAD] * nret
    for i, w in enumerate(words):
        mem.write(RTAS_BLOCK + 4 * i, 4, w & 0xFFFF_FFFF, "big")
    assert hcall(m, KVMPPC_H_RTAS, RTAS_BLOCK, vcpu=vcpu) == 0
    base = RTAS_BLOCK + 4 * (3 + len(args))
    return [sext(mem.read(base + 4 * i, 4, "big"), 32) for i in range(nret)]


def cpu(m: Machine, i: int = 0) -> VCPU:
    return m.vcpus[i]
