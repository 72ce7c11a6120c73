"""estimatedDuration as Argo's estimator gives it: each node's duration in the latest Succeeded run
of the same workflow (the same WorkflowTemplate or CronWorkflow label, else the same generateName
prefix, else the same name), matched by node name with that run's name in place of this one's."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.store import RunRecord, Store
from wfexec.errors import StoreError

#: A name made from `generateName`: the prefix and five lowercase letters or digits.
GENERATED_NAME = re.compile(r"^(.+-)[a-z0-9]{5}$")
SAME_WORKFLOW_LABELS = ("workflows.argoproj.io/workflow-template", "workflows.argoproj.io/cluster-workflow-template",
                        "workflows.argoproj.io/cron-workflow")


def workflow_key(rec: RunRecord) -> tuple[str, str]:
    """What makes two runs runs of the same workflow."""
    return metadata_key(rec.name, rec.manifest.get("metadata") or {})


def metadata_key(name: str, meta: dict[str, Any]) -> tuple[str, str]:
    """workflow_key from a run's name and manifest metadata alone."""
    labels = meta.get("labels") or {}
    for label in SAME_WORKFLOW_LABELS:
        if labels.get(label):
            return label, str(labels[label])
    if meta.get("generateName"):
        return "generateName", str(meta["generateName"])
    generated = GENERATED_NAME.match(name)  # the store keeps the name made from generateName
    return ("generateName", generated.group(1)) if generated else ("name", name)


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
        this = store.get_run(run_name)
    except StoreError:
        return {}
    key = workflow_key(this)
    # Metadata only, not each earlier run whole: every engine start looks, and a store may hold thousands.
    base = next((name for name, meta in store.finished_run_metadata(N.SUCCEEDED)
                 if name != run_name and metadata_key(name, meta) == key), None)
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
