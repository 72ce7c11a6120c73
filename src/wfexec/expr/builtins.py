"""Expr-lang's plain builtin functions (strings, numbers, arrays and maps, JSON, base64, dates).

The operators, member access and closure builtins live in operators.py, members.py and
closures.py; their names are importable from here too, where the expression modules read them.
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import json
import math
import re
from collections.abc import Callable
from typing import Any

from wfexec.expr.closures import CLOSURE_BUILTINS, closure_builtin
from wfexec.expr.members import call, fetch, slice_of
from wfexec.expr.operators import (
    EvalError,
    NilFetchError,
    binary,
    compile_regex,
    equal,
    is_number,
    ordering,
    truthy,
    type_name,
)
from wfexec.expr.values import go_json, go_str

__all__ = ["CLOSURE_BUILTINS", "FUNCTIONS", "EvalError", "NilFetchError", "binary", "call", "closure_builtin",
           "compile_regex", "equal", "fetch", "from_json", "is_number", "slice_of", "to_float", "to_int",
           "truthy", "type_name"]


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
    import statistics  # its import (fractions, decimal) only for the expressions that average

    return float(statistics.fmean(values)) if values else 0.0


def _median(*args: Any) -> float:
    values = _num_list("median", args)
    import statistics

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
    return sorted(values, key=functools.cmp_to_key(ordering), reverse=order == "desc")


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
