"""An instruction's inline Python lines, translated into C that computes the same.

Translated blocks (engine/blocks.py) paste each hot instruction's inline lines,
the specialised semantics of its one description. The native engine compiles
those same lines, so nothing per instruction is written twice: this module
translates the subset of Python the integer, load/store and branch lines use
and refuses the rest, and a refused instruction leaves native code for the
Python engine (a *slow exit*).

Python's integers are unbounded and C's are not, so every expression carries
the interval its value is proven to lie in, starting from the state's
invariants (a GPR, LR, CTR, CFAR in [0, 2**64), CR in [0, 2**32), the XER
bits 0 or 1). An expression is emitted in one of two forms: *modular*, its
value modulo 2**64 as a ``u64`` (exact for ``+ - * & | ^ << ~``, which commute
with reduction), or *exact*, a C value equal to the Python one (``u64`` when
the interval is in [0, 2**64), ``i64`` or ``i128`` when it needs a sign or more
bits). Shifts right, comparisons and conditions take exact operands. A value
no C type holds, a store into the state that could break its invariant, or a
construct outside the subset is refused. A refusal is never a guess: the
instruction runs in Python.

A statement the subset does not hold (``c.read``/``c.write``, the data TLB's
miss path, any call to the vCPU, ``raise``) becomes a slow exit: native code
returns before the instruction, with the count of those before it, and the
Python engine runs it exactly. That is allowed only where the instruction has
written nothing yet on that path.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..isa.specialize import INLINE_GLOBALS

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1
U64 = (0, M64)
MAX_TEXT = 16_000  # characters of one instruction's C
I128 = (-(1 << 127), (1 << 127) - 1)

# vCPU attributes native code keeps in its state, with the invariant each holds.
STATE_ATTRS: dict[str, tuple[int, int]] = {
    "cr": (0, (1 << 32) - 1),
    "lr": U64,
    "ctr": U64,
    "cfar": U64,
    "so": (0, 1),
    "ov": (0, 1),
    "ca": (0, 1),
    "ov32": (0, 1),
    "ca32": (0, 1),
}
ATTR_BIT = {name: 1 << i for i, name in enumerate(STATE_ATTRS)}

# struct formats of the inline loads and stores: (bytes, signed).
_FORMATS = {"Q": (8, False), "q": (8, True), "I": (4, False), "i": (4, True),
            "H": (2, False), "h": (2, True), "B": (1, False), "b": (1, True)}  # fmt: skip

_CMP = {ast.Lt: "<", ast.Gt: ">", ast.LtE: "<=", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


class Refused(Exception):
    """The lines are outside the subset: the instruction runs in Python."""


class _Slow(Exception):
    """A statement outside the subset: the instruction leaves native code here."""


@dataclass(frozen=True)
class Val:
    """A translated expression: C text, its interval, and whether the text is modular."""

    text: str
    lo: int
    hi: int
    modular: bool  # text is the value mod 2**64 as u64 (else exact, of type ctype())
    pointer: bool = False

    def ctype(self) -> str:
        return _ctype(self.lo, self.hi)


def _ctype(lo: int, hi: int) -> str:
    if lo >= 0 and hi <= M64:
        return "u64"
    if lo >= -(1 << 63) and hi < 1 << 63:
        return "i64"
    if lo >= I128[0] and hi <= I128[1]:
        return "i128"
    raise Refused(f"no C type holds [{lo}, {hi}]")


def _mod(v: Val) -> str:
    """``v`` modulo 2**64 as u64."""
    if v.pointer:
        raise Refused("a page used as a number")
    return v.text if v.modular else f"((u64)({v.text}))"


def _exact(v: Val) -> str:
    """``v`` as a C value equal to the Python one."""
    if v.pointer:
        raise Refused("a page used as a number")
    t = _ctype(v.lo, v.hi)
    if not v.modular:
        return v.text
    if t == "u64":
        return v.text
    if t == "i64":
        return f"((i64)({v.text}))"
    raise Refused("a modular value outside 64 bits read exactly")


def _wide(v: Val) -> str:
    """``v`` exactly, as i128 (a common type for comparisons of mixed operands)."""
    return f"((i128)({_exact(v)}))"


@dataclass
class Instruction:
    """One instruction's C: its statements, what it writes, and where it may leave."""

    lines: list[str]
    gpr_writes: set[int] = field(default_factory=set)
    attrs: int = 0  # ATTR_BIT of the state attributes it writes
    slow: bool = False  # some path leaves native code before it
    writes: bool = False  # some path writes state (a register, memory, the next address)
    always_slow: bool = False  # every path does: not worth running natively


class _Translator:
    def __init__(self, pc_exit: str, pc_local: str) -> None:
        self.exit = pc_exit  # C statement: leave before this instruction
        self.pc = pc_local  # C lvalue of the next address
        self.env: dict[str, Val] = {}
        self.decl: dict[str, str] = {}  # local -> C declaration type
        self.out = Instruction([])
        self.wrote = False  # a state write precedes the statement being translated
        # Names the lines (scopes[0]) and the helpers being inlined (the rest) see.
        self.scopes: list[dict[str, Any]] = [INLINE_GLOBALS]

    # -- expressions -----------------------------------------------------------
    def expr(self, e: ast.expr) -> Val:
        if isinstance(e, ast.Constant):
            if isinstance(e.value, bool) or not isinstance(e.value, int):
                if e.value is None:
                    return Val("0", 0, 0, True, pointer=True)
                if isinstance(e.value, bool):
                    return Val(str(int(e.value)), int(e.value), int(e.value), True)
                raise Refused(f"constant {e.value!r}")
            num = e.value
            if 0 <= num <= M64:
                return Val(f"{num}ull", num, num, True)
            if -(1 << 63) <= num < 0:
                return Val(f"(-{-num - 1}ll - 1)", num, num, False)
            if I128[0] <= num <= I128[1]:
                hi, lo = (num >> 64) & M64, num & M64
                return Val(f"((i128)(((u128){hi}ull << 64) | {lo}ull))", num, num, False)
            raise Refused("constant outside 128 bits")
        if isinstance(e, ast.Name):
            if e.id in self.env:
                return self.env[e.id]
            if e.id == "M64":
                return Val(f"{M64}ull", M64, M64, True)
            if e.id == "M32":
                return Val("4294967295ull", M32, M32, True)
            for scope in reversed(self.scopes[1:]):  # a helper's globals and closure
                if e.id in scope:
                    c = scope[e.id]
                    if isinstance(c, int) and not isinstance(c, bool):
                        return self.expr(ast.Constant(c))
                    break
            raise _Slow(f"name {e.id}")
        if isinstance(e, ast.Subscript):
            if isinstance(e.value, ast.Name) and e.value.id in self.env:
                page = self.env[e.value.id]
                off = self.expr(e.slice)
                if not page.pointer or off.lo < 0 or off.hi > 4095:
                    raise Refused("a byte of a page not proven inside it")
                return Val(f"((u64){page.text}[{_exact(off)}])", 0, 255, True)
            if _is_gpr(e.value):
                k = _literal(e.slice)
                if k is None or not 0 <= k < 32:
                    raise _Slow("a GPR by computed index")
                return Val(f"g[{k}]", 0, M64, True)
            if (
                isinstance(e.value, ast.Call)
                and _is_name(e.value.func, "unpack_from")
                and _literal(e.slice) == 0
            ):
                return self.load(e.value)
            raise _Slow("subscript")
        if isinstance(e, ast.Attribute):
            if _is_name(e.value, "c") and e.attr in STATE_ATTRS:
                lo, hi = STATE_ATTRS[e.attr]
                return Val(f"s->{e.attr}", lo, hi, True)
            raise _Slow(f"attribute {ast.unparse(e)}")
        if isinstance(e, ast.BinOp):
            return self.binop(e)
        if isinstance(e, ast.UnaryOp):
            a = self.expr(e.operand)
            if isinstance(e.op, ast.USub):
                return Val(f"(-{_mod(a)})", -a.hi, -a.lo, True)
            if isinstance(e.op, ast.Invert):
                return Val(f"(~{_mod(a)})", -a.hi - 1, -a.lo - 1, True)
            if isinstance(e.op, ast.Not):
                return Val(f"(!{self.truth(a)})", 0, 1, True)
            raise Refused("unary +")
        if isinstance(e, ast.Compare):
            return self.compare(e)
        if isinstance(e, ast.IfExp):
            t = self.truth(self.expr(e.test))
            return _choose1(t, self.expr(e.body), self.expr(e.orelse))
        if isinstance(e, ast.BoolOp):
            vals = [self.expr(v) for v in e.values]
            if any(v.pointer for v in vals):
                raise Refused("boolean of pages")
            if all(v.lo >= 0 and v.hi <= 1 for v in vals):
                op = " && " if isinstance(e.op, ast.And) else " || "
                return Val("(" + op.join(self.truth(v) for v in vals) + ")", 0, 1, True)
            # Python's value semantics: `a and b` is a when a is false, else b.
            acc = vals[-1]
            for v in reversed(vals[:-1]):
                lo, hi = min(acc.lo, v.lo), max(acc.hi, v.hi)
                if isinstance(e.op, ast.And):
                    text = f"({self.truth(v)} ? {_wide(acc)} : {_wide(v)})"
                else:
                    text = f"({self.truth(v)} ? {_wide(v)} : {_wide(acc)})"
                _ctype(lo, hi)
                acc = Val(f"(({_ctype(lo, hi)}){text})", lo, hi, False)
            return acc
        if isinstance(e, ast.Call):
            return self.call(e)
        raise _Slow(type(e).__name__)

    def truth(self, v: Val) -> str:
        if v.pointer:
            return f"({v.text} != 0)"
        if v.lo >= 0 and v.hi <= 1:
            return f"({_mod(v)} != 0)"
        return f"({_exact(v)} != 0)"

    def binop(self, e: ast.BinOp) -> Val:
        a, b = self.expr(e.left), self.expr(e.right)
        op = e.op
        if a.lo == a.hi and b.lo == b.hi and not (a.pointer or b.pointer):
            folded = _fold(op, a.lo, b.lo)
            if folded is not None:
                return self.expr(ast.Constant(folded))
        if isinstance(op, (ast.FloorDiv, ast.Mod)):
            # Only where Python's floor and C's truncation agree and nothing raises.
            if a.lo < 0 or b.lo < 1 or a.hi > M64 or b.hi > M64:
                raise Refused("division not proven non-negative by a non-zero divisor")
            if isinstance(op, ast.FloorDiv):
                return Val(f"({_exact(a)} / {_exact(b)})", a.lo // b.hi, a.hi // b.lo, True)
            return Val(f"({_exact(a)} % {_exact(b)})", 0, min(a.hi, b.hi - 1), True)
        if isinstance(op, (ast.Add, ast.Sub, ast.Mult)):
            if isinstance(op, ast.Add):
                lo, hi, sym = a.lo + b.lo, a.hi + b.hi, "+"
            elif isinstance(op, ast.Sub):
                lo, hi, sym = a.lo - b.hi, a.hi - b.lo, "-"
            else:
                ps = (a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi)
                lo, hi, sym = min(ps), max(ps), "*"
            if I128[0] <= lo and hi <= I128[1] and not (lo >= -(1 << 63) and hi <= M64):
                # Needs more than 64 bits exactly (a full product, a carry): in i128.
                return Val(f"({_wide(a)} {sym} {_wide(b)})", lo, hi, False)
            return Val(f"({_mod(a)} {sym} {_mod(b)})", lo, hi, True)
        if isinstance(op, (ast.BitAnd, ast.BitOr, ast.BitXor)):
            lo, hi = _bitwise(op, a, b)
            sym = {ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}[type(op)]
            if lo >= -(1 << 63) and hi <= M64:
                return Val(f"({_mod(a)} {sym} {_mod(b)})", lo, hi, True)
            return Val(f"({_wide(a)} {sym} {_wide(b)})", lo, hi, False)
        if isinstance(op, ast.LShift):
            if b.lo < 0:
                raise Refused("negative shift")
            if b.hi > 127:
                raise Refused("shift past 127")
            lo = min(a.lo, a.lo << b.hi)
            hi = max(a.hi, a.hi << b.hi)
            if b.lo == b.hi:
                if lo >= -(1 << 63) and hi <= M64 and b.hi < 64:
                    return Val(f"({_mod(a)} << {b.lo})", lo, hi, True)
                if b.hi < 64:
                    # The bits shifted past 64 are kept: shift in 128 bits.
                    _ctype(lo, hi)
                    return Val(f"({_wide(a)} << {b.lo})", lo, hi, False)
                if lo >= -(1 << 63) and hi <= M64:
                    return Val("0ull", lo, hi, True)  # every bit shifted out of 64
                raise Refused("shift past 64 of a wide value")
            n = _exact(b)
            if lo >= -(1 << 63) and hi <= M64:
                return Val(f"({n} >= 64 ? 0ull : {_mod(a)} << {n})", lo, hi, True)
            _ctype(lo, hi)
            return Val(f"((i128)({_wide(a)} << {n}))", lo, hi, False)
        if isinstance(op, ast.RShift):
            if b.lo < 0:
                raise Refused("negative shift")
            corners = [x >> y for x in (a.lo, a.hi) for y in (b.lo, min(b.hi, 256))]
            lo, hi = min(corners), max(corners)
            t = _ctype(a.lo, a.hi)
            width = 128 if t == "i128" else 64
            if b.lo == b.hi:
                k = b.lo
                if k >= width:
                    return Val(
                        "0ull" if a.lo >= 0 else f"({_exact(a)} < 0 ? -1 : 0)", lo, hi, a.lo >= 0
                    )
                return Val(f"({_exact(a)} >> {k})", lo, hi, False)
            n = _exact(b)
            fill = "0" if a.lo >= 0 else f"({_exact(a)} < 0 ? -1 : 0)"
            return Val(f"(({t})({n} >= {width} ? {fill} : {_exact(a)} >> {n}))", lo, hi, False)
        raise _Slow(type(op).__name__)

    def compare(self, e: ast.Compare) -> Val:
        parts = []
        left = self.expr(e.left)
        for op, right_e in zip(e.ops, e.comparators, strict=True):
            right = self.expr(right_e)
            if isinstance(op, (ast.Is, ast.IsNot)):
                if not (left.pointer and right.pointer):
                    raise Refused("`is` of numbers")
                sym = "==" if isinstance(op, ast.Is) else "!="
                parts.append(f"({left.text} {sym} {right.text})")
            elif type(op) in _CMP:
                sym = _CMP[type(op)]
                if _ctype(left.lo, left.hi) == "u64" and _ctype(right.lo, right.hi) == "u64":
                    parts.append(f"({_exact(left)} {sym} {_exact(right)})")
                else:
                    parts.append(f"({_wide(left)} {sym} {_wide(right)})")
            else:
                raise Refused(type(op).__name__)
            left = right
        return Val("(" + " && ".join(parts) + ")", 0, 1, True)

    def call(self, e: ast.Call) -> Val:
        f = e.func
        if e.keywords:
            raise _Slow("keywords")
        if _is_name(f, "s64") and len(e.args) == 1:
            a = self.expr(e.args[0])
            if not (a.lo >= 0 and a.hi <= M64):
                raise Refused("s64 of a value outside 64 bits")
            return Val(f"((i64){_mod(a)})", -(1 << 63), (1 << 63) - 1, False)
        if _is_name(f, "int") and len(e.args) == 1:
            a = self.expr(e.args[0])
            if a.pointer:
                raise Refused("int of a page")
            return a
        if (
            isinstance(f, ast.Attribute)
            and f.attr == "get"
            and isinstance(f.value, ast.Name)
            and f.value.id in ("tl", "ts")
            and len(e.args) == 1
        ):
            key = self.expr(e.args[0])
            if key.lo < 0 or key.hi > M64:
                raise Refused("page number outside 64 bits")
            kind = 0 if f.value.id == "tl" else 1
            return Val(f"page(s, {kind}, {_exact(key)})", 0, 0, False, pointer=True)
        if isinstance(f, ast.Attribute) and f.attr == "bit_length" and not e.args:
            a = self.expr(f.value)
            if a.lo < 0 or a.hi > M64:
                raise Refused("bit_length outside [0, 2**64)")
            x = _exact(a)
            return Val(f"({x} ? 64ull - (u64)__builtin_clzll({x}) : 0ull)",
                       a.lo.bit_length(), a.hi.bit_length(), True)  # fmt: skip
        if isinstance(f, ast.Name):
            fn = self.function(f.id)
            if fn is not None:
                v = self.inline(fn, [self.value(x) for x in e.args])
                if isinstance(v, tuple):
                    raise Refused("a tuple used as a number")
                return v
        raise _Slow(f"call {ast.unparse(f)}")

    def value(self, e: ast.expr) -> Val | tuple[Val, ...]:
        """An expression that may be a tuple (a helper's results), or a Val."""
        if isinstance(e, ast.Tuple):
            return tuple(self.expr(x) for x in e.elts)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and not e.keywords:
            fn = self.function(e.func.id)
            if fn is not None:
                return self.inline(fn, [self.value(x) for x in e.args])
        return self.expr(e)

    def function(self, name: str) -> Any:
        """The pure helper ``name`` refers to here (a function whose body is inlined), or None."""
        if name in self.env or name in ("s64", "int"):
            return None
        for scope in reversed(self.scopes):
            if name in scope:
                obj = scope[name]
                return obj if isinstance(obj, types.FunctionType) else None
        return None

    def inline(
        self, fn: types.FunctionType, args: list[Val | tuple[Val, ...]]
    ) -> Val | tuple[Val, ...]:
        """The value of ``fn(*args)``: its body evaluated on the arguments' values, in C."""
        if len(self.scopes) > 8:
            raise Refused("helpers nested too deep")
        fdef = _function_ast(fn)
        params = [a.arg for a in fdef.args.args]
        if fdef.args.vararg or fdef.args.kwonlyargs or fdef.args.kwarg or len(args) != len(params):
            raise Refused(f"{fn.__name__}'s arguments")
        scope: dict[str, Any] = dict(fn.__globals__)
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=True):
            scope[name] = cell.cell_contents
        env: dict[str, Val] = {}
        for p, v in zip(params, args, strict=True):
            if isinstance(v, tuple):
                raise Refused("a tuple argument")
            env[p] = v
        saved = self.env
        self.env = env
        self.scopes.append(scope)
        try:
            return self.evaluate(fdef.body)
        finally:
            self.scopes.pop()
            self.env = saved

    def evaluate(self, body: Sequence[ast.stmt]) -> Val | tuple[Val, ...]:
        """A helper's statements (locals, ``if ...: return``, ``return``) as one value."""
        for i, st in enumerate(body):
            if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
                continue  # a docstring
            if isinstance(st, ast.Assign) and all(isinstance(t, ast.Name) for t in st.targets):
                v = self.value(st.value)
                for t in st.targets:
                    if isinstance(v, tuple):
                        raise Refused("a tuple bound to one name")
                    self.env[t.id] = v  # type: ignore[attr-defined]
                continue
            if (
                isinstance(st, ast.Assign)
                and len(st.targets) == 1
                and isinstance(st.targets[0], ast.Tuple)
            ):
                v = self.value(st.value)
                names = st.targets[0].elts
                if not isinstance(v, tuple) or len(v) != len(names):
                    raise Refused("tuple assignment shape")
                for t, x in zip(names, v, strict=True):
                    if not isinstance(t, ast.Name):
                        raise Refused("tuple target")
                    self.env[t.id] = x
                continue
            if isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name):
                self.env[st.target.id] = self.expr(
                    ast.BinOp(left=ast.Name(st.target.id, ast.Load()), op=st.op, right=st.value)
                )
                continue
            if isinstance(st, ast.Return) and st.value is not None:
                return self.value(st.value)
            if isinstance(st, ast.If):
                rest = list(body[i + 1 :])
                then = list(st.body) + ([] if _returns(st.body) else rest)
                other = (
                    (list(st.orelse) + ([] if _returns(st.orelse) else rest)) if st.orelse else rest
                )
                test = self.truth(self.expr(st.test))
                env = dict(self.env)
                self.env.update(self.narrowed(st.test))
                a = self.evaluate(then)
                self.env = dict(env)
                self.env.update(self.narrowed(st.test, negate=True))
                b = self.evaluate(other)
                self.env = env
                return _choose(test, a, b)
            raise Refused(f"helper statement {type(st).__name__}")
        raise Refused("a helper that returns nothing")

    def load(self, call: ast.Call) -> Val:
        fmt, size, signed, page, off = self.access(call, 3)
        text = f"ld{size * 8}{'le' if fmt[0] == '<' else 'be'}({page}, {off})"
        if signed:
            bits = size * 8
            return Val(f"((i64)(int{bits}_t){text})", -(1 << (bits - 1)),
                       (1 << (bits - 1)) - 1, False)  # fmt: skip
        return Val(f"((u64){text})", 0, (1 << (size * 8)) - 1, True)

    def access(self, call: ast.Call, nargs: int) -> tuple[str, int, bool, str, str]:
        if len(call.args) != nargs or call.keywords:
            raise Refused("struct call shape")
        fmt = _literal_str(call.args[0])
        if fmt is None or len(fmt) != 2 or fmt[0] not in "<>" or fmt[1] not in _FORMATS:
            if fmt is not None and len(fmt) == 1 and fmt in "Bb":
                fmt = ">" + fmt
            else:
                raise _Slow(f"struct format {fmt!r}")
        size, signed = _FORMATS[fmt[1]]
        page = self.expr(call.args[1])
        if not page.pointer:
            raise Refused("struct access to a non-page")
        off = self.expr(call.args[2])
        if off.lo < 0 or off.hi > 4096 - size:
            raise Refused("struct offset not proven inside the page")
        return fmt, size, signed, page.text, _exact(off)

    # -- statements ------------------------------------------------------------
    def block(self, body: Sequence[ast.stmt], ind: str) -> list[str]:
        out: list[str] = []
        for s in body:
            try:
                out += self.stmt(s, ind)
            except _Slow:
                if self.wrote:
                    raise Refused("leaves after writing state") from None
                self.out.slow = True
                out.append(ind + self.exit)
                return out  # the rest of this path is not reached
        return out

    def stmt(self, s: ast.stmt, ind: str) -> list[str]:
        if isinstance(s, ast.Assign):
            if len(s.targets) == 1 and isinstance(s.targets[0], ast.Tuple):
                vals = self.value(s.value)
                names = s.targets[0].elts
                if not isinstance(vals, tuple) or len(vals) != len(names):
                    raise Refused("tuple assignment shape")
                out = []
                for t, x in zip(names, vals, strict=True):
                    out += self.assign(t, x, ind)
                return out
            v = self.expr(s.value)
            out = []
            for t in s.targets:
                out += self.assign(t, v, ind)
            return out
        if isinstance(s, ast.AugAssign):
            v = self.expr(ast.BinOp(left=_load(s.target), op=s.op, right=s.value))
            return self.assign(s.target, v, ind)
        if isinstance(s, ast.If):
            test = self.truth(self.expr(s.test))
            before, wrote = dict(self.env), self.wrote
            self.env.update(self.narrowed(s.test))
            body = self.block(s.body, ind + "    ")
            env_a, wrote_a = self.env, self.wrote
            self.env, self.wrote = dict(before), wrote
            orelse = self.block(s.orelse, ind + "    ")
            self.env = _join(env_a, self.env)
            self.wrote = wrote_a or self.wrote
            out = [ind + f"if {test} {{", *body, ind + "}"]
            if orelse:
                out[-1] = ind + "} else {"
                out += orelse + [ind + "}"]
            return out
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):
            f = s.value.func
            if _is_name(f, "pack_into"):
                fmt, size, _signed, page, off = self.access(s.value, 4)
                v = self.expr(s.value.args[3])
                lo, hi = (
                    (-(1 << (size * 8 - 1)), (1 << (size * 8 - 1)) - 1)
                    if _signed
                    else (0, (1 << (size * 8)) - 1)
                )
                if v.lo < lo or v.hi > hi:
                    raise Refused("stored value not proven to fit its format")
                self.wrote = self.out.writes = True
                return [ind + f"st{size * 8}{'le' if fmt[0] == '<' else 'be'}"
                        f"({page}, {off}, {_mod(v)});"]  # fmt: skip
            raise _Slow(f"call {ast.unparse(f)}")
        if isinstance(s, ast.Pass):
            return []
        raise _Slow(type(s).__name__)

    def assign(self, t: ast.expr, v: Val, ind: str) -> list[str]:
        if isinstance(t, ast.Name):
            if t.id == "pc":
                self._fits(v, U64, "next address")
                self.wrote = self.out.writes = True
                return [ind + f"{self.pc} = {_mod(v)};"]
            if t.id in ("g", "c", "tl", "ts", "vs", "M64", "M32"):
                raise Refused(f"assigns {t.id}")
            name = "v" + t.id
            if v.pointer:
                if self.decl.setdefault(name, "u8 *") != "u8 *":
                    raise Refused("a local both page and number")
                self.env[t.id] = Val(name, 0, 0, False, pointer=True)
                return [ind + f"{name} = {v.text};"]
            if self.decl.setdefault(name, "i128") != "i128":
                raise Refused("a local both page and number")
            _ctype(v.lo, v.hi)
            # Kept exactly in a 128-bit local; read back in the narrowest form its
            # interval allows.
            self.env[t.id] = Val(f"(({_ctype(v.lo, v.hi)}){name})", v.lo, v.hi, False)
            return [ind + f"{name} = (i128){_exact(v)};"]
        if (
            isinstance(t, ast.Subscript)
            and isinstance(t.value, ast.Name)
            and t.value.id in self.env
        ):
            page = self.env[t.value.id]
            off = self.expr(t.slice)
            if not page.pointer or off.lo < 0 or off.hi > 4095 or v.lo < 0 or v.hi > 255:
                raise Refused("a byte store not proven inside the page and a byte")
            self.wrote = self.out.writes = True
            return [ind + f"{page.text}[{_exact(off)}] = (u8){_mod(v)};"]
        if isinstance(t, ast.Subscript) and _is_gpr(t.value):
            k = _literal(t.slice)
            if k is None or not 0 <= k < 32:
                raise _Slow("a GPR by computed index")
            self._fits(v, U64, f"r{k}")
            self.wrote = self.out.writes = True
            self.out.gpr_writes.add(k)
            return [ind + f"g[{k}] = {_mod(v)};"]
        if isinstance(t, ast.Attribute) and _is_name(t.value, "c") and t.attr in STATE_ATTRS:
            self._fits(v, STATE_ATTRS[t.attr], t.attr)
            self.wrote = self.out.writes = True
            self.out.attrs |= ATTR_BIT[t.attr]
            return [ind + f"s->{t.attr} = {_mod(v)};"]
        raise _Slow(f"assigns {ast.unparse(t)}")

    def narrowed(self, test: ast.expr, negate: bool = False) -> dict[str, Val]:
        """Locals whose interval ``test`` (false, with ``negate``) narrows (``_o <= 4088``)."""
        out: dict[str, Val] = {}
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and not negate:
            for part in test.values:
                out.update(self.narrowed(part))
            return out
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) and negate:
            for part in test.values:
                out.update(self.narrowed(part, negate=True))
            return out
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.narrowed(test.operand, not negate)
        if isinstance(test, ast.Name) and not negate:
            test = ast.Compare(test, [ast.NotEq()], [ast.Constant(0)])
        elif isinstance(test, ast.Name):
            test = ast.Compare(test, [ast.Eq()], [ast.Constant(0)])
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
            return out
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(right, ast.Name) and _literal(left) is not None:
            flip = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE,
                    ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}  # fmt: skip
            if type(op) not in flip:
                return out
            left, right, op = right, left, flip[type(op)]()
        if negate:
            inverse = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt,
                       ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}  # fmt: skip
            if type(op) not in inverse:
                return out
            op = inverse[type(op)]()
        k = _literal(right)
        if not isinstance(left, ast.Name) or left.id not in self.env or k is None:
            return out
        v = self.env[left.id]
        if v.pointer:
            return out
        lo, hi = v.lo, v.hi
        if isinstance(op, ast.LtE):
            hi = min(hi, k)
        elif isinstance(op, ast.Lt):
            hi = min(hi, k - 1)
        elif isinstance(op, ast.GtE):
            lo = max(lo, k)
        elif isinstance(op, ast.Gt):
            lo = max(lo, k + 1)
        elif isinstance(op, ast.Eq):
            lo, hi = max(lo, k), min(hi, k)
        elif isinstance(op, ast.NotEq):
            if k == lo:
                lo += 1
            elif k == hi:
                hi -= 1
        else:
            return out
        if lo > hi:
            return out  # the branch is never taken: nothing to narrow to
        out[left.id] = Val(f"(({_ctype(lo, hi)}){_exact(v)})", lo, hi, False)
        return out

    @staticmethod
    def _fits(v: Val, bounds: tuple[int, int], what: str) -> None:
        if v.pointer or v.lo < bounds[0] or v.hi > bounds[1]:
            raise Refused(f"{what} not proven in [{bounds[0]}, {bounds[1]}]")


def _bitwise(op: ast.operator, a: Val, b: Val) -> tuple[int, int]:
    if isinstance(op, ast.BitAnd):
        if a.lo >= 0 and b.lo >= 0:
            return 0, min(a.hi, b.hi)
        if a.lo >= 0:
            return 0, a.hi
        if b.lo >= 0:
            return 0, b.hi
    elif a.lo >= 0 and b.lo >= 0:
        top = (1 << max(a.hi.bit_length(), b.hi.bit_length())) - 1
        return (max(a.lo, b.lo) if isinstance(op, ast.BitOr) else 0), top
    k = max(abs(x).bit_length() for x in (a.lo, a.hi, b.lo, b.hi)) + 1
    return -(1 << k), (1 << k) - 1


def _join(a: dict[str, Val], b: dict[str, Val]) -> dict[str, Val]:
    out = {}
    for k in a.keys() & b.keys():
        x, y = a[k], b[k]
        if x.pointer or y.pointer:
            if x.pointer and y.pointer:
                out[k] = x
            continue
        lo, hi = min(x.lo, y.lo), max(x.hi, y.hi)
        out[k] = Val(f"(({_ctype(lo, hi)})v{k})", lo, hi, False)
    return out


def _fold(op: ast.operator, a: int, b: int) -> int | None:
    """``a op b`` for two constants, or None where Python would raise or it is not folded."""
    try:
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.BitAnd):
            return a & b
        if isinstance(op, ast.BitOr):
            return a | b
        if isinstance(op, ast.BitXor):
            return a ^ b
        if isinstance(op, ast.LShift) and 0 <= b <= 256:
            return a << b
        if isinstance(op, ast.RShift) and b >= 0:
            return a >> b
        if isinstance(op, ast.FloorDiv) and b:
            return a // b
        if isinstance(op, ast.Mod) and b:
            return a % b
    except (OverflowError, ValueError):
        return None
    return None


def _returns(body: Sequence[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], ast.Return)


def _choose(test: str, a: Val | tuple[Val, ...], b: Val | tuple[Val, ...]) -> Val | tuple[Val, ...]:
    """``a if test else b``, element by element for tuples (C's ?: evaluates one side)."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        if not (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)):
            raise Refused("a helper's returns differ in shape")
        return tuple(_choose1(test, x, y) for x, y in zip(a, b, strict=True))
    return _choose1(test, a, b)


def _choose1(test: str, a: Val, b: Val) -> Val:
    if a.pointer or b.pointer:
        raise Refused("conditional page")
    lo, hi = min(a.lo, b.lo), max(a.hi, b.hi)
    if lo >= 0 and hi <= M64 or (a.modular and b.modular):
        return Val(f"({test} ? {_mod(a)} : {_mod(b)})", lo, hi, True)
    ty = _ctype(lo, hi)
    return Val(f"({test} ? ({ty}){_exact(a)} : ({ty}){_exact(b)})", lo, hi, False)


_ASTS: dict[types.CodeType, ast.FunctionDef] = {}


def _function_ast(fn: types.FunctionType) -> ast.FunctionDef:
    tree = _ASTS.get(fn.__code__)
    if tree is None:
        try:
            src = textwrap.dedent(inspect.getsource(fn))
        except (OSError, TypeError) as exc:
            raise Refused(f"no source for {fn.__name__}") from exc
        node = ast.parse(src).body[0]
        if not isinstance(node, ast.FunctionDef) or node.decorator_list:
            raise Refused(f"{fn.__name__} is not a plain function")
        tree = _ASTS[fn.__code__] = node
    return tree


def _is_gpr(e: ast.expr) -> bool:
    """``g`` or ``c.gpr``: the GPRs."""
    return _is_name(e, "g") or (
        isinstance(e, ast.Attribute) and e.attr == "gpr" and _is_name(e.value, "c")
    )


def _is_name(e: ast.expr, name: str) -> bool:
    return isinstance(e, ast.Name) and e.id == name


def _literal(e: ast.expr) -> int | None:
    if isinstance(e, ast.Constant) and isinstance(e.value, int) and not isinstance(e.value, bool):
        return e.value
    return None


def _literal_str(e: ast.expr) -> str | None:
    if isinstance(e, ast.Constant) and isinstance(e.value, str):
        return e.value
    return None


def _load(t: ast.expr) -> ast.expr:
    n = ast.parse(ast.unparse(t), mode="eval").body
    return n


def instruction(lines: Sequence[str], index: int, pc: int) -> Instruction:
    """The C of one instruction's inline lines (``index`` in its block, at ``pc``).

    Raises Refused when a construct is outside the subset on a path that has
    written state already (or anywhere the meaning would be a guess). The
    translation of the same lines is made once per process; only the exit's
    index and address differ from one place to another.
    """
    key = tuple(lines)
    done = _TRANSLATED.get(key)
    if done is None:
        try:
            done = _translate(key)
        except Refused as exc:
            done = exc
        _TRANSLATED[key] = done
    if isinstance(done, Refused):
        raise done
    exit_ = _exit(index, pc)
    return Instruction(
        [line.replace(_EXIT, exit_) for line in done.lines],
        done.gpr_writes,
        done.attrs,
        done.slow,
        done.writes,
        done.always_slow,
    )


_EXIT = "{ s->left_at = @I; return @PC; }"  # filled in with each place's index and address
_TRANSLATED: dict[tuple[str, ...], Instruction | Refused] = {}


def _translate(lines: tuple[str, ...]) -> Instruction:
    text = "\n".join(ln for ln in lines if ln.strip() != "@CHECK")
    if "@SLOTS" in text:
        # A time read: the clock inside a chunk is Python's to account.
        return Instruction([f"    {_EXIT}"], slow=True, always_slow=True)
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise Refused(f"not Python: {exc}") from None
    tr = _Translator(_EXIT, "npc")
    body = tr.block(tree.body, "    ")
    if sum(len(line) for line in body) > MAX_TEXT:
        raise Refused("the C text is too long (helpers inlined into each other)")
    out = tr.out
    decls = [f"    {ty} {name};" if ty != "u8 *" else f"    u8 *{name};"
             for name, ty in sorted(tr.decl.items())]  # fmt: skip
    out.lines = ["  {", *decls, *body, "  }"]
    # Every path leaves when none writes anything (lfs: its fast path leaves at the FPU
    # helper): not worth entering native code for.
    out.always_slow = out.slow and not out.writes
    return out


def _exit(index: int, pc: int) -> str:
    return f"{{ s->left_at = {index}; return {pc}ull; }}"
