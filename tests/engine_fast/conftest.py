"""The fast layer: the real engine with an in-memory backend (no processes), one store per test."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.memory_backend import MemoryBackend
from wfexec.engine import api
from wfexec.engine.store import Store
from wfexec.engine.workflow import WorkflowRun


@dataclass
class FastRun:
    phase: str
    message: str | None
    nodes: dict[str, dict[str, Any]]
    backend: MemoryBackend

    def node(self, display: str) -> dict[str, Any]:
        hits = [n for n in self.nodes.values() if n.get("displayName") == display]
        assert len(hits) == 1, f"{len(hits)} nodes {display!r}; have {sorted(self.displays())}"
        return hits[0]

    def root(self) -> dict[str, Any]:
        """The entrypoint's node (its display name is the run's name)."""
        return next(n for n in self.nodes.values() if "boundaryID" not in n and n["type"] in ("DAG", "Steps")
                    and not n["name"].endswith(".onExit"))

    def has(self, display: str) -> bool:
        return any(n.get("displayName") == display for n in self.nodes.values())

    def displays(self) -> list[str]:
        return [str(n.get("displayName")) for n in self.nodes.values()]

    def children(self, display: str) -> list[dict[str, Any]]:
        return [self.nodes[c] for c in self.node(display).get("children") or []]


def wf(templates: list[dict[str, Any]], entry: str = "main", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "fast-"},
            "spec": {"entrypoint": entry, "templates": templates, **spec}}


def pod(name: str, program: str, **extra: Any) -> dict[str, Any]:
    """A container template whose `sh -c` text the in-memory backend interprets."""
    return {"name": name, "container": {"image": "none", "command": ["sh", "-c", program]}, **extra}


def steps(name: str, *groups: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": name, "steps": [list(g) for g in groups], **extra}


def dag(name: str, *tasks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "dag": {"tasks": list(tasks), **extra}}


def _send(store: Store, name: str, backend: MemoryBackend, ready: Callable[[FastRun], bool], verb: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if ready(FastRun("", None, store.get_nodes(name), backend)):
            store.set_control(name, verb)
            return
        time.sleep(0.02)


@pytest.fixture
def run(wfexec_home: Path) -> Callable[..., FastRun]:
    """Run a Workflow dict to its end on the in-memory backend."""

    def go(workflow: dict[str, Any], control: tuple[Callable[[FastRun], bool], str] | None = None,
           **options: Any) -> FastRun:
        """`control`: once the predicate holds of the run so far, send `stop`, `terminate` or `resume`,
        the way `wfexec stop` does (through the store)."""
        store = Store()
        rec = api.create_run(store, workflow, api.SubmitOptions(**options))
        backend = MemoryBackend()
        if control is not None:
            threading.Thread(target=_send, args=(store, rec.name, backend, *control), daemon=True).start()
        WorkflowRun(store, rec.name, backend=backend).run()
        done = store.get_run(rec.name)
        return FastRun(done.phase, done.message, store.get_nodes(rec.name), backend)

    return go
