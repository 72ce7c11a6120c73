"""retryStrategy.backoff read as Argo's controller reads it, for the engine and for lint's warnings.

Argo's validation does not look at `backoff`: the controller parses it when it is about to wait before
a retry, and a value it cannot read ends the Retry node in Error. `duration`, `cap` and `maxDuration`
are a whole number of seconds or a Go duration (ParseStringToDuration); `factor` is an IntOrString
that must hold an integer (intstr.Int32), and one of 0 or less leaves the duration as it is.
"""

from __future__ import annotations

import re
from typing import Any

from wfexec.durations import DurationError, argo_seconds
from wfexec.errors import SpecError

DURATIONS = ("duration", "cap", "maxDuration")
_ATOI = re.compile(r"[+-]?[0-9]+")


def backoff_factor(value: Any) -> float:
    """The multiplier of each later wait; a SpecError when Argo could not read it as an integer."""
    if value is None or value == "":
        return 1.0
    if isinstance(value, str):
        if not _ATOI.fullmatch(value):
            raise SpecError(f"value '{value}' cannot be resolved to an int", field="retryStrategy.backoff.factor")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"value {value!r} cannot be resolved to an int", field="retryStrategy.backoff.factor")
    return float(value) if value > 0 else 1.0


def backoff_problems(backoff: Any) -> list[tuple[str, str]]:
    """(field, why) for each value of `backoff` the controller could not read; `{{…}}` is read at run time."""
    if not isinstance(backoff, dict):
        return []
    out: list[tuple[str, str]] = []
    for key in DURATIONS:
        value = backoff.get(key)
        if value in (None, "") or _templated(value):
            continue
        try:
            argo_seconds(value)
        except DurationError as exc:
            out.append((key, str(exc)))
    if not _templated(backoff.get("factor")):
        try:
            backoff_factor(backoff.get("factor"))
        except SpecError as exc:
            out.append(("factor", exc.detail))
    return out


def _templated(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value
