"""`when` conditions with govaluate semantics as Argo applies them (bare words are strings)."""

from __future__ import annotations

import pytest

from wfexec.errors import ExpressionError
from wfexec.expr import evaluate_when
from wfexec.expr.govaluate import evaluate_govaluate


@pytest.mark.parametrize(("text", "expected"), [
    ("", True),
    ("true", True), ("false", False), ("!false", True), ("!(1 == 1)", False),
    # bare words are strings
    ("heads == heads", True), ("heads == tails", False), ("Succeeded != Failed", True),
    ("foo == 'foo'", True), ('foo == "foo"', True), ("[two words] == 'two words'", True),
    ("YES == YES", True),
    # numbers are float64; quoted numbers are strings
    ("10 > 9", True), ("9 < 10", True), ("'10' > '9'", False), ("1 == 1.0", True),
    ("1 == '1'", False), ("true == 'true'", False), ("2 >= 2", True), ("0x10 == 16", True),
    (".5 == 0.5", True), ("-1 < 0", True), ("1 != 1 && 1 != 2", False), ("3 != 1 && 3 != 2", True),
    ("abc < abd", True),
    # regex
    ("heads =~ hea", True), ("heads =~ '^t'", False), ("heads !~ tai", True),
    ("'a.b' =~ 'a\\\\.b'", True),
    # logic and grouping
    ("( heads == heads && tails == tails ) || ( a == b )", True),
    ("a == b || c == c && d == e", False), ("(a == b || c == c) && d == d", True),
    ("false && (1 / 0 == 1)", False),
    # in, arithmetic, string concatenation, ternary, coalescing
    ("x in (x, y)", True), ("z in (x, y)", False), ("2 in (1, 2)", True), ("'2' in (1, 2)", False),
    ("1 + 2 * 3 == 7", True), ("(1 + 2) * 3 == 9", True), ("7 % 4 == 3", True),
    ("2 ** 3 == 8", True), ("10 - 2 - 3 == 5", True), ("8 / 2 / 2 == 2", True),
    ("a + b == ab", True), ("a + 1 == a1", True), ("6 & 3 == 2", True), ("1 << 3 == 8", True),
    ("(1 == 1 ? yes : no) == yes", True), ("(1 == 2 ? yes : no) == no", True),
    ("1 == 1 ? true : false", True),
    # quoted dates become Unix seconds
    ("'2024-01-02' < '2024-01-10'", True), ("'2024-01-02' == '2024-01-02T00:00:00Z'", True),
    # whitespace and escapes
    ("  heads   ==heads ", True), ("'it\\'s' == \"it\\'s\"", True),
])
def test_when(text: str, expected: bool) -> None:
    assert evaluate_when(text) is expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("a ==", "Invalid 'when' expression 'a ==': Unexpected end of expression"),
    ("(a == a", "Unbalanced parenthesis"),
    ("a == a)", "Unbalanced parenthesis"),
    ("heads == two words", "Cannot transition token types from STRING [two] to STRING [words]"),
    ("a === a", "Invalid token: '==='"),
    ("'unterminated == x", "Unclosed string literal"),
    ("[x == y", "Unclosed parameter bracket"),
    ("1.2.3 == 1", "Unable to parse numeric value '1.2.3'"),
    ("v1.2. == x", "Hanging accessor"),
    ("a.b == c", "unexported field 'b'"),
    ("   ", "Unexpected end of expression"),
    ("foo(1) == 1", "Cannot transition"),
    # either quote closes a string, as in govaluate
    ("\"it's\" == x", "Cannot transition token types from STRING [it] to STRING [s]"),
])
def test_when_syntax_errors(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate_when(text)
    assert fragment in str(info.value)
    assert f"'{text}'" in str(info.value)


@pytest.mark.parametrize(("text", "fragment"), [
    # a dash splits a bare word: Argo fails the same way (quote such values)
    ("my-value == my-value", "Value 'my' cannot be used with the modifier '-', it is not a number"),
    ("V1.X == V1.X", "No parameter 'V1' found"),
    ("a > 1", "cannot be used with the comparator '>'"),
    ("1 && true", "not a bool"),
    ("!x", "cannot be used with the prefix '!'"),
    ("1 =~ 1", "comparator '=~'"),
    ("x in y", "it is not an array"),
    ("x =~ '('", "Unable to compile regexp pattern"),
    ("1 + 1", "expected a boolean result, got 2"),
    ("a", "expected a boolean result, got a"),
    ("1 == 1 ? 1 : 2", "expected a boolean result, got 1"),
])
def test_when_evaluation_errors(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate_when(text)
    assert fragment in str(info.value)
    assert f"'{text}'" in str(info.value)


def test_values() -> None:
    assert evaluate_govaluate("1 + 2") == 3.0
    assert evaluate_govaluate("a, b, c") == ["a", "b", "c"]
    assert evaluate_govaluate("1 / 0") == float("inf")
    assert evaluate_govaluate("1 == 2 ? yes") is None
    assert evaluate_govaluate("1000000 + x") == "1e+06x"
