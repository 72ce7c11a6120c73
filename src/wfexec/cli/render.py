"""Argo-shaped views of a run: the Workflow object, the `argo get` summary and tree, the `argo list` table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from wfexec.cli.table import Column, Row, Terminal, render
from wfexec.engine import nodes as N
from wfexec.engine.status import progress, workflow_object  # noqa: F401 - the builder's old home
from wfexec.engine.store import RunRecord
from wfexec.engine.tree import display_children
from wfexec.kfp_runs import is_kfp_v2

#: Icon and ANSI colour per phase, as `argo get` shows them.
ICONS = {N.SUCCEEDED: ("✔", "32"), N.FAILED: ("✖", "31"), N.ERROR: ("⚠", "31"), N.RUNNING: ("●", "36"),
         N.PENDING: ("◷", "33"), N.SKIPPED: ("○", "2"), N.OMITTED: ("○", "2")}
LABEL_WIDTH = 20


def duration(start: str | None, end: str | None) -> str:
    if not start:
        return ""
    # fromisoformat, not strptime: strptime's first use imports locale and compiles regexes (~10 ms a command)
    t0 = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
    t1 = dt.datetime.fromisoformat(end.replace("Z", "+00:00")) if end else dt.datetime.now(dt.UTC)
    secs = max(0, int((t1 - t0).total_seconds()))
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m {secs % 60}s"
    return f"{secs // 3600}h {(secs % 3600) // 60}m"


def pod_name_of(run: str, node: dict[str, Any]) -> str:
    """The pod name `get` shows and `logs` accepts (Argo's v2 naming); "" for nodes that are not pods."""
    if node.get("type") != N.POD:
        return ""
    return N.node_pod_name(run, node)


def summary_lines(rec: RunRecord, nodes: dict[str, dict[str, Any]]) -> list[str]:
    """`argo get`'s header: one `Label:  value` line each."""
    rows = [("Name:", rec.name), ("Namespace:", rec.namespace)]
    account = rec.options.get("serviceAccount")
    if account:
        rows.append(("ServiceAccount:", account))
    rows.append(("Status:", shown_phase(rec, nodes)))
    if rec.message:
        rows.append(("Message:", rec.message))
    rows += [("Created:", rec.created_at), ("Started:", rec.started_at or ""), ("Finished:", rec.finished_at or ""),
             ("Duration:", duration(rec.started_at, rec.finished_at)), ("Progress:", progress(nodes))]
    rows.append(("Runtime:", f"{rec.options.get('runtime')} (executor: {rec.options.get('executor')})"))
    labels = (rec.manifest.get("metadata") or {}).get("labels") or {}
    if labels:
        rows.append(("Labels:", ",".join(f"{k}={v}" for k, v in sorted(labels.items()))))
    params = rec.options.get("parameters") or {}
    decl = ((rec.manifest.get("spec") or {}).get("arguments") or {}).get("parameters") or []
    if decl:
        rows.append(("Parameters:", ""))
        kfp = is_kfp_v2(rec.manifest)  # its parameters are `p-<name>` inside: shown as `-p` takes them
        for p in decl:
            shown = p["name"][2:] if kfp and p["name"].startswith("p-") else p["name"]
            rows.append((f"  {shown}:", str(params.get(p["name"], p.get("value", "")))))
    if is_kfp_v2(rec.manifest):
        from wfexec.kfp.v2.metrics import scalar_metrics
        from wfexec.kfp.v2.run_outputs import pipeline_outputs

        returned = pipeline_outputs(nodes, rec.name)
        if returned:
            rows.append(("Outputs:", ""))
            rows += [(f"  {k}:", v.replace("\n", "\\n")) for k, v in returned]
        metrics = scalar_metrics(nodes)
        if metrics:
            rows.append(("Metrics:", ""))
            rows += [(f"  {m.task}/{m.artifact}.{m.name}:", str(m.value)) for m in metrics]
    return [f"{k:<{LABEL_WIDTH}} {v}".rstrip() for k, v in rows]


def tree_lines(rec: RunRecord, nodes: dict[str, dict[str, Any]], term: Terminal, wide: bool = False) -> list[str]:
    """`argo get`'s node tree: STEP, TEMPLATE, PODNAME, DURATION (and ARTIFACTS with wide), MESSAGE."""
    columns = [Column("STEP"), Column("TEMPLATE", drop_order=3), Column("PODNAME", drop_order=2),
               Column("DURATION", drop_order=1)]
    if wide:
        columns += [Column("ARTIFACTS", drop_order=4), Column("NODENAME", drop_order=5)]
    columns.append(Column("MESSAGE", wraps=True))
    rows: list[Row] = []
    if is_kfp_v2(rec.manifest):
        from wfexec.kfp.v2.cache_view import with_cache_messages

        nodes = with_cache_messages(nodes)
    root = nodes.get(rec.name)
    exit_node = next((n for n in nodes.values() if n["name"] == f"{rec.name}.onExit"), None)
    seen: set[str] = set()
    view = display_children(nodes)
    for top in (root, exit_node):
        if top:
            _rows(rows, rec.name, nodes, view, top, "", True, True, seen, wide)
    return render(columns, rows, term)


def _rows(rows: list[Row], run: str, nodes: dict[str, dict[str, Any]], view: dict[str, list[str]],
          node: dict[str, Any], prefix: str, last: bool, top: bool, seen: set[str], wide: bool) -> None:
    if node["id"] in seen:
        return
    seen.add(node["id"])
    children = [nodes[c] for c in view.get(node["id"], []) if c not in seen]
    if node.get("type") == N.STEP_GROUP:
        for i, child in enumerate(children):
            _rows(rows, run, nodes, view, child, prefix, last and i == len(children) - 1, False, seen, wide)
        return
    icon, colour = ICONS.get(node.get("phase", ""), ("?", "0"))
    branch = "" if top else ("└─" if last else "├─")
    label = f"{prefix}{branch}{icon} {node.get('displayName', node['name'])}"
    is_pod = node.get("type") == N.POD
    cells = [label, node.get("templateName", ""), pod_name_of(run, node),
             duration(node.get("startedAt"), node.get("finishedAt")) if is_pod and node.get("phase") != N.PENDING
             else ""]
    if wide:
        arts = [a.get("name", "") for a in (node.get("outputs") or {}).get("artifacts") or []]
        cells += [",".join(arts), node["name"]]
    cells.append(node.get("message", ""))
    start = len(prefix) + len(branch)
    rows.append(Row(cells, {0: (start, start + 1, colour)}))
    flat: list[dict[str, Any]] = []
    for child in children:
        if child.get("type") == N.STEP_GROUP:
            flat.extend(nodes[c] for c in view.get(child["id"], []))
        else:
            flat.append(child)
    child_prefix = prefix + ("" if top else ("  " if last else "│ "))
    for i, child in enumerate(flat):
        _rows(rows, run, nodes, view, child, child_prefix, i == len(flat) - 1, False, seen, wide)


def run_lines(rec: RunRecord, nodes: dict[str, dict[str, Any]], term: Terminal, wide: bool = False) -> list[str]:
    return [*summary_lines(rec, nodes), "", *tree_lines(rec, nodes, term, wide)]


def shown_phase(rec: RunRecord, nodes: dict[str, dict[str, Any]] | None = None) -> str:
    """The phase as argo prints it: `Running (Suspended)` while the run or one of its steps is suspended."""
    if rec.phase != N.RUNNING:
        return rec.phase
    held = bool((rec.manifest.get("spec") or {}).get("suspend")) or any(
        n.get("type") == N.SUSPEND and n.get("phase") == N.RUNNING for n in (nodes or {}).values())
    return f"{rec.phase} (Suspended)" if held else rec.phase


def list_lines(recs: list[RunRecord], term: Terminal, now: str, progress_of: dict[str, str] | None = None, *,
               namespace: bool = False, uid: bool = False,
               nodes_of: dict[str, dict[str, dict[str, Any]]] | None = None) -> list[str]:
    """`argo list`: NAME STATUS AGE DURATION PRIORITY MESSAGE, and P/R PARAMETERS when `progress_of` is given (wide);
    `argo archive list` adds NAMESPACE first and UID last."""
    columns = [Column("NAMESPACE", drop_order=6)] if namespace else []
    columns += [Column("NAME"), Column("STATUS"), Column("AGE", drop_order=2), Column("DURATION", drop_order=1),
                Column("PRIORITY", drop_order=3)]
    wide = progress_of is not None
    if wide:
        columns += [Column("P/R", drop_order=4), Column("PARAMETERS", drop_order=5)]
    columns.append(Column("MESSAGE", wraps=True))
    if uid:
        columns.append(Column("UID", drop_order=7))
    rows = []
    for r in recs:
        priority = str((r.manifest.get("spec") or {}).get("priority", 0))
        phase = shown_phase(r, (nodes_of or {}).get(r.name))
        cells = [r.namespace] if namespace else []
        cells += [r.name, phase, duration(r.created_at, now), duration(r.started_at, r.finished_at), priority]
        if wide:
            params = r.options.get("parameters") or {}
            cells += [(progress_of or {}).get(r.name, ""), ",".join(f"{k}={v}" for k, v in params.items())]
        cells.append(r.message or "")
        if uid:
            cells.append(r.uid)
        colour = ICONS.get(r.phase, ("", "0"))[1]
        rows.append(Row(cells, {int(namespace) + 1: (0, len(phase), colour)}))
    return render(columns, rows, term)


def print_workflow_list(items: list[dict[str, Any]], output: str,
                        row: Callable[[dict[str, Any]], tuple[str, str, str, str, str, str]]) -> None:
    """Workflow objects from a server or a cluster as `argo list -o OUTPUT` prints them: the objects, their
    names, or a table of NAME STATUS AGE DURATION PRIORITY MESSAGE with one `row` per object."""
    from wfexec.cli.common import console, dump

    if output in ("json", "yaml"):
        dump(items, output)
        return
    if output == "name":
        for wf in items:
            console.print(wf["metadata"]["name"])
        return
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE"):
        table.add_column(col)
    for wf in items:
        table.add_row(*row(wf))
    console.print(table)


def print_run(_console: Any, rec: RunRecord, nodes: dict[str, dict[str, Any]], wide: bool = False) -> None:
    """The summary and tree on stdout, fitted to it (the first argument is kept for older callers)."""
    from wfexec.cli.term import stdout_terminal, write_lines

    write_lines(run_lines(rec, nodes, stdout_terminal(), wide))


def summary(rec: RunRecord, nodes: dict[str, dict[str, Any]]) -> Any:
    """The summary as a rich Text, for callers that compose rich output."""
    from rich.text import Text

    return Text("\n".join(summary_lines(rec, nodes)))


def tree(rec: RunRecord, nodes: dict[str, dict[str, Any]]) -> Any:
    """The tree as a rich Text, for callers that compose rich output."""
    from rich.text import Text

    from wfexec.cli.term import stdout_terminal

    return Text.from_ansi("\n".join(tree_lines(rec, nodes, stdout_terminal())))
