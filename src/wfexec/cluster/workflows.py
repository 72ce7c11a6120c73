"""Argo Workflows in a cluster, read through the official client: `list|get|logs --kube`.

Workflows are the `argoproj.io/v1alpha1` custom objects (plural `workflows`); their `status`
already has the shape `get -o json` prints locally, so the CLI's renderers show them. Pod
names follow Argo's v2 naming `<workflow>-<template>-<fnv32a(node name)>` (v1 naming, the
node id, when the Workflow's `pod-name-format` annotation says so).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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


def target(context: str | None, kubeconfig: str | None, namespace: str | None) -> tuple[Any, str]:
    """(ApiClient, namespace) for a kubeconfig context; the context's namespace unless one is given."""
    api = api_client(context, kubeconfig)
    return api, namespace or default_namespace(context, kubeconfig)


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


def pod_nodes(wf: dict[str, Any], step: str | None) -> list[dict[str, Any]]:
    """The Workflow's Pod nodes (only `step`'s when given), in start order."""
    pods = [n for n in nodes_of(wf).values() if n.get("type") == N.POD]
    if step:
        pods = [n for n in pods if step in (n["id"], n.get("displayName"), n.get("name"), pod_name(wf, n))
                or str(n.get("name", "")).endswith("." + step)]
        if not pods:
            raise WfexecError(f"no step {step!r} in workflow {wf['metadata']['name']}")
    return sorted(pods, key=lambda n: n.get("startedAt") or "")


@dataclass(frozen=True)
class LogQuery:
    """What of a container's log the kubelet is asked for (`logs --since/--since-time/--timestamps/--tail`)."""

    since_seconds: int | None = None  # the client has no sinceTime: a time is sent as seconds before now
    timestamps: bool = False
    tail_lines: int | None = None

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {"since_seconds": self.since_seconds, "tail_lines": self.tail_lines}
        return {"timestamps": True, **out} if self.timestamps else out


def read_log(api: Any, ns: str, pod: str, container: str, follow: bool, query: LogQuery = LogQuery()) -> str | None:
    """A container's log (all of it; with `follow`, until the container ends); None when the pod is gone."""
    from kubernetes import client

    core = client.CoreV1Api(api)
    asked = {k: v for k, v in query.params().items() if v is not None}
    if not follow:
        return call(f"GET log of pod {ns}/{pod}",
                    lambda: core.read_namespaced_pod_log(pod, ns, container=container, **asked), missing_ok=True)
    resp = call(f"GET log of pod {ns}/{pod}",
                lambda: core.read_namespaced_pod_log(pod, ns, container=container, follow=True,
                                                     _preload_content=False, **asked), missing_ok=True)
    if resp is None:
        return None
    try:
        return b"".join(resp.stream(4096)).decode(errors="replace")
    finally:
        resp.release_conn()


@dataclass
class PodLog:
    """One pod's log; `text` None when the pod is gone (deleted by podGC?) or never started."""

    node: dict[str, Any]
    pod: str
    text: str | None


def pod_logs(api: Any, ns: str, wf: dict[str, Any], step: str | None, container: str,
             follow: bool, query: LogQuery = LogQuery()) -> Iterator[PodLog]:
    """Each Pod node's log once; with `follow`, also of pods that start later, until the Workflow ends."""
    seen: set[str] = set()
    while True:
        for node in pod_nodes(wf, step):
            if node["id"] in seen:
                continue
            pod = pod_name(wf, node)
            text = read_log(api, ns, pod, container, follow, query)
            if text is None and follow and node.get("phase") not in DONE:
                continue  # not started yet: looked at again next round
            seen.add(node["id"])
            yield PodLog(node, pod, text)
        if not follow or phase_of(wf) in DONE:
            return
        time.sleep(poll_seconds())
        wf = get_workflow(api, ns, wf["metadata"]["name"])


def poll_seconds() -> float:
    """Seconds between GETs of a followed Workflow: $WFEXEC_KUBE_POLL_SECONDS, default 1."""
    try:
        return max(0.01, float(os.environ.get("WFEXEC_KUBE_POLL_SECONDS", "1")))
    except ValueError:
        return 1.0
