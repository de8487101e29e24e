"""Breakpoint conditions: parsing, precedence, every operator, reads, signedness, errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.debug.condition import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NESTING,
    Condition,
    ConditionError,
    compile_condition,
)
from engine.memory import MemoryFault
from engine.registers import UnknownRegister, canonical

M64 = (1 << 64) - 1
RAM = 0x1000  # the fake env's memory is [0, RAM)


@dataclass
class FakeEnv:
    """Registers by canonical name (missing ones read 0) and a small big-endian RAM."""

    regs: dict[str, int] = field(default_factory=dict)
    vcpu: int = 0
    little: bool = False
    ram: bytearray = field(default_factory=lambda: bytearray(RAM))
    reads: list[tuple[int, int]] = field(default_factory=list)

    def reg(self, name: str) -> int:
        canonical(name)  # the real env raises UnknownRegister too
        return self.regs.get(name, 0)

    def mem(self, address: int, size: int) -> int:
        self.reads.append((address, size))
        if address + size > RAM:
            raise MemoryFault(address, False)
        return int.from_bytes(
            self.ram[address : address + size], "little" if self.little else "big"
        )


def ev(text: str, **regs: int) -> bool:
    return compile_condition(text).evaluate(FakeEnv(regs=regs))


def check(text: str, expected: int, **regs: int) -> None:
    """``text`` evaluates to ``expected`` (mod 2**64), and to nothing else."""
    env = FakeEnv(regs={**regs, "r31": expected & M64})
    assert compile_condition(f"({text}) == r31").evaluate(env), text
    env.regs["r31"] = (expected + 1) & M64
    assert not compile_condition(f"({text}) == r31").evaluate(env), text


# -- literals and values ----------------------------------------------------------------


def test_decimal_hex_and_binary_literals() -> None:
    check("42", 42)
    check("0x2a", 42)
    check("0X2A", 42)
    check("0b101010", 42)
    check("0xffffffffffffffff", M64)


def test_condition_is_true_when_nonzero() -> None:
    assert ev("1")
    assert ev("0x8000000000000000")
    assert not ev("0")


def test_registers_read_through_env_by_canonical_name() -> None:
    assert ev("r3 == 7", r3=7)
    assert ev("R3 == 7", r3=7)  # names are case-insensitive
    assert ev("nia == 0x100", pc=0x100)  # nia is pc
    assert ev("pc == 0x100 && msr == 1 && cr == 2", pc=0x100, msr=1, cr=2)
    assert ev("lr == 3 && ctr == 4 && xer == 5", lr=3, ctr=4, xer=5)
    assert ev("f31 == 0x3ff0000000000000 && fpscr == 8", f31=0x3FF0000000000000, fpscr=8)
    assert ev("srr0 == 0x700 && lpcr == 9 && dscr_u == 1", srr0=0x700, lpcr=9, dscr_u=1)


def test_vcpu_is_the_env_vcpu() -> None:
    cond = compile_condition("vcpu == 1")
    assert cond.evaluate(FakeEnv(vcpu=1))
    assert not cond.evaluate(FakeEnv(vcpu=0))
    assert compile_condition("VCPU != 0").evaluate(FakeEnv(vcpu=3))


def test_source_is_kept() -> None:
    cond = compile_condition("r3 == 1")
    assert isinstance(cond, Condition)
    assert cond.source == "r3 == 1"
    assert repr(cond) == "Condition('r3 == 1')"


# -- every operator -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7 * 6", 42),
        ("0x100000000 * 0x100000000", 0),  # wraps mod 2**64
        ("43 / 5", 8),
        ("43 % 5", 3),
        ("40 + 2", 42),
        ("0xffffffffffffffff + 2", 1),
        ("44 - 2", 42),
        ("0 - 1", M64),
        ("1 << 4", 16),
        ("1 << 63", 1 << 63),
        ("1 << 64", 0),  # count >= 64 gives 0
        ("3 << 0xffffffffffffffff", 0),
        ("0x80 >> 4", 8),
        ("0x8000000000000000 >> 63", 1),
        ("0x8000000000000000 >> 64", 0),
        ("0xf0 & 0x3c", 0x30),
        ("0xf0 | 0x0f", 0xFF),
        ("0xff ^ 0x0f", 0xF0),
        ("~0", M64),
        ("~0xff", M64 ^ 0xFF),
        ("-1", M64),
        ("--1", 1),
        ("+5", 5),
        ("!0", 1),
        ("!7", 0),
        ("not 0", 1),
        ("NOT 3", 0),
        ("1 < 2", 1),
        ("2 < 2", 0),
        ("2 <= 2", 1),
        ("3 <= 2", 0),
        ("3 > 2", 1),
        ("2 > 2", 0),
        ("2 >= 2", 1),
        ("1 >= 2", 0),
        ("5 == 5", 1),
        ("5 == 6", 0),
        ("5 != 6", 1),
        ("5 != 5", 0),
        ("1 && 2", 1),
        ("1 && 0", 0),
        ("0 || 3", 1),
        ("0 || 0", 0),
        ("4 and 5", 1),
        ("4 AND 0", 0),
        ("0 or 9", 1),
        ("0 or 0", 0),
    ],
)
def test_operator(text: str, expected: int) -> None:
    check(text, expected)  # constants: folded at compile time
    # The same with the operands coming from registers: the closures, not the folding.
    text, regs = _through_registers(text)
    check(text, expected, **regs)


def _through_registers(text: str) -> tuple[str, dict[str, int]]:
    """Replace every literal with a register holding it (r1, r2, ...)."""
    regs: dict[str, int] = {}

    def sub(m: re.Match[str]) -> str:
        name = f"r{len(regs) + 1}"
        regs[name] = int(m.group(), 0)
        return name

    return re.sub(r"\b0[xXbB][0-9a-fA-F]+|\b\d+", sub, text), regs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("r1 * r2", 42),
        ("r1 + r2", 13),
        ("r1 - r2", 1),
        ("r2 - r1", M64),
        ("r1 / r2", 1),
        ("r1 % r2", 1),
        ("r1 << r2", 7 << 6),
        ("r1 >> r2", 0),
        ("-r1", -7 & M64),
        ("~r1", M64 ^ 7),
        ("!r1", 0),
        ("r1 < r2", 0),
        ("r1 > r2", 1),
        ("r1 && r2", 1),
        ("r1 || r2", 1),
        ("r1 & r2 | r1 ^ r2", (7 & 6) | (7 ^ 6)),
    ],
)
def test_operator_on_registers(text: str, expected: int) -> None:
    check(text, expected, r1=7, r2=6)


def test_logical_operators_short_circuit() -> None:
    env = FakeEnv(regs={"r3": 0x2000})
    assert not compile_condition("0 && mem8[r3]").evaluate(env)
    assert compile_condition("1 || mem8[r3]").evaluate(env)
    assert env.reads == []


# -- precedence and associativity as in C ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
        ("10 - 4 - 3", 3),  # left associative
        ("100 / 10 / 5", 2),
        ("2 * 3 % 4", 2),
        ("1 + 1 << 2", 8),  # + binds tighter than <<
        ("1 << 2 + 1", 8),
        ("1 << 2 < 5", 1),  # << binds tighter than <
        ("1 < 2 == 1", 1),  # < binds tighter than ==
        ("3 == 3 & 2", 0),  # == binds tighter than &: 1 & 2
        ("6 & 3 ^ 1", 3),  # & before ^
        ("6 ^ 3 & 1", 7),
        ("4 | 2 ^ 6", 4),  # ^ before |: 4 | 4
        ("1 | 2 && 0", 0),  # | before &&
        ("1 || 0 && 0", 1),  # && before ||
        ("0 and 1 or 1", 1),
        ("-2 * 3", -6 & M64),
        ("~0 == 0xffffffffffffffff", 1),
        ("!0 + 1", 2),  # unary before binary
        ("not 1 == 0", 1),  # not is !: (!1) == 0
        ("- - - 1", M64),
        ("((((1))))", 1),
    ],
)
def test_precedence_as_c(text: str, expected: int) -> None:
    check(text, expected)


# -- memory -----------------------------------------------------------------------------------


def test_memory_reads_each_size_big_endian() -> None:
    env = FakeEnv(regs={"r1": 0x100})
    env.ram[0x100:0x108] = bytes.fromhex("0102030405060708")
    assert compile_condition("mem8[r1] == 1").evaluate(env)
    assert compile_condition("mem16[r1] == 0x0102").evaluate(env)
    assert compile_condition("mem32[r1 + 4] == 0x05060708").evaluate(env)
    assert compile_condition("mem64[0x100] == 0x0102030405060708").evaluate(env)
    assert compile_condition("MEM8 [ r1 + 7 ] == 8").evaluate(env)
    assert env.reads == [(0x100, 1), (0x100, 2), (0x104, 4), (0x100, 8), (0x107, 1)]


def test_memory_byte_order_is_the_env_s() -> None:
    env = FakeEnv(little=True)
    env.ram[0x10:0x14] = bytes.fromhex("01020304")
    assert compile_condition("mem32[0x10] == 0x04030201").evaluate(env)


def test_memory_address_is_an_expression_and_nests() -> None:
    env = FakeEnv(regs={"r1": 0x200})
    env.ram[0x208:0x210] = (0x40).to_bytes(8, "big")
    env.ram[0x40] = 0x99
    assert compile_condition("mem8[mem64[r1 + 8]] == 0x99").evaluate(env)


def test_memory_address_wraps_to_64_bits() -> None:
    env = FakeEnv(regs={"r1": M64})
    env.ram[0x7] = 5
    assert compile_condition("mem8[r1 + 8] == 5").evaluate(env)
    assert env.reads == [(7, 1)]


def test_memory_fault_makes_the_condition_false() -> None:
    cond = compile_condition("mem32[r3] == 0 || 1")
    env = FakeEnv(regs={"r3": 0x5000})
    assert cond.evaluate(env) is False  # the whole condition, even under ||
    verdict = cond.check(env)
    assert verdict.value is False
    assert verdict.error is not None and "memory fault" in verdict.error
    assert "0x5000" in verdict.error


def test_negated_memory_fault_is_still_false() -> None:
    assert not compile_condition("!(mem8[0x5000] == 1)").evaluate(FakeEnv())


# -- division by zero -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["r3 / r4 == 0", "r3 % r4 == 0", "!(r3 / r4)", "signed(r3) / r4"])
def test_division_by_zero_at_run_time_makes_the_condition_false(text: str) -> None:
    cond = compile_condition(text)
    env = FakeEnv(regs={"r3": 5, "r4": 0})
    assert cond.evaluate(env) is False
    assert cond.check(env) == (False, "division by zero")


def test_check_reports_no_error_when_evaluated() -> None:
    cond = compile_condition("r3 / r4 == 2")
    assert cond.check(FakeEnv(regs={"r3": 4, "r4": 2})) == (True, None)
    assert cond.check(FakeEnv(regs={"r3": 4, "r4": 4})) == (False, None)


@pytest.mark.parametrize(("text", "column"), [("1 / 0", 3), ("r3 % 0", 4), ("r3 / (2 - 2)", 4)])
def test_constant_division_by_zero_is_a_compile_error(text: str, column: int) -> None:
    with pytest.raises(ConditionError) as exc:
        compile_condition(text)
    assert exc.value.reason == "division by zero"
    assert exc.value.column == column


# -- signedness --------------------------------------------------------------------------------


def test_comparisons_are_unsigned_by_default() -> None:
    assert not ev("r3 < 0", r3=M64)
    assert ev("r3 > 1", r3=M64)
    assert ev("-1 > 1")


def test_signed_compares_in_twos_complement() -> None:
    assert ev("signed(r3) < 0", r3=M64)
    assert ev("signed(r3) < 1", r3=1 << 63)
    assert not ev("signed(r3) < 0", r3=(1 << 63) - 1)
    assert ev("signed(r3) <= -1 && signed(r3) >= -1 && signed(r3) > -2", r3=M64)
    assert ev("signed(r3) > signed(r4)", r3=1, r4=M64)
    assert ev("r3 < signed(r4)", r3=M64, r4=1)  # one signed operand makes it signed


def test_signedness_propagates_through_arithmetic() -> None:
    assert ev("signed(r3) + 1 < 0", r3=M64 - 1)  # -2 + 1
    assert ev("-signed(r3) < 0", r3=5)
    assert ev("unsigned(signed(r3)) > 0", r3=M64)
    assert ev("signed(-1) < 0")  # folded constants keep signedness


def test_comparison_results_are_unsigned() -> None:
    assert ev("(signed(r3) < 0) > -1 == 0", r3=M64)  # 1 > 0xfff...f is false


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("signed(-7) / 2", -3),  # truncates towards zero
        ("signed(7) / -2", -3),
        ("signed(-7) / -2", 3),
        ("signed(-7) % 2", -1),  # takes the sign of the dividend
        ("signed(7) % -2", 1),
        ("signed(0x8000000000000000) / -1", -(1 << 63)),  # wraps
        ("signed(-16) >> 2", -4),  # arithmetic shift
        ("signed(-16) >> 100", -1),
        ("signed(16) >> 100", 0),
        ("-16 >> 2", (-16 & M64) >> 2),  # unsigned: logical shift
        ("-7 / 2", (-7 & M64) // 2),
        ("4 >> signed(-1)", 0),  # only the left operand of >> decides
    ],
)
def test_signed_division_remainder_and_shift(text: str, expected: int) -> None:
    check(text, expected)
    text, regs = _through_registers(text)
    check(text, expected, **regs)


@given(st.integers(-(1 << 63), (1 << 63) - 1), st.integers(-(1 << 63), (1 << 63) - 1))
def test_signed_comparisons_match_python(a: int, b: int) -> None:
    env = FakeEnv(regs={"r3": a & M64, "r4": b & M64})
    for op, want in (("<", a < b), ("<=", a <= b), (">", a > b), (">=", a >= b)):
        assert compile_condition(f"signed(r3) {op} signed(r4)").evaluate(env) is want
    ua, ub = a & M64, b & M64
    for op, want in (("<", ua < ub), ("<=", ua <= ub), (">", ua > ub), (">=", ua >= ub)):
        assert compile_condition(f"r3 {op} r4").evaluate(env) is want


# -- errors, with positions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("r32 == 1", "unknown register 'r32' at column 1"),
        ("pc == 1 && foo", "unknown register 'foo' at column 12"),
        ("r3 == r03", "unknown register 'r03' at column 7"),
        ("(r3 == 1", "unclosed '(' at column 1"),
        ("((r3 == 1)", "unclosed '(' at column 1"),
        ("mem8[r3", "unclosed '[' at column 5"),
        ("signed(r3 < 0", "unclosed '(' at column 7"),
        ("(r3 == 1))", "unexpected ')' with no matching '(' at column 10"),
        ("r3 == 1)", "unexpected ')' with no matching '(' at column 8"),
        ("(r3 ]", "expected ')' to close '(' at column 1, found ']' at column 5"),
        ("r3 == 1 r4", "unexpected 'r4' after a complete expression at column 9"),
        ("r3 1", "unexpected '1' after a complete expression at column 4"),
        ("", "empty condition at column 1"),
        ("   ", "empty condition at column 1"),
        ("r3 ==", "expected a value, found end of condition at column 6"),
        ("r3 == * 2", "expected a value, found '*' at column 7"),
        ("()", "expected a value, found ')' at column 2"),
        ("r3 = 1", "unexpected character '='; did you mean '=='? at column 4"),
        ("r3 == $1", "unexpected character '$' at column 7"),
        ("0x == 1", "malformed number '0x' at column 1"),
        ("12ab == 1", "malformed number '12ab' at column 1"),
        ("0b102", "malformed number '0b102' at column 1"),
        ("0x10000000000000000", "number 0x10000000000000000 does not fit in 64 bits at column 1"),
        ("mem8 r3", "expected '[' after mem8 at column 6"),
        ("mem24[r3]", "unknown register 'mem24' at column 1"),
        ("signed r3", "expected '(' after signed at column 8"),
        ("r3 and or 1", "expected a value, found 'or' at column 8"),
        ("mem", "unknown register 'mem' at column 1"),
    ],
)
def test_error_names_problem_and_column(text: str, message: str) -> None:
    with pytest.raises(ConditionError) as exc:
        compile_condition(text)
    assert str(exc.value) == message
    assert isinstance(exc.value, ValueError)


def test_error_carries_reason_and_column() -> None:
    with pytest.raises(ConditionError) as exc:
        compile_condition("r3 == r99")
    assert exc.value.reason == "unknown register 'r99'"
    assert exc.value.column == 7


def test_too_long() -> None:
    compile_condition("1" + " " * (MAX_LENGTH - 1))  # exactly at the limit: fine
    with pytest.raises(ConditionError) as exc:
        compile_condition("1" + " " * MAX_LENGTH)
    assert str(exc.value) == (
        f"condition is {MAX_LENGTH + 1} characters long, the limit is {MAX_LENGTH} "
        f"at column {MAX_LENGTH + 1}"
    )


def test_too_deep_parentheses() -> None:
    assert ev("(" * MAX_NESTING + "1" + ")" * MAX_NESTING)
    with pytest.raises(ConditionError) as exc:
        compile_condition("(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1))
    assert str(exc.value) == f"nesting deeper than {MAX_NESTING} levels at column {MAX_NESTING + 1}"


def test_too_deep_unary_and_brackets() -> None:
    with pytest.raises(ConditionError, match="nesting deeper than 64 levels at column 65"):
        compile_condition("!" * 65 + "r3")
    with pytest.raises(ConditionError, match="nesting deeper than 64 levels"):
        compile_condition("mem8[" * 65 + "0" + "]" * 65)


def test_too_many_levels_of_operators() -> None:
    # No parentheses, but each + is one more level of evaluation: a leaf is level 1, so
    # MAX_DEPTH - 1 terms (MAX_DEPTH - 2 additions) and the == make exactly MAX_DEPTH.
    assert ev("+".join(["r3"] * (MAX_DEPTH - 1)) + "==0")
    text = "+".join(["r3"] * MAX_DEPTH) + "==0"
    with pytest.raises(ConditionError) as exc:
        compile_condition(text)
    assert str(exc.value) == f"more than {MAX_DEPTH} levels of operators at column {len(text) - 2}"


def test_registers_are_validated_with_engine_names() -> None:
    with pytest.raises(UnknownRegister):
        canonical("r32")
    for name in ("r0", "r31", "f0", "f31", "fpscr", "xer", "srr1", "hsrr0", "dawr0", "ciabr"):
        compile_condition(f"{name} == 0")


# -- property: random arithmetic against a reference --------------------------------------

# (binding power, reference) of the operators the property test draws; as in C.
_OPS: dict[str, tuple[int, Callable[[int, int], int]]] = {
    "*": (10, lambda a, b: a * b),
    "+": (9, lambda a, b: a + b),
    "-": (9, lambda a, b: a - b),
    "<<": (8, lambda a, b: a << b if b < 64 else 0),
    ">>": (8, lambda a, b: a >> b if b < 64 else 0),
    "&": (5, lambda a, b: a & b),
    "^": (4, lambda a, b: a ^ b),
    "|": (3, lambda a, b: a | b),
}

_REGS = [f"r{i}" for i in range(8)]


@dataclass(frozen=True)
class _Leaf:
    text: str  # a literal in some base, or a register name
    name: str | None
    value: int


@dataclass(frozen=True)
class _Bin:
    op: str
    left: object
    right: object
    parens: bool  # extra, redundant parentheses around this node


def _leaves(regs: dict[str, int]) -> st.SearchStrategy[_Leaf]:
    small = st.integers(0, 70)  # shift counts both below and above 64
    big = st.integers(0, M64)
    literal = st.tuples(st.one_of(small, big), st.sampled_from(["{}", "0x{:x}", "0b{:b}"])).map(
        lambda t: _Leaf(t[1].format(t[0]), None, t[0])
    )
    register = st.sampled_from(_REGS).map(lambda n: _Leaf(n, n, regs[n]))
    return st.one_of(literal, register)


def _trees(regs: dict[str, int]) -> st.SearchStrategy[object]:
    return st.recursive(
        _leaves(regs),
        lambda kids: st.builds(_Bin, st.sampled_from(sorted(_OPS)), kids, kids, st.booleans()),
        max_leaves=12,
    )


def _render(node: object, parent_bp: int = 0, right: bool = False) -> str:
    """Text with the fewest parentheses C needs, plus the tree's redundant ones."""
    if isinstance(node, _Leaf):
        return node.text
    assert isinstance(node, _Bin)
    bp = _OPS[node.op][0]
    text = f"{_render(node.left, bp)} {node.op} {_render(node.right, bp, True)}"
    if bp < parent_bp or (right and bp == parent_bp) or node.parens:
        return f"({text})"
    return text


def _reference(node: object) -> int:
    if isinstance(node, _Leaf):
        return node.value
    assert isinstance(node, _Bin)
    return _OPS[node.op][1](_reference(node.left), _reference(node.right)) & M64


@st.composite
def _cases(draw: st.DrawFn) -> tuple[str, int, dict[str, int]]:
    regs = {n: draw(st.one_of(st.integers(0, 70), st.integers(0, M64))) for n in _REGS}
    tree = draw(_trees(regs))
    return _render(tree), _reference(tree), regs


@settings(max_examples=400, deadline=None)
@given(_cases())
def test_random_arithmetic_matches_reference(case: tuple[str, int, dict[str, int]]) -> None:
    text, expected, regs = case
    env = FakeEnv(regs=dict(regs))
    for probe in (expected, (expected + 1) & M64, expected ^ (1 << 63)):
        env.regs["r31"] = probe
        assert compile_condition(f"({text}) == r31").evaluate(env) is (probe == expected), text
    # The expression alone is a condition: true exactly when its value is not zero.
    assert compile_condition(text).evaluate(env) is (expected != 0)
