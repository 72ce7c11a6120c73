"""Durations and times as argo's flags take them: `90s`, `1h30m`, `7d`; RFC 3339 times."""

from __future__ import annotations

import datetime as dt
import re

from wfexec.errors import WfexecError

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str, flag: str) -> float:
    """Seconds in a Go duration, with `d` for days as argo adds (`10m`, `3h`, `1d`, `1h30m`)."""
    pos, total = 0, 0.0
    text = text.strip()
    while pos < len(text):
        m = _PART.match(text, pos)
        if not m:
            raise WfexecError(f"{flag} {text!r}: expected a duration such as 30s, 10m, 3h or 1d")
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    if not text:
        raise WfexecError(f"{flag}: expected a duration such as 30s, 10m, 3h or 1d")
    return total


def parse_time(text: str, flag: str) -> dt.datetime:
    """An RFC 3339 time (`2026-01-02T15:04:05Z`), as a UTC datetime."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise WfexecError(f"{flag} {text!r}: expected an RFC 3339 time such as 2026-01-02T15:04:05Z") from None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def stamp(text: str | None) -> dt.datetime | None:
    """A store timestamp (`%Y-%m-%dT%H:%M:%SZ`) as a UTC datetime."""
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def ago(seconds: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
