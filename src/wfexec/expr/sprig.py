"""The Sprig template functions Argo exposes as `sprig.*` inside `{{=…}}`.

Sprig's arithmetic coerces its arguments to int64 (or float64 for the `…f` variants) and its
string functions take the subject last (`sprig.replace(old, new, s)`); we follow both so
expressions written against Argo give the same answers.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import math
import re
from collections.abc import Callable
from typing import Any

from wfexec.expr.builtins import EvalError, compile_regex, type_name
from wfexec.expr.godate import format_go, parse_date
from wfexec.expr.values import go_json, go_str


def to_int64(value: Any) -> int:
    """Sprig's `toInt64` (spf13/cast): bad input becomes 0, never an error."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return 0 if math.isnan(value) or math.isinf(value) else int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+\.0*", text):
            text = text.split(".")[0]
        try:
            return int(text, 0)
        except ValueError:
            return 0
    return 0


def to_float64(value: Any) -> float:
    if isinstance(value, (bool, int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return 0.0
    return 0.0


def to_string(value: Any) -> str:
    """Sprig's `toString` (`strval`)."""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return go_str(value)


def empty(value: Any) -> bool:
    if value is None or value is False:
        return True
    if isinstance(value, (str, list, tuple, dict)):
        return len(value) == 0
    if isinstance(value, (int, float)):
        return value == 0
    return False


def _date_value(value: Any) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _dt.datetime.fromtimestamp(value).astimezone()
    return _dt.datetime.now().astimezone()  # sprig uses time.Now() for anything else


def date(layout: str, value: Any) -> str:
    """`date FORMAT TIME`: TIME must be a time or unix seconds; anything else means now."""
    return format_go(_date_value(value), layout)


def date_in_zone(layout: str, value: Any, zone: str) -> str:
    moment = _date_value(value)
    if zone.upper() == "UTC":
        moment = moment.astimezone(_dt.UTC)
    return format_go(moment, layout)


def _div(a: Any, b: Any) -> int:
    divisor = to_int64(b)
    if divisor == 0:
        raise EvalError("integer divide by zero")
    q = abs(to_int64(a)) // abs(divisor)
    return q if (to_int64(a) >= 0) == (divisor > 0) else -q


def _mod(a: Any, b: Any) -> int:
    divisor = to_int64(b)
    if divisor == 0:
        raise EvalError("integer divide by zero")
    return int(math.fmod(to_int64(a), divisor))


def _max(a: Any, *rest: Any) -> int:
    return max([to_int64(a)] + [to_int64(x) for x in rest])


def _min(a: Any, *rest: Any) -> int:
    return min([to_int64(a)] + [to_int64(x) for x in rest])


def _b64dec(text: Any) -> str:
    try:
        return base64.b64decode(to_string(text)).decode(errors="replace")
    except ValueError as err:
        return str(err)  # sprig returns the error text as the value


def _split(sep: str, text: str) -> dict[str, str]:
    return {f"_{i}": part for i, part in enumerate(to_string(text).split(sep))}


def _split_list(sep: str, text: str) -> list[str]:
    return to_string(text).split(sep)


def _join(sep: str, values: Any) -> str:
    if isinstance(values, (list, tuple)):
        return sep.join(to_string(v) for v in values)
    return to_string(values)


def _quote(*values: Any) -> str:
    return " ".join(json.dumps(to_string(v), ensure_ascii=False) for v in values if v is not None)


def _squote(*values: Any) -> str:
    return " ".join(f"'{to_string(v)}'" for v in values if v is not None)


def _default(fallback: Any, *given: Any) -> Any:
    if not given or empty(given[0]):
        return fallback
    return given[0]


def _coalesce(*values: Any) -> Any:
    for value in values:
        if not empty(value):
            return value
    return None


def _dict(*pairs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(pairs), 2):
        out[to_string(pairs[i])] = pairs[i + 1] if i + 1 < len(pairs) else ""
    return out


def _from_json(text: Any) -> Any:
    try:
        return json.loads(to_string(text), parse_int=float)
    except json.JSONDecodeError:
        return ""


def _substr(start: Any, end: Any, text: Any) -> str:
    s = to_string(text)
    a, b = to_int64(start), to_int64(end)
    if a < 0:
        return s[:b]
    if b < 0 or b > len(s):
        return s[a:]
    return s[a:b]


def _trunc(n: Any, text: Any) -> str:
    s, c = to_string(text), to_int64(n)
    if c < 0 and len(s) + c > 0:
        return s[len(s) + c:]
    if c >= 0 and len(s) > c:
        return s[:c]
    return s


def _indent(spaces: Any, text: Any) -> str:
    pad = " " * to_int64(spaces)
    return pad + to_string(text).replace("\n", "\n" + pad)


def _regex_match(pattern: str, text: Any) -> bool:
    return compile_regex(pattern).search(to_string(text)) is not None


def _regex_find_all(pattern: str, text: Any, n: Any) -> list[str]:
    found = [m.group() for m in compile_regex(pattern).finditer(to_string(text))]
    limit = to_int64(n)
    return found if limit < 0 else found[:limit]


def _regex_replace_all(pattern: str, text: Any, repl: str) -> str:
    go_repl = re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", repl)
    return compile_regex(pattern).sub(go_repl, to_string(text))


def _regex_find(pattern: str, text: Any) -> str:
    m = compile_regex(pattern).search(to_string(text))
    return m.group() if m else ""


def _list_arg(name: str, value: Any) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise EvalError(f"sprig.{name} expects a list, got {type_name(value)}")
    return list(value)


def _has_key(mapping: Any, key: str) -> bool:
    return isinstance(mapping, dict) and key in mapping


def _title(text: Any) -> str:
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), to_string(text))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # strings
    "trim": lambda s: to_string(s).strip(),
    "trimAll": lambda chars, s: to_string(s).strip(chars),
    "trimPrefix": lambda p, s: to_string(s).removeprefix(p),
    "trimSuffix": lambda p, s: to_string(s).removesuffix(p),
    "upper": lambda s: to_string(s).upper(), "lower": lambda s: to_string(s).lower(),
    "title": _title, "repeat": lambda n, s: to_string(s) * max(min(to_int64(n), 10**6), 0),
    "replace": lambda old, new, s: to_string(s).replace(old, new),
    "contains": lambda part, s: part in to_string(s),
    "hasPrefix": lambda p, s: to_string(s).startswith(p),
    "hasSuffix": lambda p, s: to_string(s).endswith(p),
    "split": _split, "splitList": _split_list, "join": _join,
    "quote": _quote, "squote": _squote, "cat": lambda *v: " ".join(
        to_string(x) for x in v if x is not None),
    "nospace": lambda s: re.sub(r"\s", "", to_string(s)),
    "substr": _substr, "trunc": _trunc, "indent": _indent,
    "nindent": lambda n, s: "\n" + _indent(n, s),
    "abbrev": lambda n, s: to_string(s) if len(to_string(s)) <= to_int64(n) else (
        to_string(s)[:max(to_int64(n) - 3, 0)] + "..."),
    "toString": to_string, "toStrings": lambda v: [to_string(x) for x in _list_arg(
        "toStrings", v)],
    "b64enc": lambda s: base64.b64encode(to_string(s).encode()).decode(),
    "b64dec": _b64dec,
    "sha256sum": lambda s: hashlib.sha256(to_string(s).encode()).hexdigest(),
    "sha1sum": lambda s: hashlib.sha1(to_string(s).encode()).hexdigest(),
    "regexMatch": _regex_match, "regexFind": _regex_find, "regexFindAll": _regex_find_all,
    "regexReplaceAll": _regex_replace_all, "regexQuoteMeta": re.escape,
    # numbers
    "add": lambda *v: sum(to_int64(x) for x in v), "add1": lambda v: to_int64(v) + 1,
    "sub": lambda a, b: to_int64(a) - to_int64(b),
    "mul": lambda a, *v: math.prod([to_int64(a)] + [to_int64(x) for x in v]),
    "div": _div, "mod": _mod, "max": _max, "min": _min,
    "addf": lambda *v: sum(to_float64(x) for x in v),
    "subf": lambda a, *v: to_float64(a) - sum(to_float64(x) for x in v),
    "mulf": lambda a, *v: math.prod([to_float64(a)] + [to_float64(x) for x in v]),
    "divf": lambda a, b: to_float64(a) / to_float64(b) if to_float64(b) else math.inf,
    "maxf": lambda a, *v: max([to_float64(a)] + [to_float64(x) for x in v]),
    "minf": lambda a, *v: min([to_float64(a)] + [to_float64(x) for x in v]),
    "floor": lambda v: float(math.floor(to_float64(v))),
    "ceil": lambda v: float(math.ceil(to_float64(v))),
    "round": lambda v, p=0, *_: round(to_float64(v), to_int64(p)),
    "atoi": to_int64, "int": to_int64, "int64": to_int64, "float64": to_float64,
    "toDecimal": lambda s: to_int64("0o" + to_string(s)),
    "seq": lambda *v: " ".join(str(i) for i in range(
        1 if len(v) == 1 else to_int64(v[0]), to_int64(v[-1]) + 1)),
    "until": lambda n: list(range(to_int64(n))),
    # defaults and logic
    "default": _default, "empty": empty, "coalesce": _coalesce,
    "ternary": lambda a, b, cond: a if cond else b,
    "toJson": lambda v: go_json(v), "toPrettyJson": lambda v: go_json(v, indent="  "),
    "toRawJson": lambda v: go_json(v), "fromJson": _from_json,
    # lists and dicts
    "list": lambda *v: list(v), "tuple": lambda *v: list(v), "dict": _dict,
    "first": lambda v: _list_arg("first", v)[0] if _list_arg("first", v) else None,
    "last": lambda v: _list_arg("last", v)[-1] if _list_arg("last", v) else None,
    "rest": lambda v: _list_arg("rest", v)[1:], "initial": lambda v: _list_arg("initial", v)[:-1],
    "append": lambda v, x: _list_arg("append", v) + [x],
    "prepend": lambda v, x: [x] + _list_arg("prepend", v),
    "reverse": lambda v: list(reversed(_list_arg("reverse", v))),
    "uniq": lambda v: [x for i, x in enumerate(_list_arg("uniq", v))
                       if x not in _list_arg("uniq", v)[:i]],
    "has": lambda needle, v: needle in _list_arg("has", v),
    "without": lambda v, *drop: [x for x in _list_arg("without", v) if x not in drop],
    "compact": lambda v: [x for x in _list_arg("compact", v) if not empty(x)],
    "sortAlpha": lambda v: sorted(to_string(x) for x in _list_arg("sortAlpha", v)),
    "keys": lambda *ds: [k for d in ds for k in d],
    "values": lambda d: list(d.values()), "hasKey": _has_key,
    "get": lambda d, k: d.get(k, "") if isinstance(d, dict) else "",
    "pluck": lambda k, *ds: [d[k] for d in ds if isinstance(d, dict) and k in d],
    "pick": lambda d, *ks: {k: d[k] for k in ks if k in d},
    "omit": lambda d, *ks: {k: v for k, v in d.items() if k not in ks},
    "merge": lambda dst, *srcs: {**{k: v for s in reversed(srcs) for k, v in s.items()}, **dst},
    # dates
    "now": lambda: _dt.datetime.now().astimezone(), "date": date, "dateInZone": date_in_zone,
    "unixEpoch": lambda t: str(int(_date_value(t).timestamp())),
    "ago": lambda t: go_str(_dt.datetime.now().astimezone() - _date_value(t)),
    "toDate": lambda layout, s: parse_date(to_string(s), layout),
    "htmlDate": lambda t: format_go(_date_value(t), "2006-01-02"),
}
