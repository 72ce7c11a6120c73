"""Stored Argo objects: WorkflowTemplates, ClusterWorkflowTemplates and CronWorkflows.

They live in the run store's SQLite (table `objects`), so the CLI and the server see the same
ones, as they see the same runs. Each write bumps `resourceVersion`; an update that names an
older one is refused (a conflict), as Kubernetes refuses it.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from wfexec.engine.labels import LabelSelector
from wfexec.engine.object_names import check_name
from wfexec.engine.store import Store
from wfexec.errors import SpecError, StoreError

WORKFLOW_TEMPLATE = "WorkflowTemplate"
CLUSTER_WORKFLOW_TEMPLATE = "ClusterWorkflowTemplate"
CRON_WORKFLOW = "CronWorkflow"
KINDS = (WORKFLOW_TEMPLATE, CLUSTER_WORKFLOW_TEMPLATE, CRON_WORKFLOW)
API_VERSION = "argoproj.io/v1alpha1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    uid TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    labels TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (kind, namespace, name)
);
"""

class ObjectNotFound(StoreError):
    """No stored object of that kind and name."""


class ObjectExists(StoreError):
    """An object of that kind and name is already stored."""


class ObjectConflict(StoreError):
    """An update named a resourceVersion that is no longer the current one."""


@dataclass
class StoredObject:
    """One stored object; `body` is the document as given (apiVersion, kind, metadata, spec)."""

    kind: str
    namespace: str  # "" for a ClusterWorkflowTemplate
    name: str
    uid: str
    version: int
    created_at: str
    labels: dict[str, str]
    body: dict[str, Any]
    status: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.body.get("spec")
        return spec if isinstance(spec, dict) else {}

    def manifest(self) -> dict[str, Any]:
        """The object as the API returns it: metadata filled in, status when it has one."""
        out = copy.deepcopy(self.body)
        out["apiVersion"] = API_VERSION
        out["kind"] = self.kind
        meta = out.setdefault("metadata", {})
        meta.pop("generateName", None)
        meta.update(name=self.name, uid=self.uid, resourceVersion=str(self.version),
                    creationTimestamp=self.created_at, generation=self.version)
        if self.namespace:
            meta["namespace"] = self.namespace
        else:
            meta.pop("namespace", None)
        if self.labels:
            meta["labels"] = dict(self.labels)
        if self.status:
            out["status"] = copy.deepcopy(self.status)
        return out


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _labels_of(meta: dict[str, Any]) -> dict[str, str]:
    labels = meta.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in labels.items()):
        raise SpecError("labels must map strings to strings", field="metadata.labels")
    return dict(labels)


class ObjectStore:
    """Create, get, list, update and delete stored objects over a run store's database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        with store._said():  # one statement, a no-op once the table exists
            store._conn().execute(SCHEMA)

    # -- reading ---------------------------------------------------------------------
    def get(self, kind: str, namespace: str, name: str) -> StoredObject:
        rows = self.store._read(
            "SELECT kind, namespace, name, uid, version, created_at, labels, body, status FROM objects"
            " WHERE kind=? AND namespace=? AND name=?", (kind, _scope(kind, namespace), name))
        if not rows:
            where = f" in namespace {namespace!r}" if _scope(kind, namespace) else ""
            raise ObjectNotFound(f"{kind} {name!r} not found{where}")
        return _row(rows[0])

    def find(self, kind: str, namespace: str, name: str) -> StoredObject | None:
        try:
            return self.get(kind, namespace, name)
        except ObjectNotFound:
            return None

    def list(self, kind: str, namespace: str | None = None,
             selector: LabelSelector | None = None) -> list[StoredObject]:
        """Objects of `kind`, by name; `namespace` None or "" means every namespace."""
        sql = ("SELECT kind, namespace, name, uid, version, created_at, labels, body, status FROM objects"
               " WHERE kind=?")
        params: tuple[Any, ...] = (kind,)
        if namespace and kind != CLUSTER_WORKFLOW_TEMPLATE:
            sql += " AND namespace=?"
            params += (namespace,)
        objs = [_row(r) for r in self.store._read(sql + " ORDER BY namespace, name", params)]
        return [o for o in objs if selector is None or selector.matches(o.labels)]

    # -- writing ---------------------------------------------------------------------
    def create(self, body: dict[str, Any], namespace: str = "default") -> StoredObject:
        kind, meta = _kind_and_meta(body)
        ns = _scope(kind, meta.get("namespace") or namespace)
        name = meta.get("name")
        if not name and isinstance(meta.get("generateName"), str):
            name = meta["generateName"] + uuid.uuid4().hex[:5]
        name = check_name(name, kind)
        obj = StoredObject(kind, ns, name, str(uuid.uuid4()), 1, _now(), _labels_of(meta), _clean(body))
        with self.store._tx() as db:
            if db.execute("SELECT 1 FROM objects WHERE kind=? AND namespace=? AND name=?",
                          (kind, ns, name)).fetchone():
                raise ObjectExists(f"{kind} {name!r} already exists" + (f" in namespace {ns!r}" if ns else ""))
            db.execute("INSERT INTO objects (kind, namespace, name, uid, version, created_at, labels, body, status)"
                       " VALUES (?,?,?,?,?,?,?,?,?)", _values(obj))
        return obj

    def update(self, body: dict[str, Any], namespace: str = "default", name: str | None = None) -> StoredObject:
        """Replace the spec, labels and annotations; a stale `metadata.resourceVersion` is a conflict."""
        kind, meta = _kind_and_meta(body)
        ns = _scope(kind, meta.get("namespace") or namespace)
        name = check_name(name or meta.get("name"), kind)
        if meta.get("name") and name != meta["name"]:
            raise SpecError(f"metadata.name {meta['name']!r} does not match {name!r} in the path",
                            field="metadata.name")
        wanted = meta.get("resourceVersion")
        with self.store._tx() as db:
            row = db.execute("SELECT kind, namespace, name, uid, version, created_at, labels, body, status"
                             " FROM objects WHERE kind=? AND namespace=? AND name=?", (kind, ns, name)).fetchone()
            if row is None:
                raise ObjectNotFound(f"{kind} {name!r} not found" + (f" in namespace {ns!r}" if ns else ""))
            old = _row(row)
            if wanted not in (None, "") and str(wanted) != str(old.version):
                raise ObjectConflict(f"{kind} {name!r} was changed (resourceVersion {old.version}, not {wanted}):"
                                     " get it again and reapply your change")
            new = StoredObject(kind, ns, name, old.uid, old.version + 1, old.created_at, _labels_of(meta),
                               _clean(body), old.status)
            db.execute("UPDATE objects SET version=?, labels=?, body=? WHERE kind=? AND namespace=? AND name=?",
                       (new.version, json.dumps(new.labels), json.dumps(new.body), kind, ns, name))
        return new

    def set_status(self, kind: str, namespace: str, name: str, status: dict[str, Any]) -> None:
        """Record the status (a cron's last schedule and active runs); gone objects are ignored."""
        with self.store._tx() as db:
            db.execute("UPDATE objects SET status=?, version=version+1 WHERE kind=? AND namespace=? AND name=?",
                       (json.dumps(status), kind, _scope(kind, namespace), name))

    def set_suspend(self, namespace: str, name: str, suspend: bool) -> StoredObject:
        """Suspend or resume a CronWorkflow."""
        with self.store._tx() as db:
            row = db.execute("SELECT kind, namespace, name, uid, version, created_at, labels, body, status"
                             " FROM objects WHERE kind=? AND namespace=? AND name=?",
                             (CRON_WORKFLOW, namespace, name)).fetchone()
            if row is None:
                raise ObjectNotFound(f"CronWorkflow {name!r} not found in namespace {namespace!r}")
            obj = _row(row)
            obj.body.setdefault("spec", {})["suspend"] = suspend
            obj.version += 1
            db.execute("UPDATE objects SET version=?, body=? WHERE kind=? AND namespace=? AND name=?",
                       (obj.version, json.dumps(obj.body), CRON_WORKFLOW, namespace, name))
        return obj

    def delete(self, kind: str, namespace: str, name: str) -> None:
        """A CronWorkflow takes the runs it started with it (Kubernetes' garbage collection of dependents)."""
        uid = self.get(kind, namespace, name).uid
        with self.store._tx() as db:
            gone = db.execute("DELETE FROM objects WHERE kind=? AND namespace=? AND name=? AND uid=?",
                              (kind, _scope(kind, namespace), name, uid)).rowcount
        if not gone:
            where = f" in namespace {namespace!r}" if _scope(kind, namespace) else ""
            raise ObjectNotFound(f"{kind} {name!r} not found{where}")
        if kind == CRON_WORKFLOW:
            from wfexec.engine.gc import delete_owned_runs

            delete_owned_runs(self.store, uid)


def _scope(kind: str, namespace: str | None) -> str:
    return "" if kind == CLUSTER_WORKFLOW_TEMPLATE else (namespace or "default")


def _kind_and_meta(body: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(body, dict):
        raise SpecError("expected an object with apiVersion, kind, metadata and spec")
    kind = body.get("kind")
    if kind not in KINDS:
        raise SpecError(f"kind {kind!r} cannot be stored: expected one of {', '.join(KINDS)}", field="kind")
    meta = body.get("metadata")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise SpecError("expected an object", field="metadata")
    if not isinstance(body.get("spec"), dict):
        raise SpecError(f"a {kind} needs a spec object", field="spec")
    return kind, meta


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    """What is kept of a document: server-set metadata and status are the store's, not the caller's."""
    out = {k: copy.deepcopy(v) for k, v in body.items() if k != "status"}
    meta = dict(out.get("metadata") or {})
    for key in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                "generateName"):
        meta.pop(key, None)
    out["metadata"] = meta
    return out


def _row(row: tuple[Any, ...]) -> StoredObject:
    return StoredObject(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), json.loads(row[7]),
                        json.loads(row[8]))


def _values(obj: StoredObject) -> tuple[Any, ...]:
    return (obj.kind, obj.namespace, obj.name, obj.uid, obj.version, obj.created_at, json.dumps(obj.labels),
            json.dumps(obj.body), json.dumps(obj.status))
