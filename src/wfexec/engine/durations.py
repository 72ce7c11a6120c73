"""The engine's reading of Argo's duration fields: `wfexec.durations`, with its error as a SpecError."""

from __future__ import annotations

from wfexec.durations import DurationError, argo_seconds, go_seconds
from wfexec.errors import SpecError


def parse_duration(text: str | int, field: str | None = None) -> float:
    """Seconds in a field that takes a bare integer as seconds or a Go duration
    (backoff duration/cap/maxDuration, suspend.duration, activeDeadlineSeconds)."""
    try:
        return argo_seconds(text)
    except DurationError as exc:
        raise SpecError(str(exc), field=field) from None


def parse_go_duration(text: str, field: str | None = None) -> float:
    """Seconds in a field Argo reads with Go's time.ParseDuration only (a template's `timeout`)."""
    try:
        return go_seconds(text)
    except DurationError as exc:
        raise SpecError(str(exc), field=field) from None
