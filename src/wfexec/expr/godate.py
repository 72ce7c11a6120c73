"""Go time layouts (`2006-01-02T15:04:05Z07:00`) and durations (`1h30m`) for expr and sprig.

Argo users write dates with Go's reference-time layouts (`sprig.date('2006', …)`), so we
translate those layouts rather than strftime patterns.
"""

from __future__ import annotations

import datetime as _dt
import re

from wfexec.durations import DurationError, go_nanoseconds
from wfexec.expr.builtins import EvalError

_LAYOUT_TOKENS = re.compile(
    r"January|Jan|Monday|Mon|2006|Z07:00|Z0700|Z07|-07:00|-0700|-07|MST|"
    r"\.0+|\.9+|,0+|,9+|__2|_2|002|01|02|03|04|05|06|15|PM|pm|1|2|3|4|5")


def format_go(value: _dt.datetime, layout: str) -> str:
    """Format a datetime with a Go reference-time layout."""
    out: list[str] = []
    pos = 0
    for m in _LAYOUT_TOKENS.finditer(layout):
        out.append(layout[pos:m.start()])
        out.append(_format_token(value, m.group()))
        pos = m.end()
    out.append(layout[pos:])
    return "".join(out)


def _offset(value: _dt.datetime, colon: bool, z: bool, hours_only: bool = False) -> str:
    delta = value.utcoffset() or _dt.timedelta(0)
    if z and delta == _dt.timedelta(0):
        return "Z"
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    if hours_only:
        return f"{sign}{hh:02d}"
    return f"{sign}{hh:02d}{':' if colon else ''}{mm:02d}"


def _format_token(t: _dt.datetime, tok: str) -> str:
    simple = {
        "January": t.strftime("%B"), "Jan": t.strftime("%b"), "Monday": t.strftime("%A"),
        "Mon": t.strftime("%a"), "2006": f"{t.year:04d}", "06": f"{t.year % 100:02d}",
        "01": f"{t.month:02d}", "1": str(t.month), "02": f"{t.day:02d}", "2": str(t.day),
        "_2": f"{t.day:>2d}", "__2": f"{t.timetuple().tm_yday:>3d}",
        "002": f"{t.timetuple().tm_yday:03d}", "15": f"{t.hour:02d}",
        "03": f"{(t.hour % 12) or 12:02d}", "3": str((t.hour % 12) or 12),
        "04": f"{t.minute:02d}", "4": str(t.minute), "05": f"{t.second:02d}",
        "5": str(t.second), "PM": "PM" if t.hour >= 12 else "AM",
        "pm": "pm" if t.hour >= 12 else "am", "MST": t.tzname() or "UTC",
    }
    if tok in simple:
        return simple[tok]
    if tok in ("Z07:00", "-07:00"):
        return _offset(t, True, tok[0] == "Z")
    if tok in ("Z0700", "-0700"):
        return _offset(t, False, tok[0] == "Z")
    if tok in ("Z07", "-07"):
        return _offset(t, False, tok[0] == "Z", hours_only=True)
    digits = f"{t.microsecond:06d}000"[:len(tok) - 1]
    if tok[1] == "9":
        digits = digits.rstrip("0")
        return (tok[0] + digits) if digits else ""
    return tok[0] + digits


def parse_duration(text: str) -> _dt.timedelta:
    """Go's duration syntax (`300ms`, `-1.5h`, `2h45m`), read by the project's one parser."""
    try:
        nanoseconds = go_nanoseconds(text)
    except DurationError as exc:
        raise EvalError(f"time: {exc}") from None
    return _dt.timedelta(microseconds=nanoseconds / 1000)


def parse_date(text: str, layout: str | None = None) -> _dt.datetime:
    """Parse a date: RFC 3339 and common ISO forms, or a Go layout when given."""
    if layout is None:
        candidate = text.strip().replace("Z", "+00:00")
        try:
            value = _dt.datetime.fromisoformat(candidate)
        except ValueError:
            raise EvalError(f'cannot parse "{text}" as a date') from None
        return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    pattern = _layout_regex(layout)
    m = re.fullmatch(pattern, text)
    if m is None:
        raise EvalError(f'cannot parse "{text}" as "{layout}"')
    parts = {k: v for k, v in m.groupdict().items() if v is not None}
    try:
        return _dt.datetime(int(parts.get("Y", 1)), int(parts.get("m", 1)),
                            int(parts.get("d", 1)), int(parts.get("H", 0)),
                            int(parts.get("M", 0)), int(parts.get("S", 0)),
                            tzinfo=_dt.UTC)
    except ValueError as err:
        raise EvalError(f'cannot parse "{text}" as "{layout}": {err}') from None


def _layout_regex(layout: str) -> str:
    groups = {"2006": r"(?P<Y>\d{4})", "01": r"(?P<m>\d{2})", "1": r"(?P<m>\d{1,2})",
              "02": r"(?P<d>\d{2})", "2": r"(?P<d>\d{1,2})", "15": r"(?P<H>\d{2})",
              "04": r"(?P<M>\d{2})", "05": r"(?P<S>\d{2})"}
    out, pos, seen = [], 0, set()
    for m in _LAYOUT_TOKENS.finditer(layout):
        out.append(re.escape(layout[pos:m.start()]))
        tok = m.group()
        group = groups.get(tok)
        if group and group[4] not in seen:
            seen.add(group[4])
            out.append(group)
        else:
            out.append(r".+?")
        pos = m.end()
    out.append(re.escape(layout[pos:]))
    return "".join(out)
