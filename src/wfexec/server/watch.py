"""Changes in the run store, as they happen, for the watch stream and log followers.

One thread per server asks SQLite for `PRAGMA data_version` every few milliseconds; that number moves only
when another connection commits, so an idle store costs one tiny query per tick. On a move it compares the
runs that can still change (Pending/Running, new rows, and the ones it saw active) with what it knew, and
tells each subscriber which runs changed. Subscribers fetch the run themselves, so a slow one only delays
itself: its pending changes are coalesced per run and nothing waits on it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("wfexec.server")

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
ACTIVE_PHASES = ("Pending", "Running")


@dataclass(frozen=True)
class RunChange:
    kind: str  # ADDED, MODIFIED or DELETED
    name: str
    namespace: str


class Subscription:
    """A subscriber's pending changes, newest state per run; read with `await next()`."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._pending: OrderedDict[str, RunChange] = OrderedDict()
        self._event = asyncio.Event()

    def push(self, change: RunChange) -> None:  # on the subscriber's loop
        old = self._pending.get(change.name)
        if old is not None and old.kind == ADDED and change.kind == MODIFIED:
            return  # still to be sent as ADDED, with the newest state
        self._pending[change.name] = change
        self._event.set()

    async def next(self, timeout: float | None = None) -> list[RunChange]:
        if not self._pending:
            self._event.clear()
            try:
                await asyncio.wait_for(self._event.wait(), timeout)
            except TimeoutError:
                return []
        out = list(self._pending.values())
        self._pending.clear()
        return out


@dataclass
class _Known:
    namespace: str
    signature: tuple[object, ...]
    node_seq: int


class StoreWatcher:
    """Polls the store's data version on a thread; fans run changes out to subscriptions."""

    def __init__(self, store_path: Path, interval: float = 0.005) -> None:
        self.path, self.interval = store_path, interval
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="wfexec-store-watch", daemon=True)
        self._known: dict[str, _Known] = {}
        self._max_rowid = 0
        self._names: dict[str, str] = {}  # every run in the store, and its namespace

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def subscribe(self) -> Subscription:
        sub = Subscription(asyncio.get_running_loop())
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    # -- the polling thread ---------------------------------------------------------------
    def _loop(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        try:
            self._names = dict(conn.execute("SELECT name, namespace FROM runs").fetchall())
            self._max_rowid = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM runs").fetchone()[0]
            self._scan(conn, announce=False)
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            while not self._stop.wait(self.interval):
                now = conn.execute("PRAGMA data_version").fetchone()[0]
                if now == version:
                    continue
                version = now
                try:
                    self._scan(conn, announce=True)
                except sqlite3.Error as exc:  # a busy or damaged store: tell the log, try at the next tick
                    log.warning("store watch: %s", exc)
        finally:
            conn.close()

    def _scan(self, conn: sqlite3.Connection, announce: bool) -> None:
        changes: list[RunChange] = []
        watched = list(self._known)
        marks = ",".join("?" * len(watched))
        rows = conn.execute(
            "SELECT rowid, name, namespace, phase, message, started_at, finished_at, length(status), control"
            " FROM runs WHERE rowid > ? OR phase IN ('Pending','Running')"
            + (f" OR name IN ({marks})" if watched else ""),
            (self._max_rowid, *watched)).fetchall()
        seen: set[str] = set()
        for rowid, name, ns, phase, message, started, finished, status_len, control in rows:
            seen.add(name)
            new = name not in self._names  # else an ended run come back (retried): MODIFIED, as in Kubernetes
            self._names[name] = ns
            self._max_rowid = max(self._max_rowid, rowid)
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM nodes WHERE run=?", (name,)).fetchone()[0]
            sig = (phase, message, started, finished, status_len, control)
            old = self._known.get(name)
            if old is None:
                changes.append(RunChange(ADDED if new else MODIFIED, name, ns))
            elif old.signature != sig or old.node_seq != seq:
                changes.append(RunChange(MODIFIED, name, ns))
            if phase in ACTIVE_PHASES:
                self._known[name] = _Known(ns, sig, seq)
            else:
                self._known.pop(name, None)
        for name in set(watched) - seen:  # watched but gone: deleted
            changes.append(RunChange(DELETED, name, self._known.pop(name).namespace))
            self._names.pop(name, None)
        count = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        if count < len(self._names):  # some run went that was not being watched: find which
            present = {r[0] for r in conn.execute("SELECT name FROM runs")}
            for name in [n for n in self._names if n not in present]:
                ns = self._names.pop(name)
                if not any(c.name == name for c in changes):
                    changes.append(RunChange(DELETED, name, ns))
        if announce and changes:
            self._publish(changes)

    def _publish(self, changes: list[RunChange]) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            for change in changes:
                try:
                    sub.loop.call_soon_threadsafe(sub.push, change)
                except RuntimeError:  # its loop has closed
                    self.unsubscribe(sub)
