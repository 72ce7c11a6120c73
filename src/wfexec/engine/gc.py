"""Garbage collection, as Argo's controller does it: `podGC`, `ttlStrategy`, `artifactGC`, and a
store-wide retention policy.

- **podGC** (`strategy`, `labelSelector`, `deleteDelayDuration`): a pod here is its directory
  (what the runtime and the emissary keep for it); it is removed when Argo would delete the pod.
  Pods podGC does not select are kept, as Argo keeps them (until the run is deleted). Logs are
  not part of a pod here: they stay in the run's directory for `wfexec logs` and the store.
  Without podGC, the engine's own default holds (a pod's directory goes when the pod ends).
- **ttlStrategy**: the run (store rows, run directory, pods, OnWorkflowDeletion artifacts) is
  deleted `secondsAfterSuccess`/`secondsAfterFailure`/`secondsAfterCompletion` after it ends.
- **artifactGC**: per output artifact (`outputs.artifacts[].artifactGC.strategy`) or
  workflow-wide (`spec.artifactGC.strategy`): `OnWorkflowCompletion` deletes the stored
  artifact when the run ends, `OnWorkflowDeletion` when it is deleted (TTL, retention or
  `wfexec delete`); local and S3 repositories alike.
- **retentionPolicy** in the executor config: Argo's `completed`/`failed`/`errored` (keep the N
  newest runs that ended Succeeded/Failed/Error), plus `maxAge` (a Go duration: runs that ended
  longer ago are deleted).

Work due later (a delayed pod deletion, a TTL) is a row in the store's `gc_due` table. The
engine sweeps it while it runs; what is still due when it ends is swept by one detached
`python -m wfexec.engine.gc` process per `$WFEXEC_HOME`, which exits once nothing is due.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wfexec.engine import nodes as N
from wfexec.engine.durations import parse_go_duration
from wfexec.engine.store import Store, pid_alive
from wfexec.errors import SpecError, WfexecError
from wfexec.home import wfexec_home

if TYPE_CHECKING:
    from wfexec.engine.labels import LabelSelector

POD_STRATEGIES = ("OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess")
ARTIFACT_STRATEGIES = ("OnWorkflowCompletion", "OnWorkflowDeletion", "Never")
SCHEMA = """
CREATE TABLE IF NOT EXISTS gc_due (
    run TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    due REAL NOT NULL,
    PRIMARY KEY (run, kind, target)
)"""
SWEEPER_SCHEMA = "CREATE TABLE IF NOT EXISTS gc_sweeper (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL)"
SWEEP_SECONDS = 0.5


# -- podGC ------------------------------------------------------------------------------------
def _select_all() -> LabelSelector:
    """The empty selector. Label selectors are imported only with a podGC: every run's engine
    imports this module, and few workflows have one."""
    from wfexec.engine.labels import LabelSelector

    return LabelSelector()


@dataclass(frozen=True)
class PodGC:
    strategy: str
    selector: LabelSelector = field(default_factory=_select_all)
    delay: float = 0.0

    def selects(self, labels: dict[str, str]) -> bool:
        """Kubernetes label-selector semantics (matchLabels and matchExpressions, ANDed)."""
        return self.selector.matches(labels)

    def at_pod_end(self, phase: str) -> bool:
        return self.strategy == "OnPodCompletion" or (self.strategy == "OnPodSuccess" and phase == N.SUCCEEDED)

    def at_workflow_end(self, phase: str) -> bool:
        return self.strategy == "OnWorkflowCompletion" or (self.strategy == "OnWorkflowSuccess"
                                                            and phase == N.SUCCEEDED)


def pod_gc_of(spec: dict[str, Any]) -> PodGC | None:
    """spec.podGC (None when absent or without a strategy); a bad field is a SpecError naming it."""
    gc = spec.get("podGC")
    if gc is None:
        return None
    if not isinstance(gc, dict):
        raise SpecError("expected a mapping (strategy, labelSelector, deleteDelayDuration)", field="spec.podGC")
    strategy = gc.get("strategy") or ""
    if not strategy:
        return None
    if strategy not in POD_STRATEGIES:
        raise SpecError(f"unknown strategy {strategy!r}: expected one of {', '.join(POD_STRATEGIES)}",
                        field="spec.podGC.strategy")
    sel = gc.get("labelSelector") or {}
    if not isinstance(sel, dict):
        raise SpecError("expected {matchLabels, matchExpressions}", field="spec.podGC.labelSelector")
    exprs = []
    for i, e in enumerate(sel.get("matchExpressions") or []):
        op = (e or {}).get("operator")
        if op not in ("In", "NotIn", "Exists", "DoesNotExist") or not e.get("key"):
            raise SpecError("expected key and operator In, NotIn, Exists or DoesNotExist",
                            field=f"spec.podGC.labelSelector.matchExpressions[{i}]")
        exprs.append((str(e["key"]), str(op), tuple(str(v) for v in e.get("values") or [])))
    from wfexec.engine.labels import from_match

    delay = 0.0
    if gc.get("deleteDelayDuration") not in (None, ""):
        delay = parse_go_duration(str(gc["deleteDelayDuration"]), "spec.podGC.deleteDelayDuration")
    return PodGC(str(strategy), from_match({str(k): str(v) for k, v in (sel.get("matchLabels") or {}).items()},
                                           exprs), delay)


# -- ttlStrategy ------------------------------------------------------------------------------
def ttl_seconds(spec: dict[str, Any], phase: str) -> float | None:
    """How long after its end a run in `phase` lives (None: no TTL applies)."""
    ttl = spec.get("ttlStrategy")
    if not isinstance(ttl, dict):
        return None
    key = "secondsAfterSuccess" if phase == N.SUCCEEDED else "secondsAfterFailure"
    for k in (key, "secondsAfterCompletion"):
        if ttl.get(k) not in (None, ""):
            try:
                return max(0.0, float(int(ttl[k])))
            except (TypeError, ValueError):
                raise SpecError(f"expected whole seconds, got {ttl[k]!r}", field=f"spec.ttlStrategy.{k}") from None
    return None


# -- the due table ----------------------------------------------------------------------------
class DueTable:
    def __init__(self, store: Store) -> None:
        self.store = store
        with store._tx() as db:
            db.execute(SCHEMA)
            db.execute(SWEEPER_SCHEMA)

    def add(self, run: str, kind: str, target: str, due: float) -> None:
        with self.store._tx() as db:
            db.execute("INSERT INTO gc_due (run, kind, target, due) VALUES (?,?,?,?)"
                       " ON CONFLICT(run, kind, target) DO UPDATE SET due=excluded.due", (run, kind, target, due))

    def take_due(self, now: float) -> list[tuple[str, str, str]]:
        if not self.store._read("SELECT 1 FROM gc_due WHERE due<=? LIMIT 1", (now,)):
            return []  # the common case: a read, no write transaction
        with self.store._tx() as db:
            rows = db.execute("SELECT run, kind, target FROM gc_due WHERE due<=? ORDER BY due", (now,)).fetchall()
            db.executemany("DELETE FROM gc_due WHERE run=? AND kind=? AND target=?", rows)
        return [(r[0], r[1], r[2]) for r in rows]

    def next_due(self) -> float | None:
        rows = self.store._read("SELECT MIN(due) FROM gc_due")
        return rows[0][0] if rows and rows[0][0] is not None else None

    def forget_run(self, run: str) -> None:
        with self.store._tx() as db:
            db.execute("DELETE FROM gc_due WHERE run=?", (run,))

    def claim_sweeper(self, pid: int) -> bool:
        with self.store._tx() as db:
            row = db.execute("SELECT pid FROM gc_sweeper WHERE id=1").fetchone()
            if row and row[0] != pid and pid_alive(row[0]):
                return False
            db.execute("INSERT INTO gc_sweeper (id, pid) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET pid=excluded.pid",
                       (pid,))
            return True

    def release_sweeper(self, pid: int) -> None:
        with self.store._tx() as db:
            db.execute("DELETE FROM gc_sweeper WHERE id=1 AND pid=?", (pid,))

    def sweeper_alive(self) -> bool:
        rows = self.store._read("SELECT pid FROM gc_sweeper WHERE id=1")
        return bool(rows) and pid_alive(rows[0][0])


def sweep_due(store: Store, now: float | None = None) -> int:
    """Do the GC work that is due; how many items were done."""
    items = DueTable(store).take_due(time.time() if now is None else now)
    for run, kind, target in items:
        if kind == "pod":
            remove_pod(run, target)
        elif kind == "run":
            try:
                delete_run(store, run)
            except WfexecError:
                pass  # already deleted (by `wfexec delete`, or another sweeper)
    return len(items)


def remove_pod(run: str, node_id: str) -> None:
    """What a pod is here: its directory (on the tmpfs, or in the run's directory)."""
    from wfexec.engine.api import run_dir
    from wfexec.engine.pod_dirs import PodDirs

    dirs = PodDirs.for_run(run_dir(run))
    dirs._disk_used = True  # look in both places: this process did not place it
    dirs.remove(node_id)


def ensure_sweeper(store: Store) -> None:
    """A detached sweeper for what is due later, unless one is running."""
    table = DueTable(store)
    if table.next_due() is None or table.sweeper_alive():
        return
    env = dict(os.environ, WFEXEC_HOME=str(store.path.parent))
    subprocess.Popen([sys.executable, "-m", "wfexec.engine.gc"], env=env, start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def sweeper_main() -> int:
    store = Store(wfexec_home() / "runs.db")
    table = DueTable(store)
    pid = os.getpid()
    if not table.claim_sweeper(pid):
        return 0
    try:
        while store.path.exists():  # a home removed under it (a test's temporary home) ends it
            sweep_due(store)
            nxt = table.next_due()
            if nxt is None:
                return 0
            time.sleep(min(max(0.05, nxt - time.time()), 5.0))
        return 0
    finally:
        table.release_sweeper(pid)


# -- artifactGC -------------------------------------------------------------------------------
def _artifact_strategies(manifest: dict[str, Any], options: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(template name, output artifact name) -> its artifactGC strategy, the workflow's as default."""
    spec = manifest.get("spec") or {}
    default = ((spec.get("artifactGC") or {}).get("strategy")) or ""
    templates = list(spec.get("templates") or [])
    for doc in options.get("workflow_templates") or []:
        templates += list((doc.get("spec") or {}).get("templates") or [])
    out: dict[tuple[str, str], str] = {}
    for t in templates:
        for a in (t.get("outputs") or {}).get("artifacts") or []:
            own = (a.get("artifactGC") or {}).get("strategy") if isinstance(a.get("artifactGC"), dict) else None
            out[(str(t.get("name")), str(a.get("name")))] = own or default
    return out


def collect_artifacts(store: Store, run: str, strategy: str) -> list[str]:
    """Delete the run's stored output artifacts whose artifactGC strategy is `strategy`; their keys."""
    from wfexec.artifacts.location import DRIVERS, ArtifactLocation
    from wfexec.engine.artifacts_glue import repository_for_run

    rec = store.get_run(run)
    strategies = _artifact_strategies(rec.manifest, rec.options)
    if strategy not in strategies.values():
        return []
    base, _ = repository_for_run(rec.manifest, rec.options, rec.status)
    gone: list[str] = []
    for node in store.get_nodes(run).values():
        for art in (node.get("outputs") or {}).get("artifacts") or []:
            if strategies.get((str(node.get("templateName")), str(art.get("name")))) != strategy:
                continue
            driver = next((d for d in DRIVERS if isinstance(art.get(d), dict)), None)
            if driver is None:
                continue
            repo = base
            block = art[driver]
            if driver == "s3" and base.driver == "s3" and any(
                    block.get(k) not in (None, getattr(base, k, None)) for k in ("bucket", "endpoint")):
                from wfexec.artifacts.s3_repo import S3Repository

                repo = S3Repository.from_config({k: v for k, v in block.items() if k != "key"})
            repo.delete(ArtifactLocation.from_argo(art))
            gone.append(str(block.get("key")))
    return gone


# -- deleting runs ----------------------------------------------------------------------------
def delete_run(store: Store, name: str) -> None:
    """Delete a run as Argo deletes a Workflow: its OnWorkflowDeletion artifacts, pods, directory and rows."""
    from wfexec.engine.api import run_dir as dir_of
    from wfexec.engine.pod_dirs import PodDirs

    rec = store.get_run(name)
    collect_artifacts(store, rec.name, "OnWorkflowDeletion")
    run_dir = dir_of(rec.name)
    PodDirs.for_run(run_dir).remove_all()
    shutil.rmtree(run_dir, ignore_errors=True)
    DueTable(store).forget_run(rec.name)
    store.delete_run(rec.name)


#: How long deleting a running run waits for its engine to end it after `terminate`.
DELETE_WAIT_SECONDS = 60.0


def end_and_delete(store: Store, name: str, wait: float = DELETE_WAIT_SECONDS) -> None:
    """Delete a run as `argo delete` does, one still running too: it is terminated first, and its engine
    is given `wait` seconds to end it (its pods killed, its exit handler skipped)."""
    rec = store.get_run(name)
    if rec.phase in N.ACTIVE and rec.engine_pid and pid_alive(rec.engine_pid):
        store.set_control(rec.name, "terminate")
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and store.get_run(rec.name).phase in N.ACTIVE:
            time.sleep(0.1)
    delete_run(store, rec.name)


def delete_owned_runs(store: Store, owner_uid: str) -> list[str]:
    """The runs an object owns (their ownerReferences name its uid), deleted with it, as Kubernetes'
    garbage collector deletes a deleted CronWorkflow's Workflows."""
    owned = [r.name for r in store.run_summaries()
             if any(isinstance(o, dict) and o.get("uid") == owner_uid
                    for o in r.manifest.get("metadata", {}).get("ownerReferences") or [])]
    for name in owned:
        try:
            end_and_delete(store, name)
        except WfexecError:
            pass  # deleted meanwhile by another hand
    return owned


def apply_retention(store: Store, config_path: str | None) -> list[str]:
    """The executor config's retentionPolicy: runs beyond the newest N of a phase, or older than maxAge, go."""
    from wfexec.config import load_config

    policy = load_config(config_path).raw.get("retentionPolicy")
    if not isinstance(policy, dict) or not policy:
        return []
    keep = {N.SUCCEEDED: policy.get("completed"), N.FAILED: policy.get("failed"), N.ERROR: policy.get("errored")}
    max_age = parse_go_duration(str(policy["maxAge"]), "retentionPolicy.maxAge") if policy.get("maxAge") else None
    gone: list[str] = []
    now = time.time()
    for phase, limit in keep.items():
        runs = store.runs_in_phase(phase)  # the latest to finish first
        for i, rec in enumerate(runs):
            old = max_age is not None and rec.finished_at is not None and _ts(rec.finished_at) + max_age < now
            if (limit is not None and i >= int(limit)) or old:
                try:
                    delete_run(store, rec.name)
                    gone.append(rec.name)
                except WfexecError:
                    pass
    return gone


def _ts(text: str) -> float:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp()


def _labels(node: N.Node) -> dict[str, str]:
    meta = node.get("podMetadata")
    return dict(meta["labels"]) if meta else {}


# -- in the engine ----------------------------------------------------------------------------
class RunGarbage:
    """One run's GC while its engine drives it."""

    def __init__(self, store: Store, run: str, spec: dict[str, Any]) -> None:
        self.store = store
        self.run = run
        self.spec = spec
        self.pod_gc = pod_gc_of(spec)
        self.due = DueTable(store)
        self.scheduled: set[str] = set()

    def pod_ended(self, node: N.Node) -> None:
        gc = self.pod_gc
        if gc is None or node.get("type") != N.POD or not N.is_fulfilled(node):
            return
        labels = _labels(node)
        if gc.at_pod_end(node["phase"]) and gc.selects(labels):
            self._pod(node["id"], gc.delay)

    def _pod(self, node_id: str, delay: float) -> None:
        self.scheduled.add(node_id)
        if delay <= 0:
            remove_pod(self.run, node_id)
        else:
            self.due.add(self.run, "pod", node_id, time.time() + delay)

    async def sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            await asyncio.to_thread(sweep_due, self.store)

    def run_ended(self, phase: str, nodes: list[N.Node], status: dict[str, Any], config_path: str | None) -> None:
        """podGC's workflow strategies, artifactGC's OnWorkflowCompletion, the TTL, retention."""
        gc = self.pod_gc
        if gc is not None and gc.at_workflow_end(phase):
            for node in nodes:
                if node.get("type") == N.POD and node["id"] not in self.scheduled and gc.selects(_labels(node)):
                    self._pod(node["id"], gc.delay)
        rec = self.store.get_run(self.run)
        if "OnWorkflowCompletion" in _artifact_strategies(rec.manifest, rec.options).values():
            collect_artifacts(self.store, self.run, "OnWorkflowCompletion")
            status["artifactGCStatus"] = {"strategiesProcessed": {"OnWorkflowCompletion": True}}
            self.store.update_run(self.run, status=status)
        ttl = ttl_seconds(self.spec, phase)
        if ttl is not None:
            self.due.add(self.run, "run", self.run, time.time() + ttl)
        apply_retention(self.store, config_path)
        sweep_due(self.store)
        ensure_sweeper(self.store)


__all__ = ["PodGC", "RunGarbage", "apply_retention", "collect_artifacts", "delete_run", "pod_gc_of",
           "sweep_due", "ttl_seconds"]


if __name__ == "__main__":
    sys.exit(sweeper_main())
