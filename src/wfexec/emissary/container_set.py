"""What the emissary of one container of a containerSet reads from the template: the retry
strategy, the containers it waits for, and the siblings whose end its outputs wait for."""

from __future__ import annotations

import os

from wfexec.durations import go_seconds

TYPE_CHECKING = False  # typing costs ~2 ms of a container's start: for annotations only
if TYPE_CHECKING:
    from typing import Any


def retry_strategy(template: dict[str, Any]) -> tuple[int, float]:
    """(retries, seconds between tries) from `containerSet.retryStrategy` ({retries, duration});
    the duration is read as Argo's emissary reads it, with Go's time.ParseDuration."""
    strategy = (template.get("containerSet") or {}).get("retryStrategy") or {}
    try:
        retries = max(0, int(str(strategy.get("retries", 0))))
    except ValueError:
        retries = 0
    duration = str(strategy.get("duration") or "")
    return retries, go_seconds(duration) if duration else 0.0


def dependencies(template: dict[str, Any], name: str) -> list[str]:
    env = os.environ.get("ARGO_DEPENDENCIES")
    if env is not None:
        return [d for d in (x.strip() for x in env.split(",")) if d]
    for c in ((template.get("containerSet") or {}).get("containers") or []):
        if isinstance(c, dict) and c.get("name") == name:
            return [str(d) for d in c.get("dependencies") or []]
    return []


def siblings(template: dict[str, Any], name: str) -> list[str]:
    """The other containers of a containerSet that do not wait (directly or not) for `name`."""
    deps = {str(c.get("name")): [str(d) for d in c.get("dependencies") or []]
            for c in (template.get("containerSet") or {}).get("containers") or [] if isinstance(c, dict)}
    if name not in deps:
        return []

    def waits_for(other: str, seen: set[str]) -> bool:
        if other in seen:
            return False
        seen.add(other)
        return any(d == name or waits_for(d, seen) for d in deps.get(other, []))

    return [other for other in deps if other != name and not waits_for(other, set())]
