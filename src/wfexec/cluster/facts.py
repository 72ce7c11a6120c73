"""What the doctor needs to know about where workflows run: a cluster, or this machine.

Cluster facts come from nodes (`status.nodeInfo.containerRuntimeVersion`, labels), the workflow
namespace's Pod Security labels, and the Argo controller (its ConfigMap and version).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wfexec.cluster.controller import ControllerConfig
from wfexec.cluster.kube import call
from wfexec.extras import install_hint

PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
# Levels that reject a hostPath volume such as the docker executor's /var/run/docker.sock.
PSA_REJECTS_HOSTPATH = ("baseline", "restricted")
AUTOPILOT_NODE_PREFIX = "gk3-"
AUTOPILOT_LABELS = ("cloud.google.com/gke-autopilot", "autopilot.gke.io/enabled")


@dataclass
class NodeFact:
    name: str
    runtime: str  # e.g. docker://20.10.12, containerd://1.6.9

    @property
    def runtime_name(self) -> str:
        return self.runtime.split("://", 1)[0] if self.runtime else "unknown"


@dataclass
class ClusterFacts:
    server_version: str | None
    nodes: list[NodeFact]
    namespace: str
    pod_security: str | None
    autopilot_signals: list[str]
    controller: ControllerConfig

    @property
    def docker_nodes(self) -> bool:
        return bool(self.nodes) and all(n.runtime.startswith("docker://") for n in self.nodes)

    def runtime_summary(self) -> str:
        counts: dict[str, int] = {}
        for node in self.nodes:
            counts[node.runtime] = counts.get(node.runtime, 0) + 1
        return ", ".join(f"{n} node{'s' if n > 1 else ''} {rt}" for rt, n in sorted(counts.items())) or "no nodes"


@dataclass
class LocalFacts:
    docker_reachable: bool
    docker_version: str | None
    docker_error: str | None = None
    notes: list[str] = field(default_factory=list)


def autopilot_signals(nodes: list[dict[str, Any]], server_version: str | None) -> list[str]:
    """Why the cluster looks like GKE Autopilot: gk3- node names (Standard nodes are gke-), or labels."""
    signals: list[str] = []
    for node in nodes:
        meta = node.get("metadata") or {}
        name, labels = meta.get("name") or "", meta.get("labels") or {}
        if name.startswith(AUTOPILOT_NODE_PREFIX) and "gke" in (server_version or "") + str(labels):
            signals.append(f"node {name} has the Autopilot name prefix {AUTOPILOT_NODE_PREFIX}")
            break
        for key in AUTOPILOT_LABELS:
            if str(labels.get(key, "")).lower() in ("true", "1", "yes"):
                signals.append(f"node {name} has label {key}={labels[key]}")
                break
        if signals:
            break
    return signals


def cluster_facts(api: Any, controller: ControllerConfig, namespace: str | None = None) -> ClusterFacts:
    from kubernetes import client

    core = client.CoreV1Api(api)
    raw_version = call("GET /version", lambda: client.VersionApi(api).get_code())
    server_version = getattr(raw_version, "git_version", None)
    node_list = call("GET nodes", lambda: core.list_node())
    nodes_raw = api.sanitize_for_serialization(node_list).get("items") or []
    nodes = [NodeFact((n.get("metadata") or {}).get("name", "?"),
                      ((n.get("status") or {}).get("nodeInfo") or {}).get("containerRuntimeVersion", ""))
             for n in nodes_raw]
    ns = namespace or controller.namespace
    ns_obj = call(f"GET namespace {ns}", lambda: core.read_namespace(ns), missing_ok=True)
    labels = (ns_obj.metadata.labels or {}) if ns_obj is not None else {}
    return ClusterFacts(server_version, nodes, ns, labels.get(PSA_ENFORCE), autopilot_signals(nodes_raw, server_version),
                        controller)


def local_facts() -> LocalFacts:
    """Whether a Docker daemon answers here (the docker executor needs one)."""
    try:
        import docker
    except ImportError:
        return LocalFacts(False, None, f"the docker package is not installed: {install_hint('docker')}")
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=5)
    except DockerException as exc:
        return LocalFacts(False, None, _short(exc))
    try:
        version = client.version().get("Version")
        return LocalFacts(True, version)
    except (DockerException, OSError) as exc:
        return LocalFacts(False, None, _short(exc))
    finally:
        client.close()


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) < 200 else text[:197] + "..."
