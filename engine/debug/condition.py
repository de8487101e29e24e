"""Breakpoint conditions: a small, safe expression language over registers, memory and vCPU id.

A condition is compiled once, when the breakpoint is set, and evaluated on every hit, so
errors are reported at compile time with the column they occur at, and evaluation is a
tree of plain Python closures (no ``eval``, no Python ``ast``).

The language
============

Values
    Every value is a 64-bit unsigned integer; arithmetic wraps modulo 2**64.

    - integers: decimal ``42``, hexadecimal ``0x2a``, binary ``0b101010`` (at most 2**64 - 1);
    - registers, case-insensitive: ``r0``-``r31``, ``pc`` (or ``nia``), ``msr``, ``cr``,
      ``lr``, ``ctr``, ``xer``, ``f0``-``f31`` (the raw binary64 bit pattern), ``fpscr`` and
      the SPR names of the register API (``srr0``, ``srr1``, ``dar``, ``lpcr``, ...);
    - ``vcpu``: the index of the vCPU that hit the breakpoint;
    - memory: ``mem8[addr]``, ``mem16[addr]``, ``mem32[addr]``, ``mem64[addr]`` read 1, 2, 4
      or 8 bytes at ``addr``, in the guest's byte order, zero-extended;
    - ``signed(x)``: the same 64 bits, read as two's complement (see below);
      ``unsigned(x)`` reads them as unsigned again.

Operators, from the tightest binding to the loosest (as in C; all binary operators
associate to the left, so ``a - b - c`` is ``(a - b) - c``):

    ====================================  ==========================================
    ``-x  +x  ~x  !x  not x``              negate, plus, bitwise not, logical not
    ``*  /  %``                            multiply, divide, remainder
    ``+  -``                               add, subtract
    ``<<  >>``                             shifts
    ``<  <=  >  >=``                       ordered comparisons
    ``==  !=``                             equality
    ``&``                                  bitwise and
    ``^``                                  bitwise exclusive or
    ``|``                                  bitwise or
    ``&&  and``                            logical and (short-circuit)
    ``||  or``                             logical or (short-circuit)
    ====================================  ==========================================

    Parentheses group. Comparisons and logical operators give 1 (true) or 0 (false); the
    condition holds when the whole expression is not 0. ``not`` is exactly ``!``: it binds
    like a C unary operator, so write ``not (r3 == 0)``, not ``not r3 == 0``.

Signedness
    Values are unsigned unless ``signed(...)`` says otherwise. An operation is signed when
    either operand is signed (``>>``: when its left operand is), and its result is signed;
    comparisons and logical operators give an unsigned 0 or 1. Signed makes a difference
    only to ``< <= > >=`` (two's-complement order), ``/`` (truncates towards zero), ``%``
    (takes the sign of the dividend) and ``>>`` (copies the sign bit). So
    ``signed(r3) < 0`` is true when r3 holds a negative number, and ``r3 < 0`` never is.

Shifts
    The shift count is the whole 64-bit right operand: a count of 64 or more gives 0
    (``>>`` of a negative signed value gives -1).

When a condition cannot be evaluated
    A division or remainder by zero, or a memory read that faults (outside RAM, or an
    effective address that does not translate), makes the **whole condition false**: the
    breakpoint does not stop. ``Condition.evaluate`` never raises for these;
    ``Condition.check`` reports why it was false. A constant division by zero
    (``1 / 0``) is rejected when the condition is compiled.

Limits
    A condition is at most 1,000 characters long, nests parentheses, brackets and unary
    operators at most 64 deep, and has at most 256 levels of operators in all.

Examples::

    r3 == 0x10 && vcpu == 1
    mem32[r1 + 8] != 0 || signed(r4) < -1
    (msr & 0x8000) == 0 and lr >= 0xc000000000000000
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from ..bits import M64
from ..memory import MemoryFault
from ..registers import UnknownRegister, canonical

MAX_LENGTH = 1000
MAX_NESTING = 64
MAX_DEPTH = 256

_SIGN = 1 << 63


class ConditionError(ValueError):
    """A condition that does not compile; ``column`` is 1-based."""

    def __init__(self, reason: str, column: int) -> None:
        super().__init__(f"{reason} at column {column}")
        self.reason = reason
        self.column = column

    def __reduce__(self) -> tuple[object, ...]:
        return (ConditionError, (self.reason, self.column))


class Env(Protocol):
    """What a condition reads. The controller adapts a stopped vCPU to it."""

    vcpu: int

    def reg(self, name: str) -> int:
        """The register's value; ``name`` is canonical (``engine.registers.canonical``)."""
        ...

    def mem(self, address: int, size: int) -> int:
        """``size`` bytes at ``address`` in the guest's byte order; MemoryFault when it fails."""
        ...


Fn = Callable[[Env], int]


class Verdict(NamedTuple):
    value: bool
    error: str | None  # why the condition could not be evaluated (and so is false)


class Condition:
    """A compiled condition. Immutable and safe to share between vCPUs and threads."""

    __slots__ = ("source", "_fn")

    def __init__(self, source: str, fn: Fn) -> None:
        self.source = source
        self._fn = fn

    def evaluate(self, env: Env) -> bool:
        """True when the condition holds; false too when it divides by zero or a read faults."""
        try:
            return self._fn(env) != 0
        except (ZeroDivisionError, MemoryFault):
            return False

    def check(self, env: Env) -> Verdict:
        """As ``evaluate``, with the reason when the condition could not be evaluated."""
        try:
            return Verdict(self._fn(env) != 0, None)
        except ZeroDivisionError:
            return Verdict(False, "division by zero")
        except MemoryFault as e:
            return Verdict(False, f"memory fault: {e}")

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # The compiled function does not pickle: a worker process's breakpoints cross as
        # their source, compiled again on the other side.
        return (compile_condition, (self.source,))


def compile_condition(text: str) -> Condition:
    """Parse and validate ``text`` once; raise ConditionError naming the problem and column."""
    if len(text) > MAX_LENGTH:
        raise ConditionError(
            f"condition is {len(text)} characters long, the limit is {MAX_LENGTH}",
            MAX_LENGTH + 1,
        )
    parser = _Parser(text, _tokenize(text))
    return Condition(text, parser.parse())


# -- tokens ---------------------------------------------------------------------------

_NUM, _NAME, _OP, _END = "number", "name", "op", "end"

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<number>[0-9][0-9A-Za-z_]*)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!<>()\[\]])"
)


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    text: str
    col: int  # 1-based
    value: int = 0


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            hint = "; did you mean '=='?" if ch == "=" else ""
            raise ConditionError(f"unexpected character {ch!r}{hint}", pos + 1)
        kind = m.lastgroup
        s = m.group()
        if kind == _NUM:
            toks.append(_Tok(_NUM, s, pos + 1, _number(s, pos + 1)))
        elif kind == _NAME:
            toks.append(_Tok(_NAME, s, pos + 1))
        elif kind == _OP:
            toks.append(_Tok(_OP, s, pos + 1))
        pos = m.end()
    toks.append(_Tok(_END, "", len(text) + 1))
    return toks


def _number(s: str, col: int) -> int:
    low = s.lower()
    base, digits = 10, low
    if low.startswith("0x"):
        base, digits = 16, low[2:]
    elif low.startswith("0b"):
        base, digits = 2, low[2:]
    valid = "0123456789abcdef"[:base]
    if not digits or any(c not in valid for c in digits):
        raise ConditionError(f"malformed number {s!r}", col)
    value = int(digits, base)
    if value > M64:
        raise ConditionError(f"number {s} does not fit in 64 bits", col)
    return value


# -- operations on 64-bit patterns ----------------------------------------------------


def _s(v: int) -> int:
    return v - (1 << 64) if v & _SIGN else v


def _add(a: int, b: int) -> int:
    return (a + b) & M64


def _sub(a: int, b: int) -> int:
    return (a - b) & M64


def _mul(a: int, b: int) -> int:
    return (a * b) & M64


def _udiv(a: int, b: int) -> int:
    return a // b  # b == 0 raises ZeroDivisionError: the condition is false


def _umod(a: int, b: int) -> int:
    return a % b


def _sdiv(a: int, b: int) -> int:
    # C semantics: the quotient truncates towards zero; INT64_MIN / -1 wraps to INT64_MIN.
    sa, sb = _s(a), _s(b)
    q = abs(sa) // abs(sb)
    return (-q if (sa < 0) != (sb < 0) else q) & M64


def _smod(a: int, b: int) -> int:
    sa, sb = _s(a), _s(b)
    r = abs(sa) % abs(sb)
    return (-r if sa < 0 else r) & M64


def _shl(a: int, b: int) -> int:
    # Guard the count: Python would otherwise build a huge integer for ``1 << r3``.
    return (a << b) & M64 if b < 64 else 0


def _shr(a: int, b: int) -> int:
    return a >> b if b < 64 else 0


def _sar(a: int, b: int) -> int:
    return (_s(a) >> min(b, 63)) & M64


def _scmp(cmp: Callable[[int, int], bool]) -> Callable[[int, int], bool]:
    # Flipping the sign bit maps two's-complement order onto unsigned order.
    return lambda a, b: cmp(a ^ _SIGN, b ^ _SIGN)


# (unsigned, signed) implementation of each binary operator, and its binding power.
_BINARY: dict[str, tuple[int, Callable[[int, int], int], Callable[[int, int], int]]] = {
    "*": (10, _mul, _mul),
    "/": (10, _udiv, _sdiv),
    "%": (10, _umod, _smod),
    "+": (9, _add, _add),
    "-": (9, _sub, _sub),
    "<<": (8, _shl, _shl),
    ">>": (8, _shr, _sar),
    "<": (7, operator.lt, _scmp(operator.lt)),
    "<=": (7, operator.le, _scmp(operator.le)),
    ">": (7, operator.gt, _scmp(operator.gt)),
    ">=": (7, operator.ge, _scmp(operator.ge)),
    "==": (6, operator.eq, operator.eq),
    "!=": (6, operator.ne, operator.ne),
    "&": (5, operator.and_, operator.and_),
    "^": (4, operator.xor, operator.xor),
    "|": (3, operator.or_, operator.or_),
}
_LOGICAL = {"&&": 2, "and": 2, "||": 1, "or": 1}
_GIVES_TRUTH = frozenset({"<", "<=", ">", ">=", "==", "!="})

_UNARY: dict[str, Callable[[int], int]] = {
    "-": lambda a: -a & M64,
    "+": lambda a: a,
    "~": lambda a: a ^ M64,
    "!": lambda a: int(a == 0),
    "not": lambda a: int(a == 0),
}

_MEM_SIZES = {"mem8": 1, "mem16": 2, "mem32": 4, "mem64": 8}


# -- the parser: precedence climbing straight to closures ---------------------------


@dataclass(frozen=True, slots=True)
class _Expr:
    fn: Fn
    signed: bool = False
    const: int | None = None  # known at compile time: folded into its users
    depth: int = 1


def _const(value: int, signed: bool = False) -> _Expr:
    return _Expr(lambda env: value, signed, value)


class _Parser:
    def __init__(self, text: str, toks: list[_Tok]) -> None:
        self.text = text
        self.toks = toks
        self.i = 0
        self.nesting = 0

    def parse(self) -> Fn:
        if self.toks[0].kind == _END:
            raise ConditionError("empty condition", 1)
        e = self.expr(0)
        t = self.peek()
        if t.kind != _END:
            if t.text == ")":
                raise ConditionError("unexpected ')' with no matching '('", t.col)
            raise ConditionError(f"unexpected {self.show(t)} after a complete expression", t.col)
        return e.fn

    # -- token helpers
    def peek(self) -> _Tok:
        return self.toks[self.i]

    def next(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    @staticmethod
    def show(t: _Tok) -> str:
        return "end of condition" if t.kind == _END else repr(t.text)

    def expect(self, text: str, opener: _Tok) -> None:
        t = self.next()
        if t.text != text or t.kind != _OP:
            if t.kind == _END:
                raise ConditionError(f"unclosed {opener.text!r}", opener.col)
            raise ConditionError(
                f"expected {text!r} to close {opener.text!r} at column {opener.col}, "
                f"found {self.show(t)}",
                t.col,
            )

    def enter(self, t: _Tok) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ConditionError(f"nesting deeper than {MAX_NESTING} levels", t.col)

    def binary_op(self, t: _Tok) -> str | None:
        if t.kind == _OP and (t.text in _BINARY or t.text in ("&&", "||")):
            return t.text
        if t.kind == _NAME and t.text.lower() in ("and", "or"):
            return t.text.lower()
        return None

    # -- grammar
    def expr(self, min_bp: int) -> _Expr:
        left = self.unary()
        while True:
            t = self.peek()
            op = self.binary_op(t)
            if op is None:
                return left
            bp = _LOGICAL[op] if op in _LOGICAL else _BINARY[op][0]
            if bp <= min_bp:
                return left
            self.next()
            right = self.expr(bp)  # bp, not bp - 1: left associative
            left = self.combine(op, t, left, right)

    def unary(self) -> _Expr:
        t = self.peek()
        op = t.text if t.kind == _OP else t.text.lower() if t.kind == _NAME else ""
        if op in _UNARY and (t.kind == _OP or op == "not"):
            self.next()
            self.enter(t)
            operand = self.unary()
            self.nesting -= 1
            f = _UNARY[op]
            signed = operand.signed and op in ("-", "+", "~")
            if operand.const is not None:
                return _const(f(operand.const), signed)
            g = operand.fn
            return self.node(_Expr(lambda env: f(g(env)), signed, None, operand.depth + 1), t)
        return self.primary()

    def primary(self) -> _Expr:
        t = self.next()
        if t.kind == _NUM:
            return _const(t.value)
        if t.kind == _OP and t.text == "(":
            self.enter(t)
            e = self.expr(0)
            self.expect(")", t)
            self.nesting -= 1
            return e
        if t.kind == _NAME:
            return self.name(t)
        if t.kind == _END:
            raise ConditionError("expected a value, found end of condition", t.col)
        if t.text == "=":
            raise ConditionError("unexpected '='; did you mean '=='?", t.col)
        raise ConditionError(f"expected a value, found {self.show(t)}", t.col)

    def name(self, t: _Tok) -> _Expr:
        word = t.text.lower()
        if word == "vcpu":
            return _Expr(lambda env: env.vcpu)
        if word in _MEM_SIZES:
            size = _MEM_SIZES[word]
            opener = self.next()
            if opener.text != "[" or opener.kind != _OP:
                raise ConditionError(f"expected '[' after {t.text}", opener.col)
            self.enter(opener)
            addr = self.expr(0)
            self.expect("]", opener)
            self.nesting -= 1
            if addr.const is not None:
                a = addr.const
                return self.node(_Expr(lambda env: env.mem(a, size) & M64), t)
            g = addr.fn
            return self.node(
                _Expr(lambda env: env.mem(g(env), size) & M64, False, None, addr.depth + 1), t
            )
        if word in ("signed", "unsigned"):
            opener = self.next()
            if opener.text != "(" or opener.kind != _OP:
                raise ConditionError(f"expected '(' after {t.text}", opener.col)
            self.enter(opener)
            inner = self.expr(0)
            self.expect(")", opener)
            self.nesting -= 1
            return _Expr(inner.fn, word == "signed", inner.const, inner.depth)
        if word in ("and", "or", "not"):
            raise ConditionError(f"expected a value, found {t.text!r}", t.col)
        try:
            reg = canonical(t.text)
        except UnknownRegister:
            raise ConditionError(f"unknown register {t.text!r}", t.col) from None
        # Env.reg is trusted to be 64-bit, but a mask keeps the signed order sound if not.
        return _Expr(lambda env: env.reg(reg) & M64)

    def combine(self, op: str, t: _Tok, left: _Expr, right: _Expr) -> _Expr:
        depth = max(left.depth, right.depth) + 1
        lf, rf = left.fn, right.fn
        if op in _LOGICAL:
            if op in ("&&", "and"):
                fn: Fn = lambda env: lf(env) != 0 and rf(env) != 0  # noqa: E731
            else:
                fn = lambda env: lf(env) != 0 or rf(env) != 0  # noqa: E731
            return self.node(_Expr(fn, False, None, depth), t)
        _, ufn, sfn = _BINARY[op]
        signed = left.signed if op == ">>" else left.signed or right.signed
        f = sfn if signed else ufn
        result_signed = signed and op not in _GIVES_TRUTH
        lc, rc = left.const, right.const
        if lc is not None and rc is not None:
            try:
                return _const(int(f(lc, rc)), result_signed)
            except ZeroDivisionError:
                raise ConditionError("division by zero", t.col) from None
        if rc is not None:
            if rc == 0 and op in ("/", "%"):
                raise ConditionError("division by zero", t.col)
            fn = lambda env: f(lf(env), rc)  # noqa: E731
        elif lc is not None:
            fn = lambda env: f(lc, rf(env))  # noqa: E731
        else:
            fn = lambda env: f(lf(env), rf(env))  # noqa: E731
        return self.node(_Expr(fn, result_signed, None, depth), t)

    def node(self, e: _Expr, t: _Tok) -> _Expr:
        # Evaluation recurses once per level: bound it well inside Python's stack.
        if e.depth > MAX_DEPTH:
            raise ConditionError(f"more than {MAX_DEPTH} levels of operators", t.col)
        return e
