"""estimatedDuration as Argo's estimator gives it: each node's duration in the latest Succeeded run
of the same workflow (the same WorkflowTemplate or CronWorkflow label, else the same generateName
prefix, else the same name), matched by node name with that run's name in place of this one's."""

from __future__ import annotations

import datetime as dt

from wfexec.engine.store import Store
from wfexec.errors import StoreError


def seconds_between(start: str | None, end: str | None) -> int | None:
    """Whole seconds between two "YYYY-MM-DDTHH:MM:SSZ" times (None if either is not one).
    fromisoformat, not strptime: this runs for every pod, and for every node of the last run."""
    a, b = _utc_time(start), _utc_time(end)
    return None if a is None or b is None else int((b - a).total_seconds())


def _utc_time(text: str | None) -> dt.datetime | None:
    if not text or len(text) != 20 or text[-1] != "Z" or text[10] != "T" or not text[:4].isdigit():
        return None
    try:
        return dt.datetime.fromisoformat(text[:-1])
    except ValueError:
        return None


def estimated_durations(store: Store, run_name: str) -> dict[str, int]:
    """Node name → estimated seconds for run `run_name` (empty when no earlier run succeeded)."""
    try:
        base = store.latest_succeeded_like(run_name)  # an index look, not a scan (engine/workflow_key.py)
    except StoreError:
        return {}
    if base is None:
        return {}
    out: dict[str, int] = {}
    for node in store.get_nodes(base).values():
        secs = seconds_between(node.get("startedAt"), node.get("finishedAt"))
        name = node.get("name", "")
        if secs is None or not name.startswith(base):
            continue
        out[run_name + name[len(base):]] = secs
    return out
