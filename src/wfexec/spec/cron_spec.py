"""A CronWorkflow's schedules and time zone: read and checked once, for lint, `cron lint|create`, the scheduler.

Argo's ValidateCronWorkflow (run by `argo lint` and on create) rejects a schedule that is not standard
cron and a time zone Go cannot load. Each problem keeps the path of the field as the file writes it:
`spec.schedules[i]` (v3.6 and later) or `spec.schedule` (v3), so lint can point at its line.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from wfexec.spec.document import FieldPath

MISSING = 'missing required field "schedules" (or "schedule", as Argo 3.x writes it)'


def written_schedules(spec: dict[str, Any]) -> list[tuple[FieldPath, Any]]:
    """Each schedule with the path it is written at: `schedules` first, then the v3 `schedule`."""
    raw = spec.get("schedules")
    found: list[tuple[FieldPath, Any]] = [(("spec", "schedules", i), s) for i, s in
                                          enumerate(raw if isinstance(raw, list) else [])]
    if spec.get("schedule"):  # removed in Argo v4, still written by older tools
        found.append((("spec", "schedule"), spec["schedule"]))
    return found


def schedules(spec: dict[str, Any]) -> list[str]:
    """Every schedule of the spec, whichever field holds it; for display and for the scheduler."""
    return [str(s) for _, s in written_schedules(spec)]


def cron_problems(spec: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """What Argo's ValidateCronWorkflow refuses in the schedules and time zone, each at its field."""
    found = written_schedules(spec)
    problems = [(path, schedule_problem(text)) for path, text in found]
    out = [(path, p) for path, p in problems if p]
    if not found:
        out.append((("spec",), MISSING))
    tz = spec.get("timezone")
    if tz not in (None, "") and load_timezone(tz) is None:
        out.append((("spec", "timezone"),
                    f"unknown time zone {tz!r}: expected an IANA name like 'Europe/Paris'"))
    return out


def schedule_problem(text: Any) -> str:
    """Why `text` is not a schedule Argo takes (cron.ParseStandard), or "" if it is one."""
    from croniter import croniter  # only CronWorkflows need it: lint of a Workflow stays light

    # Argo parses standard cron: five fields or a macro (croniter alone would also take seconds).
    fields = text.split() if isinstance(text, str) else []
    standard = len(fields) == 5 or (len(fields) == 1 and fields[0].startswith("@"))
    if standard and croniter.is_valid(text):
        return ""
    return (f"{text!r} is not a cron schedule: expected five fields like '*/5 * * * *'"
            " or a macro like '@hourly'")


def load_timezone(name: Any) -> zoneinfo.ZoneInfo | None:
    """The zone named `name`, or None when there is no such IANA zone (Go's time.LoadLocation fails)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return None
