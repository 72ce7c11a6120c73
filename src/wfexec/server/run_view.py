"""Runs as Argo Workflow objects, read straight from the store in as few queries as a request needs.

A list of 10,000 runs is one query over `runs`; nodes are read (in one more query) only when the
response asks for `status.nodes`. The Argo labels the UI filters on (`workflows.argoproj.io/phase`,
`…/completed`) are engine.status.live_labels, as the CLI shows them.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.accounting import EXECUTABLE
from wfexec.engine.nodes import ACTIVE  # noqa: F401 - the API's V.ACTIVE
from wfexec.engine.status import live_labels, workflow_object
from wfexec.engine.store import RunRecord, Store

_COLUMNS = ("name, uid, namespace, phase, message, created_at, started_at, finished_at, manifest, options,"
            " status, engine_pid, control")


@dataclass(frozen=True)
class RunRow:
    """One row of `runs`, its JSON columns still text until someone needs them."""

    name: str
    uid: str
    namespace: str
    phase: str
    message: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    manifest: str
    options: str
    status: str
    engine_pid: int | None
    control: str | None

    def record(self) -> RunRecord:
        return RunRecord(self.name, self.uid, self.namespace, self.phase, self.message, self.created_at,
                         self.started_at, self.finished_at, json.loads(self.manifest), json.loads(self.options),
                         json.loads(self.status), self.engine_pid, self.control)


def _read(store: Store, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    return store._read(sql, params)  # the store's own connection handling and error wording


def list_rows(store: Store, namespace: str | None, name_prefix: str | None = None) -> list[RunRow]:
    """Runs of a namespace (None: all), newest first."""
    where, params = [], []
    if namespace:
        where.append("namespace=?")
        params.append(namespace)
    if name_prefix:
        where.append("substr(name, 1, ?)=?")
        params += [len(name_prefix), name_prefix]
    sql = f"SELECT {_COLUMNS} FROM runs" + (f" WHERE {' AND '.join(where)}" if where else "")
    sql += " ORDER BY created_at DESC, name DESC"
    return [RunRow(*r) for r in _read(store, sql, tuple(params))]


def get_row(store: Store, namespace: str, name: str) -> RunRow | None:
    rows = _read(store, f"SELECT {_COLUMNS} FROM runs WHERE name=? AND namespace=?", (name, namespace))
    return RunRow(*rows[0]) if rows else None


def get_row_by_uid(store: Store, uid: str) -> RunRow | None:
    rows = _read(store, f"SELECT {_COLUMNS} FROM runs WHERE uid=?", (uid,))
    return RunRow(*rows[0]) if rows else None


def nodes_of(store: Store, names: Iterable[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """The nodes of several runs in one query: run name -> node id -> node."""
    names = list(names)
    out: dict[str, dict[str, dict[str, Any]]] = {n: {} for n in names}
    for i in range(0, len(names), 500):
        chunk = names[i:i + 500]
        marks = ",".join("?" * len(chunk))
        try:
            rows = _read(store, f"SELECT run, id, data FROM nodes WHERE run IN ({marks}) ORDER BY rowid", tuple(chunk))
        except sqlite3.Error:  # pragma: no cover - _read already says it as a StoreError
            raise
        for run, nid, data in rows:
            out[run][nid] = json.loads(data)
    return out


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


def progress_sql(run: str) -> str:
    """engine.status.progress as one SELECT over the nodes of `run` (an SQL expression): executable nodes
    (pods, suspends) that have ended, in any phase, over all of them."""
    return (f"SELECT printf('%d/%d', COALESCE(SUM(json_extract(data, '$.phase') IN ({_sql_list(N.FULFILLED)})), 0),"
            f" COUNT(*)) FROM nodes WHERE run = {run} AND json_extract(data, '$.type') IN ({_sql_list(EXECUTABLE)})")


def progress_of(store: Store, name: str) -> str:
    """Argo's n/m counted in SQL, for answers that leave the nodes out."""
    rows = _read(store, progress_sql("?"), (name,))
    return str(rows[0][0]) if rows else "0/0"


def resource_version(row: RunRow, nodes: dict[str, dict[str, Any]] | None) -> str:
    """Changes whenever the run or one of its nodes does (enough for a client's cache and watch)."""
    key = json.dumps([row.phase, row.message, row.started_at, row.finished_at, row.status, row.control,
                      nodes or {}], sort_keys=True)
    return str(zlib.crc32(key.encode()))


def as_workflow(row: RunRow, nodes: dict[str, dict[str, Any]] | None, progress: str | None = None,
                ) -> dict[str, Any]:
    """The Argo Workflow object; without `nodes` (None) its status has no `nodes` map, and has
    `progress` only when given (see `progress_of`)."""
    rec = row.record()
    wf = workflow_object(rec, nodes or {})
    wf.setdefault("apiVersion", "argoproj.io/v1alpha1")
    wf["kind"] = "Workflow"
    meta = wf["metadata"]  # workflow_object's own copy, its labels the live ones
    meta["namespace"] = row.namespace
    meta["resourceVersion"] = resource_version(row, nodes)
    status = wf.get("status") or {}
    if status.get("finishedAt") is None:
        status.pop("finishedAt", None)
    if nodes is None:
        status.pop("nodes", None)
        status.pop("progress", None)
        if progress is not None:
            status["progress"] = progress
    wf["status"] = status
    wf.setdefault("spec", {})
    return wf


def labels_of(row: RunRow) -> dict[str, str]:
    """The labels a selector sees: the run's own plus Argo's phase and completed labels."""
    meta = (json.loads(row.manifest).get("metadata") or {}) if row.manifest else {}
    return live_labels(meta.get("labels"), row.phase)
