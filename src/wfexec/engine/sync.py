"""Synchronization: Argo's mutexes and semaphores, shared by every run of one `$WFEXEC_HOME`.

The locks live in the run store (table `sync_locks`): one row per lock and holder, `holding` or
`waiting`, with the holder's engine pid and that process's start time. A row whose process is
gone is dropped by the next acquirer, so a run killed with -9 (or whose engine died) frees its
locks. A run's rows also go when it ends. Waiters are served by priority (higher first), then by
arrival; a semaphore admits as many as its limit.

Lock names are Argo's: `<namespace>/Mutex/<name>`, `<namespace>/ConfigMap/<configmap>/<key>`,
and `<namespace>/Database/<key>` for v3.7's database semaphores. A semaphore's limit comes from
its ConfigMap (a ConfigMap file, as for artifact repositories) or, failing that, from the
executor config's `semaphoreLimits` (`<configmap>/<key>` or the database key → a number).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from typing import Any

from wfexec.config import load_config
from wfexec.engine.artifact_repos import _configmap, configmap_files
from wfexec.engine.store import Store, pid_alive
from wfexec.errors import SpecError, WfexecError

SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_locks (
    lock TEXT NOT NULL,
    holder TEXT NOT NULL,
    run TEXT NOT NULL,
    pid INTEGER NOT NULL,
    pid_start TEXT NOT NULL,
    priority INTEGER NOT NULL,
    since REAL NOT NULL,
    state TEXT NOT NULL,
    lock_limit INTEGER NOT NULL,
    PRIMARY KEY (lock, holder)
)"""
POLL_SECONDS = 0.2


class StoppedWaiting(WfexecError):
    """The run was stopped while it waited for a lock (it ends Failed, as Argo's stopped runs do)."""


@dataclass(frozen=True)
class LockRef:
    """One mutex or semaphore a workflow or template asks for."""

    name: str  # Argo's lock name
    limit: int
    mutex: bool


@dataclass(frozen=True)
class Attempt:
    acquired: bool
    message: str = ""


def _process_start(pid: int) -> str:
    """The process's start time (a recycled pid is another process)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _alive(pid: int, start: str) -> bool:
    return pid_alive(pid) and (not start or _process_start(pid) in ("", start))


def lock_refs(sync: Any, where: str, namespace: str, config_path: str | None) -> list[LockRef]:
    """The locks of a `synchronization` block, in v3 (`mutex`, `semaphore`) or v4 (`mutexes`,
    `semaphores`) spelling; a bad field is a SpecError naming it."""
    if sync is None:
        return []
    if not isinstance(sync, dict):
        raise SpecError("expected a mapping with mutexes or semaphores", field=where)
    refs: list[LockRef] = []
    mutexes = list(sync.get("mutexes") or []) + ([sync["mutex"]] if sync.get("mutex") else [])
    for i, m in enumerate(mutexes):
        if not isinstance(m, dict) or not m.get("name"):
            raise SpecError("expected a mutex with a name", field=f"{where}.mutexes[{i}]")
        ns = m.get("namespace") or namespace
        refs.append(LockRef(f"{ns}/Mutex/{m['name']}", 1, True))
    semaphores = list(sync.get("semaphores") or []) + ([sync["semaphore"]] if sync.get("semaphore") else [])
    for i, s in enumerate(semaphores):
        field = f"{where}.semaphores[{i}]"
        if not isinstance(s, dict):
            raise SpecError("expected configMapKeyRef or database", field=field)
        ns = s.get("namespace") or namespace
        if s.get("configMapKeyRef"):
            ref = s["configMapKeyRef"]
            if not isinstance(ref, dict) or not ref.get("name") or not ref.get("key"):
                raise SpecError("expected {name, key}", field=f"{field}.configMapKeyRef")
            limit = _configmap_limit(ref["name"], ref["key"], config_path, f"{field}.configMapKeyRef")
            refs.append(LockRef(f"{ns}/ConfigMap/{ref['name']}/{ref['key']}", limit, False))
        elif s.get("database"):
            key = (s["database"] or {}).get("key") if isinstance(s["database"], dict) else None
            if not key:
                raise SpecError("expected {key}", field=f"{field}.database")
            limit = _config_limit(str(key), config_path, f"{field}.database")
            refs.append(LockRef(f"{ns}/Database/{key}", limit, False))
        else:
            raise SpecError("expected configMapKeyRef or database", field=field)
    return refs


def _configmap_limit(name: str, key: str, config_path: str | None, field: str) -> int:
    doc = _configmap(name, configmap_files(config_path))
    value = ((doc or {}).get("data") or {}).get(key)
    if value is None:
        return _config_limit(f"{name}/{key}", config_path, field, f"ConfigMap {name!r} with key {key!r}")
    return _as_limit(value, f"ConfigMap {name} data.{key}")


def _config_limit(key: str, config_path: str | None, field: str, what: str | None = None) -> int:
    limits = load_config(config_path).raw.get("semaphoreLimits") or {}
    if not isinstance(limits, dict) or key not in limits:
        raise SpecError(f"no semaphore limit: expected {what + ' (a ConfigMap file) or ' if what else ''}"
                        f"semaphoreLimits[{key!r}] in the executor config", field=field)
    return _as_limit(limits[key], f"semaphoreLimits[{key!r}]")


def _as_limit(value: Any, where: str) -> int:
    try:
        limit = int(str(value).strip())
    except ValueError:
        raise SpecError(f"semaphore limit {value!r} is not a number", field=where) from None
    if limit < 0:
        raise SpecError(f"semaphore limit {limit} is negative", field=where)
    return limit


class LockTable:
    """The shared lock rows; every method is one short transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pid = os.getpid()
        self.pid_start = _process_start(self.pid)
        with store._tx() as db:
            db.execute(SCHEMA)

    def try_acquire(self, ref: LockRef, holder: str, run: str, priority: int) -> Attempt:
        now = time.time()
        with self.store._tx() as db:
            rows = db.execute("SELECT holder, pid, pid_start, state, priority, since FROM sync_locks WHERE lock=?",
                              (ref.name,)).fetchall()
            dead = [(h,) for h, pid, start, *_ in rows if not _alive(pid, start)]
            if dead:
                db.executemany("DELETE FROM sync_locks WHERE lock=? AND holder=?", [(ref.name, h) for (h,) in dead])
            live = [r for r in rows if (r[0],) not in dead]
            mine = next((r for r in live if r[0] == holder), None)
            if mine and mine[3] == "holding":
                return Attempt(True)
            if mine is None:
                db.execute("INSERT INTO sync_locks (lock, holder, run, pid, pid_start, priority, since, state,"
                           " lock_limit) VALUES (?,?,?,?,?,?,?,?,?)",
                           (ref.name, holder, run, self.pid, self.pid_start, priority, now, "waiting", ref.limit))
                live.append((holder, self.pid, self.pid_start, "waiting", priority, now))
            holding = sum(1 for r in live if r[3] == "holding")
            if holding >= ref.limit:
                # Argo's words: the first number is the free slots (semaphore.go)
                return Attempt(False, f"Waiting for {ref.name} lock. Lock status: {ref.limit - holding}/{ref.limit}")
            queue = sorted((r for r in live if r[3] == "waiting"), key=lambda r: (-r[4], r[5], r[0]))
            rank = next(i for i, r in enumerate(queue) if r[0] == holder)
            if rank >= ref.limit - holding:
                return Attempt(False, f"Waiting for {ref.name} lock. Available queue status: "
                                      f"{ref.limit - holding}/{ref.limit}")
            db.execute("UPDATE sync_locks SET state='holding', since=? WHERE lock=? AND holder=?",
                       (now, ref.name, holder))
            return Attempt(True)

    def release(self, ref: LockRef, holder: str) -> None:
        with self.store._tx() as db:
            db.execute("DELETE FROM sync_locks WHERE lock=? AND holder=?", (ref.name, holder))

    def release_run(self, run: str) -> None:
        """Every lock a run holds or waits for (it has ended)."""
        with self.store._tx() as db:
            db.execute("DELETE FROM sync_locks WHERE run=?", (run,))

    def rows(self, run: str | None = None) -> list[tuple[str, str, str, str]]:
        """(lock, holder, run, state) of live rows."""
        sql = "SELECT lock, holder, run, state, pid, pid_start FROM sync_locks"
        rows = self.store._read(sql + (" WHERE run=?" if run else "") + " ORDER BY lock, since",
                                (run,) if run else ())
        return [(r[0], r[1], r[2], r[3]) for r in rows if _alive(r[4], r[5])]


async def acquire_all(table: LockTable, refs: list[LockRef], holder: str, run: str, priority: int,
                      on_wait: Any, halted: Any) -> bool:
    """Take every lock in `refs`, in order, waiting as long as needed; `on_wait(message)` is called
    when the wait message changes. False (nothing held) if `halted()` turns true while waiting."""
    said = ""
    for ref in refs:
        while True:
            attempt = await asyncio.to_thread(table.try_acquire, ref, holder, run, priority)
            if attempt.acquired:
                break
            if halted():
                await asyncio.to_thread(release_all, table, refs, holder)
                return False
            if attempt.message != said:
                said = attempt.message
                on_wait(said)
            await asyncio.sleep(POLL_SECONDS)
    return True


def release_all(table: LockTable, refs: list[LockRef], holder: str) -> None:
    for ref in refs:
        table.release(ref, holder)


def synchronization_status(table: LockTable, run: str) -> dict[str, Any]:
    """Argo's `status.synchronization` for one run: what it holds and waits for."""
    out: dict[str, Any] = {}
    for lock, holder, _, state in table.rows(run):
        if "/Mutex/" in lock:
            out.setdefault("mutex", {}).setdefault(state, []).append({"mutex": lock, "holder": holder})
        else:
            kinds = out.setdefault("semaphore", {}).setdefault(state, [])
            entry = next((e for e in kinds if e["semaphore"] == lock), None)
            if entry is None:
                kinds.append({"semaphore": lock, "holders": [holder]})
            else:
                entry["holders"].append(holder)
    return out


__all__ = ["Attempt", "LockRef", "StoppedWaiting", "LockTable", "acquire_all", "lock_refs", "release_all", "synchronization_status"]
