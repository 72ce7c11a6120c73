"""The projected list the Argo UI asks for, assembled by SQLite's JSON functions instead of Python.

A `fields=` projection that names only cheap members of each item (its name, labels, phase, times …)
is answered by one SELECT that builds each item's JSON in C; Python only joins the strings. Anything
else (spec, nodes, outputs …) goes the general way (run_view.as_workflow + Projection.apply). Both give
the same JSON for the members asked for; tests/server/test_fast_list.py holds them side by side.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wfexec.engine.nodes import ACTIVE
from wfexec.engine.status import LABEL_COMPLETED, LABEL_PHASE, live_labels
from wfexec.engine.store import Store
from wfexec.server.listing import Projection, Tree
from wfexec.server.run_view import progress_sql

# engine.status.live_labels in SQL (tests/server/test_fast_list.py holds the two side by side)
_LABELS = (f"json_set(COALESCE(json_extract(manifest, '$.metadata.labels'), json('{{}}')),"
           f" '$.\"{LABEL_PHASE}\"', phase, '$.\"{LABEL_COMPLETED}\"',"
           f" CASE WHEN phase IN ({', '.join(repr(p) for p in ACTIVE)}) THEN 'false' ELSE 'true' END)")

_PROGRESS = f"({progress_sql('runs.name')})"

# item member -> SQL giving its JSON value (NULL: left out, as the general path leaves it out)
CHEAP: dict[str, dict[str, str]] = {
    "metadata": {
        "name": "name", "namespace": "namespace", "uid": "uid", "creationTimestamp": "created_at",
        "generateName": "json_extract(manifest, '$.metadata.generateName')",
        "labels": _LABELS,
        "annotations": "json_extract(manifest, '$.metadata.annotations')",
    },
    "status": {
        "phase": "phase", "message": "NULLIF(message, '')", "startedAt": "started_at", "finishedAt": "finished_at",
        "progress": _PROGRESS,
        "estimatedDuration": "json_extract(status, '$.estimatedDuration')",
    },
    "spec": {
        "suspend": ("CASE json_type(manifest, '$.spec.suspend') WHEN 'true' THEN json('true')"
                    " WHEN 'false' THEN json('false') END"),
    },
}
_JSON_VALUED = {"labels", "annotations"}  # already JSON text: wrap with json() so it nests, not quotes


@dataclass(frozen=True)
class FastList:
    item_sql: str  # a SQL expression giving one item's JSON text


@dataclass(frozen=True)
class FastRow:
    name: str
    uid: str
    namespace: str
    phase: str
    labels_json: str | None
    item_json: str
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None


_SIGNATURE = ("name, uid, namespace, phase, message, started_at, finished_at, length(manifest), length(status),"
              " control, created_at")
Entry = tuple[tuple[object, ...], str | None, str]  # (signature row, labels JSON, item JSON)


class ItemCache:
    """Item JSON by run and projection, kept while the run's row is unchanged (finished runs never change).

    A list then reads only each run's signature columns, no JSON; items are built (in SQL) only for runs
    new or changed since the last list. Bounded: past `limit` entries it starts afresh.
    """

    def __init__(self, store_path: Path, limit: int = 200_000) -> None:
        self.limit = limit
        self._by_projection: dict[str, dict[str, Entry]] = {}
        self._lock = threading.Lock()
        # A connection that never writes: its data_version moves on every commit anyone makes.
        self._probe = sqlite3.connect(store_path, check_same_thread=False)
        self._bodies: dict[tuple[object, ...], tuple[int, str]] = {}

    def version(self) -> int:
        with self._lock:
            return self._probe.execute("PRAGMA data_version").fetchone()[0]

    def body(self, key: tuple[object, ...], build: Callable[[], str]) -> str:
        """A whole response, reused while no one has committed anything to the store since it was built."""
        before = self.version()
        with self._lock:
            hit = self._bodies.get(key)
        if hit is not None and hit[0] == before:
            return hit[1]
        text = build()
        if self.version() == before:  # nothing moved while building: safe to keep
            with self._lock:
                if len(self._bodies) > 64:
                    self._bodies.clear()
                self._bodies[key] = (before, text)
        return text

    def select(self, store: Store, fast: FastList, namespace: str | None) -> list[FastRow]:
        """Every run of the namespace (None: all), newest first, each with its item's JSON."""
        where = " WHERE namespace=?" if namespace else ""
        args: tuple[object, ...] = (namespace,) if namespace else ()
        sigs = store._read(f"SELECT {_SIGNATURE} FROM runs{where} ORDER BY created_at DESC, name DESC", args)
        with self._lock:
            cache = self._by_projection.setdefault(fast.item_sql, {})
            if sum(len(c) for c in self._by_projection.values()) > self.limit:
                cache.clear()
        get = cache.get
        missing = [row for row in sigs  # an active run's nodes (its progress) change under the same row
                   if (hit := get(row[0])) is None or hit[0] != row or row[3] in ACTIVE]
        for i in range(0, len(missing), 500):
            chunk = {row[0]: row for row in missing[i:i + 500]}
            rows = store._read(
                f"SELECT name, json_extract(manifest, '$.metadata.labels'), {fast.item_sql} FROM runs"
                f" WHERE name IN ({','.join('?' * len(chunk))})", tuple(chunk))
            with self._lock:
                for name, labels, item in rows:
                    cache[name] = (chunk[name], labels, item)
        return [FastRow(row[0], row[1], row[2], row[3], entry[1], entry[2], row[10], row[5], row[6])
                for row in sigs if (entry := get(row[0])) is not None]


def labels_of(row: FastRow) -> dict[str, str]:
    return live_labels(json.loads(row.labels_json) if row.labels_json else None, row.phase)


def plan(projection: Projection | None) -> FastList | None:
    """The SQL for the items, or None when the projection asks for more than the cheap members."""
    if projection is None or projection.exclude:
        return None
    items: Tree | None = projection.tree.get("items", {})
    if items is None or not isinstance(items, dict):
        return None  # `items` whole: everything
    parts = []
    for section, sub in items.items():
        cheap = CHEAP.get(section)
        if cheap is None or sub is None:
            return None
        members = []
        for member, rest in sub.items():
            if member not in cheap or rest is not None:
                return None
            expr = cheap[member]
            if member in _JSON_VALUED:
                expr = f"json({expr})"
            members.append(f"'{member}', {expr}")
        parts.append(f"'{section}', json_patch('{{}}', json_object({', '.join(members)}))")
    if not parts:
        return None
    return FastList(f"json_object({', '.join(parts)})")
