"""Metrics: a template's and a workflow's custom `metrics.prometheus`, and Argo's own controller
metrics, as Prometheus text.

Custom metrics are kept in the run store (table `custom_metrics`, one row per name and label
set), so every run sharing a `$WFEXEC_HOME` adds to the same counters and histograms, as every
workflow of one Argo controller does. Names carry Argo's `argo_workflows_` prefix. A metric is
emitted when its node (or the workflow) ends, if its `when` holds; a `realtime` gauge is also
updated every second while the node runs. A metric that cannot be computed is skipped, as Argo's
controller skips it.

`render_prometheus(home)` is the exposition (the server's `/metrics`); each emission also writes
it to `$WFEXEC_HOME/metrics.prom`, for a node exporter's textfile collector when no server runs.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import sqlite3
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfexec.engine.store import Store
from wfexec.errors import WfexecError
from wfexec.expr.template import substitute

PREFIX = "argo_workflows_"
NAME_PATTERN = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_PATTERN = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS custom_metrics (
    name TEXT NOT NULL,
    labels TEXT NOT NULL,
    kind TEXT NOT NULL,
    help TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (name, labels)
)"""
#: Argo's controller metrics this exposition has (see `_controller_metrics`).
WORKFLOW_PHASES = ("Pending", "Running", "Succeeded", "Failed", "Error")
POD_PHASES = ("Pending", "Running", "Succeeded", "Failed")


@dataclass(frozen=True)
class Sample:
    """One custom metric, resolved: what to add to the store."""

    name: str
    help: str
    kind: str  # gauge | counter | histogram
    labels: tuple[tuple[str, str], ...]
    value: float
    buckets: tuple[float, ...] = field(default=())


def resolve_metrics(specs: Any, scope: Mapping[str, Any], where: str, *, realtime_only: bool = False) -> list[Sample]:
    """The `metrics.prometheus` entries whose `when` holds, resolved in `scope` (skipped if they cannot be)."""
    out: list[Sample] = []
    for i, m in enumerate(specs or []):
        if not isinstance(m, dict):
            continue
        if realtime_only and not (m.get("gauge") or {}).get("realtime"):
            continue
        try:
            sample = _resolve(m, scope, f"{where}[{i}]")
        except (WfexecError, ValueError, TypeError):
            continue  # Argo's controller logs and skips a metric it cannot compute
        if sample is not None:
            out.append(sample)
    return out


def _resolve(m: dict[str, Any], scope: Mapping[str, Any], where: str) -> Sample | None:
    name, help_text = str(m.get("name") or ""), str(m.get("help") or "")
    if not NAME_PATTERN.match(name) or not help_text:
        return None
    if m.get("when") not in (None, ""):
        from wfexec.expr.govaluate import evaluate_when  # govaluate: only for a metric with `when`

        if not evaluate_when(substitute(str(m["when"]), scope, where=f"{where}.when")):
            return None
    labels = []
    for lb in m.get("labels") or []:
        key = str(lb.get("key") or "")
        if not LABEL_PATTERN.match(key):
            return None
        labels.append((key, substitute(str(lb.get("value") or ""), scope, where=f"{where}.labels")))
    for kind in ("gauge", "counter", "histogram"):
        body = m.get(kind)
        if isinstance(body, dict):
            value = float(substitute(str(body.get("value", "")), scope, where=f"{where}.{kind}.value").strip())
            if math.isnan(value):
                return None
            buckets = tuple(sorted(float(b) for b in body.get("buckets") or [])) if kind == "histogram" else ()
            if kind == "histogram" and not buckets:
                return None
            return Sample(PREFIX + name, help_text, kind, tuple(sorted(labels)), value, buckets)
    return None


class MetricsTable:
    """The shared custom metrics; each `record` is one short transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        with store._tx() as db:
            db.execute(SCHEMA)

    def record(self, samples: list[Sample]) -> None:
        if not samples:
            return
        with self.store._tx() as db:
            for s in samples:
                labels = json.dumps(s.labels)
                row = db.execute("SELECT kind, data FROM custom_metrics WHERE name=? AND labels=?",
                                 (s.name, labels)).fetchone()
                data = _merge(json.loads(row[1]) if row and row[0] == s.kind else None, s)
                db.execute("INSERT INTO custom_metrics (name, labels, kind, help, data) VALUES (?,?,?,?,?)"
                           " ON CONFLICT(name, labels) DO UPDATE SET kind=excluded.kind, help=excluded.help,"
                           " data=excluded.data", (s.name, labels, s.kind, s.help, json.dumps(data)))
        try:
            write_metrics_file(self.store)
        except OSError:
            pass  # metrics.prom is a by-product: a full disk must not fail the step


def _merge(old: dict[str, Any] | None, s: Sample) -> dict[str, Any]:
    if s.kind == "gauge":
        return {"value": s.value}
    if s.kind == "counter":
        return {"value": (old or {}).get("value", 0.0) + s.value}
    if not old or tuple(old.get("buckets") or ()) != s.buckets:
        old = {"buckets": list(s.buckets), "counts": [0] * len(s.buckets), "sum": 0.0, "count": 0}
    counts = [c + (1 if s.value <= b else 0) for b, c in zip(s.buckets, old["counts"], strict=True)]
    return {"buckets": list(s.buckets), "counts": counts, "sum": old["sum"] + s.value, "count": old["count"] + 1}


@dataclass
class Family:
    """One metric family of the exposition: its samples as (suffix, labels, value)."""

    name: str
    kind: str  # gauge | counter | histogram
    help: str
    samples: list[tuple[str, list[tuple[str, str]], float]] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = self.name + ("_total" if self.kind == "counter" else "")
        out = [f"# HELP {head} {_escape_help(self.help)}", f"# TYPE {head} {self.kind}"]
        for suffix, labels, value in self.samples:
            text = ",".join(f'{k}="{_escape_label(v)}"' for k, v in labels)
            out.append(f"{self.name}{suffix}{{{text}}} {_num(value)}" if text else f"{self.name}{suffix} {_num(value)}")
        return out


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_label(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    """A sample value as Prometheus (and Go) write floats."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _custom_metrics(db: sqlite3.Connection) -> list[Family]:
    try:
        rows = db.execute("SELECT name, labels, kind, help, data FROM custom_metrics ORDER BY name, labels").fetchall()
    except sqlite3.OperationalError:
        return []  # no metric was ever recorded
    families: dict[str, Family] = {}
    for name, labels_json, kind, help_text, data_json in rows:
        labels = [(str(k), str(v)) for k, v in json.loads(labels_json)]
        data = json.loads(data_json)
        fam = families.get(name)
        if fam is None:
            fam = families[name] = Family(name, kind, help_text)
        elif fam.kind != kind:
            continue  # one name, one type (Prometheus refuses mixed families)
        if kind == "histogram":
            # stored counts are cumulative already: a value counts in every bucket whose bound it is under
            for bound, count in zip(data["buckets"], data["counts"], strict=True):
                fam.samples.append(("_bucket", [*labels, ("le", _num(float(bound)))], float(count)))
            fam.samples.append(("_bucket", [*labels, ("le", "+Inf")], float(data["count"])))
            fam.samples.append(("_count", labels, float(data["count"])))
            fam.samples.append(("_sum", labels, float(data["sum"])))
        else:
            fam.samples.append(("_total" if kind == "counter" else "", labels, float(data["value"])))
    return list(families.values())


def _controller_metrics(db: sqlite3.Connection) -> list[Family]:
    """Argo's controller metrics that apply here, under Argo's names: workflows by phase
    (`argo_workflows_gauge`), workflows that reached each phase (`argo_workflows_total_count`), pods
    of running workflows by phase (`argo_workflows_pods_gauge`) and runs waiting to start
    (`argo_workflows_queue_depth_gauge`)."""
    by_phase = dict(db.execute("SELECT phase, COUNT(*) FROM runs GROUP BY phase").fetchall())
    ended = dict(db.execute("SELECT phase, COUNT(*) FROM runs WHERE finished_at IS NOT NULL GROUP BY phase")
                 .fetchall())
    g = Family(PREFIX + "gauge", "gauge", "Number of Workflows currently accessible by the controller by status")
    g.samples = [("", [("phase", p)], float(by_phase.get(p, 0))) for p in WORKFLOW_PHASES]
    entered = {"Pending": db.execute("SELECT COUNT(*) FROM runs").fetchone()[0],
               "Running": db.execute("SELECT COUNT(*) FROM runs WHERE started_at IS NOT NULL").fetchone()[0]}
    total = Family(PREFIX + "total_count", "counter", "Total number of workflows that have entered each phase")
    total.samples = [("_total", [("phase", p)], float(entered.get(p) or ended.get(p) or 0)) for p in WORKFLOW_PHASES]
    pods = dict(db.execute(
        "SELECT json_extract(data, '$.phase'), COUNT(*) FROM nodes WHERE json_extract(data, '$.type')='Pod'"
        " AND run IN (SELECT name FROM runs WHERE phase IN ('Pending', 'Running') AND finished_at IS NULL)"
        " GROUP BY 1").fetchall())
    pg = Family(PREFIX + "pods_gauge", "gauge",
                "Number of Pods from Workflows currently accessible by the controller by status")
    pg.samples = [("", [("phase", p)], float(pods.get(p, 0))) for p in POD_PHASES]
    queued = db.execute("SELECT COUNT(*) FROM runs WHERE finished_at IS NULL AND phase='Pending'").fetchone()[0]
    q = Family(PREFIX + "queue_depth_gauge", "gauge", "Depth of the queue")
    q.samples = [("", [("queue_name", "workflow_queue")], float(queued))]
    return [g, total, pg, q]


def render_prometheus(home: Path) -> str:
    """Every metric of the runs under `home`, in Prometheus text exposition format (0.0.4)."""
    path = Path(home) / "runs.db"
    if not path.exists():
        Store(path)  # an empty store: every controller metric at zero
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        lines = [line for fam in _controller_metrics(db) + _custom_metrics(db) for line in fam.lines()]
    finally:
        db.close()
    return "\n".join(lines) + "\n"


def write_metrics_file(store: Store) -> Path:
    """`metrics.prom` beside the store, replaced whole (a reader never sees half of it)."""
    home = store.path.parent
    out = home / "metrics.prom"
    fd, tmp = tempfile.mkstemp(prefix=".metrics.prom.", dir=home)  # one per writer: threads write it too
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(render_prometheus(home))
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return out


__all__ = ["MetricsTable", "Sample", "render_prometheus", "resolve_metrics", "write_metrics_file"]
