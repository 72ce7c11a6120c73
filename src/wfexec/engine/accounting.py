"""Argo's per-node `progress` and `resourcesDuration`, summed as Argo's controller sums them: a pod
or suspend node counts itself; any other node adds up what its `children` links reach (each node
once), chain links included."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.nodes import Node

#: Argo's defaults for a container that asks for nothing.
DEFAULT_REQUESTS = {"cpu": "100m", "memory": "100Mi"}
#: What one unit of a resource is in Argo's resourcesDuration (`ResourceQuantityDenominator`).
DENOMINATORS = {"memory": "100Mi", "storage": "10Gi", "ephemeral-storage": "10Gi"}
SUFFIXES = {"m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
            "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
EXECUTABLE = (N.POD, N.SUSPEND)


def quantity(text: Any) -> float | None:
    """A Kubernetes quantity (`100m`, `0.5`, `128Mi`, `1e3`) as a number; None if it is not one."""
    m = QUANTITY.match(str(text).strip())
    if not m:
        return None
    return float(m.group(1)) * SUFFIXES[m.group(2) or ""]


def container_durations(resources: Mapping[str, Any] | None, seconds: int) -> dict[str, int]:
    """One container's resourcesDuration: each resource it asks for (limits, then requests, over Argo's
    defaults) times how long it ran, in the resource's units, rounded down as Argo does."""
    asked: dict[str, Any] = dict(DEFAULT_REQUESTS)
    asked.update((resources or {}).get("limits") or {})
    asked.update((resources or {}).get("requests") or {})
    out: dict[str, int] = {}
    for name, value in asked.items():
        q = quantity(value)
        unit = quantity(DENOMINATORS.get(name, "1"))
        if q is None or not unit:
            continue
        out[name] = int(int(q * 1000) * seconds // int(unit * 1000))
    return out


def pod_resources_duration(tmpl: Mapping[str, Any] | None, seconds: int) -> dict[str, int]:
    """A pod's resourcesDuration: its main container, its sidecars and Argo's wait container."""
    tmpl = tmpl or {}
    main = tmpl.get("container") or tmpl.get("script") or {}
    containers = [main.get("resources"), None]  # main, and wait (Argo's defaults)
    containers += [s.get("resources") for s in tmpl.get("sidecars") or []]
    containers += [c.get("resources") for c in (tmpl.get("containerSet") or {}).get("containers") or []]
    total: dict[str, int] = {}
    for res in containers:
        for k, v in container_durations(res, seconds).items():
            total[k] = total.get(k, 0) + v
    return total


def _ratio(text: str) -> tuple[int, int]:
    done, _, of = text.partition("/")
    return int(done), int(of)


def own_progress(node: Node) -> str:
    return "1/1" if node.get("phase") in N.FULFILLED else "0/1"


def fill_progress(nodes: dict[str, Node]) -> str:
    """Set `progress` on every node; return the workflow's (all executable nodes)."""
    total = [0, 0]
    for node in nodes.values():
        if node.get("type") in EXECUTABLE:
            node["progress"] = own_progress(node)
            d, o = _ratio(node["progress"])
            total[0] += d
            total[1] += o
    for node in nodes.values():
        if node.get("type") not in EXECUTABLE:
            d, o = _sum(nodes, node, set(), lambda n: _ratio(n.get("progress", "0/0")))
            node["progress"] = f"{d}/{o}"
    return f"{total[0]}/{total[1]}"


def _sum(nodes: Mapping[str, Node], node: Node, seen: set[str], own: Any) -> tuple[int, int]:
    d = o = 0
    for c in node.get("children") or []:
        if c in seen or c not in nodes:
            continue
        seen.add(c)
        child = nodes[c]
        cd, co = _sum(nodes, child, seen, own)
        d, o = d + cd, o + co
        if child.get("type") in EXECUTABLE:
            cd, co = own(child)
            d, o = d + cd, o + co
    return d, o


def fill_resources_duration(nodes: dict[str, Node]) -> dict[str, int]:
    """Sum pods' `resourcesDuration` into each fulfilled non-pod node; return the workflow's total."""
    total: dict[str, int] = {}
    for node in nodes.values():
        if node.get("type") == N.POD:
            for k, v in (node.get("resourcesDuration") or {}).items():
                total[k] = total.get(k, 0) + v
        elif N.is_fulfilled(node):
            node["resourcesDuration"] = _sum_resources(nodes, node, set())
    return total


def _sum_resources(nodes: Mapping[str, Node], node: Node, seen: set[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in node.get("children") or []:
        if c in seen or c not in nodes:
            continue
        seen.add(c)
        child = nodes[c]
        parts = [_sum_resources(nodes, child, seen)]
        if child.get("type") == N.POD:
            parts.append(child.get("resourcesDuration") or {})
        for part in parts:
            for k, v in part.items():
                out[k] = out.get(k, 0) + v
    return out
