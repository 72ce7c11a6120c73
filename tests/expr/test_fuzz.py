"""Fuzzing: whatever the input, only the documented error types come out.

Fixed seed (derandomize) and bounded example counts keep the run reproducible and fast.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wfexec.errors import ExpressionError, TemplateResolutionError
from wfexec.expr import TaskState, evaluate_expr, evaluate_when, parse_depends, substitute
from wfexec.expr.exprenv import build_env

FUZZ = settings(derandomize=True, max_examples=400, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

EXPR_TOKENS = [
    "a", "b", "m", "arr", "s", "n", "f", "nil", "true", "false", "1", "0", "2.5", "-", "+", "*",
    "/", "%", "**", "^", "==", "!=", "<", ">", "<=", ">=", "&&", "||", "!", "not", "and", "or",
    "in", "matches", "contains", "startsWith", "endsWith", "??", "?", ":", "?.", ".", "..", "(",
    ")", "[", "]", "{", "}", ",", "#", "#index", "'x'", '"y"', "`z`", "len(", "filter(", "map(",
    "all(", "int(", "string(", "asInt(", "jsonpath(", "toJson(", "sprig.", "add(", "trim(",
    "let", "=", ";", "|", "upper(", "sum(", "reduce(", "#acc", "fromJSON(", "'('", "'$.a'",
    "'$[0]'", "'{\"a\": [1]}'", "split(", "date(", "duration(", "now()", "abs(", "max(",
]
WHEN_TOKENS = [
    "heads", "tails", "1", "10", "9", "0.5", ".", "-", "+", "*", "/", "%", "**", "==", "!=", "<",
    ">", "<=", ">=", "=~", "!~", "&&", "||", "!", "~", "(", ")", ",", "in", "true", "false",
    "'a'", '"b"', "'2024-01-02'", "[x y]", "?", ":", "??", "a.B", "a.b", "&", "|", "^", "<<",
    ">>", "0x1f", "\\", "'", "my-value", "===",
]
DEPENDS_TOKENS = ["A", "b-c", "A.Succeeded", "A.Failed", "b-c.AnySucceeded", "A.AllFailed",
                  "A.Nope", "&&", "||", "!", "(", ")", "&", ".", "A.", " "]
PHASES = ["Succeeded", "Failed", "Error", "Skipped", "Omitted", "Running", "Pending"]

ENV: dict[str, Any] = build_env({
    "a": "1", "b": "x", "m.k": "v", "arr": [1, 2, 3], "s": "text", "n": 3, "f": 1.5,
})


def joined(tokens: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(tokens), max_size=12).map(" ".join)


@FUZZ
@given(st.one_of(joined(EXPR_TOKENS), st.text(max_size=30)))
def test_evaluate_expr_only_raises_expression_error(text: str) -> None:
    try:
        evaluate_expr(text, ENV)
    except ExpressionError as err:
        assert text in str(err)


@FUZZ
@given(st.one_of(joined(WHEN_TOKENS), st.text(max_size=30)))
def test_evaluate_when_only_raises_expression_error(text: str) -> None:
    try:
        assert isinstance(evaluate_when(text), bool)
    except ExpressionError as err:
        assert "'when' expression" in str(err)


@FUZZ
@given(st.one_of(joined(DEPENDS_TOKENS), st.text(max_size=20)),
       st.lists(st.sampled_from(PHASES), min_size=2, max_size=2),
       st.lists(st.sampled_from(PHASES), max_size=3))
def test_depends_only_raises_expression_error(text: str, phases: list[str],
                                              children: list[str]) -> None:
    try:
        expr = parse_depends(text)
    except ExpressionError as err:
        assert "invalid depends" in str(err)
        return
    states = {"A": TaskState(phases[0], children_phases=children), "b-c": TaskState(phases[1])}
    names = expr.tasks()
    if names <= set(states):
        assert isinstance(expr.evaluate(states), bool)
        assert expr.decide(states) in (None, True, False)


TEMPLATE_PARTS = ["{{", "}}", "=", "{{=", "a", "inputs.parameters.x", " ", "item", "1 + 1", "nope",
                  "asInt(", ")", "'", "x", "sprig.upper('a')", "{", "}", "absent", "list"]


@FUZZ
@given(st.one_of(st.lists(st.sampled_from(TEMPLATE_PARTS), max_size=12).map("".join),
                 st.text(max_size=30)),
       st.booleans())
def test_substitute_only_raises_documented_errors(text: str, strict: bool) -> None:
    scope = {"a": "1", "inputs.parameters.x": "X", "item": {"k": 1}, "absent": None,
             "list": [1, 2]}
    try:
        out = substitute(text, scope, strict=strict)
    except (TemplateResolutionError, ExpressionError):
        return
    assert isinstance(out, str)
    if "{{" not in text:
        assert out == text
