"""The instruction table: every family module's lines, gathered once."""

from __future__ import annotations

from . import (
    branch,
    compare,
    crlogic,
    fixedpoint,
    fp,
    loadstore,
    logical,
    rotate,
    storage,
    system,
    vmx_bcd,
    vmx_compare,
    vmx_crypto,
    vmx_fp,
    vmx_fp_est,
    vmx_int,
    vmx_logic,
    vmx_mul,
    vmx_pack,
    vmx_permute,
    vmx_storage,
    vsx_convert,
    vsx_move,
    vsx_permute,
    vsx_quad,
    vsx_scalar,
    vsx_scalar2,
    vsx_storage,
    vsx_vector,
    vsx_vector2,
)
from .decoder import Decoder
from .insn import Insn

ALL_OPS: tuple[Insn, ...] = (
    *fixedpoint.OPS,
    *logical.OPS,
    *rotate.OPS,
    *compare.OPS,
    *crlogic.OPS,
    *loadstore.OPS,
    *storage.OPS,
    *branch.OPS,
    *system.OPS,
    *fp.OPS,
    *vmx_logic.OPS,
    *vsx_move.OPS,
    *vmx_int.OPS,
    *vsx_permute.OPS,
    *vmx_permute.OPS,
    *vmx_storage.OPS,
    *vmx_mul.OPS,
    *vsx_scalar.OPS,
    *vsx_vector.OPS,
    *vmx_fp.OPS,
    *vmx_fp_est.OPS,
    *vsx_scalar2.OPS,
    *vmx_pack.OPS,
    *vmx_compare.OPS,
    *vmx_crypto.OPS,
    *vsx_vector2.OPS,
    *vsx_storage.OPS,
    *vsx_quad.OPS,
    *vsx_convert.OPS,
    *vmx_bcd.OPS,
)

DECODER = Decoder(ALL_OPS)
decode = DECODER.decode
