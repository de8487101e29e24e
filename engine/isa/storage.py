"""Cache management and storage synchronisation: dcb*, icb*, sync, isync, eieio.

The interpreter is sequentially consistent and has no caches, so barriers and
touch hints do nothing. What is visible: ``dcbz`` stores zeros through the
normal store path (so decoded code is dropped and other vCPUs' reservations
break), and ``dcbst``/``dcbf``/``icbi`` are "treated as a load" for
translation and protection (ISA 3.0B Book II 4.3), so they translate the EA
and can raise the interrupts a load would, without touching memory. No
``icbi`` is needed for self-modifying code: any store drops decoded words.

Reserved-field checks follow QEMU 7.2's invalid-instruction masks (measured
on powernv9; a word with such bits set raises HEAI), except where it lacks an
ISA 3.0B form: ``icbt`` (QEMU 7.2: HEAI) and ``dcbf`` L=3 (``dcbflp``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..interrupts import EXCP_HV_EMU, Interrupt
from .fields import XL, X, reserved
from .insn import Insn, table
from .specialize import code_check

if TYPE_CHECKING:
    from ..state import CPUState

DCACHE_BLOCK = 128  # POWER9 data cache block = reservation granule


def hint(c: CPUState) -> None:
    """dcbt/dcbtst/icbt and the barriers sync/lwsync/eieio/isync: no visible effect."""
    pass


def probe(c: CPUState, ra: int, rb: int, *, amask: int) -> None:
    """dcbst/icbi: translate EA as a load would (faults), store nothing."""
    g = c.gpr
    c.translate_data(((g[ra] if ra else 0) + g[rb]) & amask, False)


def dcbf(c: CPUState, ra: int, rb: int, *, l2: int, amask: int) -> None:
    """dcbf L: 0 (dcbf), 1 (dcbfl), 3 (dcbflp) probe as dcbst; L=2 is reserved (ISA 3.0B 4.3.2)."""
    if l2 == 2:
        raise Interrupt(EXCP_HV_EMU)
    g = c.gpr
    c.translate_data(((g[ra] if ra else 0) + g[rb]) & amask, False)


def dcbz(c: CPUState, ra: int, rb: int, *, amask: int, order: str) -> None:
    """dcbz: zero the aligned 128-byte block holding EA, as a store (faults, SMC, reservations).

    The block is the reservation granule; QEMU 7.2 also drops the issuing
    vCPU's own reservation when it covers the block, and so do we.
    """
    g = c.gpr
    ea = ((g[ra] if ra else 0) + g[rb]) & amask & ~(DCACHE_BLOCK - 1)
    c.write(ea, DCACHE_BLOCK, 0, order)
    if c.resv_addr is not None and c.holds_reservation(ea, c.resv_size):
        c.lose_reservation()
    code_check()


def sync_name(word: int) -> str:
    return ("sync", "lwsync", "ptesync", "sync")[(word >> 21) & 3]


# Reserved-bit masks as QEMU 7.2 checks them (a word with any of them set is invalid).
_SYNC_RESERVED = 0x039F_F801

OPS: list[Insn] = table(
    Insn("dcbt", reserved(X(31, 278), 0x0000_0001), hint, access="cache"),
    Insn("dcbtst", reserved(X(31, 246), 0x0000_0001), hint, access="cache"),
    Insn("icbt", reserved(X(31, 22), 0x0200_0001), hint, access="cache"),
    Insn("dcbst", reserved(X(31, 54), 0x03E0_0001), probe, access="cache"),
    Insn("dcbf", reserved(X(31, 86), 0x0380_0001), dcbf, access="cache"),
    Insn("icbi", reserved(X(31, 982), 0x03E0_0001), probe, access="cache"),
    # Bit 10 is 970's dcbzl selector: QEMU ignores it.
    Insn(
        "dcbz",
        reserved(X(31, 1014), 0x03C0_0001),
        dcbz,
        access="cache",
        size=DCACHE_BLOCK,
        writes_code=True,
    ),  # fmt: skip
    # L (bits 9:10): 0 sync, 1 lwsync, 2 ptesync; QEMU 7.2 accepts 3 as sync. All four are
    # ordering only here: accesses are performed in order, and a tlbie drops what it names
    # at once, so ptesync has nothing left to wait for. It drops no cached translation
    # either: the ISA requires a tlbie for a changed valid PTE, a PTE that was not valid has
    # no cached translation (faults are never cached), and QEMU 7.2 keeps every translation
    # no tlbie named across ptesync (tests/differential/programs/sv_radix.S shows both).
    Insn("sync", reserved(X(31, 598), _SYNC_RESERVED), hint, altname=sync_name),
    # Bit 6 set is accepted by QEMU 7.2 (a POWER9 eieio variant).
    Insn("eieio", reserved(X(31, 854), 0x01FF_F801), hint),
    Insn("isync", reserved(XL(19, 150), 0x03FF_F801), hint),
)
