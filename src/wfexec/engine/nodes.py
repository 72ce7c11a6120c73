"""Node status in Argo's shape and naming: ids, pod names, phases and node types."""

from __future__ import annotations

import datetime as dt
from typing import Any

# Phases
PENDING, RUNNING, SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED = (
    "Pending", "Running", "Succeeded", "Failed", "Error", "Skipped", "Omitted")
# A node's status as Argo records it (`status.nodes[id]`).
Node = dict[str, Any]
FULFILLED = {SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED}
# Node types
POD, STEPS, STEP_GROUP, DAG, TASK_GROUP, RETRY, SKIPPED_TYPE, SUSPEND, CONTAINER = (
    "Pod", "Steps", "StepGroup", "DAG", "TaskGroup", "Retry", "Skipped", "Suspend", "Container")


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fnv32a(text: str) -> int:
    h = 0x811C9DC5
    for b in text.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def node_id(workflow_name: str, node_name: str) -> str:
    """Argo's node id: the workflow name, or the name and an FNV-1a hash of the node name."""
    if node_name == workflow_name:
        return workflow_name
    return f"{workflow_name}-{fnv32a(node_name)}"


def pod_name(workflow_name: str, node_name: str, template_name: str) -> str:
    """Argo's v2 pod naming: <workflow>-<template>-<hash>, kept within 63 characters."""
    if workflow_name == node_name:
        return workflow_name
    prefix = f"{workflow_name}-{template_name}" if template_name else workflow_name
    if len(prefix) > 63 - 11:
        prefix = prefix[: 63 - 11]
    return f"{prefix}-{fnv32a(node_name)}"


def new_node(workflow_name: str, name: str, display_name: str, node_type: str, *, template_name: str | None,
             boundary_id: str | None, phase: str = PENDING) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": node_id(workflow_name, name),
        "name": name,
        "displayName": display_name,
        "type": node_type,
        "phase": phase,
        "startedAt": now(),
    }
    if template_name:
        node["templateName"] = template_name
        node["templateScope"] = f"local/{workflow_name}"
    if boundary_id:
        node["boundaryID"] = boundary_id
    return node


def is_fulfilled(node: dict[str, Any] | None) -> bool:
    return bool(node) and node.get("phase") in FULFILLED
