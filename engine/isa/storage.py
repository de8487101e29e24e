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

from .common import Resync, illegal
from .forms import Ctx, Exec, Form, Op, f_ra, f_rb, op

if TYPE_CHECKING:
    from ..cpu import VCPU

DCACHE_BLOCK = 128  # POWER9 data cache block = reservation granule


def hint(w: int, x: Ctx) -> Exec:
    """dcbt/dcbtst/icbt and the barriers sync/lwsync/ptesync/eieio/isync: no visible effect."""
    npc = x.npc

    def ex(c: VCPU) -> int:
        return npc

    return ex


def probe(w: int, x: Ctx) -> Exec:
    """dcbst/dcbf/icbi: translate EA as a load would (faults), store nothing."""
    ra, rb = f_ra(w), f_rb(w)
    amask, npc = x.amask, x.npc

    def ex(c: VCPU) -> int:
        g = c.gpr
        c.translate_data(((g[ra] if ra else 0) + g[rb]) & amask, False)
        return npc

    return ex


def dcbf(w: int, x: Ctx) -> Exec:
    """dcbf L: 0 (dcbf), 1 (dcbfl), 3 (dcbflp); L=2 is reserved (ISA 3.0B 4.3.2)."""
    if (w >> 21) & 3 == 2:
        return illegal
    return probe(w, x)


def dcbz(w: int, x: Ctx) -> Exec:
    """dcbz: zero the aligned 128-byte block holding EA, as a store (faults, SMC, reservations).

    The block is the reservation granule; QEMU 7.2 also drops the issuing
    vCPU's own reservation when it covers the block, and so do we.
    """
    ra, rb = f_ra(w), f_rb(w)
    amask, npc, order = x.amask, x.npc, x.order
    block = ~(DCACHE_BLOCK - 1)

    def ex(c: VCPU) -> int:
        g = c.gpr
        ea = (((g[ra] if ra else 0) + g[rb]) & amask) & block
        c.write(ea, DCACHE_BLOCK, 0, order)
        if c.resv_addr is not None and c.holds_reservation(ea, c.resv_size):
            c.lose_reservation()
        return npc

    return ex


def _sync_name(w: int) -> str:
    return ("sync", "lwsync", "ptesync", "sync")[(w >> 21) & 3]


# (mnemonic, form, opcode, XO, factory, reserved-bit mask as QEMU 7.2 checks it)
def sync(w: int, x: Ctx) -> Exec:
    """sync/lwsync: no visible effect here; ptesync (L=2) completes translation-table updates.

    The engine caches translations, so ptesync drops them (radix MMU and
    decoded instructions) for the issuing vCPU, as tlbiel would.
    """
    if (w >> 21) & 3 != 2:
        return hint(w, x)
    npc = x.npc

    def ptesync(c: VCPU) -> int:
        c.flush_translation()
        raise Resync(npc)

    return ptesync


OPS: list[Op] = [
    op("dcbt", Form.X, 31, 278, hint, fixed=(0x0000_0001, 0)),
    op("dcbtst", Form.X, 31, 246, hint, fixed=(0x0000_0001, 0)),
    op("icbt", Form.X, 31, 22, hint, fixed=(0x0200_0001, 0)),
    op("dcbst", Form.X, 31, 54, probe, fixed=(0x03E0_0001, 0)),
    op("dcbf", Form.X, 31, 86, dcbf, fixed=(0x0380_0001, 0)),
    op("icbi", Form.X, 31, 982, probe, fixed=(0x03E0_0001, 0)),
    # Bit 10 is 970's dcbzl selector: QEMU ignores it.
    op("dcbz", Form.X, 31, 1014, dcbz, fixed=(0x03C0_0001, 0)),
    # L (bits 9:10): 0 sync, 1 lwsync, 2 ptesync; QEMU 7.2 accepts 3 as sync.
    op("sync", Form.X, 31, 598, sync, fixed=(0x039F_F801, 0), altname=_sync_name),
    # Bit 6 set is accepted by QEMU 7.2 (a POWER9 eieio variant).
    op("eieio", Form.X, 31, 854, hint, fixed=(0x01FF_F801, 0)),
    op("isync", Form.XL, 19, 150, hint, fixed=(0x03FF_F801, 0)),
]
