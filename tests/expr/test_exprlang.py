"""expr-lang evaluator: literals, operators, members, closures, builtins, Argo and sprig."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from wfexec.errors import ExpressionError
from wfexec.expr import evaluate_expr
from wfexec.expr.exprenv import build_env, expand

ENV: dict[str, Any] = {
    "n": 7, "f": 2.5, "s": "Hello", "arr": [1, 2, 3, 4], "m": {"a": 1, "b-c": "x", "nil": None},
    "users": [{"name": "al", "age": 30}, {"name": "bo", "age": 17}], "t": True, "nothing": None,
}


@pytest.mark.parametrize(("text", "expected"), [
    # literals
    ("42", 42), ("0x1F", 31), ("1_000", 1000), ("2.5e2", 250.0), ("'a\\tb'", "a\tb"),
    ('"q\\"x"', 'q"x'), ("`raw\\n`", "raw\\n"), ("true", True), ("nil", None),
    ("[1, 'a', [true]]", [1, "a", [True]]), ("{a: 1, 'b': 2, (s): 3}", {"a": 1, "b": 2, "Hello": 3}),
    ("[1, 2,]", [1, 2]),
    # arithmetic (int stays int, / is always float, ** is float)
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("7 / 2", 3.5), ("6 / 3", 2.0), ("7 % 3", 3 - 2),
    ("-7 % 3", -1), ("2 ** 10", 1024.0), ("2 ^ 3 ^ 2", 512.0), ("-2 ** 2", -4.0),
    ("n + f", 9.5), ("'a' + 'b'", "ab"), ("[1] + [2]", [1, 2]), ("10 - 2 - 3", 5),
    ("1 / 0", float("inf")), ("1 < 2 < 3", True), ("3 > 2 > 2", False), ("1 < n <= 7", True),
    # comparison and logic
    ("1 == 1.0", True), ("1 == '1'", False), ("true == 1", False), ("'10' > '9'", False),
    ("10 > 9", True), ("s < 'World'", True), ("nil == nil", True), ("nothing == nil", True),
    ("t && n > 5", True), ("t and not (n > 5)", False), ("!t || true", True),
    ("false && undefinedFn()", False), ("true || (1 / 'x')", True),
    ("n in arr", False), ("3 in arr", True), ("'a' in m", True), ("'z' not in m", True),
    ("'ell' in ['ell']", True), ("s contains 'ell'", True), ("s startsWith 'He'", True),
    ("s endsWith 'lo'", True), ("s matches '^H.*o$'", True), ("s not matches 'x'", True),
    ("s not contains 'x'", True),
    # ternary, elvis, nil coalescing
    ("n > 5 ? 'big' : 'small'", "big"), ("n > 9 ? 'big' : n > 6 ? 'mid' : 'small'", "mid"),
    ("nothing ?? 'dflt'", "dflt"), ("m.missing ?? 'dflt'", "dflt"), ("m.missing.deeper ?? 'd'", "d"),
    ("s ?? 'dflt'", "Hello"), ("'' ?: 'e'", "e"),
    # member access
    ("m.a", 1), ("m['b-c']", "x"), ("m.zzz", None), ("arr[0]", 1), ("arr[-1]", 4),
    ("arr[1:3]", [2, 3]), ("arr[:2]", [1, 2]), ("arr[2:]", [3, 4]), ("s[1]", "e"),
    ("s[1:3]", "el"), ("users[0].name", "al"), ("nothing?.x", None), ("nothing?.x.y.z", None),
    ("m?.a", 1),
    # ranges, pipes, let
    ("1..4", [1, 2, 3, 4]), ("s | lower()", "hello"), ("s | lower() | upper()", "HELLO"),
    ("'a,b' | split(',')", ["a", "b"]), ("let x = 2; x * n", 14),
    ("arr | filter(# > 2)", [3, 4]), ("if n > 5 { 'big' } else { 'small' }", "big"),
    ("if n > 9 { 1 } else if n > 6 { 2 } else { 3 }", 2),
    # closures
    ("filter(arr, # % 2 == 0)", [2, 4]), ("filter(arr, {# > 2})", [3, 4]),
    ("map(arr, # * 10)", [10, 20, 30, 40]), ("map(users, .name)", ["al", "bo"]),
    ("all(arr, # > 0)", True), ("any(arr, # > 3)", True), ("none(arr, # > 9)", True),
    ("one(arr, # == 2)", True), ("count(users, .age >= 18)", 1), ("sum(arr)", 10),
    ("sum(arr, # * 2)", 20), ("find(arr, # > 1)", 2), ("findIndex(arr, # > 1)", 1),
    ("findLast(arr, # < 4)", 3), ("findLastIndex(arr, # > 9)", -1),
    ("reduce(arr, #acc + #, 0)", 10), ("map(arr, #index)", [0, 1, 2, 3]),
    ("groupBy(arr, # % 2 == 0)", {False: [1, 3], True: [2, 4]}),
    ("sortBy(users, .age)[0].name", "bo"), ("map(filter(users, .age > 20), .name)", ["al"]),
    # builtins
    ("len(arr)", 4), ("len(s)", 5), ("len(m)", 3), ("string(12)", "12"), ("string(2.50)", "2.5"),
    ("int('42')", 42), ("int(3.9)", 3), ("float('1.5')", 1.5), ("abs(-3)", 3),
    ("upper(s)", "HELLO"), ("trim('  x ')", "x"), ("split('a-b-c', '-')", ["a", "b", "c"]),
    ("join(['a', 'b'], '+')", "a+b"), ("first(arr)", 1), ("last(arr)", 4), ("first([])", None),
    ("sort(keys({b: 1, a: 2}))", ["a", "b"]), ("values({a: 2})", [2]), ("max(1, 5, 3)", 5),
    ("min(arr)", 1), ("mean([1, 2, 3])", 2.0), ("toJSON({b: 1, a: [1]})", '{\n  "a": [\n    1\n  ],\n  "b": 1\n}'),
    ("fromJSON('{\"a\": [1, 2]}').a[1]", 2.0), ("type(1.5)", "float"),
    ("replace('aXbX', 'X', '-')", "a-b-"), ("hasPrefix(s, 'He')", True),
    ("indexOf(s, 'l')", 2), ("reverse(arr)", [4, 3, 2, 1]), ("uniq([1, 1, 2])", [1, 2]),
    ("flatten([[1], [2, [3]]])", [1, 2, 3]), ("duration('1m30s').Seconds()", 90.0),
    ("date('2024-01-02T03:04:05Z').Year()", 2024), ("toBase64('hi')", "aGk="),
    ("fromBase64('aGk=')", "hi"), ("get(m, 'a')", 1), ("get(arr, 10)", None),
])
def test_evaluates(text: str, expected: Any) -> None:
    result = evaluate_expr(text, ENV)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(("text", "fragment"), [
    ("asInt(", "invalid expression 'asInt('"),
    ("1 +", "invalid expression '1 +'"),
    ("(1", "expected ')'"),
    ("a ==", "invalid expression 'a =='"),
    ("'unterminated", "unexpected character"),
    ("1 2", "unexpected token"),
    ("nope", "unknown name nope"),
    ("nope()", "unknown name nope"),
    ("1 + 'a'", "mismatched types int and string"),
    ("'a' < 1", "mismatched types string and int"),
    ("1 && true", "needs bool operands"),
    ("!1", "invalid operation"),
    ("nothing.x", "cannot fetch x from nil"),
    ("arr[10]", "index out of range"),
    ("arr['x']", "cannot fetch x from array"),
    ("int('3.5')", "not an integer"),
    ("int(true)", "int(bool)"),
    ("7 % 0", "integer divide by zero"),
    ("filter(arr, # + 1)", "must return bool"),
    ("s matches '('", "invalid regular expression"),
    ("len(1)", "invalid argument for len"),
    ("n(1)", "n is not a function"),
    ("# > 1", "predicate"),
    ("1 ? 2 : 3", "non-bool condition"),
    ("fromJSON('{')", "invalid JSON"),
    ("upper(1)", "expects a string"),
    ("nothing ?? 1 + 2", "cannot be mixed"),
])
def test_errors_name_the_expression(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate_expr(text, ENV)
    message = str(info.value)
    assert fragment in message
    assert f"'{text}'" in message


def test_parse_is_cached_and_env_independent() -> None:
    assert evaluate_expr("x + 1", {"x": 1}) == 2
    assert evaluate_expr("x + 1", {"x": 41}) == 42


def test_env_overrides_builtin_names() -> None:
    assert evaluate_expr("len", {"len": 3}) == 3
    assert evaluate_expr("upper(x)", {"x": "a", "upper": lambda v: v + "!"}) == "a!"


def test_expand_nests_dotted_names_and_prefers_specific_keys() -> None:
    env = expand({"a.b.c": "1", "a.b": "dropped", "a.d": "2", "item": {"k": 1, "j": 2},
                  "item.k": "override", "x": "y"})
    assert env == {"a": {"b": {"c": "1"}, "d": "2"}, "item": {"k": "override", "j": 2}, "x": "y"}


def test_argo_environment() -> None:
    env = build_env({"inputs.parameters.x-y": "5", "steps.gen.outputs.result": "3",
                     "item": {"name": "n"}, "workflow.status": "Succeeded"})
    assert evaluate_expr("asInt(inputs.parameters['x-y']) + 1", env) == 6
    assert evaluate_expr("asFloat(steps['gen'].outputs.result) / 2", env) == 1.5
    assert evaluate_expr("item.name", env) == "n"
    assert evaluate_expr("workflow.status == 'Succeeded'", env) is True
    assert evaluate_expr("toJson({b: [1, 2.0], a: 'x<y'})", env) == '{"a":"x\\u003cy","b":[1,2]}'
    assert evaluate_expr("jsonpath('{\"a\": {\"b\": [5, 6]}}', '$.a.b[1]')", env) == 6.0
    assert evaluate_expr("jsonpath('{\"a\": [{\"b\": 1}, {\"b\": 2}]}', '$..b')", env) == [1.0, 2.0]
    with pytest.raises(ExpressionError, match="not found"):
        evaluate_expr("jsonpath('{\"a\": 1}', '$.zz')", env)
    with pytest.raises(ExpressionError, match="invalid JSON"):
        evaluate_expr("jsonpath('nope', '$.a')", env)


@pytest.mark.parametrize(("text", "expected"), [
    ("sprig.trim('  a  ')", "a"), ("sprig.upper('a')", "A"), ("sprig.lower('A')", "a"),
    ("sprig.replace('-', '_', 'a-b-c')", "a_b_c"), ("sprig.contains('b', 'abc')", True),
    ("sprig.hasPrefix('ab', 'abc')", True), ("sprig.hasSuffix('bc', 'abc')", True),
    ("sprig.split('.', 'a.b')", {"_0": "a", "_1": "b"}), ("sprig.splitList('.', 'a.b')", ["a", "b"]),
    ("sprig.join('-', ['a', 'b'])", "a-b"), ("sprig.add(1, '2', 3.9)", 6), ("sprig.sub(5, 2)", 3),
    ("sprig.mul(2, 3, 4)", 24), ("sprig.div(7, 2)", 3), ("sprig.div(-7, 2)", -3), ("sprig.mod(7, 3)", 1),
    ("sprig.max(1, 9, 3)", 9), ("sprig.min(4, 2)", 2), ("sprig.toString(12)", "12"),
    ("sprig.atoi('12')", 12), ("sprig.atoi('x')", 0), ("sprig.int('0x10')", 16),
    ("sprig.float64('1.5')", 1.5), ("sprig.default('d', '')", "d"), ("sprig.default('d', 'v')", "v"),
    ("sprig.empty('')", True), ("sprig.empty([1])", False), ("sprig.list(1, 2)", [1, 2]),
    ("sprig.dict('a', 1, 'b', 2)", {"a": 1, "b": 2}), ("sprig.quote('a', 'b')", '"a" "b"'),
    ("sprig.squote('a')", "'a'"), ("sprig.b64enc('hi')", "aGk="), ("sprig.b64dec('aGk=')", "hi"),
    ("sprig.regexMatch('^a.c$', 'abc')", True), ("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')",
                                                   "-W-xxW-"),
    ("sprig.trimPrefix('a', 'abc')", "bc"), ("sprig.title('hello world')", "Hello World"),
    ("sprig.date('2006-01-02', 0) != ''", True), ("sprig.ternary('y', 'n', true)", "y"),
    ("sprig.coalesce('', 'x')", "x"), ("sprig.first([3, 4])", 3), ("sprig.has(4, [3, 4])", True),
    ("sprig.sha256sum('')", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
])
def test_sprig(text: str, expected: Any) -> None:
    assert evaluate_expr(text, build_env({})) == expected


def test_sprig_date_formats_go_layouts() -> None:
    moment = dt.datetime(2024, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    env = build_env({"t": moment})
    assert evaluate_expr("sprig.date('2006-01-02T15:04:05Z07:00', t)", env) == "2024-02-03T04:05:06Z"
    assert evaluate_expr("sprig.date('Jan _2 3:04PM', t)", env) == "Feb  3 4:05AM"
    assert evaluate_expr("t.Format('20060102')", env) == "20240203"


def test_go_number_rendering() -> None:
    assert evaluate_expr("string(1e21)", {}) == "1e+21"
    assert evaluate_expr("string(0.00001)", {}) == "1e-05"
    assert evaluate_expr("string(123456789.0)", {}) == "1.23456789e+08"
    env = build_env({})
    assert evaluate_expr("toJson([1e21, 0.0000001, 100.0])", env) == "[1e+21,1e-7,100]"


def test_argo_functions_work_without_build_env() -> None:
    # a plain nested env (no asInt/sprig entries) still gets Argo's functions
    env = {"lastRetry": {"exitCode": "2"}}
    assert evaluate_expr("asInt(lastRetry.exitCode) > 1 && sprig.upper('a') == 'A'", env) is True
    assert evaluate_expr("toJson([1])", {}) == "[1]"
