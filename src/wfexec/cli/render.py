"""Argo-shaped views of a run: the Workflow object, and the `argo get` tree."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from wfexec.engine import nodes as N
from wfexec.engine.store import RunRecord

ICONS = {N.SUCCEEDED: ("✔", "green"), N.FAILED: ("✖", "red"), N.ERROR: ("⚠", "red"), N.RUNNING: ("●", "cyan"),
         N.PENDING: ("◷", "yellow"), N.SKIPPED: ("○", "dim"), N.OMITTED: ("○", "dim")}
HIDDEN_STATUS_KEYS = {"globalOutputs", "globalArtifacts"}


def workflow_object(rec: RunRecord, nodes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    wf = dict(rec.manifest)
    status: dict[str, Any] = {"phase": rec.phase}
    if rec.started_at:
        status["startedAt"] = rec.started_at
    status["finishedAt"] = rec.finished_at
    if rec.message:
        status["message"] = rec.message
    pods = [n for n in nodes.values() if n.get("type") == N.POD]
    done = [n for n in pods if n.get("phase") == N.SUCCEEDED]
    status["progress"] = f"{len(done)}/{len(pods)}"
    status["nodes"] = {nid: _public_node(n) for nid, n in nodes.items()}
    for k, v in rec.status.items():
        if k not in HIDDEN_STATUS_KEYS:
            status[k] = v
    wf["status"] = status
    return wf


def _public_node(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in ("attached",)}


def duration(start: str | None, end: str | None) -> str:
    if not start:
        return ""
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    t0 = dt.datetime.strptime(start, fmt).replace(tzinfo=dt.UTC)
    t1 = dt.datetime.strptime(end, fmt).replace(tzinfo=dt.UTC) if end else dt.datetime.now(dt.UTC)
    secs = int((t1 - t0).total_seconds())
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m {secs % 60}s"
    return f"{secs // 3600}h {(secs % 3600) // 60}m"


def summary(rec: RunRecord, nodes: dict[str, dict[str, Any]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    pods = [n for n in nodes.values() if n.get("type") == N.POD]
    done = [n for n in pods if n.get("phase") == N.SUCCEEDED]
    rows = [("Name:", rec.name), ("Namespace:", rec.namespace), ("Status:", rec.phase)]
    if rec.message:
        rows.append(("Message:", rec.message))
    rows += [("Created:", rec.created_at), ("Started:", rec.started_at or ""), ("Finished:", rec.finished_at or ""),
             ("Duration:", duration(rec.started_at, rec.finished_at)), ("Progress:", f"{len(done)}/{len(pods)}")]
    rows.append(("Runtime:", f"{rec.options.get('runtime')} (executor: {rec.options.get('executor')})"))
    params = rec.options.get("parameters") or {}
    decl = ((rec.manifest.get("spec") or {}).get("arguments") or {}).get("parameters") or []
    if decl:
        rows.append(("Parameters:", ""))
        for p in decl:
            rows.append((f"  {p['name']}:", str(params.get(p["name"], p.get("value", "")))))
    if ((rec.manifest.get("metadata") or {}).get("annotations") or {}).get("wfexec.io/kfp-v2"):
        from wfexec.kfp.v2.metrics import scalar_metrics

        metrics = scalar_metrics(nodes)
        if metrics:
            rows.append(("Metrics:", ""))
            rows += [(f"  {m.task}/{m.artifact}.{m.name}:", str(m.value)) for m in metrics]
    for k, v in rows:
        table.add_row(k, Text(str(v)))
    return table


def tree(rec: RunRecord, nodes: dict[str, dict[str, Any]]) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for col in ("STEP", "TEMPLATE", "PODNAME", "DURATION"):
        table.add_column(col, no_wrap=True)
    table.add_column("MESSAGE", overflow="fold")
    from wfexec.kfp.v2.cache_view import is_kfp_v2_run, with_cache_messages

    if is_kfp_v2_run(rec.manifest):
        nodes = with_cache_messages(nodes)
    root = nodes.get(rec.name)
    exit_node = next((n for n in nodes.values() if n["name"] == f"{rec.name}.onExit"), None)
    seen: set[str] = set()
    for top in (root, exit_node):
        if top:
            _rows(table, nodes, top, "", True, True, seen)
    return table


def _rows(table: Table, nodes: dict[str, dict[str, Any]], node: dict[str, Any], prefix: str, last: bool,
          top: bool, seen: set[str]) -> None:
    if node["id"] in seen:
        return
    seen.add(node["id"])
    children = [nodes[c] for c in node.get("children") or [] if c in nodes and c not in seen]
    if node.get("type") in (N.STEP_GROUP,):
        for i, child in enumerate(children):
            _rows(table, nodes, child, prefix, last and i == len(children) - 1, False, seen)
        return
    icon, color = ICONS.get(node.get("phase", ""), ("?", "white"))
    branch = "" if top else ("└─" if last else "├─")
    label = Text(prefix + branch)
    label.append(f"{icon} ", style=color)
    label.append(node.get("displayName", node["name"]))
    pod = N.pod_name(node["name"].split(".")[0].split("[")[0], node["name"], node.get("templateName", "")) \
        if node.get("type") == N.POD else ""
    table.add_row(label, node.get("templateName", ""), pod,
                  duration(node.get("startedAt"), node.get("finishedAt")) if node.get("type") == N.POD else "",
                  node.get("message", ""))
    flat: list[dict[str, Any]] = []
    for child in children:
        if child.get("type") == N.STEP_GROUP:
            flat.extend(nodes[c] for c in child.get("children") or [] if c in nodes)
        else:
            flat.append(child)
    child_prefix = prefix + ("" if top else ("  " if last else "│ "))
    for i, child in enumerate(flat):
        _rows(table, nodes, child, child_prefix, i == len(flat) - 1, False, seen)


def print_run(console: Console, rec: RunRecord, nodes: dict[str, dict[str, Any]]) -> None:
    console.print(Group(summary(rec, nodes), Text(""), tree(rec, nodes)))
