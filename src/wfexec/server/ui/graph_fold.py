"""Folding wide loops and big retry sets into one node, before layout.

Siblings that came from one loop (`step(0:a)`, `step(1:b)`, …) or one retry (`step(0)`,
`step(1)`, …) under the same parent are a *fold group*. A group wider than `FOLD_AT` is drawn
as one node that carries counts by phase, unless the viewer unfolded it. Everything inside a
folded member (its steps, its DAG, its attempts) folds with it, so a 5,000-item loop lays out
as a handful of nodes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

Node = dict[str, Any]
FOLD_AT = 12

_MEMBER = re.compile(r"^([^()]*)\((\d+)(?::.*)?\)$", re.DOTALL)


@dataclass
class Fold:
    id: str
    parent: str
    base: str
    members: list[str] = field(default_factory=list)
    retry: bool = False

    def phases(self, nodes: dict[str, Node]) -> dict[str, int]:
        return dict(Counter(nodes[m].get("phase") or "Pending" for m in self.members))


def fold_groups(nodes: dict[str, Node]) -> dict[str, Fold]:
    """Every sibling group wide enough to fold, by fold id."""
    first_parent: dict[str, str] = {}
    for nid, n in nodes.items():
        for c in n.get("children") or []:
            first_parent.setdefault(c, nid)
    groups: dict[tuple[str, str], Fold] = {}
    for nid, n in nodes.items():
        parent = first_parent.get(nid)
        if parent is None:
            continue
        m = _MEMBER.match(n.get("displayName") or "")
        if not m:
            continue
        key = (parent, m.group(1))
        fold = groups.get(key)
        if fold is None:
            fold = groups[key] = Fold(id=f"fold-{parent}-{m.group(1)}", parent=parent, base=m.group(1),
                                      retry=nodes[parent].get("type") == "Retry")
        fold.members.append(nid)
    return {f.id: f for f in groups.values() if len(f.members) > FOLD_AT}


def representatives(nodes: dict[str, Node], folds: dict[str, Fold], unfolded: set[str]) -> dict[str, str]:
    """node id -> the id it is drawn as: itself, or the outermost folded group that holds it."""
    member_of = {m: f.id for f in folds.values() if f.id not in unfolded for m in f.members}
    if not member_of:
        return {}
    retry_parent: dict[str, str] = {}
    for nid, n in nodes.items():
        if n.get("type") == "Retry":
            for c in n.get("children") or []:
                retry_parent[c] = nid
    owner_cache: dict[str, str | None] = {}

    def owner(nid: str, depth: int = 0) -> str | None:
        """The outermost folded group whose member encloses nid (through boundaries and retries)."""
        if nid in owner_cache:
            return owner_cache[nid]
        if depth > 200:
            return None
        owner_cache[nid] = None  # cycles in bad data end here
        up = retry_parent.get(nid) or (nodes.get(nid) or {}).get("boundaryID")
        outer = owner(up, depth + 1) if up and up in nodes else None
        result = outer or member_of.get(nid)
        owner_cache[nid] = result
        return result

    return {nid: rep for nid in nodes if (rep := owner(nid))}
