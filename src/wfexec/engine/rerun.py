"""Retry and resubmit of a finished run, as Argo's `retry` and `resubmit` shape them.

Retry keeps the run: its failed pods (and, with `restart_successful`, the succeeded nodes a node
selector names) are forgotten with everything under them, the nodes above them go back to Running,
and an engine picks the run up again; what stays Succeeded is never run twice. Resubmit makes a new
run from the old one's manifest and options.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wfexec.engine import api
from wfexec.engine import nodes as N
from wfexec.engine.store import RunRecord, Store, pid_alive
from wfexec.errors import WfexecError

NODE_SELECTOR_KEYS = ("id", "name", "displayName", "templateName", "phase", "type")
_TERM = re.compile(r"^\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*$")

NodeMatch = Callable[[dict[str, Any]], bool]


class NotRetryable(WfexecError):
    """The run is in a phase that cannot be retried (or resubmitted)."""


def parse_node_selector(text: str | None, field: str = "nodeFieldSelector") -> NodeMatch | None:
    """Argo's node field selector (`displayName=a,phase!=Failed`); None selects nothing."""
    if not text or not text.strip():
        return None
    terms: list[tuple[str, bool, str]] = []
    for part in text.split(","):
        m = _TERM.match(part)
        if not m:
            raise WfexecError(f"{field}: cannot parse {part.strip()!r}; expected KEY=VALUE or KEY!=VALUE")
        key = m.group(1)
        if key not in NODE_SELECTOR_KEYS and not key.startswith("inputs.parameters."):
            raise WfexecError(f"{field}: key {key!r} is not supported; expected one of"
                              f" {', '.join(NODE_SELECTOR_KEYS)} or inputs.parameters.NAME.value")
        terms.append((key, m.group(2) != "!=", m.group(3)))

    def value(node: dict[str, Any], key: str) -> str | None:
        if key.startswith("inputs.parameters."):
            pname = key[len("inputs.parameters."):].removesuffix(".value")
            for p in (node.get("inputs") or {}).get("parameters") or []:
                if p.get("name") == pname:
                    return str(p.get("value"))
            return None
        v = node.get(key)
        return None if v is None else str(v)

    return lambda node: all((value(node, k) == v) == eq for k, eq, v in terms)


@dataclass(frozen=True)
class RetryPlan:
    dropped: frozenset[str]  # nodes forgotten, to run again
    reset: frozenset[str]  # nodes above them, back to Running


def plan_retry(rec: RunRecord, nodes: dict[str, dict[str, Any]], *, restart_successful: bool = False,
               selector: NodeMatch | None = None) -> RetryPlan:
    if rec.phase in (N.PENDING, N.RUNNING, N.SUCCEEDED) and not (restart_successful and rec.phase == N.SUCCEEDED):
        raise NotRetryable(f"workflow {rec.name} is {rec.phase}: only Failed or Error workflows can be retried")
    parent_of = {c: n["id"] for n in nodes.values() for c in n.get("children") or []}
    drop: set[str] = set()

    def descend(nid: str) -> None:
        if nid in drop:
            return
        drop.add(nid)
        for c in nodes.get(nid, {}).get("children") or []:
            descend(c)

    roots: list[str] = []
    for n in nodes.values():
        failed_leaf = (n.get("phase") in (N.FAILED, N.ERROR, N.OMITTED)
                       and n.get("type") in (N.POD, N.SKIPPED_TYPE, N.SUSPEND, N.CONTAINER))
        on_exit = n["name"].endswith(".onExit")
        chosen = restart_successful and selector is not None and n.get("phase") == N.SUCCEEDED and selector(n)
        if failed_leaf or on_exit or chosen:
            roots.append(n["id"])
    for nid in roots:
        if nid == rec.name:
            continue
        descend(nid)
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
    store.delete_nodes(rec.name, sorted(plan.dropped))
    store.put_nodes(rec.name, [nodes[n] for n in plan.reset])
    fields: dict[str, Any] = {"phase": N.RUNNING, "message": None, "finished_at": None, "control": None}
    if parameters:
        options = dict(rec.options)
        options["parameters"] = {**(options.get("parameters") or {}), **parameters}
        fields["options"] = options
        store.update_run(rec.name, options=options)
    # the engine's pid goes in with the phase, so no reader sees a Running run without an engine and starts one
    fields["engine_pid"] = api.start_background(rec.name)
    store.update_run(rec.name, **fields)
    return plan


def resubmit_run(store: Store, name: str, parameters: dict[str, str] | None = None) -> RunRecord:
    """A new run from a run's manifest and options (its engine started in the background)."""
    rec = store.get_run(name)
    wf = dict(rec.manifest)
    meta = dict(wf.get("metadata") or {})
    base = meta.get("name", "workflow")
    for key in ("name", "uid", "creationTimestamp", "resourceVersion"):
        meta.pop(key, None)
    meta["generateName"] = base + "-"
    wf["metadata"] = meta
    o = rec.options
    params = dict(o.get("parameters") or {})
    params.update(parameters or {})
    opts = api.SubmitOptions(parameters=params, entrypoint=o.get("entrypoint"), runtime=o.get("runtime", "host"),
                             executor=o.get("executor", "emissary"), config=o.get("config"),
                             parallelism=o.get("parallelism"), workflow_templates=o.get("workflowTemplates") or [],
                             grace=o.get("grace", 10.0), executor_source=o.get("executor_source", ""),
                             max_output_bytes=o.get("max_output_bytes"))
    new = api.create_run(store, wf, opts, file=o.get("file", ""))
    api.start_background(new.name)
    return new
