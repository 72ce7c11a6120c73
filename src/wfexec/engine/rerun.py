"""Retry and resubmit of a finished run, as Argo's `retry` and `resubmit` shape them.

Retry keeps the run: its failed pods (and, with `restart_successful`, the succeeded nodes a node
selector names) are forgotten with everything under them, the nodes above them go back to Running,
and an engine picks the run up again; what stays Succeeded is never run twice. Resubmit makes a new
run from the old one's manifest and options.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from wfexec.engine import api
from wfexec.engine import nodes as N
from wfexec.engine.node_selector import NodeMatch, node_field_selector
from wfexec.engine.nodes import Node
from wfexec.engine.store import RunRecord, Store, pid_alive
from wfexec.engine.tree import display_children
from wfexec.errors import WfexecError


class NotRetryable(WfexecError):
    """The run is in a phase that cannot be retried (or resubmitted)."""


def parse_node_selector(text: str | None, field: str = "nodeFieldSelector") -> NodeMatch | None:
    """A node field selector, or None (it selects nothing) when the text is empty."""
    if not text or not text.strip():
        return None
    return node_field_selector(text, field)


@dataclass(frozen=True)
class RetryPlan:
    dropped: frozenset[str]  # nodes forgotten, to run again
    reset: frozenset[str]  # nodes above them, back to Running


def plan_retry(rec: RunRecord, nodes: dict[str, dict[str, Any]], *, restart_successful: bool = False,
               selector: NodeMatch | None = None) -> RetryPlan:
    if rec.phase in (N.PENDING, N.RUNNING, N.SUCCEEDED) and not (restart_successful and rec.phase == N.SUCCEEDED):
        raise NotRetryable(f"workflow {rec.name} is {rec.phase}: only Failed or Error workflows can be retried")
    view = display_children(cast(Mapping[str, Node], nodes))  # the tree as drawn, not Argo's chain links between steps
    parent_of = {c: parent for parent, cs in view.items() for c in cs}
    drop: set[str] = set()

    def descend(nid: str, links: bool = False) -> None:
        """The node and what it holds; with `links`, also what comes after it (Argo's `children`: the next
        step group, the dependent tasks), as Argo resets a node chosen by --node-field-selector."""
        if nid in drop:
            return
        drop.add(nid)
        for c in view.get(nid, []) + ((nodes.get(nid) or {}).get("children") or [] if links else []):
            if c in nodes:
                descend(c, links)

    roots: list[str] = []
    chosen_roots: set[str] = set()
    for n in nodes.values():
        failed_leaf = (n.get("phase") in (N.FAILED, N.ERROR, N.OMITTED)
                       and n.get("type") in (N.POD, N.SKIPPED_TYPE, N.SUSPEND, N.CONTAINER))
        on_exit = n["name"].endswith(".onExit")
        chosen = restart_successful and selector is not None and n.get("phase") == N.SUCCEEDED and selector(n)
        if failed_leaf or on_exit or chosen:
            roots.append(n["id"])
        if chosen:
            chosen_roots.add(n["id"])
    for nid in roots:
        if nid == rec.name:
            continue
        descend(nid, links=nid in chosen_roots)
    reset: set[str] = set()
    for nid in roots:
        parent = parent_of.get(nid)
        while parent and parent not in reset:
            reset.add(parent)
            parent = parent_of.get(parent)
    if rec.name in roots and rec.name in nodes:
        reset.add(rec.name)
    return RetryPlan(frozenset(drop - {rec.name}), frozenset(reset - drop))


def _wait_engine_gone(rec: RunRecord, timeout: float = 30.0) -> None:
    """An engine that just ended the run may still be writing its last words; let it finish first."""
    if rec.phase in (N.PENDING, N.RUNNING):
        return
    deadline = time.monotonic() + timeout
    while rec.engine_pid and pid_alive(rec.engine_pid):
        if time.monotonic() > deadline:
            raise NotRetryable(f"workflow {rec.name}: its last engine (pid {rec.engine_pid}) has not exited yet")
        time.sleep(0.02)


def retry_run(store: Store, name: str, *, restart_successful: bool = False, node_selector: str | None = None,
              parameters: dict[str, str] | None = None) -> RetryPlan:
    """Reset the run for a retry and hand it to a background engine."""
    rec = store.get_run(name)
    _wait_engine_gone(rec)
    nodes = store.get_nodes(rec.name)
    plan = plan_retry(rec, nodes, restart_successful=restart_successful,
                      selector=parse_node_selector(node_selector))
    for nid in plan.reset:
        node = nodes[nid]
        node["phase"] = N.RUNNING
        node.pop("finishedAt", None)
        node.pop("message", None)
        node["children"] = [c for c in node.get("children") or [] if c not in plan.dropped]
    fields: dict[str, Any] = {"phase": N.RUNNING, "message": None, "finished_at": None, "control": None}
    if parameters:
        fields["options"] = {**rec.options, "parameters": {**(rec.options.get("parameters") or {}), **parameters}}
    # the engine's pid goes in with the phase, so no reader sees a Running run without an engine and starts one
    started = store.restart_run(rec.name, (rec.phase, rec.finished_at), drop=sorted(plan.dropped),
                                put=[nodes[n] for n in plan.reset], fields=fields,
                                start=lambda: api.start_background(rec.name))
    if started is None:
        raise NotRetryable(f"workflow {rec.name} changed while it was being retried (another retry started it?)")
    return plan


#: The label Argo puts on a resubmitted Workflow: the run it was made from.
RESUBMITTED_FROM = "workflows.argoproj.io/resubmitted-from-workflow"


def resubmit_run(store: Store, name: str, parameters: dict[str, str] | None = None, *,
                 start: bool = True) -> RunRecord:
    """A new run from a run's manifest and options (its engine started in the background unless `start` is off)."""
    rec = store.get_run(name)
    wf = dict(rec.manifest)
    meta = dict(wf.get("metadata") or {})
    base = meta.get("name", "workflow")
    for key in ("name", "uid", "creationTimestamp", "resourceVersion"):
        meta.pop(key, None)
    meta["generateName"] = meta.get("generateName") or base + "-"  # as Argo: the same prefix, else NAME-
    meta["labels"] = {**(meta.get("labels") or {}), RESUBMITTED_FROM: base}
    wf["metadata"] = meta
    params = dict(rec.options.get("parameters") or {})
    params.update(parameters or {})
    new = api.create_run(store, wf, api.SubmitOptions.like(rec.options, parameters=params))
    if start:
        api.start_background(new.name)
    return new
