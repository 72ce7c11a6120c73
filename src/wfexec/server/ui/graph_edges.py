"""The edges of a run's graph, as Argo draws it, from the nodes of its status.

Argo's status says most of it in each node's `children`: a DAG links to its root tasks and a
task to the tasks that depend on it; a Retry node links to its attempts; a step group to its
steps. What `children` may leave out is how step groups follow each other: Argo draws the
next group below the *outbound* nodes of the one before (the leaves a group ends in), and the
exit handler and hooks below the outbound nodes of the whole run. Both are added here.
"""

from __future__ import annotations

import re
from typing import Any

Node = dict[str, Any]
Edge = tuple[str, str]

_GROUP_INDEX = re.compile(r"\[(\d+)\]$")


def _group_index(node: Node) -> int:
    m = _GROUP_INDEX.search(node.get("displayName") or node.get("name") or "")
    return int(m.group(1)) if m else 0


class EdgeBuilder:
    """Computes outbound nodes once per node; the graph can hold thousands of them."""

    def __init__(self, nodes: dict[str, Node]) -> None:
        self.nodes = nodes
        self._outbound: dict[str, list[str]] = {}
        self._inside: dict[str, list[str]] = {}
        for nid, n in nodes.items():
            b = n.get("boundaryID")
            if b:
                self._inside.setdefault(b, []).append(nid)

    def children(self, nid: str) -> list[str]:
        return [c for c in self.nodes[nid].get("children") or [] if c in self.nodes]

    def groups(self, nid: str) -> list[str]:
        """The step groups of a Steps node, in order."""
        gs = [c for c in self.children(nid) if self.nodes[c].get("type") == "StepGroup"]
        return sorted(gs, key=lambda c: _group_index(self.nodes[c]))

    def outbound(self, nid: str) -> list[str]:
        """The nodes a node ends in: what the next step group or the exit handler hangs from."""
        if nid in self._outbound:
            return self._outbound[nid]
        self._outbound[nid] = [nid]  # a cycle in bad data ends here
        node = self.nodes[nid]
        kind = node.get("type")
        out: list[str] = []
        if kind == "Steps":
            groups = self.groups(nid)
            out = self.outbound(groups[-1]) if groups else []
        elif kind in ("StepGroup", "TaskGroup"):
            for c in self.children(nid):
                out.extend(self.outbound(c))
        elif kind == "Retry":
            kids = self.children(nid)
            out = self.outbound(kids[-1]) if kids else []
        elif kind == "DAG":
            inside = set(self._inside.get(nid, []))
            for t in self._inside.get(nid, []):
                if not any(c in inside for c in self.children(t)):
                    out.extend(self.outbound(t))
        result = list(dict.fromkeys(out)) or [nid]
        self._outbound[nid] = result
        return result

    def edges(self, root: str | None) -> list[Edge]:
        edges: list[Edge] = []
        for nid, node in self.nodes.items():
            if node.get("type") == "Steps":
                groups = self.groups(nid)
                later = set(groups[1:])
                edges.extend((nid, c) for c in self.children(nid) if c not in later)
                for before, after in zip(groups, groups[1:], strict=False):
                    edges.extend((o, after) for o in self.outbound(before))
            else:
                edges.extend((nid, c) for c in self.children(nid))
        if root and root in self.nodes:
            hooked = {t for _, t in edges}
            name = self.nodes[root].get("name") or root
            for nid, node in self.nodes.items():
                n = node.get("name") or ""
                if nid not in hooked and nid != root and (n == f"{name}.onExit" or n.startswith(f"{name}.hooks.")):
                    edges.extend((o, nid) for o in self.outbound(root))
        return list(dict.fromkeys(e for e in edges if e[0] != e[1]))
