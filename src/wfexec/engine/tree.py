"""How Argo links nodes into a tree: a node's outbound nodes (where what follows it attaches), the
chain of a steps template's groups, and a DAG task hung under the tasks it depends on."""

from __future__ import annotations

from collections.abc import Mapping

from wfexec.engine import nodes as N
from wfexec.engine.nodes import Node


def outbound_of(nodes: Mapping[str, Node], node_id: str) -> list[str]:
    """The nodes a successor of `node_id` becomes a child of, as Argo's getOutboundNodes finds them:
    a pod, skipped or suspend node itself; a retry's last attempt; a task group's children's outbound
    nodes; a steps or DAG node's recorded `outboundNodes`, followed down."""
    node = nodes.get(node_id)
    if node is None:
        return []
    kind = node.get("type")
    if kind in (N.POD, N.SKIPPED_TYPE, N.SUSPEND):
        return [node_id]
    if kind == N.TASK_GROUP:
        children = node.get("children") or []
        if not children:
            return [node_id]
        return [o for c in children for o in outbound_of(nodes, c)]
    if kind == N.RETRY:
        children = node.get("children") or []
        if children:
            return [children[-1]]
    return [o for c in node.get("outboundNodes") or [] for o in outbound_of(nodes, c)]


def set_steps_outbound(nodes: Mapping[str, Node], steps_node: Node, last_group: Node | None) -> None:
    """A steps node's outbound nodes: those of its last started group's steps."""
    if last_group is None:
        return
    steps_node["outboundNodes"] = [o for c in last_group.get("children") or [] for o in outbound_of(nodes, c)]


def set_dag_outbound(nodes: Mapping[str, Node], dag_node: Node, target_ids: list[str]) -> None:
    """A DAG node's outbound nodes: those of its target (or leaf) tasks that have a node."""
    dag_node["outboundNodes"] = [o for t in target_ids for o in outbound_of(nodes, t)]


def display_children(nodes: Mapping[str, Node]) -> dict[str, list[str]]:
    """Each node's children as `argo get` draws the tree, not the chain links: a retry's attempts, a
    task group's items, a step group's steps, a steps node's groups, a DAG's tasks."""
    owner: dict[str, str] = {}
    for n in nodes.values():
        kind = n.get("type")
        for c in n.get("children") or []:
            if c not in nodes:
                continue
            if kind in (N.RETRY, N.TASK_GROUP):
                owner[c] = n["id"]
            elif kind == N.STEP_GROUP and nodes[c]["name"].startswith(n["name"] + "."):
                owner.setdefault(c, n["id"])
    view: dict[str, list[str]] = {}
    for nid, n in nodes.items():
        parent = owner.get(nid) or n.get("boundaryID")
        if parent and parent in nodes:
            view.setdefault(parent, []).append(nid)
    return view
