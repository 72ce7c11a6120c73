"""What other processes ask of a running run — hold it (`suspend`), or answer its suspended steps
(`node set`, `resume`/`stop` with a node field selector) — shared by the CLI and the API.

The run's engine reads these from the store's control word and the run's request files
(engine/node_requests.py); nothing here talks to the engine directly.
"""

from __future__ import annotations

import copy
from typing import Any

from wfexec.engine import api
from wfexec.engine import nodes as N
from wfexec.engine.node_requests import NodeRequest, write_request
from wfexec.engine.node_selector import node_field_selector
from wfexec.engine.store import RunRecord, Store
from wfexec.errors import WfexecError


def suspend_run(store: Store, rec: RunRecord) -> None:
    """Hold the run as `argo suspend` does: running pods go on, no new pod starts until resume."""
    if rec.phase not in (N.PENDING, N.RUNNING):
        raise WfexecError(f"run {rec.name} has already ended ({rec.phase})")
    manifest = copy.deepcopy(rec.manifest)
    manifest.setdefault("spec", {})["suspend"] = True
    store.update_run(rec.name, manifest=manifest, control="suspend")


def suspended_nodes(store: Store, rec: RunRecord, selector: str,
                    flag: str = "--node-field-selector") -> list[dict[str, Any]]:
    """The Running Suspend nodes the selector picks; an error naming what was there when none."""
    match = node_field_selector(selector, flag)
    nodes = store.get_nodes(rec.name)
    waiting = [n for n in nodes.values() if match(n) and n.get("type") == N.SUSPEND and n.get("phase") == N.RUNNING]
    if not waiting:
        now = [n.get("displayName", n["id"]) for n in nodes.values()
               if n.get("type") == N.SUSPEND and n.get("phase") == N.RUNNING]
        raise WfexecError(f"no suspended step of run {rec.name} matches {selector!r}"
                          + (f" (suspended now: {', '.join(now)})" if now else " (none is suspended now)"))
    return waiting


def check_supplied(rec: RunRecord, nodes: list[dict[str, Any]], outputs: dict[str, str]) -> None:
    """Every output named must be one the step declares with valueFrom.supplied."""
    templates = {t.get("name"): t for t in (rec.manifest.get("spec") or {}).get("templates") or []}
    for node in nodes:
        declared = (templates.get(node.get("templateName")) or {}).get("outputs") or {}
        supplied = {p.get("name") for p in declared.get("parameters") or []
                    if "supplied" in (p.get("valueFrom") or {})}
        for name in outputs:
            if name not in supplied:
                raise WfexecError(f"step {node.get('displayName')!r} has no output parameter {name!r} with "
                                  "valueFrom.supplied" + (f" (supplied: {', '.join(sorted(supplied))})"
                                                          if supplied else ""))


def send(rec: RunRecord, nodes: list[dict[str, Any]], phase: str | None, message: str | None,
         outputs: dict[str, str] | None = None) -> None:
    """Ask the run's engine to change these suspended nodes (phase None: they keep waiting)."""
    write_request(api.run_dir(rec.name), NodeRequest(nodes=[n["id"] for n in nodes], phase=phase, message=message,
                                                     outputs=dict(outputs or {})))
