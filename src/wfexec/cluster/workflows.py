"""Argo Workflows in a cluster, read through the official client: `list|get|logs --kube`.

Workflows are the `argoproj.io/v1alpha1` custom objects (plural `workflows`); their `status`
already has the shape `get -o json` prints locally, so the local renderers show them. Pod
names follow Argo's v2 naming `<workflow>-<template>-<fnv32a(node name)>` (v1 naming, the
node id, when the Workflow's `pod-name-format` annotation says so).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from rich.table import Table

from wfexec.cli.common import console, dump, err
from wfexec.cli.render import duration, print_run
from wfexec.cluster.kube import api_client, call, kubeconfig_path
from wfexec.engine import nodes as N
from wfexec.engine.store import RunRecord
from wfexec.errors import ClusterError, WfexecError

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "workflows"
DONE = (N.SUCCEEDED, N.FAILED, N.ERROR)
POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format"


def default_namespace(context: str | None, kubeconfig: str | None) -> str:
    """The context's namespace, as kubectl and argo use it; else `default`."""
    from kubernetes import config as kconfig
    from kubernetes.config.config_exception import ConfigException

    try:
        contexts, active = kconfig.list_kube_config_contexts(config_file=kubeconfig_path(kubeconfig))
    except (ConfigException, OSError, ValueError):
        return "default"
    ctx = next((c for c in contexts if c.get("name") == context), None) if context else active
    return ((ctx or {}).get("context") or {}).get("namespace") or "default"


def target(args: argparse.Namespace) -> tuple[Any, str]:
    """(ApiClient, namespace) from --context, --kubeconfig and -n."""
    kubeconfig = getattr(args, "kubeconfig", None)
    api = api_client(args.context, kubeconfig)
    return api, args.namespace or default_namespace(args.context, kubeconfig)


def objects(api: Any) -> Any:
    from kubernetes import client

    return client.CustomObjectsApi(api)


def get_workflow(api: Any, namespace: str, name: str) -> dict[str, Any]:
    """One Workflow by name, or by a unique prefix of its name."""
    objs = objects(api)
    wf = call(f"GET workflow {namespace}/{name}",
              lambda: objs.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name), missing_ok=True)
    if wf is not None:
        return wf
    hits = [w for w in list_workflows(api, namespace) if w["metadata"]["name"].startswith(name)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        names = ", ".join(sorted(w["metadata"]["name"] for w in hits))
        raise ClusterError(f"workflow {name!r} is ambiguous in namespace {namespace}: {names}")
    raise ClusterError(f"workflow {name!r} not found in namespace {namespace}")


def list_workflows(api: Any, namespace: str) -> list[dict[str, Any]]:
    objs = objects(api)
    found = call(f"LIST workflows in {namespace}",
                 lambda: objs.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL))
    items = list((found or {}).get("items") or [])
    return sorted(items, key=lambda w: (w.get("metadata") or {}).get("creationTimestamp") or "", reverse=True)


def phase_of(wf: dict[str, Any]) -> str:
    """The Workflow's phase; a Workflow no controller has touched yet reads as Pending."""
    return (wf.get("status") or {}).get("phase") or N.PENDING


def record(wf: dict[str, Any], executor: str | None = None) -> RunRecord:
    """A cluster Workflow as the RunRecord the local renderers take."""
    meta, status = wf.get("metadata") or {}, wf.get("status") or {}
    return RunRecord(name=meta.get("name", ""), uid=meta.get("uid", ""), namespace=meta.get("namespace", ""),
                     phase=phase_of(wf), message=status.get("message"), created_at=meta.get("creationTimestamp", ""),
                     started_at=status.get("startedAt"), finished_at=status.get("finishedAt"), manifest=wf,
                     options={"runtime": "kubernetes", "executor": executor or "set by the cluster"},
                     status={}, engine_pid=None, control=None)


def nodes_of(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    nodes = (wf.get("status") or {}).get("nodes") or {}
    return {nid: {"id": nid, **node} for nid, node in nodes.items()}


def pod_name(wf: dict[str, Any], node: dict[str, Any]) -> str:
    """The pod Argo created for a Pod node."""
    meta = wf.get("metadata") or {}
    if (meta.get("annotations") or {}).get(POD_NAME_FORMAT) == "v1":
        return str(node["id"])
    template = node.get("templateName") or (node.get("templateRef") or {}).get("template") or ""
    return N.pod_name(meta.get("name", ""), node.get("name", ""), template)


def cli_list(args: argparse.Namespace) -> int:
    api, ns = target(args)
    items = list_workflows(api, ns)
    if getattr(args, "running", False):
        items = [w for w in items if phase_of(w) not in DONE]
    if getattr(args, "completed", False):
        items = [w for w in items if phase_of(w) in DONE]
    if args.output in ("json", "yaml"):
        dump(items, args.output)
        return 0
    if args.output == "name":
        for w in items:
            console.print(w["metadata"]["name"])
        return 0
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE"):
        table.add_column(col)
    for w in items:
        rec = record(w)
        priority = str((w.get("spec") or {}).get("priority", 0))
        table.add_row(rec.name, rec.phase, duration(rec.created_at or None, None),
                      duration(rec.started_at, rec.finished_at), priority, rec.message or "")
    console.print(table)
    return 0


def cli_get(args: argparse.Namespace) -> int:
    api, ns = target(args)
    wf = get_workflow(api, ns, args.run)
    if args.output in ("json", "yaml"):
        dump(wf, args.output)
    elif args.output == "name":
        console.print(wf["metadata"]["name"])
    else:
        print_run(console, record(wf), nodes_of(wf))
    return 0


def _pod_nodes(wf: dict[str, Any], step: str | None) -> list[dict[str, Any]]:
    pods = [n for n in nodes_of(wf).values() if n.get("type") == N.POD]
    if step:
        pods = [n for n in pods if step in (n["id"], n.get("displayName"), n.get("name"), pod_name(wf, n))
                or str(n.get("name", "")).endswith("." + step)]
        if not pods:
            raise WfexecError(f"no step {step!r} in workflow {wf['metadata']['name']}")
    return sorted(pods, key=lambda n: n.get("startedAt") or "")


def _read_log(api: Any, ns: str, pod: str, container: str, follow: bool) -> str | None:
    """A container's log (all of it; with `follow`, until the container ends); None when the pod is gone."""
    from kubernetes import client

    core = client.CoreV1Api(api)
    if not follow:
        return call(f"GET log of pod {ns}/{pod}", lambda: core.read_namespaced_pod_log(pod, ns, container=container),
                    missing_ok=True)
    resp = call(f"GET log of pod {ns}/{pod}",
                lambda: core.read_namespaced_pod_log(pod, ns, container=container, follow=True,
                                                     _preload_content=False), missing_ok=True)
    if resp is None:
        return None
    try:
        return b"".join(resp.stream(4096)).decode(errors="replace")
    finally:
        resp.release_conn()


def cli_logs(args: argparse.Namespace) -> int:
    from wfexec.cluster.submit import poll_seconds

    api, ns = target(args)
    wf = get_workflow(api, ns, args.run)
    container = args.container or "main"
    printed: set[str] = set()
    while True:
        for node in _pod_nodes(wf, args.step):
            if node["id"] in printed:
                continue
            pod = pod_name(wf, node)
            text = _read_log(api, ns, pod, container, args.follow)
            if text is None:
                if not args.follow or node.get("phase") in DONE:
                    printed.add(node["id"])
                    err.print(f"note: pod {pod} ({node.get('displayName')}) has no log: it is gone "
                              "(deleted by podGC?) or never started")
                continue
            printed.add(node["id"])
            prefix = "" if args.step else f"{pod}: "
            for line in text.splitlines():
                sys.stdout.write(f"{prefix}{line}\n")
            sys.stdout.flush()
        if not args.follow or phase_of(wf) in DONE:
            return 0
        time.sleep(poll_seconds())
        wf = get_workflow(api, ns, wf["metadata"]["name"])

