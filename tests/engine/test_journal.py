"""The node journal: transitions reach the store in order, in batches, and a failed write is not silent."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from wfexec.engine.journal import NodeJournal
from wfexec.engine.store import Store
from wfexec.errors import StoreError


class CountingStore(Store):
    """A real store that also counts its transactions."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.transactions = 0

    def put_node_rows(self, run: str, rows: list[tuple[str, str]]) -> None:
        self.transactions += 1
        super().put_node_rows(run, rows)


def test_latest_state_of_every_node_is_stored_once_waited_for(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "runs.db")
    journal = NodeJournal(store, "r")
    for i in range(500):
        journal.put({"id": f"n{i % 50}", "phase": "Running", "step": i})
    journal.wait()
    nodes = store.get_nodes("r")
    assert list(nodes) == [f"n{i}" for i in range(50)]  # first-written order is kept
    assert all(n["step"] >= 450 for n in nodes.values())  # the last version of each
    assert store.transactions < 50, "500 quick transitions should share a few transactions"
    journal.close()


def test_a_snapshot_is_taken_at_put(tmp_path: Path) -> None:
    store = Store(tmp_path / "runs.db")
    journal = NodeJournal(store, "r")
    node = {"id": "a", "phase": "Running"}
    journal.put(node)
    node["phase"] = "Succeeded"  # changed after the put, never put again
    journal.close()
    assert store.get_nodes("r")["a"]["phase"] == "Running"


def test_wait_from_many_threads(tmp_path: Path) -> None:
    store = Store(tmp_path / "runs.db")
    journal = NodeJournal(store, "r")
    seen: list[bool] = []

    def worker(k: int) -> None:
        journal.put({"id": f"w{k}", "phase": "Succeeded"})
        journal.wait()
        seen.append(f"w{k}" in Store(tmp_path / "runs.db").get_nodes("r"))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    journal.close()
    assert seen == [True] * 8


def _journal_losing_its_table(tmp_path: Path) -> NodeJournal:
    """A journal whose node "a" is stored, then whose store loses its nodes table."""
    store = Store(tmp_path / "runs.db")
    journal = NodeJournal(store, "r")
    journal.put({"id": "a"})
    journal.wait()
    conn = sqlite3.connect(tmp_path / "runs.db")
    conn.execute("DROP TABLE nodes")  # the writer's next transaction fails for real
    conn.commit()
    conn.close()
    return journal


def test_a_failed_write_is_raised_to_the_next_caller(tmp_path: Path) -> None:
    journal = _journal_losing_its_table(tmp_path)
    journal.put({"id": "b"})
    with pytest.raises(StoreError, match=r"writing node status failed: run store .*runs\.db: no such table: nodes"):
        journal.wait()
    with pytest.raises(StoreError):
        journal.put({"id": "c"})
    with pytest.raises(StoreError):
        journal.close()


def test_after_commit_runs_once_what_came_before_is_stored(tmp_path: Path) -> None:
    """A finished pod's directory goes through `after_commit`: never before its end is in the store."""
    store = Store(tmp_path / "runs.db")
    journal = NodeJournal(store, "r")
    seen: list[dict[str, object]] = []
    journal.put({"id": "a", "phase": "Succeeded"})
    journal.after_commit(lambda: seen.append(Store(tmp_path / "runs.db").get_nodes("r")))
    journal.wait()  # returns once the actions due with that commit have run
    assert seen and seen[0]["a"] == {"id": "a", "phase": "Succeeded"}
    ran: list[str] = []
    journal.after_commit(lambda: ran.append("now"))  # nothing pending: at once, here
    assert ran == ["now"]
    journal.close()


def test_after_commit_never_runs_when_the_write_failed(tmp_path: Path) -> None:
    journal = _journal_losing_its_table(tmp_path)
    ran: list[str] = []
    journal.put({"id": "b"})
    journal.after_commit(lambda: ran.append("removed"))
    with pytest.raises(StoreError):
        journal.wait()
    journal.after_commit(lambda: ran.append("later"))
    with pytest.raises(StoreError):
        journal.close()
    assert ran == []  # what it would remove stays for a restarted engine
