"""`submit --kube`: export, check, create the Workflow in the cluster, then follow it to its end.

Nothing is sent unless the exported documents pass `lint --strict`. The executor the export
prepares for is the cluster's own (its workflow-controller-configmap), unless --executor says.
Status is polled: a GET every `poll_seconds()` ($WFEXEC_KUBE_POLL_SECONDS, default 1).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

from rich.console import Group
from rich.text import Text

from wfexec.cli.common import console, dump, err, parse_kv
from wfexec.cli.render import print_run, summary, tree
from wfexec.cluster import controller
from wfexec.cluster.kube import call
from wfexec.cluster.workflows import (
    DONE,
    GROUP,
    PLURAL,
    VERSION,
    get_workflow,
    nodes_of,
    objects,
    phase_of,
    record,
    target,
)
from wfexec.engine import nodes as N
from wfexec.errors import ClusterError
from wfexec.export import Exported
from wfexec.export.build import check

UNPICKED_WARNING_SECONDS = 60.0


def poll_seconds() -> float:
    try:
        return max(0.01, float(os.environ.get("WFEXEC_KUBE_POLL_SECONDS", "1")))
    except ValueError:
        return 1.0


def cluster_executor(api: Any, args: argparse.Namespace) -> tuple[str | None, dict[str, Any]]:
    """(executor, images index) the cluster's controller uses; (None, {}) when its ConfigMap cannot be read."""
    try:
        found = controller.read(api, None)
    except ClusterError as exc:
        err.print(f"note: cannot read the cluster's executor ({exc}); using the local config's")
        return None, {}
    return found.effective_executor, controller.images_in(found.data)


def prepare(args: argparse.Namespace, namespace: str, executor: str | None, images: dict[str, Any]) -> Exported:
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


def submit_kube(args: argparse.Namespace) -> int:
    api, ns = target(args)
    executor, images = (args.executor, {}) if args.executor else cluster_executor(api, args)
    result = prepare(args, ns, executor, images)
    objs = objects(api)
    created = call(f"CREATE workflow in {ns}", lambda: objs.create_namespaced_custom_object(
        GROUP, VERSION, ns, PLURAL, result.workflow))
    assert created is not None
    name = created["metadata"]["name"]
    if not (args.wait or args.watch):
        _print_created(created, args.output, result.executor)
        return 0
    err.print(f"Workflow {name} created in namespace {ns}")
    show = _tree_view(result.executor) if args.watch else _transitions()
    final = follow(api, ns, name, show)
    if args.output in ("json", "yaml"):
        dump(final, args.output)
    else:
        print_run(console, record(final, result.executor), nodes_of(final))
    return 0 if phase_of(final) == N.SUCCEEDED else 1


def _print_created(wf: dict[str, Any], fmt: str | None, executor: str) -> None:
    if fmt in ("json", "yaml"):
        dump(wf, fmt)
    elif fmt == "name":
        console.print(wf["metadata"]["name"])
    else:
        console.print(summary(record(wf, executor), nodes_of(wf)))


Show = Callable[[dict[str, Any], dict[str, Any] | None], None]


def follow(api: Any, namespace: str, name: str, show: Show) -> dict[str, Any]:
    """Poll the Workflow until it ends; `show(now, before)` after each change. Returns the final object."""
    before: dict[str, Any] | None = None
    started = time.monotonic()
    warned = False
    while True:
        wf = get_workflow(api, namespace, name)
        if before is None or wf.get("status") != before.get("status"):
            show(wf, before)
        if phase_of(wf) in DONE:
            return wf
        if not (wf.get("status") or {}).get("phase") and not warned and \
                time.monotonic() - started > UNPICKED_WARNING_SECONDS:
            err.print(f"warning: no Argo controller has picked up {name} yet; is Argo running and watching "
                      f"namespace {namespace}?")
            warned = True
        before = wf
        time.sleep(poll_seconds())


def _transitions() -> Show:
    """--wait: one line per phase change of the Workflow and of each node."""
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
    def show(wf: dict[str, Any], before: dict[str, Any] | None) -> None:
        rec, nodes = record(wf, executor), nodes_of(wf)
        console.print(Group(summary(rec, nodes), Text(""), tree(rec, nodes), Text("")))
    return show
