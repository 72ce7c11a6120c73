"""Operators and builtin functions of expr-lang, with Go's typing rules.

Kept apart from the parser so the value semantics (int vs float, nil, mismatched types) live in
one place; every failure raises EvalError, which the evaluator turns into ExpressionError.
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import json
import math
import re
import statistics
from collections.abc import Callable
from typing import Any

from wfexec.expr.values import go_json, go_str


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


def _as_utc(value: _dt.datetime) -> _dt.datetime:
    return value.replace(tzinfo=_dt.UTC) if value.tzinfo is None else value


_TIME_METHODS: dict[str, Callable[[_dt.datetime], Callable[..., Any]]] = {
    "Unix": lambda t: lambda: int(_as_utc(t).timestamp()),
    "UnixMilli": lambda t: lambda: int(_as_utc(t).timestamp() * 1000),
    "Year": lambda t: lambda: t.year,
    "Month": lambda t: lambda: t.month,
    "Day": lambda t: lambda: t.day,
    "Hour": lambda t: lambda: t.hour,
    "Minute": lambda t: lambda: t.minute,
    "Second": lambda t: lambda: t.second,
    "Weekday": lambda t: lambda: (t.weekday() + 1) % 7,
    "YearDay": lambda t: lambda: t.timetuple().tm_yday,
    "UTC": lambda t: lambda: _as_utc(t).astimezone(_dt.UTC),
    "Sub": lambda t: lambda other: _as_utc(t) - _as_utc(other),
    "Add": lambda t: lambda d: t + d,
    "After": lambda t: lambda other: _as_utc(t) > _as_utc(other),
    "Before": lambda t: lambda other: _as_utc(t) < _as_utc(other),
    "Equal": lambda t: lambda other: _as_utc(t) == _as_utc(other),
    "IsZero": lambda t: lambda: t.year == 1 and t.month == 1 and t.day == 1,
    "Format": lambda t: lambda layout: _go_format(t, layout),
    "String": lambda t: lambda: go_str(t),
}

_DURATION_METHODS: dict[str, Callable[[_dt.timedelta], Callable[..., Any]]] = {
    "Seconds": lambda d: lambda: d.total_seconds(),
    "Minutes": lambda d: lambda: d.total_seconds() / 60,
    "Hours": lambda d: lambda: d.total_seconds() / 3600,
    "Milliseconds": lambda d: lambda: int(d.total_seconds() * 1000),
    "Microseconds": lambda d: lambda: int(d.total_seconds() * 1_000_000),
    "Nanoseconds": lambda d: lambda: int(round(d.total_seconds() * 1e9)),
    "String": lambda d: lambda: go_str(d),
}


def _go_format(value: _dt.datetime, layout: str) -> str:
    from wfexec.expr.godate import format_go
    return format_go(value, layout)


def fetch(obj: Any, key: Any) -> Any:
    """`obj.key` / `obj[key]`: missing map keys are nil, reading from nil is an error."""
    if obj is None:
        raise NilFetchError(f"cannot fetch {go_str(key)} from nil")
    if isinstance(obj, dict):
        try:
            return obj.get(key)
        except TypeError:
            raise EvalError(f"cannot use {type_name(key)} as a map key") from None
    if isinstance(obj, (list, tuple, str)):
        if type(key) is float and key.is_integer():
            key = int(key)
        if type(key) is not int:
            raise EvalError(f"cannot fetch {go_str(key)} from {type_name(obj)}")
        index = key + len(obj) if key < 0 else key
        if not 0 <= index < len(obj):
            raise EvalError(f"index out of range: {key} (array length is {len(obj)})")
        return obj[index]
    if isinstance(obj, _dt.datetime) and key in _TIME_METHODS:
        return _TIME_METHODS[key](obj)
    if isinstance(obj, _dt.timedelta) and key in _DURATION_METHODS:
        return _DURATION_METHODS[key](obj)
    raise EvalError(f"cannot fetch {go_str(key)} from {type_name(obj)}")


def slice_of(obj: Any, lo: Any, hi: Any) -> Any:
    if not isinstance(obj, (list, tuple, str)):
        raise EvalError(f"cannot slice {type_name(obj)}")
    size = len(obj)
    bounds = []
    for value, default in ((lo, 0), (hi, size)):
        if value is None:
            bounds.append(default)
            continue
        if type(value) is not int:
            raise EvalError(f"slice bounds must be int, got {type_name(value)}")
        value = value + size if value < 0 else value
        bounds.append(min(max(value, 0), size))
    start, stop = bounds
    if start > stop:
        raise EvalError(f"invalid slice indices: {stop} < {start}")
    return obj[start:stop]


def call(name: str, func: Callable[..., Any], args: list[Any]) -> Any:
    try:
        return func(*args)
    except EvalError:
        raise
    except TypeError as err:
        raise EvalError(f"cannot call {name}: {err}") from None
    except (ValueError, KeyError, IndexError, OverflowError, ZeroDivisionError,
            AttributeError, re.error, UnicodeError, json.JSONDecodeError) as err:
        raise EvalError(f"{name}: {err}") from None


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
            return _as_utc(left) - _as_utc(right)
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
        left, right, ok = _as_utc(left), _as_utc(right), True
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


# ---- closure builtins: all(arr, pred) and friends -------------------------------------------

CLOSURE_BUILTINS = frozenset({
    "all", "none", "any", "one", "filter", "map", "count", "sum", "find", "findIndex",
    "findLast", "findLastIndex", "groupBy", "sortBy", "reduce",
})


def _pred_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise EvalError(f"predicate of {name} must return bool, got {type_name(value)}")
    return value


def closure_builtin(name: str, collection: Any, predicate: Callable[..., Any],
                    has_closure: bool, extra: list[Any]) -> Any:
    """Run a predicate builtin; `predicate(item, index, acc)` evaluates the closure."""
    if isinstance(collection, dict) and name not in ("reduce",):
        collection = list(collection.values())
    if not isinstance(collection, (list, tuple)):
        raise EvalError(f"cannot iterate over {type_name(collection)} in {name}")
    items = list(collection)
    if name == "map" and has_closure:
        return [predicate(x, i) for i, x in enumerate(items)]
    if name == "sum":
        mapped = [predicate(x, i) for i, x in enumerate(items)] if has_closure else items
        total: Any = 0
        for value in mapped:
            total = _arith("+", total, value)
        return total
    if name == "count":
        if not has_closure:
            return sum(1 for x in items if _pred_bool(name, x))
        return sum(1 for i, x in enumerate(items) if _pred_bool(name, predicate(x, i)))
    if not has_closure and name != "reduce":
        raise EvalError(f"{name} needs a predicate")
    if name == "reduce":
        if not has_closure:
            raise EvalError("reduce needs a predicate")
        if extra:
            acc, start = extra[0], 0
        elif items:
            acc, start = items[0], 1
        else:
            raise EvalError("reduce of empty array with no initial value")
        for i in range(start, len(items)):
            acc = predicate(items[i], i, acc)
        return acc
    if name == "groupBy":
        groups: dict[Any, list[Any]] = {}
        for i, x in enumerate(items):
            groups.setdefault(predicate(x, i), []).append(x)
        return groups
    if name == "sortBy":
        keys = [predicate(x, i) for i, x in enumerate(items)]
        reverse = bool(extra) and extra[0] == "desc"
        order = sorted(range(len(items)), key=functools.cmp_to_key(
            lambda a, b: _cmp(keys[a], keys[b])), reverse=reverse)
        return [items[i] for i in order]
    results = ((i, x, _pred_bool(name, predicate(x, i))) for i, x in enumerate(items))
    if name == "all":
        return all(r for _, _, r in results)
    if name == "any":
        return any(r for _, _, r in results)
    if name == "none":
        return not any(r for _, _, r in results)
    if name == "one":
        return sum(1 for _, _, r in results if r) == 1
    if name == "filter":
        return [x for _, x, r in results if r]
    if name in ("find", "findIndex"):
        for i, x, r in results:
            if r:
                return x if name == "find" else i
        return None if name == "find" else -1
    matches = [(i, x) for i, x, r in results if r]
    if name == "findLast":
        return matches[-1][1] if matches else None
    return matches[-1][0] if matches else -1


def _cmp(a: Any, b: Any) -> int:
    if _compare("<", a, b):
        return -1
    return 1 if _compare(">", a, b) else 0


# ---- plain builtins -----------------------------------------------------------------------

def _len(value: Any) -> int:
    if isinstance(value, (str, list, tuple, dict)):
        return len(value)
    raise EvalError(f"invalid argument for len (type {type_name(value)})")


def to_int(value: Any) -> int:
    """expr's `int()` (Argo's `asInt`): strings must be plain integers, floats truncate."""
    if isinstance(value, bool):
        raise EvalError(f"invalid operation: int({type_name(value)})")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise EvalError(f"invalid operation: int({go_str(value)})")
        return int(value)
    if isinstance(value, str):
        if re.fullmatch(r"[+-]?\d+", value):
            return int(value)
        raise EvalError(f'invalid operation: int("{value}"): not an integer')
    raise EvalError(f"invalid operation: int({type_name(value)})")


def to_float(value: Any) -> float:
    """expr's `float()` (Argo's `asFloat`)."""
    if isinstance(value, bool):
        raise EvalError(f"invalid operation: float({type_name(value)})")
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        text = value
        if re.fullmatch(r"[+-]?(\d[\d_]*\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|"
                        r"[iI]nf(inity)?|[nN]a[nN])", text):
            return float(text.replace("_", ""))
        raise EvalError(f'invalid operation: float("{value}"): not a number')
    raise EvalError(f"invalid operation: float({type_name(value)})")


def _abs(value: Any) -> Any:
    if not is_number(value):
        raise EvalError(f"invalid argument for abs (type {type_name(value)})")
    return abs(value)


def _num_list(name: str, args: tuple[Any, ...]) -> list[Any]:
    values: list[Any] = []
    for arg in args:
        if isinstance(arg, (list, tuple)):
            values.extend(_num_list(name, tuple(arg)))
        elif is_number(arg):
            values.append(arg)
        else:
            raise EvalError(f"invalid argument for {name} (type {type_name(arg)})")
    if not values and name in ("max", "min"):
        raise EvalError(f"not enough arguments to call {name}")
    return values


def _max(*args: Any) -> Any:
    return max(_num_list("max", args))


def _min(*args: Any) -> Any:
    return min(_num_list("min", args))


def _mean(*args: Any) -> float:
    values = _num_list("mean", args)
    return float(statistics.fmean(values)) if values else 0.0


def _median(*args: Any) -> float:
    values = _num_list("median", args)
    return float(statistics.median(values)) if values else 0.0


def _str_arg(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise EvalError(f"{name} expects a string, got {type_name(value)}")
    return value


def _trim(value: Any, chars: str | None = None) -> str:
    text = _str_arg("trim", value)
    return text.strip() if chars is None else text.strip(chars)


def _split(value: Any, sep: Any, n: int = -1) -> list[str]:
    text, sep = _str_arg("split", value), _str_arg("split", sep)
    if n == 0:
        return []
    if sep == "":
        parts = list(text)
        return parts if n < 0 else parts[:n - 1] + ["".join(parts[n - 1:])]
    return text.split(sep, -1 if n < 0 else n - 1)


def _join(values: Any, sep: str = "") -> str:
    if not isinstance(values, (list, tuple)):
        raise EvalError(f"join expects an array, got {type_name(values)}")
    return _str_arg("join", sep).join(_str_arg("join", v) for v in values)


def _first(values: Any) -> Any:
    if isinstance(values, (list, tuple)):
        return values[0] if values else None
    raise EvalError(f"cannot get first element from {type_name(values)}")


def _last(values: Any) -> Any:
    if isinstance(values, (list, tuple)):
        return values[-1] if values else None
    raise EvalError(f"cannot get last element from {type_name(values)}")


def _keys(value: Any) -> list[Any]:
    if not isinstance(value, dict):
        raise EvalError(f"cannot get keys from {type_name(value)}")
    return list(value.keys())


def _values(value: Any) -> list[Any]:
    if not isinstance(value, dict):
        raise EvalError(f"cannot get values from {type_name(value)}")
    return list(value.values())


def from_json(text: Any) -> Any:
    """Parse JSON as Go does into `any`: every number becomes a float64."""
    data = _str_arg("fromJSON", text)
    try:
        return json.loads(data, parse_int=float)
    except json.JSONDecodeError as err:
        raise EvalError(f"invalid JSON: {err}") from None


def _get(container: Any, key: Any) -> Any:
    try:
        return fetch(container, key)
    except EvalError:
        return None


def _sort(values: Any, order: str = "asc") -> list[Any]:
    if not isinstance(values, (list, tuple)):
        raise EvalError(f"cannot sort {type_name(values)}")
    return sorted(values, key=functools.cmp_to_key(_cmp), reverse=order == "desc")


def _flatten(values: Any) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, (list, tuple)):
            out.extend(_flatten(value))
        else:
            out.append(value)
    return out


def _uniq(values: Any) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if not any(equal(value, seen) for seen in out):
            out.append(value)
    return out


def _round(value: Any) -> float:
    number = to_float(value)
    return float(math.floor(number + 0.5)) if number >= 0 else -float(math.floor(-number + 0.5))


def _duration(text: Any) -> _dt.timedelta:
    from wfexec.expr.godate import parse_duration
    return parse_duration(_str_arg("duration", text))


def _date(text: Any, layout: str | None = None, tz: str | None = None) -> _dt.datetime:
    from wfexec.expr.godate import parse_date
    return parse_date(_str_arg("date", text), layout)


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def _index_of(text: Any, part: Any) -> int:
    return _str_arg("indexOf", text).find(_str_arg("indexOf", part))


def _last_index_of(text: Any, part: Any) -> int:
    return _str_arg("lastIndexOf", text).rfind(_str_arg("lastIndexOf", part))


def _from_base64(text: Any) -> str:
    try:
        return base64.b64decode(_str_arg("fromBase64", text), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as err:
        raise EvalError(f"invalid base64: {err}") from None


def _concat(*arrays: Any) -> list[Any]:
    out: list[Any] = []
    for array in arrays:
        if not isinstance(array, (list, tuple)):
            raise EvalError(f"cannot concat {type_name(array)}")
        out.extend(array)
    return out


def _take(values: Any, n: int) -> Any:
    if not isinstance(values, (list, tuple)):
        raise EvalError(f"cannot take from {type_name(values)}")
    return list(values[:max(n, 0)])


def _repeat(text: Any, n: Any) -> str:
    if type(n) is not int or n < 0 or n > 1_000_000:
        raise EvalError("repeat count must be a small non-negative int")
    return _str_arg("repeat", text) * n


def _type(value: Any) -> str:
    name = type_name(value)
    return {"nil": "nil", "time.Time": "time", "time.Duration": "duration"}.get(name, name)


def _to_pairs(value: Any) -> list[list[Any]]:
    if not isinstance(value, dict):
        raise EvalError(f"cannot get pairs from {type_name(value)}")
    return [[k, v] for k, v in value.items()]


def _from_pairs(values: Any) -> dict[Any, Any]:
    return {pair[0]: pair[1] for pair in values}


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": _len, "type": _type, "abs": _abs, "int": to_int, "float": to_float,
    "string": go_str, "ceil": lambda x: float(math.ceil(to_float(x))),
    "floor": lambda x: float(math.floor(to_float(x))), "round": _round,
    "max": _max, "min": _min, "mean": _mean, "median": _median,
    "trim": _trim,
    "trimPrefix": lambda s, p=" ": _str_arg("trimPrefix", s).removeprefix(p),
    "trimSuffix": lambda s, p=" ": _str_arg("trimSuffix", s).removesuffix(p),
    "upper": lambda s: _str_arg("upper", s).upper(),
    "lower": lambda s: _str_arg("lower", s).lower(),
    "split": _split,
    "splitAfter": lambda s, sep: [p + sep for p in _str_arg("splitAfter", s).split(sep)[:-1]]
    + [_str_arg("splitAfter", s).split(sep)[-1]],
    "replace": lambda s, old, new: _str_arg("replace", s).replace(old, new),
    "repeat": _repeat, "indexOf": _index_of, "lastIndexOf": _last_index_of,
    "hasPrefix": lambda s, p: _str_arg("hasPrefix", s).startswith(_str_arg("hasPrefix", p)),
    "hasSuffix": lambda s, p: _str_arg("hasSuffix", s).endswith(_str_arg("hasSuffix", p)),
    "join": _join, "first": _first, "last": _last, "keys": _keys, "values": _values,
    "toJSON": lambda v: go_json(v, indent="  "), "fromJSON": from_json,
    "toBase64": lambda s: base64.b64encode(_str_arg("toBase64", s).encode()).decode(),
    "fromBase64": _from_base64, "now": _now, "duration": _duration, "date": _date,
    "get": _get, "take": _take, "reverse": lambda v: list(reversed(v)), "uniq": _uniq,
    "concat": _concat, "flatten": _flatten, "sort": _sort, "toPairs": _to_pairs,
    "fromPairs": _from_pairs,
    "bitand": lambda a, b: to_int(a) & to_int(b), "bitor": lambda a, b: to_int(a) | to_int(b),
    "bitxor": lambda a, b: to_int(a) ^ to_int(b), "bitnot": lambda a: ~to_int(a),
    "bitshl": lambda a, b: to_int(a) << min(to_int(b), 64),
    "bitshr": lambda a, b: to_int(a) >> to_int(b),
}
