"""VMX permute, select, shift, splat and merge instructions (ISA 3.0B 6.8).

vperm vpermr vpermxor vsel vsldoi; the whole-register shifts vsl vsr (by
bits) and vslo vsro (by octets); the per-byte shifts vslv vsrv; the splats
vspltb/h/w and vspltisb/h/w; the merges vmrghb/h/w vmrglb/h/w vmrgew vmrgow.

Where the ISA leaves a result undefined, POWER9 and QEMU 7.2 agree on one
and we follow it: vsl/vsr/vslo/vsro take the shift count from the last byte
of VRB only (the ISA wants every byte to hold the same count); vspltb/h/w
mask UIM to the element count (bit 11 of vspltb, bits 11:12 of vsplth...
are ignored). Reserved fields the reference ignores are not decoded as
"not this instruction": vsldoi's bit 21 and vspltis*'s VRB field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .fields import VA, VX
from .insn import Insn, table
from .vector import M128, elems, join

if TYPE_CHECKING:
    from ..state import CPUState


# -- permute and select ------------------------------------------------------------------
def vperm(c: CPUState, vrt: int, vra: int, vrb: int, vrc: int, *, rev: bool) -> None:
    """vperm: byte i of VRT <- byte (VRC.byte[i] & 31) of VRA || VRB; vpermr counts from the end.

    ``bytes.translate`` does the 16 look-ups at C speed: the 256-entry table
    is the 32 source bytes (reversed for vpermr) repeated, so a selector byte
    indexes it with its low 5 bits.
    """
    vs = c.vsr
    src = ((vs[32 + vra] << 128) | vs[32 + vrb]).to_bytes(32, "big")
    if rev:
        src = src[::-1]
    vs[32 + vrt] = int.from_bytes(vs[32 + vrc].to_bytes(16, "big").translate(src * 8), "big")


def vpermxor(c: CPUState, vrt: int, vra: int, vrb: int, vrc: int) -> None:
    """VRT.byte[i] <- VRA.byte[VRC.byte[i] >> 4] ^ VRB.byte[VRC.byte[i] & 15]."""
    vs = c.vsr
    a = vs[32 + vra].to_bytes(16, "big")
    b = vs[32 + vrb].to_bytes(16, "big")
    sel = vs[32 + vrc].to_bytes(16, "big")
    vs[32 + vrt] = int.from_bytes(bytes([a[s >> 4] ^ b[s & 15] for s in sel]), "big")


def vsel(c: CPUState, vrt: int, vra: int, vrb: int, vrc: int) -> None:
    """VRT <- VRB where VRC has a 1 bit, VRA where it has a 0."""
    vs = c.vsr
    m = vs[32 + vrc]
    vs[32 + vrt] = (vs[32 + vra] & ~m) | (vs[32 + vrb] & m)


def vsldoi(c: CPUState, vrt: int, vra: int, vrb: int, shb: int) -> None:
    """VRT <- bytes SHB..SHB+15 of VRA || VRB."""
    vs = c.vsr
    vs[32 + vrt] = (((vs[32 + vra] << 128) | vs[32 + vrb]) >> (128 - 8 * shb)) & M128


# -- shifts ------------------------------------------------------------------------------
def vshift(c: CPUState, vrt: int, vra: int, vrb: int, *, left: bool, octets: bool) -> None:
    """vsl/vsr: VRA shifted by VRB bits 125:127; vslo/vsro: by VRB bits 121:124 octets.

    The count is read from VRB's last byte only (POWER9, QEMU 7.2); the ISA
    makes the result undefined unless every byte holds the same count.
    """
    vs = c.vsr
    b = vs[32 + vrb]
    n = ((b >> 3) & 15) * 8 if octets else b & 7
    if left:
        vs[32 + vrt] = (vs[32 + vra] << n) & M128
    else:
        vs[32 + vrt] = vs[32 + vra] >> n


def vslv(c: CPUState, vrt: int, vra: int, vrb: int) -> None:
    """VRT.byte[i] <- bits s..s+7 of VRA.byte[i] || VRA.byte[i+1], s = VRB.byte[i] & 7.

    Byte 16 of VRA reads as 0.
    """
    vs = c.vsr
    a = vs[32 + vra].to_bytes(16, "big") + b"\0"
    sh = vs[32 + vrb].to_bytes(16, "big")
    vs[32 + vrt] = int.from_bytes(
        bytes([((((a[i] << 8) | a[i + 1]) << (sh[i] & 7)) >> 8) & 255 for i in range(16)]), "big"
    )


def vsrv(c: CPUState, vrt: int, vra: int, vrb: int) -> None:
    """VRT.byte[i] <- bits 8-s..15-s of VRA.byte[i-1] || VRA.byte[i], s = VRB.byte[i] & 7.

    Byte -1 of VRA reads as 0.
    """
    vs = c.vsr
    a = b"\0" + vs[32 + vra].to_bytes(16, "big")
    sh = vs[32 + vrb].to_bytes(16, "big")
    vs[32 + vrt] = int.from_bytes(
        bytes([(((a[i] << 8) | a[i + 1]) >> (sh[i] & 7)) & 255 for i in range(16)]), "big"
    )


# -- splats ------------------------------------------------------------------------------
# A register with 1 in every element of a width: element * REP is the splat.
_REP = {8: M128 // 0xFF, 16: M128 // 0xFFFF, 32: M128 // 0xFFFF_FFFF}


def vsplt(c: CPUState, vrt: int, vrb: int, uim: int, *, width: int, rep: int) -> None:
    """Every element of VRT <- element UIM of VRB; UIM is masked to the element count."""
    vs = c.vsr
    n = 128 // width
    e = (vs[32 + vrb] >> (128 - width * ((uim & (n - 1)) + 1))) & ((1 << width) - 1)
    vs[32 + vrt] = e * rep


def vsplti(c: CPUState, vrt: int, sim: int, *, width: int, rep: int) -> None:
    """Every element of VRT <- SIM sign-extended (a decode-time constant)."""
    c.vsr[32 + vrt] = (sim & ((1 << width) - 1)) * rep


# -- merges ------------------------------------------------------------------------------
def vmrg(c: CPUState, vrt: int, vra: int, vrb: int, *, width: int, low: bool) -> None:
    """vmrgh*/vmrgl*: the high (low) halves' elements of VRA and VRB, interleaved, VRA first."""
    vs = c.vsr
    n = 128 // width
    half = n // 2
    a = elems(vs[32 + vra], width)
    b = elems(vs[32 + vrb], width)
    r = [0] * n
    if low:
        r[0::2] = a[half:]
        r[1::2] = b[half:]
    else:
        r[0::2] = a[:half]
        r[1::2] = b[:half]
    vs[32 + vrt] = join(r, width)


def vmrgeo(c: CPUState, vrt: int, vra: int, vrb: int, *, odd: int) -> None:
    """vmrgew/vmrgow: words 0 and 2 (1 and 3) of VRA and VRB, interleaved, VRA first."""
    vs = c.vsr
    a = elems(vs[32 + vra], 32)
    b = elems(vs[32 + vrb], 32)
    vs[32 + vrt] = join((a[odd], b[odd], a[odd + 2], b[odd + 2]), 32)


def _vx(
    mnemonic: str, xo: int, sem: object, params: dict[str, object] | None = None, **kw: object
) -> Insn:
    return Insn(mnemonic, VX(4, xo), sem, params or {}, facility="vec", **kw)  # type: ignore[arg-type]


def _va(
    mnemonic: str, xo: int, sem: object, params: dict[str, object] | None = None, **kw: object
) -> Insn:
    return Insn(mnemonic, VA(4, xo), sem, params or {}, facility="vec", **kw)  # type: ignore[arg-type]


def _splat(mnemonic: str, xo: int, width: int) -> Insn:
    return _vx(mnemonic, xo, vsplt, {"width": width, "rep": _REP[width]}, syntax="vrt, vrb, uim")


def _splati(mnemonic: str, xo: int, width: int) -> Insn:
    return _vx(mnemonic, xo, vsplti, {"width": width, "rep": _REP[width]})


def _merge(mnemonic: str, xo: int, width: int, low: bool) -> Insn:
    return _vx(mnemonic, xo, vmrg, {"width": width, "low": low})


OPS: list[Insn] = table(
    _va("vperm", 43, vperm, {"rev": False}),
    _va("vpermr", 59, vperm, {"rev": True}),
    _va("vpermxor", 45, vpermxor),
    _va("vsel", 42, vsel),
    # bit 21 (reserved) is ignored by POWER9 and QEMU 7.2
    _va("vsldoi", 44, vsldoi),
    _vx("vsl", 452, vshift, {"left": True, "octets": False}),
    _vx("vsr", 708, vshift, {"left": False, "octets": False}),
    _vx("vslo", 1036, vshift, {"left": True, "octets": True}),
    _vx("vsro", 1100, vshift, {"left": False, "octets": True}),
    _vx("vslv", 1860, vslv),
    _vx("vsrv", 1796, vsrv),
    _splat("vspltb", 524, 8),
    _splat("vsplth", 588, 16),
    _splat("vspltw", 652, 32),
    _splati("vspltisb", 780, 8),
    _splati("vspltish", 844, 16),
    _splati("vspltisw", 908, 32),
    _merge("vmrghb", 12, 8, False),
    _merge("vmrghh", 76, 16, False),
    _merge("vmrghw", 140, 32, False),
    _merge("vmrglb", 268, 8, True),
    _merge("vmrglh", 332, 16, True),
    _merge("vmrglw", 396, 32, True),
    _vx("vmrgew", 1932, vmrgeo, {"odd": 0}),
    _vx("vmrgow", 1676, vmrgeo, {"odd": 1}),
)
