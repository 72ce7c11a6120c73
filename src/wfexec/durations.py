"""Durations as Go's `time.ParseDuration` reads them, and as Argo reads its duration fields.

One parser for the whole project. Stdlib only: the emissary imports it inside bare containers
(containerSet retry durations), the engine for timeouts, backoff and suspend, expr for
`sprig.duration`-like functions. It follows Go's grammar `[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+`
exactly, including its 64-bit nanosecond range and its float rounding of fractions, so a
duration means here what it means to Argo's controller.
"""

from __future__ import annotations

NANOSECONDS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # µ, MICRO SIGN
    "\u03bcs": 1_000,  # μ, GREEK SMALL LETTER MU
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_LIMIT = 1 << 63  # Go's Duration is an int64 of nanoseconds
_DIGITS = "0123456789"
EXPECTED = "a Go duration such as 300ms, 1.5h or 2h45m (units ns, us, µs, ms, s, m, h)"


class DurationError(ValueError):
    """Text that is not a duration; the message quotes it and says what was expected."""

    def __init__(self, text: str, why: str = "invalid duration") -> None:
        self.text = text
        super().__init__(f"{why} {_quote(text)}: expected {EXPECTED}")


def go_nanoseconds(text: str) -> int:
    """Nanoseconds in `text`, exactly as Go's time.ParseDuration; DurationError otherwise."""
    s = text
    neg = False
    if s[:1] in ("-", "+"):
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise DurationError(text)
    total = 0
    while s:
        if s[0] != "." and s[0] not in _DIGITS:
            raise DurationError(text)
        before = len(s)
        whole, s = _leading_int(s, text)
        had_whole = len(s) != before
        frac, scale, had_frac = 0, 1.0, False
        if s[:1] == ".":
            s = s[1:]
            before = len(s)
            frac, scale, s = _leading_fraction(s)
            had_frac = len(s) != before
        if not had_whole and not had_frac:
            raise DurationError(text)
        i = 0
        while i < len(s) and s[i] != "." and s[i] not in _DIGITS:
            i += 1
        if i == 0:
            raise DurationError(text, "missing unit in duration")
        unit_text, s = s[:i], s[i:]
        unit = NANOSECONDS.get(unit_text)
        if unit is None:
            raise DurationError(text, f"unknown unit {_quote(unit_text)} in duration")
        if whole > _LIMIT // unit:
            raise DurationError(text, "out of range (over 2562047h) duration")
        value = whole * unit
        if frac > 0:  # Go's float64 arithmetic, so fractions round as they do in Argo
            value += int(float(frac) * (float(unit) / scale))
            if value > _LIMIT:
                raise DurationError(text, "out of range (over 2562047h) duration")
        total += value
        if total > _LIMIT:
            raise DurationError(text, "out of range (over 2562047h) duration")
    if neg:
        return -total
    if total > _LIMIT - 1:
        raise DurationError(text, "out of range (over 2562047h) duration")
    return total


def go_seconds(text: str) -> float:
    """Seconds in a Go duration (strict: "30" has no unit and is refused, as by Go)."""
    return go_nanoseconds(text) / 1e9


def argo_seconds(value: str | int) -> float:
    """Seconds in an Argo duration field that takes a bare integer as seconds (retryStrategy
    backoff duration/cap/maxDuration, suspend duration, activeDeadlineSeconds): Argo tries
    strconv.Atoi first, then time.ParseDuration."""
    if isinstance(value, bool):
        raise DurationError(str(value))
    if isinstance(value, int):
        return float(value)
    text = str(value)
    digits = text[1:] if text[:1] in ("-", "+") else text
    if digits and all(c in _DIGITS for c in digits):
        return float(int(text))
    return go_seconds(text)


def _leading_int(s: str, text: str) -> tuple[int, str]:
    i, x = 0, 0
    while i < len(s) and s[i] in _DIGITS:
        if x > _LIMIT // 10:
            raise DurationError(text, "out of range (over 2562047h) duration")
        x = x * 10 + ord(s[i]) - 48
        if x > _LIMIT:
            raise DurationError(text, "out of range (over 2562047h) duration")
        i += 1
    return x, s[i:]


def _leading_fraction(s: str) -> tuple[int, float, str]:
    """Digits after the point; past 63 bits Go stops counting them (but still reads them)."""
    i, x, scale, overflow = 0, 0, 1.0, False
    while i < len(s) and s[i] in _DIGITS:
        if not overflow:
            if x > (_LIMIT - 1) // 10:
                overflow = True
            else:
                y = x * 10 + ord(s[i]) - 48
                if y > _LIMIT:
                    overflow = True
                else:
                    x = y
                    scale *= 10
        i += 1
    return x, scale, s[i:]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
