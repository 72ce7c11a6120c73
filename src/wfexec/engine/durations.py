"""Durations as Argo writes them: "30", "30s", "2m", "1h30m", or Go's "1.5h"."""

from __future__ import annotations

import re

from wfexec.errors import SpecError

_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")


def parse_duration(text: str | int | float) -> float:
    """Seconds in `text`; a bare number is seconds."""
    s = str(text).strip()
    try:
        return float(s)
    except ValueError:
        pass
    pos, total = 0, 0.0
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    if pos != len(s) or not s:
        raise SpecError(f"invalid duration {text!r}: expected e.g. 30, 30s, 2m or 1h30m")
    return total
