"""One semantics function, two executable forms: the interpreter's closure and a block's lines.

Every instruction's behaviour is written once, as an ordinary typed Python
function (see engine/isa/insn.py for the conventions)::

    def addi(c: VCPU, rt: int, ra: int, si: int, *, shift: int = 0) -> None:
        g = c.gpr
        g[rt] = ((g[ra] if ra else 0) + (si << shift)) & M64

Its positional parameters after ``c`` are *decode-time values* (instruction
fields, ``cia``, ``npc``); its keyword-only parameters are *statics* (a
table line's parameters, suffix bits such as ``rc``, the decode context's
``sf``/``order``/``amask``...). Specialising it for one decode context
is partial evaluation of its syntax tree:

* statics become constants, and so do ALL_CAPS module constants; ``if`` and
  conditional expressions on constants are folded away;
* a decode-time field tested for truth (``g[ra] if ra else 0``) splits the
  instruction into two variants, each with the test folded;
* pure expressions of decode-time values (``si << shift``, ``1 << (31 - bi)``,
  calls to functions marked ``@pure``) are hoisted: computed once when the
  word is decoded.

The result is compiled once per variant into a *maker*: a function that
takes the word and the decode context, extracts the fields (their
expressions come from engine/isa/fields.py), computes the hoisted values
and returns the closure the interpreter calls. The same specialised tree,
with its locals renamed apart and ``return`` turned into ``pc = ...``, is
the *inline template* a translated block pastes in (engine/blocks.py):
its free names (fields and hoisted values) are read back from the
closure's cells and written as literals. So the closure and the block run
the same statements, and tests/engine/test_inline.py checks that anyway.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import CodeType
from typing import TYPE_CHECKING, Any, TypeVar

from ..codecache import compile_code
from .common import Resync

if TYPE_CHECKING:
    from .fields import Encoding
    from .forms import Ctx, Exec

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

# Locals a semantics function may bind to vCPU state with exactly these
# statements; a block binds each once for all its instructions instead.
ALIASES: dict[str, str] = {
    "g": "c.gpr",
    "tl": "c.tlb_load",
    "ts": "c.tlb_store",
    "vs": "c.vsr",
}
# Decode-context statics a semantics function may ask for by name.
CONTEXT_STATICS = ("sf", "amask", "order", "le", "msr", "hv", "pr")
# Decode-time values that are not instruction fields.
CONTEXT_VALUES = ("cia", "npc")
_PURE_BUILTINS = frozenset({"abs", "bool", "int", "len", "max", "min", "divmod"})
# Names a block's own code uses; inline code never binds them (its locals get a '_').
BLOCK_NAMES = frozenset({"c", "pc", "i", "ic", "gen", "wh", "limit", "start", "Cut"})


def pure(fn: F) -> F:
    """Mark ``fn`` as free of side effects: calls with decode-time arguments are hoisted."""
    fn.__pure__ = True  # type: ignore[attr-defined]
    return fn


def macro(fn: F) -> F:
    """Mark ``fn`` (``def m(c, a, b...) -> None``, positional parameters only) as a macro:
    a statement calling it in a semantics function is replaced by its body, with the
    arguments substituted and its locals renamed apart, so helpers such as CR0's update
    cost no call in closures or blocks."""
    fn.__macro__ = True  # type: ignore[attr-defined]
    return fn


def code_check() -> None:
    """Where a store's slow path may have written decoded code (blocks compare their
    decode generation here; a no-op in the closure)."""


class SemanticsError(Exception):
    """A semantics function that breaks the conventions (raised when a table is built)."""


def copy_tree(node: T) -> T:
    """A deep copy of a syntax tree (a node, a list of them, or a leaf value).

    ``copy.deepcopy`` of the same tree, about ten times faster: it keeps no memo
    (the trees share no nodes that must stay shared) and copies only nodes and
    lists, the leaves (names, constants, line numbers) being immutable values.
    Specialising a table line's variant copies its trees several times.
    """
    if isinstance(node, list):
        return [copy_tree(x) for x in node]  # type: ignore[return-value]
    if not isinstance(node, ast.AST):
        return node
    cls = node.__class__
    new = cls.__new__(cls)
    d = new.__dict__
    for k, v in node.__dict__.items():
        d[k] = copy_tree(v) if isinstance(v, (list, ast.AST)) else v
    return new


def literal(v: object) -> str | None:
    """``v`` as Python source, or None when it has no literal form a block can paste."""
    if v is None or isinstance(v, bool):
        return repr(v)
    if isinstance(v, int):
        return str(v) if v >= 0 else f"({v})"
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, tuple):
        parts = [literal(x) for x in v]
        if any(p is None for p in parts):
            return None
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"  # type: ignore[arg-type]
    return None


# -- analysis of one function (cached) -----------------------------------------------------
@dataclass
class Analysis:
    fn: Callable[..., Any]
    body: list[ast.stmt]
    positional: tuple[str, ...]  # decode-time values, in order
    kwonly: dict[str, Any]  # statics and their defaults (inspect.Parameter.empty if none)
    returns_pc: bool
    locals: frozenset[str]
    tested: frozenset[str]  # positional names tested for truth


_analyses: dict[Callable[..., Any], Analysis] = {}


def analyse(fn: Callable[..., Any]) -> Analysis:
    a = _analyses.get(fn)
    if a is not None:
        return a
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    fdef = tree.body[0]
    if not isinstance(fdef, ast.FunctionDef):
        raise SemanticsError(f"{fn.__qualname__}: not a plain function")
    args = fdef.args
    if not args.args or args.args[0].arg != "c" or args.vararg or args.kwarg:
        raise SemanticsError(f"{fn.__qualname__}: the first parameter must be c")
    positional = tuple(p.arg for p in args.args[1:])
    sig = inspect.signature(fn)
    kwonly = {p.arg: sig.parameters[p.arg].default for p in args.kwonlyargs}
    body = list(fdef.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    body = _Expand(fn).block(body)
    names: set[str] = set()
    for node in ast.walk(fdef):
        if (
            isinstance(
                node,
                (
                    ast.FunctionDef,
                    ast.Lambda,
                    ast.Global,
                    ast.Nonlocal,
                    ast.Yield,
                    ast.YieldFrom,
                    ast.AsyncFunctionDef,
                    ast.ClassDef,
                ),
            )
            and node is not fdef
        ):
            raise SemanticsError(f"{fn.__qualname__}: nested scopes are not allowed")
    for node in ast.walk(ast.Module(body, [])):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    params = set(positional) | set(kwonly) | {"c"}
    if names & params:
        raise SemanticsError(f"{fn.__qualname__}: assigns to parameters {sorted(names & params)}")
    tested = set()
    for node in ast.walk(ast.Module(body, [])):
        for t in _tests_of(node):
            n = _tested_name(t)
            if n is not None and n in positional:
                tested.add(n)
    ret = fdef.returns
    a = Analysis(fn, body, positional, kwonly,
                 isinstance(ret, ast.Name) and ret.id == "int",
                 frozenset(names), frozenset(tested))  # fmt: skip
    _analyses[fn] = a
    return a


class _Expand:
    """Macro calls in one function's body replaced by the macros' bodies."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.count = 0

    def block(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for s in body:
            m = self._macro(s)
            if m is not None:
                out.extend(self._expand(s.value, m))  # type: ignore[attr-defined]
                continue
            for name in ("body", "orelse"):
                if isinstance(getattr(s, name, None), list):
                    setattr(s, name, self.block(getattr(s, name)))
            out.append(s)
        return out

    def _macro(self, s: ast.stmt) -> Callable[..., Any] | None:
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)):
            return None
        f = s.value.func
        obj = self.fn.__globals__.get(f.id) if isinstance(f, ast.Name) else None
        return obj if getattr(obj, "__macro__", False) else None

    def _expand(self, call: ast.Call, m: Callable[..., Any]) -> list[ast.stmt]:
        ma = analyse(m)
        params = ("c", *ma.positional)
        where = f"{self.fn.__qualname__}: macro {m.__name__}"
        if ma.kwonly or call.keywords or len(call.args) != len(params):
            raise SemanticsError(f"{where}: takes exactly {len(params)} positional arguments")
        if not (isinstance(call.args[0], ast.Name) and call.args[0].id == "c"):
            raise SemanticsError(f"{where}: the first argument must be c")
        k = self.count
        self.count += 1
        pre: list[ast.stmt] = []
        subst: dict[str, ast.expr] = {}
        for p, arg in zip(params, call.args, strict=True):
            if isinstance(arg, (ast.Name, ast.Constant)):
                subst[p] = arg
            else:  # evaluated once, as a call would
                t = f"m{k}_{p}"
                pre.append(ast.Assign([ast.Name(t, ast.Store())], arg, lineno=0))
                subst[p] = ast.Name(t, ast.Load())
        mg, own = m.__globals__, self.fn.__globals__
        local = ma.locals

        class Rename(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.expr:
                n = node.id
                if n in subst and isinstance(node.ctx, ast.Load):
                    return copy_tree(subst[n])
                if n in local:
                    return ast.copy_location(ast.Name(f"m{k}_{n}", node.ctx), node)
                if n in mg and n.isupper() and literal(mg[n]) is not None:
                    return ast.copy_location(ast.Constant(mg[n]), node)
                if n in mg and own.get(n, getattr(builtins, n, None)) is not mg[n]:
                    raise SemanticsError(f"{where}: {n} is not the same object here")
                return node

            def visit_Return(self, node: ast.Return) -> ast.stmt:
                raise SemanticsError(f"{where}: a macro cannot return")

        body = [Rename().visit(s) for s in copy_tree(ma.body)]
        return [ast.fix_missing_locations(s) for s in (*pre, *body)]


def _tests_of(node: ast.AST) -> Iterable[ast.expr]:
    if isinstance(node, (ast.If, ast.IfExp, ast.While)):
        yield node.test
    elif isinstance(node, ast.BoolOp):
        yield from node.values
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield node.operand


def _tested_name(t: ast.expr) -> str | None:
    """The name in a test of the shapes ``x``, ``not x``, ``x == 0``, ``x != 0``."""
    if isinstance(t, ast.Name):
        return t.id
    if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.Not) and isinstance(t.operand, ast.Name):
        return t.operand.id
    if (
        isinstance(t, ast.Compare)
        and isinstance(t.left, ast.Name)
        and len(t.ops) == 1
        and isinstance(t.ops[0], (ast.Eq, ast.NotEq))
        and isinstance(t.comparators[0], ast.Constant)
        and t.comparators[0].value == 0
    ):
        return t.left.id
    return None


# -- folding -------------------------------------------------------------------------------
def _const(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant)


def _eval(node: ast.expr) -> ast.expr:
    """``node`` (all of whose operands are constants) as a constant, when evaluating it is safe."""
    try:
        value = eval(compile(ast.Expression(node), "<fold>", "eval"), {"__builtins__": {}})  # noqa: S307
    except Exception:  # noqa: BLE001 - left for run time, where it raises as written
        return node
    if literal(value) is None:
        return node
    return ast.copy_location(ast.Constant(value), node)


def _zero(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value == 0


_LEFT_IDENTITY = (ast.Add, ast.BitOr, ast.BitXor)
_RIGHT_IDENTITY = (ast.Add, ast.Sub, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)


class _Fold(ast.NodeTransformer):
    """Constant folding, and pruning of branches whose test is a constant.

    ``splits`` are decode-time fields whose truth the variant fixes: tests of
    them (``if ra``, ``x if ra else y``, ``not ra``, ``ra == 0``) become constants.
    """

    def __init__(self, splits: Mapping[str, bool], pure_fns: Mapping[str, Any] | None = None
                 ) -> None:  # fmt: skip
        self.splits = splits
        self.pure_fns = pure_fns or {}  # @pure functions by name: calls on constants fold

    def _test(self, t: ast.expr) -> ast.expr:
        if isinstance(t, ast.BoolOp):
            t.values = [self._test(v) for v in t.values]
            return t
        n = _tested_name(t)
        if n is not None and n in self.splits:
            v = self.splits[n]
            if isinstance(t, ast.UnaryOp) or (
                isinstance(t, ast.Compare) and isinstance(t.ops[0], ast.Eq)
            ):
                v = not v
            return ast.copy_location(ast.Constant(v), t)
        return t

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        if _const(node.left) and _const(node.right):
            return _eval(node)
        # x + 0, x | 0, x ^ 0, x - 0, x << 0, x >> 0 and 0 + x, 0 | x, 0 ^ x are x
        # (operands are ints): what a folded "0 if ... else" operand leaves behind.
        if _zero(node.right) and isinstance(node.op, _RIGHT_IDENTITY):
            return node.left
        if _zero(node.left) and isinstance(node.op, _LEFT_IDENTITY):
            return node.right
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        if isinstance(node.op, ast.Not):
            node.operand = self._test(node.operand)  # not x is a bool whatever x is
        self.generic_visit(node)
        return _eval(node) if _const(node.operand) else node

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        self.generic_visit(node)
        if _const(node.left) and all(_const(x) for x in node.comparators):
            return _eval(node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        fn = self.pure_fns.get(node.func.id) if isinstance(node.func, ast.Name) else None
        if fn is None or node.keywords or not all(_const(a) for a in node.args):
            return node
        try:  # a @pure function of constants is a constant of this variant
            value = fn(*(a.value for a in node.args))  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - left for run time, where it raises as written
            return node
        return node if literal(value) is None else ast.copy_location(ast.Constant(value), node)

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        self.generic_visit(node)
        is_and = isinstance(node.op, ast.And)
        values: list[ast.expr] = []
        last = len(node.values) - 1
        for idx, v in enumerate(node.values):
            if isinstance(v, ast.Constant):
                stops = not v.value if is_and else bool(v.value)
                if stops or idx == last:
                    values.append(v)
                    break
                continue  # evaluation goes on past it: it cannot be the result
            values.append(v)
        if len(values) == 1:
            return values[0]
        node.values = values
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        node.test = self._test(node.test)
        self.generic_visit(node)
        if isinstance(node.test, ast.Constant):
            return node.body if node.test.value else node.orelse
        return node

    def visit_If(self, node: ast.If) -> Any:
        node.test = self._test(node.test)
        self.generic_visit(node)
        if isinstance(node.test, ast.Constant):
            return (node.body if node.test.value else node.orelse) or None
        return node

    def visit_While(self, node: ast.While) -> Any:
        node.test = self._test(node.test)
        self.generic_visit(node)
        return node


def fold(body: list[ast.stmt], splits: Mapping[str, bool],
         pure_fns: Mapping[str, Any] | None = None) -> list[ast.stmt]:  # fmt: skip
    """``body`` with constants folded and dead branches gone (empty blocks get ``pass``)."""
    folder = _Fold(splits, pure_fns)
    out: list[ast.stmt] = []
    for s in body:
        r = folder.visit(s)
        if r is not None:
            out.extend(r if isinstance(r, list) else [r])
    for node in ast.walk(ast.Module(out, [])):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and not block and name == "body":
                block.append(ast.Pass())
    return out


class _Substitute(ast.NodeTransformer):
    """Loads of the given names replaced by copies of their expressions."""

    def __init__(self, values: Mapping[str, ast.expr]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.values and isinstance(node.ctx, ast.Load):
            return ast.copy_location(copy_tree(self.values[node.id]), node)
        return node


def propagate(
    body: list[ast.stmt],
    splits: Mapping[str, bool],
    static: Callable[[ast.expr], bool] = lambda e: False,
) -> list[ast.stmt]:
    """Locals bound once, at the top level, to a constant (``bv = 0`` once ``b`` is
    folded) or to a ``static`` expression (one of decode-time values only, which
    hoisting then computes once) replaced by it, and the body folded again."""
    while True:
        stores: dict[str, int] = {}
        for node in ast.walk(ast.Module(body, [])):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                stores[node.id] = stores.get(node.id, 0) + 1
        consts = {
            s.targets[0].id: s.value
            for s in body
            if isinstance(s, ast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name)
            and (isinstance(s.value, ast.Constant) or static(s.value))
            and stores.get(s.targets[0].id) == 1
        }
        if not consts:
            return body

        sub = _Substitute(consts)

        kept = [
            s for s in body
            if not (isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                    and s.targets[0].id in consts and len(s.targets) == 1)
        ]  # fmt: skip
        body = fold([sub.visit(s) for s in kept], splits)


# -- hoisting ------------------------------------------------------------------------------
class _Hoist(ast.NodeTransformer):
    """Replace maximal pure decode-time subexpressions with names computed at decode time."""

    def __init__(
        self, decode_names: set[str], globals_: Mapping[str, Any], local: frozenset[str]
    ) -> None:
        self.decode_names = decode_names
        self.globals = globals_
        self.local = local
        self.hoisted: dict[str, tuple[str, ast.expr]] = {}  # dump -> (name, expr)

    def _pure_global(self, name: str) -> Any:
        if name in self.local:
            return None
        if name in self.globals:
            return self.globals[name]
        return getattr(builtins, name, None) if name in _PURE_BUILTINS else None

    def decode_time(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.decode_names
        if isinstance(
            node, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.IfExp, ast.Tuple)
        ):
            return all(
                self.decode_time(ch)
                for ch in ast.iter_child_nodes(node)
                if not isinstance(
                    ch, (ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.expr_context)
                )
            )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            obj = self._pure_global(node.func.id)
            pure_fn = obj is not None and (
                getattr(obj, "__pure__", False) or node.func.id in _PURE_BUILTINS
            )
            return pure_fn and all(self.decode_time(a) for a in node.args)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            table = self._pure_global(node.value.id)
            return isinstance(table, (tuple, frozenset)) and self.decode_time(node.slice)
        return False

    def visit(self, node: ast.AST) -> Any:
        if (
            isinstance(node, ast.expr)
            and not isinstance(node, (ast.Constant, ast.Name))
            and self.decode_time(node)
        ):
            key = ast.dump(node)
            if key not in self.hoisted:
                self.hoisted[key] = (f"{HOISTED}{len(self.hoisted)}", node)
            return ast.copy_location(ast.Name(self.hoisted[key][0], ast.Load()), node)
        return super().visit(node)


# -- inline form ---------------------------------------------------------------------------
class NotInlinable(Exception):
    pass


def _tail_returns(body: list[ast.stmt]) -> list[ast.stmt]:
    """``body`` restructured so that every ``return`` is the last statement of its branch."""
    out: list[ast.stmt] = []
    for i, s in enumerate(body):
        if isinstance(s, ast.If) and _ends_in_return(s.body) and not s.orelse and i + 1 < len(body):
            s.body = _tail_returns(s.body)
            s.orelse = _tail_returns(body[i + 1 :])
            out.append(s)
            return out
        if isinstance(s, ast.If):
            s.body = _tail_returns(s.body)
            s.orelse = _tail_returns(s.orelse)
        elif isinstance(s, ast.Return) and i + 1 < len(body):
            out.append(s)
            return out  # the rest is dead code
        out.append(s)
    return out


def _ends_in_return(body: list[ast.stmt]) -> bool:
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return):
        return True
    return isinstance(last, ast.If) and _ends_in_return(last.body) and _ends_in_return(last.orelse)


def _check_returns(body: list[ast.stmt], tail: bool) -> None:
    for i, s in enumerate(body):
        last = tail and i == len(body) - 1
        if isinstance(s, ast.Return):
            if not last:
                raise NotInlinable("return before the end")
        elif isinstance(s, ast.If):
            _check_returns(s.body, last)
            _check_returns(s.orelse, last)
        else:
            for n in ast.walk(s):
                if isinstance(n, ast.Return):
                    raise NotInlinable("return inside a loop or with")


class _Returns(ast.NodeTransformer):
    """``return X`` -> ``pc = X`` (inline) or ``raise _Resync(X)`` (resync closures)."""

    def __init__(self, how: str, npc: str = "npc") -> None:
        self.how = how
        self.npc = npc
        self.targets: list[ast.expr] = []

    def visit_Return(self, node: ast.Return) -> ast.stmt:
        value = node.value if node.value is not None else ast.Name(self.npc, ast.Load())
        self.targets.append(value)
        if self.how == "pc":
            return ast.copy_location(ast.Assign([ast.Name("pc", ast.Store())], value), node)
        call = ast.Call(ast.Name("_Resync", ast.Load()), [value], [])
        return ast.copy_location(ast.Raise(call, None), node)


SLOT = "\x00"


@dataclass
class Template:
    """A variant's inline form: text with slots for the closure's free values."""

    parts: tuple[str, ...]  # text, slot, text, slot, ..., text
    aliases: frozenset[str]  # block-bound aliases it uses (g, tl, ts, vs)
    targets: tuple[str | int, ...]  # what it may assign to pc: slot names or constants
    check: bool  # has a code_check() marker
    globals: Mapping[str, Any]  # names it needs in the block's namespace

    def render(self, values: Mapping[str, object]) -> list[str] | None:
        out = []
        for i, p in enumerate(self.parts):
            if i % 2:
                lit = literal(values[p])
                if lit is None:
                    return None
                out.append(lit)
            else:
                out.append(p)
        return "".join(out).split("\n")


# The namespace every block is compiled in: what inline templates refer to.
INLINE_GLOBALS: dict[str, Any] = {}


def _bind_global(name: str, obj: Any) -> str:
    """A name for ``obj`` in INLINE_GLOBALS: ``name`` itself unless taken by something else."""
    cand = name
    k = 0
    while cand in INLINE_GLOBALS and INLINE_GLOBALS[cand] is not obj:
        k += 1
        cand = f"{name}__{k}"
    INLINE_GLOBALS[cand] = obj
    return cand


# -- variants --------------------------------------------------------------------------------
HOISTED = "_hk"  # prefix of the names hoisted values get


class _Markers(ast.NodeTransformer):
    """``code_check()`` statements dropped (the closure needs no generation check)."""

    def visit_Expr(self, node: ast.Expr) -> ast.stmt:
        v = node.value
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "code_check":
            return ast.copy_location(ast.Pass(), node)
        return node


# Inline templates by the code object of the closures they belong to.
# Keyed by identity: equal code objects (two lines' identical makers, e.g. muldiv
# with different ``fn`` statics) must not share a template, whose globals differ.
TEMPLATES: dict[int, tuple[CodeType, Template]] = {}


def template_of(fn: Exec) -> Template | None:
    e = TEMPLATES.get(id(fn.__code__))
    return e[1] if e is not None and e[0] is fn.__code__ else None


@dataclass
class Specializer:
    """Decoding one table line: the variant key of a word, and a maker per variant."""

    mnemonic: str
    fn: Callable[..., Any]
    enc: Encoding
    params: Mapping[str, Any]
    resyncs: bool
    inline: bool
    variants: dict[tuple[Any, ...], Callable[[int, Ctx], Exec]] = field(default_factory=dict)
    key: Callable[[int, Ctx], tuple[Any, ...]] | None = None
    key_names: tuple[str, ...] = ()
    split_tests: list[str] = field(default_factory=list)  # ast dumps of the "?#i" tests

    def __post_init__(self) -> None:
        a = analyse(self.fn)
        fields = self.enc.format.fields
        for p in a.positional:
            if p not in CONTEXT_VALUES and p not in fields:
                raise SemanticsError(f"{self.mnemonic}: no field {p!r} in {self.enc.format.name}")
        for p in self.params:
            if p not in a.kwonly:
                raise SemanticsError(f"{self.mnemonic}: {self.fn.__qualname__} takes no {p!r}")
        parts: list[str] = []
        names: list[str] = []
        for k, default in a.kwonly.items():
            if k in self.params or (k in fields and not self.enc.free(k)):
                continue  # a constant of this line
            if k in fields:
                parts.append(fields[k].src)
            elif k in CONTEXT_STATICS:
                parts.append(f"x.{k}")
            elif default is inspect.Parameter.empty:
                raise SemanticsError(f"{self.mnemonic}: nothing gives static {k!r}")
            else:
                continue
            names.append(k)
        for t in sorted(a.tested):
            if t in fields and self.enc.free(t):
                parts.append(f"bool({fields[t].src})")
                names.append("?" + t)
        # Any other test of decode-time values (``mb <= me``, ``kind == "l" and sh == 0``)
        # splits the line the same way: the key evaluates it on the word.
        for test in self._decode_tests(a):
            test_src = self._key_src(a, test)
            if test_src is not None and ast.dump(test) not in self.split_tests:
                parts.append(f"bool({test_src})")
                names.append(f"?#{len(self.split_tests)}")
                self.split_tests.append(ast.dump(test))
        self.key_names = tuple(names)
        src = "lambda w, x: (" + "".join(f"{p}, " for p in parts) + ")"
        self.key = eval(src, dict(self.fn.__globals__))  # noqa: S307 - from the field table

    def _decode_tests(self, a: Analysis) -> list[ast.expr]:
        """The maximal tests (of ``if`` and ``x if t else y``) that depend only on
        decode-time values and statics, and on at least one field or address."""
        known = set(a.positional) | set(a.kwonly)
        hoist = _Hoist(known, self.fn.__globals__, a.locals)
        found: list[ast.expr] = []

        def visit(t: ast.expr) -> None:
            n = _tested_name(t)
            if n is not None:
                return  # a field's truth: the plain split above; a static: folded
            names = {x.id for x in ast.walk(t) if isinstance(x, ast.Name)}
            if names & set(a.positional) and hoist.decode_time(t):
                found.append(t)
            elif isinstance(t, ast.BoolOp):
                for v in t.values:
                    visit(v)

        for node in ast.walk(ast.Module(a.body, [])):
            if isinstance(node, (ast.If, ast.IfExp)):
                visit(node.test)
        return found

    def _key_src(self, a: Analysis, t: ast.expr) -> str | None:
        """Test ``t`` as an expression over the word ``w`` and the context ``x``."""
        fields = self.enc.format.fields
        subst: dict[str, str] = {"cia": "x.pc", "npc": "x.npc"}
        for p in (*a.positional, *a.kwonly):
            if p in self.params:
                lit = literal(self.params[p])
                if lit is None:
                    return None
                subst[p] = lit
            elif p in fields:
                subst[p] = f"({fields[p].src})" if self.enc.free(p) else str(self._fixed_value(p))
            elif p in CONTEXT_STATICS:
                subst[p] = f"x.{p}"
            elif p in a.kwonly and a.kwonly[p] is not inspect.Parameter.empty:
                lit = literal(a.kwonly[p])
                if lit is None:
                    return None
                subst[p] = lit

        class Names(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.expr:
                if node.id in subst:
                    return ast.parse(subst[node.id], mode="eval").body
                return node

        return ast.unparse(Names().visit(copy_tree(t)))

    def build(self, word: int, ctx: Ctx) -> Exec:
        assert self.key is not None
        k = self.key(word, ctx)
        make = self.variants.get(k)
        if make is None:
            make = self.variants[k] = self._variant(k)
        return make(word, ctx)

    def source(self, word: int, ctx: Ctx) -> str:
        """The generated maker for ``word`` (for reading and debugging the generator)."""
        assert self.key is not None
        self.build(word, ctx)
        return self.variants[self.key(word, ctx)].__source__  # type: ignore[attr-defined,no-any-return]

    # -- one variant --
    def _fixed_value(self, name: str) -> int:
        f = self.enc.format.fields[name]
        return (self.enc.match & f.mask) >> f.shift  # type: ignore[operator]

    def _statics(self, key: tuple[Any, ...]) -> tuple[dict[str, Any], dict[str, bool]]:
        a = analyse(self.fn)
        fields = self.enc.format.fields
        named = dict(zip(self.key_names, key, strict=True))
        env: dict[str, Any] = {}
        for k, default in a.kwonly.items():
            if k in self.params:
                env[k] = self.params[k]
            elif k in named:
                env[k] = named[k]
            elif k in fields:
                env[k] = self._fixed_value(k)
            else:
                env[k] = default
        for p in a.positional:
            if p in fields and not self.enc.free(p):
                env[p] = self._fixed_value(p)
        splits = {n[1:]: bool(v) for n, v in named.items() if n.startswith("?")}
        return env, splits

    def _split_decided(self, body: list[ast.stmt], splits: Mapping[str, bool]) -> list[ast.stmt]:
        """``body`` with the decode-time tests this variant fixes replaced by their values."""
        values = {self.split_tests[int(k[1:])]: v for k, v in splits.items() if k.startswith("#")}
        if not values:
            return body

        def test(t: ast.expr) -> ast.expr:
            d = ast.dump(t)
            if d in values:
                return ast.copy_location(ast.Constant(values[d]), t)
            if isinstance(t, ast.BoolOp):
                t.values = [test(v) for v in t.values]
            return t

        class Decide(ast.NodeTransformer):
            def visit_If(self, node: ast.If) -> ast.AST:
                node.test = test(node.test)
                self.generic_visit(node)
                return node

            def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
                node.test = test(node.test)
                self.generic_visit(node)
                return node

        return [Decide().visit(s) for s in body]

    def _variant(self, key: tuple[Any, ...]) -> Callable[[int, Ctx], Exec]:
        a = analyse(self.fn)
        env, splits = self._statics(key)
        gl = self.fn.__globals__
        extra: dict[str, Any] = {}  # statics with no literal form: cells of the maker

        class Subst(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.expr:
                if not isinstance(node.ctx, ast.Load):
                    return node
                n = node.id
                if n in env:
                    v = env[n]
                    if literal(v) is not None and not isinstance(v, tuple):
                        return ast.copy_location(ast.Constant(v), node)
                    extra[n] = v
                elif n.isupper() and n not in a.locals and n in gl:
                    v = gl[n]
                    if literal(v) is not None and not isinstance(v, tuple):
                        return ast.copy_location(ast.Constant(v), node)
                return node

        pure_fns = {n: v for n, v in gl.items()
                    if n not in a.locals and getattr(v, "__pure__", False)}  # fmt: skip
        decided = self._split_decided(copy_tree(a.body), splits)
        splits = {k: v for k, v in splits.items() if not k.startswith("#")}
        decode_names = {p for p in a.positional if p not in env}
        hoist = _Hoist(decode_names, gl, a.locals)
        body = propagate(fold([Subst().visit(s) for s in decided], splits, pure_fns), splits,
                         hoist.decode_time)  # fmt: skip
        hoisted_body = [hoist.visit(s) for s in copy_tree(body)]
        hoisted = list(hoist.hoisted.values())
        make = self._compile(a, hoisted_body, hoisted, extra, body)
        if self.inline and not self.resyncs:
            try:
                t = self._template(a, hoisted_body, gl, extra, {h for h, _ in hoisted})
            except NotInlinable:
                t = None
            if t is not None:
                for const in make.__code__.co_consts:
                    if isinstance(const, CodeType) and const.co_name == "ex":
                        TEMPLATES[id(const)] = (const, t)
        return make

    def _compile(
        self,
        a: Analysis,
        body: list[ast.stmt],
        hoisted: list[tuple[str, ast.expr]],
        extra: dict[str, Any],
        plain_body: list[ast.stmt],
    ) -> Callable[[int, Ctx], Exec]:
        fields = self.enc.format.fields
        fn_body = [_Markers().visit(s) for s in copy_tree(body)]
        if self.resyncs:
            tr = _Returns("resync")
            fn_body = [tr.visit(s) for s in fn_body]
            if not a.returns_pc:
                fn_body.append(ast.parse("raise _Resync(npc)").body[0])
        elif not a.returns_pc:
            fn_body.append(ast.parse("return npc").body[0])
        inner = ast.FunctionDef(
            "ex",
            ast.arguments([], [ast.arg("c")], None, [], [], None, []),
            fn_body or [ast.Pass()],
            [],
            None,
            lineno=1,
        )
        used = {
            n.id
            for s in [*fn_body, *(e for _, e in hoisted)]
            for n in ast.walk(s)
            if isinstance(n, ast.Name)
        }
        head: list[str] = []
        for p in (*a.positional, "npc"):
            if p not in used or any(h.startswith(p + " =") for h in head):
                continue
            if p == "cia":
                head.append("cia = x.pc")
            elif p == "npc":
                head.append("npc = x.npc")
            elif self.enc.free(p):
                head.append(f"{p} = {fields[p].src}")
        defaults = "".join(f", {k}={k}" for k in extra) + ", _Resync=_Resync, _plain=_plain"
        lines = [f"def make(w, x{defaults}):", *("    " + h for h in head)]
        if hoisted:
            lines.append("    try:")
            lines += [f"        {name} = {ast.unparse(expr)}" for name, expr in hoisted]
            lines.append("    except (ArithmeticError, ValueError, LookupError, TypeError):")
            lines.append("        return _plain(w, x)")
        lines += ["    " + ln for ln in ast.unparse(inner).split("\n")]
        lines.append("    return ex")
        src = "\n".join(lines)
        plain: list[Callable[[int, Ctx], Exec]] = []

        def _plain(w: int, x: Ctx) -> Exec:
            # A hoisted value raised at decode time: run the unhoisted code, which
            # raises (or not) where the semantics say, at run time.
            if not plain:
                plain.append(self._compile(a, plain_body, [], extra, plain_body))
            return plain[0](w, x)

        scope: dict[str, Any] = {**extra, "_Resync": Resync, "_plain": _plain}
        exec(compile_code(src, f"<{self.mnemonic}>"), self.fn.__globals__, scope)  # noqa: S102
        maker = scope["make"]
        maker.__source__ = src
        return maker  # type: ignore[no-any-return]

    def _template(
        self,
        a: Analysis,
        body: list[ast.stmt],
        gl: Mapping[str, Any],
        extra: Mapping[str, Any],
        hoisted: set[str],
    ) -> Template:
        body = copy_tree(body)
        aliases: set[str] = set()
        kept: list[ast.stmt] = []
        for s in body:
            if (
                isinstance(s, ast.Assign)
                and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name)
                and s.targets[0].id in ALIASES
                and ast.unparse(s.value) == ALIASES[s.targets[0].id]
            ):
                aliases.add(s.targets[0].id)
                continue
            kept.append(s)
        body = _tail_returns(kept)
        _check_returns(body, True)
        rets = _Returns("pc")
        body = [rets.visit(s) for s in body]
        if not a.returns_pc and rets.targets:
            raise NotInlinable("a fall-through instruction that returns")
        free = set(a.positional) | set(CONTEXT_VALUES) | hoisted
        local = a.locals - set(ALIASES)
        needed: dict[str, Any] = {}
        bound: dict[str, str] = {}

        def bind(n: str, obj: Any, want: str) -> str:
            if n not in bound:
                bound[n] = _bind_global(want, obj)
                needed[bound[n]] = obj
            return bound[n]

        class Names(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.expr:
                n = node.id
                if n in local:
                    node.id = "_" + n
                elif n in free:
                    node.id = SLOT + n + SLOT
                elif n in extra:
                    node.id = bind(n, extra[n], f"_s_{n}")
                elif n in ALIASES or n in ("c", "pc"):
                    pass
                elif n in gl or hasattr(builtins, n):
                    # A global named "_x" would be the renamed local x of any instruction
                    # pasted into the same block (vperm's src, a module's _src helper).
                    want = "g" + n if n.startswith("_") else n
                    node.id = bind(n, gl[n] if n in gl else getattr(builtins, n), want)
                else:
                    raise NotInlinable(f"unknown name {n}")
                return node

        body = [Names().visit(s) for s in body]
        targets: list[str | int] = []
        for t in rets.targets:
            if isinstance(t, ast.Constant) and isinstance(t.value, int):
                targets.append(t.value)
            elif isinstance(t, ast.Name) and t.id.startswith(SLOT):
                targets.append(t.id.strip(SLOT))
        text = "\n".join(ast.unparse(s) for s in body)
        marker = bound.get("code_check")
        check = False
        if marker is not None:
            check = True
            text = text.replace(f"{marker}()", "@CHECK")
        return Template(tuple(text.split(SLOT)), frozenset(aliases), tuple(targets), check, needed)


def inline_lines(fn: Exec) -> list[str] | None:
    """A closure's inline lines: its variant's template with its cells as literals."""
    t = template_of(fn)
    if t is None:
        return None
    cells = fn.__closure__ or ()
    values = {n: cell.cell_contents for n, cell in zip(fn.__code__.co_freevars, cells, strict=True)}
    return t.render(values)
