"""Run a workflow file through the real engine (no mocks) and return what the store holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wfexec.cli.render import workflow_object
from wfexec.engine import api
from wfexec.engine.store import Store
from wfexec.spec.loader import load_file


@dataclass
class Finished:
    name: str
    phase: str
    message: str | None
    nodes: dict[str, dict[str, Any]]
    workflow: dict[str, Any]
    store: Store

    def by_display(self, display: str) -> dict[str, Any]:
        hits = [n for n in self.nodes.values() if n.get("displayName") == display]
        assert hits, f"no node {display!r}; have {sorted(n.get('displayName') for n in self.nodes.values())}"
        return hits[0]

    def all_by_display(self, display: str) -> list[dict[str, Any]]:
        return [n for n in self.nodes.values() if n.get("displayName") == display]

    def pods(self) -> list[dict[str, Any]]:
        return [n for n in self.nodes.values() if n.get("type") == "Pod"]

    def log(self, node: dict[str, Any], container: str = "main") -> str:
        path = api.run_dir(self.name) / "logs" / node["id"] / f"{container}.log"
        return path.read_text() if path.exists() else ""

    def param(self, display: str, name: str) -> str | None:
        for p in (self.by_display(display).get("outputs") or {}).get("parameters") or []:
            if p["name"] == name:
                return p.get("value")
        return None


def run_file(path: str | Path, *, parameters: dict[str, str] | None = None, runtime: str = "host",
             executor: str = "emissary", templates: list[str | Path] = (), entrypoint: str | None = None,
             config: str | None = None, **options: Any) -> Finished:
    docs = load_file(str(path))
    tdocs = [d.data for t in templates for d in load_file(str(t))]
    tdocs += [d.data for d in docs if d.kind in ("WorkflowTemplate", "ClusterWorkflowTemplate")]
    runnable = [d for d in docs if d.kind in api.RUNNABLE_KINDS]
    main = next((d for d in runnable if d.kind == "Workflow"), runnable[0])
    wf = api.workflow_from_document(main.data, str(path), tdocs)
    return run_workflow(wf, parameters=parameters, runtime=runtime, executor=executor, workflow_templates=tdocs,
                        entrypoint=entrypoint, config=config, **options)


def run_workflow(wf: dict[str, Any], *, parameters: dict[str, str] | None = None, runtime: str = "host",
                 executor: str = "emissary", workflow_templates: list[dict[str, Any]] = (),
                 entrypoint: str | None = None, config: str | None = None, **options: Any) -> Finished:
    store = Store()
    opts = api.SubmitOptions(parameters=dict(parameters or {}), runtime=runtime, executor=executor,
                             workflow_templates=list(workflow_templates), entrypoint=entrypoint, config=config,
                             **options)
    rec = api.create_run(store, wf, opts)
    api.run_foreground(store, rec.name)
    rec = store.get_run(rec.name)
    nodes = store.get_nodes(rec.name)
    return Finished(rec.name, rec.phase, rec.message, nodes, workflow_object(rec, nodes), store)
