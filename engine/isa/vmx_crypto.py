"""VMX crypto and polynomial multiply (ISA 3.0B 6.11, 6.12): the AES rounds vcipher,
vcipherlast, vncipher, vncipherlast and vsbox, the SHA-2 sigma functions vshasigmaw/
vshasigmad, and the carry-less multiply-sums vpmsumb/h/w/d.

The AES state is the register in the ISA's element order: byte i (byte 0 the most
significant) is state byte i of FIPS-197, in column-major order, so row r of column
c is byte 4c + r. The S-box and the MixColumns products are built here from their
definition over GF(2^8) modulo x^8 + x^4 + x^3 + x + 1: the S-box is the
multiplicative inverse (0 for 0) followed by the affine map
b ^ rotl(b, 1) ^ rotl(b, 2) ^ rotl(b, 3) ^ rotl(b, 4) ^ 0x63.

vncipher XORs the round key before InvMixColumns (the ISA 2.07B order, which QEMU 7.2
and POWER9 follow). QEMU 7.2 does not check the reserved VRB field of vsbox (it
executes such words as VRB = 0), so that line leaves it free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .fields import VX
from .insn import Insn, table
from .vector import elems, join

if TYPE_CHECKING:
    from ..state import CPUState


# -- GF(2^8) -----------------------------------------------------------------------------
def _gmul(a: int, b: int) -> int:
    """a * b in GF(2^8) modulo the AES polynomial 0x11B."""
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11B
        b >>= 1
    return r


def _sbox() -> tuple[int, ...]:
    out = []
    for x in range(256):
        # the inverse of x: x**254 (x**255 = 1 for x != 0; 0 maps to 0)
        inv, p, e = 1, x, 254
        while e:
            if e & 1:
                inv = _gmul(inv, p)
            p = _gmul(p, p)
            e >>= 1
        if x == 0:
            inv = 0
        s = inv
        for k in range(1, 5):
            s ^= ((inv << k) | (inv >> (8 - k))) & 0xFF
        out.append(s ^ 0x63)
    return tuple(out)


SBOX = _sbox()
INV_SBOX = tuple(SBOX.index(x) for x in range(256))
# The products MixColumns (2, 3) and InvMixColumns (9, 11, 13, 14) need, by byte.
MUL2, MUL3, MUL9, MUL11, MUL13, MUL14 = (
    tuple(_gmul(x, k) for x in range(256)) for k in (2, 3, 9, 11, 13, 14)
)
# ShiftRows: byte 4c + r of the result is byte 4((c + r) mod 4) + r of the state;
# InvShiftRows takes it from column (c - r) mod 4.
SHIFT_ROWS = tuple(4 * ((i // 4 + i % 4) % 4) + i % 4 for i in range(16))
INV_SHIFT_ROWS = tuple(4 * ((i // 4 - i % 4) % 4) + i % 4 for i in range(16))


def mix_columns(s: list[int]) -> list[int]:
    """MixColumns of the 16 state bytes ``s`` (column c is s[4c:4c+4])."""
    out = []
    for c in range(0, 16, 4):
        a0, a1, a2, a3 = s[c : c + 4]
        out += [
            MUL2[a0] ^ MUL3[a1] ^ a2 ^ a3,
            a0 ^ MUL2[a1] ^ MUL3[a2] ^ a3,
            a0 ^ a1 ^ MUL2[a2] ^ MUL3[a3],
            MUL3[a0] ^ a1 ^ a2 ^ MUL2[a3],
        ]
    return out


def inv_mix_columns(s: list[int]) -> list[int]:
    """InvMixColumns of the 16 state bytes ``s``."""
    out = []
    for c in range(0, 16, 4):
        a0, a1, a2, a3 = s[c : c + 4]
        out += [
            MUL14[a0] ^ MUL11[a1] ^ MUL13[a2] ^ MUL9[a3],
            MUL9[a0] ^ MUL14[a1] ^ MUL11[a2] ^ MUL13[a3],
            MUL13[a0] ^ MUL9[a1] ^ MUL14[a2] ^ MUL11[a3],
            MUL11[a0] ^ MUL13[a1] ^ MUL9[a2] ^ MUL14[a3],
        ]
    return out


# -- AES ---------------------------------------------------------------------------------
def vcipher(c: CPUState, vrt: int, vra: int, vrb: int, *, last: bool) -> None:
    """vcipher: VRT <- MixColumns(ShiftRows(SubBytes(VRA))) ^ VRB; vcipherlast: without
    MixColumns."""
    vs = c.vsr
    a = elems(vs[32 + vra], 8)
    s = [SBOX[a[j]] for j in SHIFT_ROWS]
    if not last:
        s = mix_columns(s)
    vs[32 + vrt] = int.from_bytes(bytes(s), "big") ^ vs[32 + vrb]


def vncipher(c: CPUState, vrt: int, vra: int, vrb: int, *, last: bool) -> None:
    """vncipher: VRT <- InvMixColumns(InvSubBytes(InvShiftRows(VRA)) ^ VRB); vncipherlast:
    without InvMixColumns."""
    vs = c.vsr
    a = elems(vs[32 + vra], 8)
    t = int.from_bytes(bytes(INV_SBOX[a[j]] for j in INV_SHIFT_ROWS), "big") ^ vs[32 + vrb]
    if last:
        vs[32 + vrt] = t
    else:
        vs[32 + vrt] = int.from_bytes(bytes(inv_mix_columns(list(elems(t, 8)))), "big")


def vsbox(c: CPUState, vrt: int, vra: int) -> None:
    """vsbox: each byte of VRT <- the AES S-box of VRA's."""
    vs = c.vsr
    vs[32 + vrt] = int.from_bytes(bytes(SBOX[x] for x in elems(vs[32 + vra], 8)), "big")


# -- SHA-2 -------------------------------------------------------------------------------
def _rotr(x: int, n: int, w: int) -> int:
    return (x >> n) | ((x << (w - n)) & ((1 << w) - 1))


def sigma(x: int, st: int, bit: int, w: int) -> int:
    """One SHA-2 sigma of the ``w``-bit ``x``: ST=0 the message schedule's sigma0/sigma1,
    ST=1 the compression's Sigma0/Sigma1; ``bit`` (the SIX bit) picks the 1 function."""
    if w == 32:
        if st:
            r = (6, 11, 25) if bit else (2, 13, 22)
            return _rotr(x, r[0], 32) ^ _rotr(x, r[1], 32) ^ _rotr(x, r[2], 32)
        if bit:
            return _rotr(x, 17, 32) ^ _rotr(x, 19, 32) ^ (x >> 10)
        return _rotr(x, 7, 32) ^ _rotr(x, 18, 32) ^ (x >> 3)
    if st:
        r = (14, 18, 41) if bit else (28, 34, 39)
        return _rotr(x, r[0], 64) ^ _rotr(x, r[1], 64) ^ _rotr(x, r[2], 64)
    if bit:
        return _rotr(x, 19, 64) ^ _rotr(x, 61, 64) ^ (x >> 6)
    return _rotr(x, 1, 64) ^ _rotr(x, 8, 64) ^ (x >> 7)


def vshasigmaw(c: CPUState, vrt: int, vra: int, st: int, six: int) -> None:
    """vshasigmaw: word i of VRT <- a sigma of VRA's word i, chosen by ST and SIX bit i."""
    vs = c.vsr
    e = elems(vs[32 + vra], 32)
    vs[32 + vrt] = join([sigma(x, st, six & (8 >> i), 32) for i, x in enumerate(e)], 32)


def vshasigmad(c: CPUState, vrt: int, vra: int, st: int, six: int) -> None:
    """vshasigmad: doubleword i of VRT <- a sigma of VRA's, chosen by ST and SIX bit 2i
    (SIX bits 1 and 3 are unused)."""
    vs = c.vsr
    e = elems(vs[32 + vra], 64)
    vs[32 + vrt] = join([sigma(x, st, six & (8 >> (2 * i)), 64) for i, x in enumerate(e)], 64)


# -- polynomial multiply-sum -------------------------------------------------------------
def clmul(a: int, b: int) -> int:
    """The carry-less product of ``a`` and ``b`` (polynomials over GF(2))."""
    r = 0
    while a:
        low = a & -a
        r ^= b * low  # b shifted to the lowest set bit of a
        a ^= low
    return r


def vpmsum(c: CPUState, vrt: int, vra: int, vrb: int, *, w: int) -> None:
    """vpmsumb/h/w/d: each 2w-bit element of VRT <- the XOR of the carry-less products of
    the two w-bit element pairs of VRA and VRB it covers."""
    vs = c.vsr
    p = [clmul(x, y) for x, y in zip(elems(vs[32 + vra], w), elems(vs[32 + vrb], w), strict=True)]
    r = [p[i] ^ p[i + 1] for i in range(0, len(p), 2)]
    vs[32 + vrt] = r[0] if w == 64 else join(r, 2 * w)


# -- the table ---------------------------------------------------------------------------
def _vx(mn: str, xo: int, sem: object, **params: object) -> Insn:
    return Insn(mn, VX(4, xo), sem, params, facility="vec")  # type: ignore[arg-type]


OPS: list[Insn] = table(
    _vx("vcipher", 1288, vcipher, last=False),
    _vx("vcipherlast", 1289, vcipher, last=True),
    _vx("vncipher", 1352, vncipher, last=False),
    _vx("vncipherlast", 1353, vncipher, last=True),
    Insn("vsbox", VX(4, 1480), vsbox, facility="vec", syntax="vrt, vra"),
    Insn("vshasigmaw", VX(4, 1666), vshasigmaw, facility="vec", syntax="vrt, vra, st, six"),
    Insn("vshasigmad", VX(4, 1730), vshasigmad, facility="vec", syntax="vrt, vra, st, six"),
    _vx("vpmsumb", 1032, vpmsum, w=8),
    _vx("vpmsumh", 1096, vpmsum, w=16),
    _vx("vpmsumw", 1160, vpmsum, w=32),
    _vx("vpmsumd", 1224, vpmsum, w=64),
)
