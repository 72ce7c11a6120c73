"""The node book: every node of one run, and how a transition reaches the run store.

A node's end is committed through the journal's next batch (`save`); a change a restarted engine
can rebuild (a new Pending node, a parent's children list) is only marked and written in batches
(`touch`, `flush`).
"""

from __future__ import annotations

import asyncio
import threading
from typing import cast

from wfexec.engine import nodes as N
from wfexec.engine.estimate import estimated_durations
from wfexec.engine.journal import NodeJournal
from wfexec.engine.nodes import Node
from wfexec.engine.store import Store

REATTACH_NOTE = "pod could not be re-attached after an engine restart"
FLUSH_SECONDS = 0.25


class NodeBook:
    def __init__(self, store: Store, run_name: str) -> None:
        self.run_name = run_name
        self.nodes = cast(dict[str, Node], store.get_nodes(run_name))
        self.loaded = set(self.nodes)  # nodes an earlier engine recorded
        self.started: dict[str, float] = {}  # when nodes of this engine started, to the sub-second
        self.journal = NodeJournal(store, run_name)
        self._dirty: set[str] = set()
        self._dirty_lock = threading.Lock()
        self._kids: dict[str, tuple[list[str], set[str]]] = {}  # parent id -> (its children list, as a set)
        self.estimates = estimated_durations(store, run_name)  # estimatedDuration of each new node

    def get(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id)

    def save(self, node: Node) -> None:
        """Record a node transition: committed in the journal's next batch (a pod's directory goes
        only after the commit that holds its end, see `Pods.collect`)."""
        self.nodes[node["id"]] = node
        with self._dirty_lock:
            self._dirty.discard(node["id"])
        self.journal.put(node)

    def touch(self, node: Node) -> None:
        """A change that a restarted engine can rebuild (a parent's children list): written in batches."""
        self.nodes[node["id"]] = node
        with self._dirty_lock:
            self._dirty.add(node["id"])

    def flush(self) -> None:
        with self._dirty_lock:
            ids, self._dirty = self._dirty, set()
        for i in ids:
            if i in self.nodes:
                self.journal.put(self.nodes[i])

    async def flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            self.flush()

    def adopt(self, parent: Node | None, node_id: str) -> None:
        """List `node_id` among `parent`'s children (once). The set beside the list keeps this
        O(1): a list lookup made a 5,000-item loop quadratic."""
        if parent is None:
            return
        kids = parent.setdefault("children", [])
        known = self._kids.get(parent["id"])
        if known is None or known[0] is not kids or len(known[1]) != len(kids):
            known = self._kids[parent["id"]] = (kids, set(kids))
        if node_id not in known[1]:
            kids.append(node_id)
            known[1].add(node_id)
            self.touch(parent)

    def child_node(self, *, name: str, display: str, node_type: str, template_name: str | None,
                   parent: Node | None, boundary: str | None) -> Node:
        nid = N.node_id(self.run_name, name)
        node = self.nodes.get(nid)
        if node is None:
            node = N.new_node(self.run_name, name, display, node_type, template_name=template_name,
                              boundary_id=boundary)
            if name in self.estimates:
                node["estimatedDuration"] = self.estimates[name]
            self.touch(node)  # a new Pending node is rebuilt by a restarted engine: written in the next batch
        self.adopt(parent, nid)
        return node

    def finish_node(self, node: Node, phase: str, message: str = "") -> Node:
        node["phase"] = phase
        if message:
            node["message"] = message
        elif phase == N.SUCCEEDED and not node.get("message", "").startswith(REATTACH_NOTE):
            node.pop("message", None)  # a re-run after `retry`/a restart drops the old failure
        node["finishedAt"] = N.now()
        self.save(node)
        return node
