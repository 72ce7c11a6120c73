"""Render Python values the way Argo's Go code prints them.

Argo formats expression results with Go's `encoding/json` and `fmt`; a user comparing our
output with a real cluster must see the same text (`30`, not `30.0`; sorted map keys).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any

_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                 "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_float(value: float, *, json_style: bool = False) -> str:
    """Shortest text for a float64, as Go's `%v` (or `json.Marshal` when json_style) writes it."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 and not json_style else "0"
    from decimal import Decimal  # only floats need it, and it costs a millisecond to import

    sign, digits, exp = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    point = len(text) + int(exp)          # position of the decimal point within `text`
    decimal_exp = point - 1               # exponent in d.ddd form
    use_exp = (decimal_exp < -6 or decimal_exp >= 21) if json_style else (
        decimal_exp < -4 or decimal_exp >= 6)
    if use_exp:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        esign = "-" if decimal_exp < 0 else "+"
        # fmt pads the exponent to two digits; encoding/json drops that pad for e-0N
        width = 1 if json_style and decimal_exp < 0 else 2
        out = f"{mantissa}e{esign}{abs(decimal_exp):0{width}d}"
    elif point <= 0:
        out = "0." + "0" * (-point) + text
    elif point >= len(text):
        out = text + "0" * (point - len(text))
    else:
        out = text[:point] + "." + text[point:]
    return ("-" if sign else "") + out


def _json_str(text: str) -> str:
    out = json.dumps(text, ensure_ascii=False)
    if any(ch in out for ch in _HTML_ESCAPES):
        out = "".join(_HTML_ESCAPES.get(ch, ch) for ch in out)
    return out


_QUOTE_ESCAPES = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n",
                  "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(text: str) -> str:
    """Go's `strconv.Quote`: what Argo wraps some values in before substitution (`workflow.failures`),
    so a pod sees the quotes and backslashes Argo's does."""
    out = []
    for ch in text:
        if ch in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[ch])
        elif ch.isprintable():  # as Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols, " "
            out.append(ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def go_json(value: Any, *, indent: str | None = None, _level: int = 0) -> str:
    """JSON text as Go's `json.Marshal` (or `MarshalIndent`) writes it: sorted keys, no spaces."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"json: unsupported value: {go_float(value)}")
        return go_float(value, json_style=True)
    if isinstance(value, str):
        return _json_str(value)
    if isinstance(value, _dt.datetime):
        return _json_str(rfc3339(value))
    if isinstance(value, _dt.timedelta):
        return str(duration_ns(value))
    if isinstance(value, (list, tuple)):
        items = [go_json(v, indent=indent, _level=_level + 1) for v in value]
        return _wrap("[", "]", items, indent, _level)
    if isinstance(value, dict):
        items = []
        for key in sorted(value, key=str):
            sep = ": " if indent is not None else ":"
            items.append(_json_str(str(key)) + sep
                         + go_json(value[key], indent=indent, _level=_level + 1))
        return _wrap("{", "}", items, indent, _level)
    if callable(value):
        raise ValueError("json: unsupported type: func")
    raise ValueError(f"json: unsupported type: {type(value).__name__}")


def _wrap(open_: str, close: str, items: list[str], indent: str | None, level: int) -> str:
    if not items:
        return open_ + close
    if indent is None:
        return open_ + ",".join(items) + close
    pad = "\n" + indent * (level + 1)
    return open_ + pad + ("," + pad).join(items) + "\n" + indent * level + close


def go_str(value: Any) -> str:
    """Text of a value as Go's `fmt.Sprintf("%v", v)` writes it (used by `string()`, `+`)."""
    if value is None:
        return "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{go_str(k)}:{go_str(value[k])}"
                                 for k in sorted(value, key=str)) + "]"
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S %z")
    if isinstance(value, _dt.timedelta):
        return go_duration(value)
    return str(value)


def render(value: Any) -> str:
    """Text substituted for a `{{…}}` value: strings as is, everything else as compact JSON."""
    if isinstance(value, str):
        return value
    return go_json(value)


def rfc3339(value: _dt.datetime) -> str:
    """RFC 3339 text of a datetime (naive means UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    text = value.isoformat()
    return text.replace("+00:00", "Z")


def duration_ns(value: _dt.timedelta) -> int:
    """A timedelta as Go's time.Duration (integer nanoseconds)."""
    return (value.days * 86400 + value.seconds) * 1_000_000_000 + value.microseconds * 1000


def go_duration(value: _dt.timedelta) -> str:
    """Text of a duration as Go's `Duration.String()` writes it, e.g. `1h2m3.5s`."""
    ns = duration_ns(value)
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1000), ("ns", 1)):
            if ns >= size:
                return sign + _trim_float(ns / size) + unit
    hours, rest = divmod(ns, 3600 * 1_000_000_000)
    minutes, rest = divmod(rest, 60 * 1_000_000_000)
    seconds = _trim_float(rest / 1_000_000_000) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


def _trim_float(value: float) -> str:
    return go_float(round(value, 9))
