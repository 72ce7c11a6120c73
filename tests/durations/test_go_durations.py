"""The one duration parser against Go's own table for time.ParseDuration, and Argo's bare seconds."""

from __future__ import annotations

import datetime as dt

import pytest

from wfexec.durations import DurationError, argo_seconds, go_nanoseconds, go_seconds
from wfexec.engine.durations import parse_duration, parse_go_duration
from wfexec.errors import SpecError
from wfexec.expr.builtins import EvalError
from wfexec.expr.godate import parse_duration as expr_duration

NS, US, MS, S, M, H = 1, 1_000, 1_000_000, 1_000_000_000, 60_000_000_000, 3_600_000_000_000

GO_VALID = [  # Go's parseDurationTests (src/time/time_test.go)
    ("0", 0), ("5s", 5 * S), ("30s", 30 * S), ("1478s", 1478 * S),
    ("-5s", -5 * S), ("+5s", 5 * S), ("-0", 0), ("+0", 0),
    ("5.0s", 5 * S), ("5.6s", 5 * S + 600 * MS), ("5.s", 5 * S), (".5s", 500 * MS), ("1.0s", S),
    ("1.00s", S), ("1.004s", S + 4 * MS), ("1.0040s", S + 4 * MS), ("100.00100s", 100 * S + MS),
    ("10ns", 10 * NS), ("11us", 11 * US), ("12\u00b5s", 12 * US), ("12\u03bcs", 12 * US), ("13ms", 13 * MS),
    ("14s", 14 * S), ("15m", 15 * M), ("16h", 16 * H),
    ("3h30m", 3 * H + 30 * M), ("10.5s4m", 4 * M + 10 * S + 500 * MS), ("-2m3.4s", -(2 * M + 3 * S + 400 * MS)),
    ("1h2m3s4ms5us6ns", H + 2 * M + 3 * S + 4 * MS + 5 * US + 6 * NS), ("39h9m14.425s", 39 * H + 9 * M + 14 * S + 425 * MS),
    ("52763797000ns", 52763797000), ("0.3333333333333333333h", 20 * M), ("9007199254740993ns", (1 << 53) + 1),
    ("9223372036854775807ns", (1 << 63) - 1), ("9223372036854775.807us", (1 << 63) - 1),
    ("9223372036s854ms775us807ns", (1 << 63) - 1), ("-9223372036854775808ns", -(1 << 63)),
    ("-9223372036854775.808us", -(1 << 63)), ("-9223372036s854ms775us808ns", -(1 << 63)),
    ("-2562047h47m16.854775808s", -(1 << 63)),
    ("0.100000000000000000000h", 6 * M), ("0.830103483285477580700h", 49 * M + 48 * S + 372539827),
]

GO_INVALID = [  # Go's parseDurationErrorTests, plus Argo's common slip `d`
    "", "3", "-", "s", ".", "-.", ".s", "+.s", "1d", "\x85\x85", "\xffff", "hello \xffff world", "\ufffd",
    "\ufffd hello \ufffd world", "9223372036854775810ns", "9223372036854775808ns", "-9223372036854775809ns",
    "9223372036854776us", "3000000h", "9223372036854775.808us", "9223372036854ms775us808ns",
    "1s ", " 1s", "1.5", "1_000s", "--1s", "1h-1m",
]


@pytest.mark.parametrize(("text", "nanoseconds"), GO_VALID)
def test_go_valid(text: str, nanoseconds: int) -> None:
    assert go_nanoseconds(text) == nanoseconds


@pytest.mark.parametrize("text", GO_INVALID)
def test_go_invalid_is_an_error_quoting_the_text(text: str) -> None:
    with pytest.raises(DurationError) as err:
        go_nanoseconds(text)
    assert "expected a Go duration" in str(err.value)
    assert err.value.text == text


def test_error_says_which_part_is_wrong() -> None:
    with pytest.raises(DurationError, match=r'unknown unit "d" in duration "1d"'):
        go_seconds("1d")
    with pytest.raises(DurationError, match=r'missing unit in duration "30"'):
        go_seconds("30")


@pytest.mark.parametrize(("value", "seconds"), [
    ("30", 30.0), ("+5", 5.0), ("-5", -5.0), (20, 20.0), ("0", 0.0), ("1m", 60.0), ("1.5s", 1.5), ("100ms", 0.1),
])
def test_argo_bare_integer_is_seconds(value: str | int, seconds: float) -> None:
    assert argo_seconds(value) == seconds


@pytest.mark.parametrize("value", ["1.5", "", " 30", "30 ", "1d", "ten", True])
def test_argo_refuses_what_argo_refuses(value: str | bool) -> None:
    with pytest.raises(DurationError):
        argo_seconds(value)


def test_engine_names_the_field() -> None:
    assert parse_duration("2m") == 120.0 and parse_duration(7) == 7.0
    with pytest.raises(SpecError, match=r"retryStrategy.backoff.duration: invalid duration \"soon\""):
        parse_duration("soon", field="retryStrategy.backoff.duration")
    with pytest.raises(SpecError, match=r'timeout: missing unit in duration "30"'):
        parse_go_duration("30", field="timeout")


def test_expr_keeps_go_message_and_timedelta() -> None:
    assert expr_duration("1h30m") == dt.timedelta(hours=1, minutes=30)
    assert expr_duration("-1.5h") == dt.timedelta(hours=-1.5)
    with pytest.raises(EvalError, match=r'^time: invalid duration "x"'):
        expr_duration("x")
