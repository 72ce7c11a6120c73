"""Member access in expr-lang: `obj.key`, `obj[key]`, slices, the methods of times and durations,
and calling a function with its errors as EvalError."""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Callable
from typing import Any

from wfexec.expr.operators import EvalError, NilFetchError, as_utc, type_name
from wfexec.expr.values import go_str

_TIME_METHODS: dict[str, Callable[[_dt.datetime], Callable[..., Any]]] = {
    "Unix": lambda t: lambda: int(as_utc(t).timestamp()),
    "UnixMilli": lambda t: lambda: int(as_utc(t).timestamp() * 1000),
    "Year": lambda t: lambda: t.year,
    "Month": lambda t: lambda: t.month,
    "Day": lambda t: lambda: t.day,
    "Hour": lambda t: lambda: t.hour,
    "Minute": lambda t: lambda: t.minute,
    "Second": lambda t: lambda: t.second,
    "Weekday": lambda t: lambda: (t.weekday() + 1) % 7,
    "YearDay": lambda t: lambda: t.timetuple().tm_yday,
    "UTC": lambda t: lambda: as_utc(t).astimezone(_dt.UTC),
    "Sub": lambda t: lambda other: as_utc(t) - as_utc(other),
    "Add": lambda t: lambda d: t + d,
    "After": lambda t: lambda other: as_utc(t) > as_utc(other),
    "Before": lambda t: lambda other: as_utc(t) < as_utc(other),
    "Equal": lambda t: lambda other: as_utc(t) == as_utc(other),
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
