"""The time bounds of a workflow list, as Argo Server takes them: the query parameters `createdAfter` and
`finishedBefore`, and the field-selector terms `spec.startedAt>T` and `spec.startedAt<T`.

Argo compares inclusively (its archive query has `>=` and `<=`), and a run without the time in question
(not started, not finished) is left out. Filtering here, before the page is cut, keeps `limit`/`continue`
paging right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from wfexec.server.http import bad_request

_STARTED_AFTER, _STARTED_BEFORE = "spec.startedAt>", "spec.startedAt<"


def _parse(text: str, where: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise bad_request(f"{where}: {text.strip()[:40]!r} is not a time; expected RFC 3339 with a zone, "
                          "e.g. 2026-01-31T12:00:00Z")
    return value


def _stamp(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TimeBounds:
    created_after: datetime | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    finished_before: datetime | None = None

    def __bool__(self) -> bool:
        return any((self.created_after, self.started_after, self.started_before, self.finished_before))

    def matches(self, created: str | None, started: str | None, finished: str | None) -> bool:
        """Whether a run with these timestamps (as the store keeps them) is inside every bound."""
        if self.created_after and not ((c := _stamp(created)) and c >= self.created_after):
            return False
        if self.started_after or self.started_before:
            s = _stamp(started)
            if s is None or (self.started_after and s < self.started_after) or \
                    (self.started_before and s > self.started_before):
                return False
        return not self.finished_before or bool((f := _stamp(finished)) and f <= self.finished_before)


def split_time_bounds(field_selector: str | None, created_after: str | None,
                      finished_before: str | None) -> tuple[str, TimeBounds]:
    """The field selector without its `spec.startedAt` terms, and every time bound of the request."""
    param = "query listOptions.fieldSelector"
    rest, started_after, started_before = [], None, None
    for part in (field_selector or "").split(","):
        term = part.strip()
        if term.startswith(_STARTED_AFTER):
            started_after = _parse(term[len(_STARTED_AFTER):], f"{param} {_STARTED_AFTER}")
        elif term.startswith(_STARTED_BEFORE):
            started_before = _parse(term[len(_STARTED_BEFORE):], f"{param} {_STARTED_BEFORE}")
        else:
            rest.append(part)
    return ",".join(rest), TimeBounds(
        created_after=_parse(created_after, "query createdAfter") if created_after else None,
        started_after=started_after, started_before=started_before,
        finished_before=_parse(finished_before, "query finishedBefore") if finished_before else None)
