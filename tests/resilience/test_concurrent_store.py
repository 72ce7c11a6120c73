"""Two `wfexec` processes submitting and reading at once corrupt nothing in the shared run store.

The store is SQLite in WAL mode with short, retried transactions. Two workers each submit
several runs (each driven by its own background engine, so up to 2 + 2 x RUNS writers) and
read the store in a loop (`list -o json`, `get -o json`) until their runs end. Then the
database passes `PRAGMA integrity_check` and every run is complete and Succeeded.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from tests.resilience.helpers import DATA, wfexec

RUNS = 4  # per worker
NODES = 1 + 1 + 12 + 3  # DAG, TaskGroup, 12 items, left/right/join


def _worker(home: Path, names: list[str], errors: list[str]) -> None:
    try:
        for _ in range(RUNS):
            names.append(wfexec("submit", str(DATA / "busy-store.yaml"), "-o", "name", home=home,
                                check=True).stdout.strip())
            json.loads(wfexec("list", "-o", "json", home=home, check=True).stdout)
        end = time.monotonic() + 180
        while time.monotonic() < end:
            listed = json.loads(wfexec("list", "-o", "json", home=home, check=True).stdout)
            phases = {w["metadata"]["name"]: w["status"]["phase"] for w in listed}
            for name in names:
                wf = json.loads(wfexec("get", name, "-o", "json", home=home, check=True).stdout)
                assert wf["metadata"]["name"] == name
            if all(phases.get(n) in ("Succeeded", "Failed", "Error") for n in names):
                return
        errors.append(f"runs {names} did not end")
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(repr(exc))


def test_two_processes_submitting_and_reading_corrupt_nothing(wfexec_home: Path) -> None:
    names: list[list[str]] = [[], []]
    errors: list[str] = []
    workers = [threading.Thread(target=_worker, args=(wfexec_home, names[i], errors)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(300)
    assert errors == []
    db = sqlite3.connect(wfexec_home / "runs.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        runs = dict(db.execute("SELECT name, phase FROM runs").fetchall())
        assert sorted(runs) == sorted(names[0] + names[1]) and len(runs) == 2 * RUNS
        assert set(runs.values()) == {"Succeeded"}, runs
        for name in runs:
            nodes = [json.loads(d) for (d,) in db.execute("SELECT data FROM nodes WHERE run=?", (name,))]
            assert len(nodes) == NODES, (name, len(nodes))
            assert {n["phase"] for n in nodes} == {"Succeeded"}, name
            ids = {n["id"] for n in nodes}
            children = {c for n in nodes for c in n.get("children") or []}
            assert children == ids - {name}, f"{name}: the node tree is incomplete"
    finally:
        db.close()
