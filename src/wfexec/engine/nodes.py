"""Node status in Argo's shape and naming: ids, pod names, phases and node types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final, Required, TypedDict

# Phases
PENDING: Final = "Pending"
RUNNING: Final = "Running"
SUCCEEDED: Final = "Succeeded"
FAILED: Final = "Failed"
ERROR: Final = "Error"
SKIPPED: Final = "Skipped"
OMITTED: Final = "Omitted"
FULFILLED = {SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED}
#: The phases of a run that has not ended (Argo's completed label is "false").
ACTIVE: Final = (PENDING, RUNNING)
# Node types
POD, STEPS, STEP_GROUP, DAG, TASK_GROUP, RETRY, SKIPPED_TYPE, SUSPEND, CONTAINER = (
    "Pod", "Steps", "StepGroup", "DAG", "TaskGroup", "Retry", "Skipped", "Suspend", "Container")




class NodeInputs(TypedDict, total=False):
    parameters: list[dict[str, Any]]
    artifacts: list[dict[str, Any]]


class NodeOutputs(TypedDict, total=False):
    result: str
    exitCode: str
    parameters: list[dict[str, Any]]
    artifacts: list[dict[str, Any]]


class PodMetadata(TypedDict):
    labels: dict[str, str]
    annotations: dict[str, str]


class Node(TypedDict, total=False):
    """A node's status as Argo records it (`status.nodes[id]`), plus three keys of the engine's own."""

    id: Required[str]
    name: Required[str]
    phase: Required[str]
    displayName: str
    type: str
    message: str
    startedAt: str
    finishedAt: str
    templateName: str
    templateScope: str
    boundaryID: str
    children: list[str]
    outboundNodes: list[str]
    nodeFlag: dict[str, bool]
    estimatedDuration: int
    progress: str
    resourcesDuration: dict[str, int]
    inputs: NodeInputs
    outputs: NodeOutputs
    podIP: str
    podMetadata: PodMetadata
    #: The engine's own: its pod was started (a restarted engine re-attaches, never starts it twice).
    attached: bool
    #: The engine's own: a daemon that runs until its steps or DAG node ends.
    daemoned: bool
    #: The engine's own: a task failFast kept from starting (no node is recorded for it).
    notRun: bool


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


def node_template(node: Mapping[str, Any]) -> str:
    """The template a node ran, as Argo's GetTemplateFromNode names it: a templateRef's template (the
    engine writes a templateRef's templateName as `name/template`), else its templateName ("" for a group)."""
    ref = node.get("templateRef")
    if isinstance(ref, dict):
        return str(ref.get("template") or "")
    return str(node.get("templateName") or "").rsplit("/", 1)[-1]


def node_pod_name(workflow_name: str, node: Mapping[str, Any]) -> str:
    """`pod_name` of a node, as Argo computes it for any node (a pod's name; `workflow.failures` too)."""
    return pod_name(workflow_name, node["name"], node_template(node))


def new_node(workflow_name: str, name: str, display_name: str, node_type: str, *, template_name: str | None,
             boundary_id: str | None, phase: str = PENDING) -> Node:
    node: Node = {
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


def is_under(name: str, parent_name: str) -> bool:
    """Whether node `name` lies under node `parent_name`: its steps `[i]`, tasks `.t`, attempts `(n)`."""
    return name.startswith(parent_name) and name[len(parent_name):len(parent_name) + 1] in (".", "[", "(")


def is_fulfilled(node: Node | None) -> bool:
    return node is not None and node.get("phase") in FULFILLED
