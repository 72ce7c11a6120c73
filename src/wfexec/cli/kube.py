"""`list|get|logs|submit --kube`: what `cluster/` reads from Argo Workflows in a cluster, printed.

`cluster/` returns data (Workflow objects, pod logs, the cluster's executor); this module is
where the `--kube` verbs turn it into the same output as the local ones.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from wfexec.cli.common import console, dump, err, parse_kv
from wfexec.cli.render import duration, print_run, print_workflow_list, summary, tree
from wfexec.cluster.submit import Show, cluster_executor, create_workflow, follow
from wfexec.cluster.workflows import (
    DONE,
    get_workflow,
    list_workflows,
    nodes_of,
    phase_of,
    pod_logs,
    record,
    target,
)
from wfexec.engine import nodes as N
from wfexec.export import Exported
from wfexec.export.build import check


def _target(args: argparse.Namespace) -> tuple[Any, str]:
    return target(args.context, getattr(args, "kubeconfig", None), args.namespace)


def list_runs(args: argparse.Namespace) -> int:
    api, ns = _target(args)
    items = list_workflows(api, ns)
    if getattr(args, "running", False):
        items = [w for w in items if phase_of(w) not in DONE]
    if getattr(args, "completed", False):
        items = [w for w in items if phase_of(w) in DONE]

    def row(w: dict[str, Any]) -> tuple[str, str, str, str, str, str]:
        rec = record(w)
        priority = str((w.get("spec") or {}).get("priority", 0))
        return (rec.name, rec.phase, duration(rec.created_at or None, None),
                duration(rec.started_at, rec.finished_at), priority, rec.message or "")

    print_workflow_list(items, args.output, row)
    return 0


def get_run(args: argparse.Namespace) -> int:
    api, ns = _target(args)
    wf = get_workflow(api, ns, args.run)
    if args.output in ("json", "yaml"):
        dump(wf, args.output)
    elif args.output == "name":
        console.print(wf["metadata"]["name"])
    else:
        print_run(console, record(wf), nodes_of(wf))
    return 0


def logs(args: argparse.Namespace) -> int:
    """As `argo logs`: --since/--since-time, --timestamps and --tail go to the kubelet, --grep is applied here."""
    from wfexec.cli.cmd_logs import grep_regex, since_ns
    from wfexec.cluster.workflows import LogQuery

    since = since_ns(args.since, args.since_time)
    grep = grep_regex(args.grep)
    query = LogQuery(since_seconds=None if since is None else max(1, round((time.time_ns() - since) / 1e9)),
                     timestamps=args.timestamps, tail_lines=args.tail if args.tail >= 0 else None)
    api, ns = _target(args)
    wf = get_workflow(api, ns, args.run)
    for log in pod_logs(api, ns, wf, args.step, args.container or "main", args.follow, query):
        if log.text is None:
            err.print(f"note: pod {log.pod} ({log.node.get('displayName')}) has no log: it is gone "
                      "(deleted by podGC?) or never started")
            continue
        prefix = "" if args.step else f"{log.pod}: "
        for line in log.text.splitlines():
            text = line.split(" ", 1)[-1] if args.timestamps else line  # the kubelet's time, then the line
            if grep is None or grep.search(text):
                sys.stdout.write(f"{prefix}{line}\n")
        sys.stdout.flush()
    return 0


VERBS: dict[str, Callable[[argparse.Namespace], int]] = {"list": list_runs, "get": get_run, "logs": logs}


def submit(args: argparse.Namespace) -> int:
    """Export, check, create the Workflow in the cluster, then (--wait/--watch) follow it to its end."""
    api, ns = _target(args)
    executor: str | None = args.executor
    images: dict[str, Any] = {}
    if not executor:
        found = cluster_executor(api)
        if found.note:
            err.print(f"note: {found.note}")
        executor, images = found.executor, found.images
    result = _prepare(args, ns, executor, images)
    created = create_workflow(api, ns, result.workflow)
    name = created["metadata"]["name"]
    if not (args.wait or args.watch):
        _print_created(created, args.output, result.executor)
        return 0
    err.print(f"Workflow {name} created in namespace {ns}")
    show = _tree_view(result.executor) if args.watch else _transitions()
    final = follow(api, ns, name, show, lambda text: err.print(f"warning: {text}"))
    if args.output in ("json", "yaml"):
        dump(final, args.output)
    else:
        print_run(console, record(final, result.executor), nodes_of(final))
    return 0 if phase_of(final) == N.SUCCEEDED else 1


def _prepare(args: argparse.Namespace, namespace: str, executor: str | None, images: dict[str, Any]) -> Exported:
    """Export the file for this cluster and apply submit's own flags; checked before anything is sent."""
    from wfexec.cli.cmd_export import options_from, report
    from wfexec.export import export_path

    options = options_from(args)
    if args.executor is None and executor is not None:
        options.executor = executor
    options.extra_images = images
    result = export_path(args.file, options)
    wf = result.workflow
    meta = wf.setdefault("metadata", {})
    meta["namespace"] = namespace
    if args.name:
        meta["name"] = args.name
        meta.pop("generateName", None)
    elif args.generate_name:
        meta["generateName"] = args.generate_name
        meta.pop("name", None)
    if args.entrypoint:
        wf["spec"]["entrypoint"] = args.entrypoint
    labels = parse_kv(args.labels, "-l")
    if labels:
        meta.setdefault("labels", {}).update(labels)
    for flag in ("runtime", "parallelism"):
        if getattr(args, flag, None) is not None:
            result.notes.append(f"--{flag} is for local runs; the cluster ignores it")
    check(result.documents, args.file)
    report(result, strict=False)
    return result


def _print_created(wf: dict[str, Any], fmt: str | None, executor: str) -> None:
    if fmt in ("json", "yaml"):
        dump(wf, fmt)
    elif fmt == "name":
        console.print(wf["metadata"]["name"])
    else:
        console.print(summary(record(wf, executor), nodes_of(wf)))


def _transitions() -> Show:
    """--wait: one line per phase change of the Workflow and of each node."""
    from rich.text import Text

    def show(wf: dict[str, Any], before: dict[str, Any] | None) -> None:
        name = wf["metadata"]["name"]
        old = phase_of(before) if before is not None else None
        if phase_of(wf) != old:
            arrow = f"{old} → {phase_of(wf)}" if old else phase_of(wf)
            message = (wf.get("status") or {}).get("message")
            console.print(Text(f"{name}: {arrow}" + (f" ({message})" if message else "")))
        was = nodes_of(before) if before is not None else {}
        for nid, node in nodes_of(wf).items():
            if node.get("type") in (N.POD, N.SUSPEND) and (was.get(nid) or {}).get("phase") != node.get("phase"):
                message = f" ({node['message']})" if node.get("message") else ""
                console.print(Text(f"  {node.get('displayName', nid)}: {node.get('phase')}{message}"))
    return show


def _tree_view(executor: str) -> Show:
    """--watch: the summary and node tree again after every change."""
    from rich.console import Group
    from rich.text import Text

    def show(wf: dict[str, Any], before: dict[str, Any] | None) -> None:
        rec, nodes = record(wf, executor), nodes_of(wf)
        console.print(Group(summary(rec, nodes), Text(""), tree(rec, nodes), Text("")))
    return show
