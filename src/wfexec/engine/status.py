"""A run as Argo's Workflow object: the manifest with a `status` of Argo's shape (phase, times,
progress, nodes, outputs). Every face of the engine (CLI, server, tests) shows this same object."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from wfexec.engine import nodes as N
from wfexec.engine.accounting import EXECUTABLE, fill_progress, fill_resources_duration
from wfexec.engine.nodes import Node
from wfexec.engine.store import RunRecord

#: Status keys the engine keeps for itself (a restarted engine's global outputs), not Argo's.
HIDDEN_STATUS_KEYS = {"globalOutputs", "globalArtifacts"}
#: Node keys the engine keeps for itself (a pod was started: re-attach, never start it twice).
HIDDEN_NODE_KEYS = ("attached",)
#: Labels Argo's controller keeps on every Workflow; `argo list -l`/`delete -l` and the UI filter on them.
LABEL_PHASE = "workflows.argoproj.io/phase"
LABEL_COMPLETED = "workflows.argoproj.io/completed"


def live_labels(own: Mapping[str, Any] | None, phase: str) -> dict[str, str]:
    """A run's labels as Argo's controller keeps them: its own plus its phase and whether it completed.
    The one place both faces (CLI `-l`/`-o json`, the server) get them from; `own` as the manifest has them."""
    labels = {k: str(v) for k, v in (own or {}).items()}
    labels[LABEL_PHASE] = phase
    labels[LABEL_COMPLETED] = "false" if phase in N.ACTIVE else "true"
    return labels


def run_labels(rec: RunRecord) -> dict[str, str]:
    """`live_labels` of a run record (a full one or a Store.run_summaries one: both have the metadata)."""
    return live_labels((rec.manifest.get("metadata") or {}).get("labels"), rec.phase)


def progress(nodes: dict[str, Node]) -> str:
    """Argo's progress: pods and suspend nodes that have ended (in any phase) over all of them."""
    pods = [n for n in nodes.values() if n.get("type") in EXECUTABLE]
    return f"{sum(1 for n in pods if n.get('phase') in N.FULFILLED)}/{len(pods)}"


def public_node(node: Node) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in HIDDEN_NODE_KEYS}


def workflow_object(rec: RunRecord, nodes: dict[str, Node]) -> dict[str, Any]:
    """The run as `argo get -o json` shows a Workflow."""
    wf = dict(rec.manifest)
    wf["metadata"] = {**(wf.get("metadata") or {}), "labels": run_labels(rec)}
    status: dict[str, Any] = {"phase": rec.phase}
    if rec.started_at:
        status["startedAt"] = rec.started_at
    status["finishedAt"] = rec.finished_at
    if rec.message:
        status["message"] = rec.message
    shown = {nid: cast(Node, public_node(n)) for nid, n in nodes.items()}
    status["progress"] = fill_progress(shown)
    total = fill_resources_duration(shown)
    if total:
        status["resourcesDuration"] = total
    status["nodes"] = shown
    for k, v in rec.status.items():
        if k not in HIDDEN_STATUS_KEYS:
            status[k] = v
    wf["status"] = status
    return wf
