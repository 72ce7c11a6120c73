"""Expr-lang's operators with Go's typing rules: errors, type names, truth, equality, arithmetic,
comparison and the string operators.

The value semantics (int vs float, nil, mismatched types) live here in one place; every failure
raises EvalError, which the evaluator turns into ExpressionError.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import re
from typing import Any

from wfexec.expr.values import go_str


class EvalError(Exception):
    """An expression failed at run time (message without the expression text)."""


class NilFetchError(EvalError):
    """A member was read from nil; `??` treats this as nil."""


def is_number(value: Any) -> bool:
    return type(value) in (int, float)


def type_name(value: Any) -> str:
    """Go-ish type name for error messages and `type()`."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, _dt.datetime):
        return "time.Time"
    if isinstance(value, _dt.timedelta):
        return "time.Duration"
    if callable(value):
        return "func"
    return type(value).__name__


def truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, (str, list, dict, tuple)):
        return len(value) > 0
    if is_number(value):
        return value != 0
    return True


def equal(left: Any, right: Any) -> bool:
    """`==` as expr does it: numbers compare across int/float, bools never equal numbers."""
    if is_number(left) and is_number(right):
        return left == right
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(equal(left[k], right[k]) for k in left)
    if type(left) is not type(right) and not (
            isinstance(left, _dt.datetime) and isinstance(right, _dt.datetime)):
        return False
    try:
        return bool(left == right)
    except TypeError:
        return False


def as_utc(value: _dt.datetime) -> _dt.datetime:
    return value.replace(tzinfo=_dt.UTC) if value.tzinfo is None else value


@functools.lru_cache(maxsize=512)
def compile_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Go RE2 pattern with Python's re (the common syntax is shared)."""
    try:
        return re.compile(pattern.replace("(?P<", "(?P<").replace("\\z", "\\Z"))
    except re.error as err:
        raise EvalError(f"invalid regular expression {pattern!r}: {err}") from None


def _mismatch(op: str, left: Any, right: Any) -> EvalError:
    return EvalError(f"invalid operation: {go_str(left)!s:.40} {op} {go_str(right)!s:.40} "
                     f"(mismatched types {type_name(left)} and {type_name(right)})")


def _arith(op: str, left: Any, right: Any) -> Any:
    if is_number(left) and is_number(right):
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            if right == 0:
                return math.nan if left == 0 else math.copysign(math.inf, left) * (
                    math.copysign(1, right))
            return left / right
        if op == "%":
            if type(left) is not int or type(right) is not int:
                raise _mismatch(op, left, right)
            if right == 0:
                raise EvalError("integer divide by zero")
            return int(math.fmod(left, right)) if abs(left) < 2**53 else left - right * int(
                left / right)
        try:
            return math.pow(float(left), float(right))
        except (ZeroDivisionError, OverflowError):
            return math.inf
        except ValueError:  # 0 ** negative is +Inf in Go; negative ** fraction is NaN
            return math.inf if left == 0 else math.nan
    if op == "+":
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        if isinstance(left, list) and isinstance(right, list):
            return left + right
        if isinstance(left, _dt.datetime) and isinstance(right, _dt.timedelta):
            return left + right
        if isinstance(left, _dt.timedelta) and isinstance(right, (_dt.timedelta, _dt.datetime)):
            return left + right
    if op == "-":
        if isinstance(left, _dt.datetime) and isinstance(right, _dt.datetime):
            return as_utc(left) - as_utc(right)
        if isinstance(left, (_dt.datetime, _dt.timedelta)) and isinstance(right, _dt.timedelta):
            return left - right
    if op == "*" and isinstance(left, _dt.timedelta) and is_number(right):
        return left * right
    raise _mismatch(op, left, right)


def _compare(op: str, left: Any, right: Any) -> bool:
    ok = (is_number(left) and is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)) or (
        isinstance(left, _dt.timedelta) and isinstance(right, _dt.timedelta))
    if isinstance(left, _dt.datetime) and isinstance(right, _dt.datetime):
        left, right, ok = as_utc(left), as_utc(right), True
    if not ok:
        raise _mismatch(op, left, right)
    if op == "<":
        return bool(left < right)
    if op == ">":
        return bool(left > right)
    if op == "<=":
        return bool(left <= right)
    return bool(left >= right)


def _strings(op: str, left: Any, right: Any) -> tuple[str, str]:
    if not isinstance(left, str) or not isinstance(right, str):
        raise _mismatch(op, left, right)
    return left, right


def binary(op: str, left: Any, right: Any) -> Any:
    """Every binary operator except the short-circuiting ones."""
    if op == "==":
        return equal(left, right)
    if op == "!=":
        return not equal(left, right)
    if op in ("<", ">", "<=", ">="):
        return _compare(op, left, right)
    if op in ("+", "-", "*", "/", "%", "**", "^"):
        return _arith(op, left, right)
    if op == "in":
        if isinstance(right, (list, tuple)):
            return any(equal(left, item) for item in right)
        if isinstance(right, dict):
            try:
                return left in right
            except TypeError:
                return False
        if right is None:
            return False
        raise EvalError(f"operator in not defined on {type_name(right)}")
    if op == "matches":
        text, pattern = _strings(op, left, right)
        return compile_regex(pattern).search(text) is not None
    if op == "contains":
        text, part = _strings(op, left, right)
        return part in text
    if op == "startsWith":
        text, part = _strings(op, left, right)
        return text.startswith(part)
    if op == "endsWith":
        text, part = _strings(op, left, right)
        return text.endswith(part)
    if op == "..":
        if type(left) is not int or type(right) is not int:
            raise _mismatch(op, left, right)
        if right - left > 10_000_000:
            raise EvalError("range too large")
        return list(range(left, right + 1))
    raise EvalError(f"unknown operator {op}")


def ordering(a: Any, b: Any) -> int:
    """-1, 0 or 1 as `<` and `>` order two values (sort and sortBy)."""
    if _compare("<", a, b):
        return -1
    return 1 if _compare(">", a, b) else 0
