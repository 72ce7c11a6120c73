"""The run store: SQLite under $WFEXEC_HOME, one row per run and one per node.

Short transactions (WAL, retry on busy), so two wfexec processes can share it. A new store is
built whole under a temporary name and linked into place, so no process ever switches a shared
file into WAL (SQLite may refuse that switch at once, without waiting, while another opens it). The controller
writes node transitions through `journal.NodeJournal`, in batches, and never lets a pod's files
go before its end is committed: a killed engine loses no finished step.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wfexec.engine.workflow_key import workflow_key
from wfexec.errors import RunExists, StoreError
from wfexec.home import wfexec_home

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    name TEXT PRIMARY KEY,
    uid TEXT NOT NULL,
    namespace TEXT NOT NULL,
    phase TEXT NOT NULL,
    message TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    manifest TEXT NOT NULL,
    options TEXT NOT NULL,
    status TEXT NOT NULL,
    engine_pid INTEGER,
    engine_host_start REAL,
    control TEXT,
    workflow_key TEXT
);
CREATE TABLE IF NOT EXISTS nodes (
    run TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run, id)
);
CREATE INDEX IF NOT EXISTS nodes_run_seq ON nodes (run, seq);
"""
#: After SCHEMA, and after a store made before `workflow_key` has it (Store._add_workflow_keys). What
#: an engine reads at each run's start (the last success of its workflow, engine/workflow_key.py) and end
#: (the controller metrics' counts by phase) are index looks, not scans of every run in the store.
INDEXES = """
CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs (workflow_key, phase, finished_at);
CREATE INDEX IF NOT EXISTS runs_by_phase ON runs (phase, finished_at, started_at);
"""


@dataclass
class RunRecord:
    name: str
    uid: str
    namespace: str
    phase: str
    message: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    manifest: dict[str, Any]
    options: dict[str, Any]
    status: dict[str, Any]  # workflow-level status fields other than nodes
    engine_pid: int | None
    control: str | None  # "stop" / "terminate" requested by another process


class Store:
    """One connection per thread; writes are short and retried while the database is busy."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else wfexec_home() / "runs.db"
        self._local = threading.local()
        if not self.path.exists():
            self._create()
        else:
            with self._said():
                self._conn().executescript(SCHEMA)  # a store from before a table was added
                try:
                    self._conn().executescript(INDEXES)
                except sqlite3.OperationalError as exc:
                    if "workflow_key" not in str(exc):
                        raise
                    self._add_workflow_keys()
                    self._conn().executescript(INDEXES)

    def _add_workflow_keys(self) -> None:
        """A store made before runs had a `workflow_key`: the column, and each run's key, once."""
        with self._tx() as db:  # another process may have added it while this one waited for the lock
            if any(col[1] == "workflow_key" for col in db.execute("PRAGMA table_info(runs)")):
                return
            db.execute("ALTER TABLE runs ADD COLUMN workflow_key TEXT")
            rows = db.execute("SELECT name, json_extract(manifest, '$.metadata') FROM runs").fetchall()
            db.executemany("UPDATE runs SET workflow_key=? WHERE name=?",
                           [(workflow_key(name, json.loads(meta) if meta else {}), name) for name, meta in rows])

    def _create(self) -> None:
        """Build the schema in WAL mode in a private file, then link it in unless another won."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.new")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.unlink(missing_ok=True)
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                conn.execute("PRAGMA auto_vacuum=INCREMENTAL")  # before any table: deletes can give space back
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(SCHEMA)
                conn.executescript(INDEXES)
            finally:
                conn.close()  # the last connection folds the WAL back in and removes it
            os.link(tmp, self.path)
        except FileExistsError:
            pass  # another process created it first: theirs is as good
        except (OSError, sqlite3.Error) as exc:
            raise self._error(exc) from None
        finally:
            tmp.unlink(missing_ok=True)

    def _error(self, exc: BaseException) -> StoreError:
        return StoreError(f"run store {self.path}: {exc}")

    @contextmanager
    def _said(self) -> Iterator[None]:
        """SQLite's errors (a damaged file, a full disk) as a StoreError naming the store."""
        try:
            yield
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    # -- connection handling -------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self._said():
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA busy_timeout=30000")
                conn.execute("PRAGMA synchronous=NORMAL")
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")  # a store made before stores were linked in
            self._local.conn = conn
        return conn

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._said():
            return self._conn().execute(sql, params).fetchall()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        for attempt in range(50):
            try:
                conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise self._error(exc) from None
                time.sleep(min(0.01 * (attempt + 1), 0.2))
        else:
            raise StoreError(f"run store {self.path} stayed locked; another wfexec holds it")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                with suppress(sqlite3.Error):  # SQLite rolls back itself when it cannot
                    conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):  # a full disk, a damaged file: said, not a traceback
                raise self._error(exc) from None
            raise

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- runs ----------------------------------------------------------------------------
    def create_run(self, rec: RunRecord) -> None:
        with self._tx() as db:
            if db.execute("SELECT 1 FROM runs WHERE name=?", (rec.name,)).fetchone():
                raise RunExists(f"a run named {rec.name!r} already exists")
            db.execute(
                "INSERT INTO runs (name, uid, namespace, phase, message, created_at, started_at, finished_at,"
                " manifest, options, status, engine_pid, control, workflow_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (rec.name, rec.uid, rec.namespace, rec.phase, rec.message, rec.created_at, rec.started_at,
                 rec.finished_at, json.dumps(rec.manifest), json.dumps(rec.options), json.dumps(rec.status),
                 rec.engine_pid, rec.control, workflow_key(rec.name, rec.manifest.get("metadata") or {})),
            )

    def update_run(self, name: str, **fields: Any) -> None:
        with self._tx() as db:
            _update_run(db, name, fields)

    def claim_engine(self, name: str, pid: int) -> bool:
        """Record `pid` as the run's engine unless a live engine already holds it."""
        with self._tx() as db:
            row = db.execute("SELECT engine_pid FROM runs WHERE name=?", (name,)).fetchone()
            if row is None:
                raise StoreError(f"no run named {name!r}")
            other = row[0]
            if other and other != pid and pid_alive(other):
                return False
            db.execute("UPDATE runs SET engine_pid=? WHERE name=?", (pid, name))
            return True

    def start_engine(self, name: str, start: Callable[[], int], *, phases: tuple[str, ...],
                     started_only: bool) -> int | None:
        """Start an engine for the run (`start` returns its pid) unless a live one drives it, its phase
        is not one of `phases`, or (`started_only`) it never started. The look, the start and the pid's
        record are one transaction: two commands that find the same run without its engine, at the same
        moment, start one engine between them, not two that both drive it."""
        with self._tx() as db:
            row = db.execute("SELECT phase, started_at, engine_pid FROM runs WHERE name=?", (name,)).fetchone()
            if row is None:
                raise StoreError(f"no run named {name!r}")
            phase, started_at, other = row
            if phase not in phases or (started_only and not started_at) or (other and pid_alive(other)):
                return None
            pid = start()
            db.execute("UPDATE runs SET engine_pid=? WHERE name=?", (pid, name))
            return pid

    def restart_run(self, name: str, seen: tuple[str, str | None], *, drop: list[str], put: list[dict[str, Any]],
                    fields: dict[str, Any], start: Callable[[], int]) -> int | None:
        """Retry's write: forget the `drop` nodes, store the `put` ones, set the run's `fields`, start its
        engine and record its pid, all in one transaction, and only while the run's (phase, finished_at)
        is still the `seen` one the retry was planned on. Two retries of the same ended run then start
        one engine between them: the second finds the run changed and gets None."""
        with self._tx() as db:
            row = db.execute("SELECT phase, finished_at FROM runs WHERE name=?", (name,)).fetchone()
            if row is None:
                raise StoreError(f"no run named {name!r}")
            if tuple(row) != seen:
                return None
            _delete_node_rows(db, name, drop)
            _put_node_rows(db, name, [(n["id"], json.dumps(n)) for n in put])
            pid = start()
            _update_run(db, name, {**fields, "engine_pid": pid})
            return pid

    def get_run(self, name: str) -> RunRecord:
        rows = self._read(
            "SELECT name, uid, namespace, phase, message, created_at, started_at, finished_at, manifest,"
            " options, status, engine_pid, control FROM runs WHERE name=?", (name,))
        if not rows:
            matches = [r[0] for r in self._read(
                "SELECT name FROM runs WHERE name LIKE ? ORDER BY created_at DESC, rowid DESC", (f"{name}%",))]
            if len(matches) == 1:
                return self.get_run(matches[0])
            if name == "@latest":
                # the last stored, as `list` shows it first: created_at has whole seconds
                latest = self._read("SELECT name FROM runs ORDER BY created_at DESC, rowid DESC LIMIT 1")
                if latest:
                    return self.get_run(latest[0][0])
            raise StoreError(f"no run named {name!r}" + (f" (did you mean {', '.join(matches[:5])}?)" if matches else ""))
        row = rows[0]
        return RunRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], json.loads(row[8]),
                         json.loads(row[9]), json.loads(row[10]), row[11], row[12])

    def list_runs(self) -> list[RunRecord]:
        names = [r[0] for r in self._read("SELECT name FROM runs ORDER BY created_at DESC, rowid DESC")]
        return [self.get_run(n) for n in names]

    def run_summaries(self) -> list[RunRecord]:
        """Every run, newest first, with only what a listing shows of its manifest (metadata,
        spec.priority, spec.suspend) and options (parameters), and no status: SQLite takes those
        out, so listing a large store decodes no manifest whole."""
        rows = self._read(
            "SELECT name, uid, namespace, phase, message, created_at, started_at, finished_at,"
            " json_extract(manifest, '$.metadata'), json_extract(manifest, '$.spec.priority'),"
            " json_extract(manifest, '$.spec.suspend'), json_extract(options, '$.parameters'), engine_pid, control"
            " FROM runs ORDER BY created_at DESC, rowid DESC")
        out = []
        for row in rows:
            spec = {k: v for k, v in (("priority", row[9]), ("suspend", bool(row[10]) if row[10] is not None
                                                              else None)) if v is not None}
            manifest = {"metadata": json.loads(row[8]) if row[8] else {}, "spec": spec}
            options = {"parameters": json.loads(row[11])} if row[11] else {}
            out.append(RunRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], manifest, options,
                                 {}, row[12], row[13]))
        return out

    def runs_page(self, limit: int, after: tuple[str, int] | None = None) -> tuple[list[RunRecord], tuple[str, int] | None]:
        """At most `limit` runs in `list_runs`' order, from where the page before ended (`after`, as this
        returned it; None for the first); and where the next page starts, None after the last."""
        where = ""
        params: tuple[Any, ...] = ()
        if after is not None:
            where, params = " WHERE created_at < ? OR (created_at = ? AND rowid < ?)", (after[0], after[0], after[1])
        rows = self._read(
            "SELECT name, uid, namespace, phase, message, created_at, started_at, finished_at, manifest,"
            f" options, status, engine_pid, control, rowid FROM runs{where}"
            " ORDER BY created_at DESC, rowid DESC LIMIT ?", (*params, limit))
        recs = [RunRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8]), json.loads(r[9]),
                          json.loads(r[10]), r[11], r[12]) for r in rows]
        return recs, ((rows[-1][5], rows[-1][13]) if len(rows) == limit else None)

    def runs_in_phase(self, phase: str) -> list[RunRecord]:
        """Runs that ended in `phase`, the latest to finish first."""
        names = [r[0] for r in self._read("SELECT name FROM runs WHERE phase=? ORDER BY finished_at DESC", (phase,))]
        return [self.get_run(n) for n in names]

    def latest_succeeded_like(self, name: str) -> str | None:
        """The run of the same workflow as `name` (engine/workflow_key.py) that succeeded last, other
        than `name` itself: one look in the `runs_by_workflow` index."""
        rows = self._read(
            "SELECT other.name FROM runs AS this JOIN runs AS other ON other.workflow_key = this.workflow_key"
            " WHERE this.name=? AND other.phase='Succeeded' AND other.finished_at IS NOT NULL"
            " AND other.name <> this.name ORDER BY other.finished_at DESC LIMIT 1", (name,))
        return rows[0][0] if rows else None

    def delete_run(self, name: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM nodes WHERE run=?", (name,))
            db.execute("DELETE FROM runs WHERE name=?", (name,))

    def compact(self) -> None:
        """Give the pages freed by deletes back to the file system (`runs.db` shrinks).

        A store made before incremental auto-vacuum is rebuilt once with VACUUM, which turns it on.
        """
        with self._said():
            conn = self._conn()
            if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
                conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
                conn.execute("VACUUM")
            else:
                conn.executescript("PRAGMA incremental_vacuum;")  # frees a page per step: sqlite3_exec steps all
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def set_control(self, name: str, control: str | None) -> None:
        self.update_run(name, control=control)

    def get_control(self, name: str) -> str | None:
        rows = self._read("SELECT control FROM runs WHERE name=?", (name,))
        return rows[0][0] if rows else None

    # -- nodes ---------------------------------------------------------------------------
    def put_nodes(self, run: str, nodes: list[dict[str, Any]]) -> None:
        self.put_node_rows(run, [(n["id"], json.dumps(n)) for n in nodes])

    def put_node_rows(self, run: str, rows: list[tuple[str, str]]) -> None:
        """(node id, node JSON) pairs, in one transaction."""
        if not rows:
            return
        with self._tx() as db:
            _put_node_rows(db, run, rows)

    def get_nodes(self, run: str) -> dict[str, dict[str, Any]]:
        rows = self._read("SELECT id, data FROM nodes WHERE run=? ORDER BY rowid", (run,))
        return {r[0]: json.loads(r[1]) for r in rows}

    def nodes_version(self, run: str) -> tuple[int, int]:
        """(count, highest seq) of a run's nodes: changes whenever a node is written or deleted."""
        row = self._read("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM nodes WHERE run=?", (run,))[0]
        return int(row[0]), int(row[1])

    def delete_nodes(self, run: str, ids: list[str]) -> None:
        with self._tx() as db:
            _delete_node_rows(db, run, ids)


def _delete_node_rows(db: sqlite3.Connection, run: str, ids: list[str]) -> None:
    db.executemany("DELETE FROM nodes WHERE run=? AND id=?", [(run, i) for i in ids])


def _update_run(db: sqlite3.Connection, name: str, fields: dict[str, Any]) -> None:
    cols, vals = [], []
    for key, value in fields.items():
        if key in ("manifest", "options", "status"):
            value = json.dumps(value)
        cols.append(f"{key}=?")
        vals.append(value)
    db.execute(f"UPDATE runs SET {', '.join(cols)} WHERE name=?", (*vals, name))


def _put_node_rows(db: sqlite3.Connection, run: str, rows: list[tuple[str, str]]) -> None:
    seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM nodes WHERE run=?", (run,)).fetchone()[0]
    db.executemany(
        "INSERT INTO nodes (run, id, seq, data) VALUES (?,?,?,?)"
        " ON CONFLICT(run, id) DO UPDATE SET data=excluded.data, seq=excluded.seq",
        [(run, nid, seq + i + 1, data) for i, (nid, data) in enumerate(rows)],
    )


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
