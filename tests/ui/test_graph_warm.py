"""Big runs' graphs are laid out ahead of a view: at start, and as a run's nodes are written."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from pathlib import Path

from wfexec.engine.store import RunRecord, Store
from wfexec.server.ui.graph_cache import ResponseCache
from wfexec.server.ui.graph_warm import GraphWarmer
from wfexec.server.ui.routes import GRAPHS, _graph, graph_key, warm_graph
from wfexec.server.watch import StoreWatcher

T0 = "2026-01-01T00:00:00Z"


def _run(store: Store, name: str, tasks: int, phase: str = "Succeeded") -> None:
    """A DAG run of `tasks` distinct tasks, task i a child of task (i-1)//2, written as the engine writes it."""
    store.create_run(RunRecord(name=name, uid=str(uuid.uuid4()), namespace="default", phase=phase, message=None,
                               created_at=T0, started_at=T0, finished_at=None, options={}, status={},
                               manifest={"metadata": {"name": name, "namespace": "default"}, "spec": {}},
                               engine_pid=None, control=None))
    nodes = [{"id": name, "name": name, "displayName": name, "type": "DAG", "phase": phase,
              "children": [f"{name}-0"]}]
    for i in range(tasks):
        kids = [f"{name}-{j}" for j in (2 * i + 1, 2 * i + 2) if j < tasks]
        nodes.append({"id": f"{name}-{i}", "name": f"{name}.t{i}", "displayName": f"t{i}", "type": "Pod",
                      "phase": phase, "children": kids, "boundaryID": name})
    store.put_nodes(name, nodes)


def _cached(store: Store, name: str) -> bool:
    return graph_key(store, store.get_run(name), set()) in GRAPHS._items


def test_big_runs_are_laid_out_ahead_and_small_ones_are_not(tmp_path: Path) -> None:
    store = Store(tmp_path / "runs.db")
    _run(store, "before", 120)  # in the store when the server starts

    async def main() -> GraphWarmer:
        watcher = StoreWatcher(store.path)
        watcher.start()
        warmer = GraphWarmer(store, warm_graph, warm_at=100, min_gap=0.2)
        warmer.start(watcher)
        try:
            _run(store, "small", 20, "Running")
            _run(store, "grows", 150, "Running")  # written while the server runs
            deadline = time.monotonic() + 30
            while not (_cached(store, "before") and _cached(store, "grows")) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert _cached(store, "before") and _cached(store, "grows")
            assert not _cached(store, "small")
            store.delete_run("small")  # a change for a run that is gone is no error
            await asyncio.sleep(0.3)
            assert warmer._task is not None and not warmer._task.done()
        finally:
            await warmer.stop()
            watcher.stop()
        return warmer

    warmer = asyncio.run(main())
    assert warmer.warmed >= 2
    # what the warmer cached is the answer a view gets
    assert _graph(store, "default", "grows", set()) == GRAPHS._items[graph_key(store, store.get_run("grows"), set())]


def test_a_view_asking_during_a_build_waits_for_it_instead_of_building_again() -> None:
    cache = ResponseCache(4)
    builds: list[int] = []
    started = threading.Event()

    def build() -> bytes:
        builds.append(1)
        started.set()
        time.sleep(0.3)
        return b"graph"

    first = threading.Thread(target=cache.get, args=("k", build))
    first.start()
    assert started.wait(10)
    assert cache.get("k", build) == b"graph"  # arrives mid-build
    first.join(10)
    assert builds == [1]
