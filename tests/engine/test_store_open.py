"""Opening the run store: many processes at once on a new store, and a store that cannot be opened.

Two `wfexec submit` started together both create `runs.db`. SQLite may refuse a switch into WAL
at once, without waiting, while another process opens the same file: that failure reached CI as
a traceback ("database is locked"). These tests race real processes on real files.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from wfexec.engine.store import Store
from wfexec.errors import StoreError

PROCESSES = 8
ROUNDS = 25


def _open_each(root: str, barrier: multiprocessing.synchronize.Barrier, failures: multiprocessing.Queue) -> None:
    for i in range(ROUNDS):
        barrier.wait()
        try:
            store = Store(Path(root) / f"runs{i}.db")
            store.list_runs()
            store.close()
        except Exception as exc:  # noqa: BLE001 - counted by the test
            failures.put(f"round {i}: {exc!r}")
    failures.put(None)


def test_processes_creating_one_store_at_once_all_open_it(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(PROCESSES, timeout=60)
    failures = ctx.Queue()
    procs = [ctx.Process(target=_open_each, args=(str(tmp_path), barrier, failures)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    seen: list[str] = []
    done = 0
    while done < PROCESSES:
        item = failures.get(timeout=120)
        if item is None:
            done += 1
        else:
            seen.append(item)
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert seen == []
    for i in range(ROUNDS):
        db = sqlite3.connect(tmp_path / f"runs{i}.db")
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")} == {"runs", "nodes"}
        db.close()
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("runs")] == []  # no temporary file left


def test_a_store_made_before_stores_were_linked_in_is_switched_to_wal(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    sqlite3.connect(path).close()  # an empty file in the default rollback-journal mode
    Store(path).list_runs()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_store_that_is_not_a_database_is_named_in_an_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    path.write_bytes(b"not sqlite at all, " * 100)
    with pytest.raises(StoreError, match=str(path)):
        Store(path)
    assert path.read_bytes() == b"not sqlite at all, " * 100  # nothing already stored is touched


def test_the_cli_says_which_store_it_cannot_open(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "runs.db").write_bytes(b"garbage" * 200)
    env = {**os.environ, "WFEXEC_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "wfexec.cli.main", "list"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert str(home / "runs.db") in proc.stderr.replace("\n", "")
