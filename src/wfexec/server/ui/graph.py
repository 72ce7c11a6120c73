"""A run's graph for the UI and for API users: nodes in Argo's shapes, folded, laid out.

`build_graph` is what `GET /api/v1/wfexec/workflows/{ns}/{name}/graph` answers. Layout is the
costly part and depends only on the graph's structure, so it is cached by that structure: a
phase change (the common live update) re-uses the last layout.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any

from wfexec.engine.status import progress
from wfexec.server.ui.graph_edges import EdgeBuilder
from wfexec.server.ui.graph_fold import Fold, fold_groups, representatives
from wfexec.server.ui.graph_layout import FOLD_H, FOLD_W, NODE_H, NODE_W, Box, layout

Node = dict[str, Any]
FAILED_PHASES = ("Failed", "Error")


@dataclass
class GraphNode:
    id: str
    label: str
    type: str
    phase: str
    x: float
    y: float
    w: float
    h: float
    message: str = ""
    fold: FoldInfo | None = None


@dataclass
class FoldInfo:
    count: int
    phases: dict[str, int]
    members: str  # the loop's step or the retried node's name
    retry: bool
    parent: str  # the node the group hangs from: where the view goes when it unfolds


@dataclass
class GraphEdge:
    source: str
    target: str
    points: list[tuple[float, float]]


@dataclass
class RunGraph:
    name: str
    namespace: str
    phase: str
    width: float
    height: float
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # drawn ids holding a failed node, for "centre on failed"
    folds: list[str] = field(default_factory=list)  # fold ids the viewer can unfold
    unfolded: list[str] = field(default_factory=list)
    total_nodes: int = 0
    progress: str = ""  # Argo's n/m (engine.status.progress)
    started_at: str | None = None
    finished_at: str | None = None
    suspended: bool = False  # Running but held: `suspend`, or a suspend step waiting (`Running (Suspended)`)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON; by hand, as `dataclasses.asdict` deep-copies (half a second at 5,000 nodes)."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("nodes", "edges")}
        out["nodes"] = [{**n.__dict__, "fold": asdict(n.fold) if n.fold else None} for n in self.nodes]
        out["edges"] = [{"source": e.source, "target": e.target, "points": e.points} for e in self.edges]
        return out


_Layout = tuple[dict[str, Box], dict[tuple[str, str], list[tuple[float, float]]], float, float]
_CACHE: OrderedDict[str, _Layout] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 32


def _cached_layout(ids: list[str], sizes: dict[str, tuple[float, float]], edges: list[tuple[str, str]]) -> _Layout:
    h = hashlib.sha256()
    for i in ids:
        h.update(i.encode() + b"\0")
    h.update(b"\1")
    for a, b in edges:
        h.update(f"{a}\0{b}\0".encode())
    key = h.hexdigest()
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    result = layout(ids, sizes, edges)
    with _CACHE_LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _label(node: Node, root: str | None) -> str:
    if node.get("id") == root:
        return node.get("name") or node.get("displayName") or ""
    return node.get("displayName") or node.get("name") or node.get("id", "")


def build_graph(name: str, namespace: str, phase: str, nodes: dict[str, Node],
                unfold: set[str] | frozenset[str] = frozenset(), *, started_at: str | None = None,
                finished_at: str | None = None, held: bool = False) -> RunGraph:
    """The drawable graph of a run's status nodes, with wide groups folded unless in `unfold`; `held`:
    the run's `spec.suspend`."""
    root = name if name in nodes else next((i for i, n in nodes.items() if not n.get("boundaryID")), None)
    edges = EdgeBuilder(nodes).edges(root)
    folds = fold_groups(nodes)
    reps = representatives(nodes, folds, set(unfold))
    drawn: list[str] = []
    seen: set[str] = set()
    for nid in nodes:
        d = reps.get(nid, nid)
        if d not in seen:
            seen.add(d)
            drawn.append(d)
    folded_edges = list(dict.fromkeys(
        (reps.get(a, a), reps.get(b, b)) for a, b in edges if reps.get(a, a) != reps.get(b, b)))
    sizes = {f: (FOLD_W, FOLD_H) for f in folds if f in seen}
    boxes, paths, width, height = _cached_layout(drawn, sizes, folded_edges)
    graph = RunGraph(name=name, namespace=namespace, phase=phase, width=width, height=height,
                     folds=sorted(folds), unfolded=sorted(set(unfold) & set(folds)), total_nodes=len(nodes),
                     progress=_progress(nodes), started_at=started_at, finished_at=finished_at,
                     suspended=phase == "Running" and (held or any(
                         n.get("type") == "Suspend" and n.get("phase") == "Running" for n in nodes.values())))
    for d in drawn:
        box = boxes.get(d) or Box(0, 0, NODE_W, NODE_H)
        if d in folds:
            graph.nodes.append(_fold_node(folds[d], nodes, box))
        else:
            n = nodes[d]
            graph.nodes.append(GraphNode(id=d, label=_label(n, root), type=n.get("type") or "",
                                         phase=n.get("phase") or "Pending", x=box.x, y=box.y, w=box.w, h=box.h,
                                         message=n.get("message") or ""))
    for a, b in folded_edges:
        if a in boxes and b in boxes:
            graph.edges.append(GraphEdge(a, b, _clip(paths.get((a, b)) or [], boxes[a], boxes[b])))
    failed = [reps.get(nid, nid) for nid, n in nodes.items()
              if n.get("phase") in FAILED_PHASES and n.get("type") in ("Pod", "Container", "Suspend", "Skipped")]
    failed += [reps.get(nid, nid) for nid, n in nodes.items() if n.get("phase") in FAILED_PHASES]
    graph.failed = list(dict.fromkeys(failed))
    return graph


def _progress(nodes: dict[str, Node]) -> str:
    return progress(nodes)


def _clip(points: list[tuple[float, float]], src: Box, dst: Box) -> list[tuple[float, float]]:
    """The polyline from the source's bottom edge to the target's top edge, so arrowheads show."""
    inner = points[1:-1]
    below = dst.y >= src.y
    start = (src.x, src.y + src.h / 2) if below else (src.x, src.y - src.h / 2)
    end = (dst.x, dst.y - dst.h / 2) if below else (dst.x, dst.y + dst.h / 2)
    return [start, *inner, end]


def _fold_node(fold: Fold, nodes: dict[str, Node], box: Box) -> GraphNode:
    phases = fold.phases(nodes)
    if phases.get("Running") or phases.get("Pending"):
        phase = "Running"
    elif phases.get("Error"):
        phase = "Error"
    elif phases.get("Failed"):
        phase = "Failed"
    else:
        phase = "Succeeded" if phases.get("Succeeded") else next(iter(phases), "Pending")
    kind = "attempts" if fold.retry else "items"
    return GraphNode(id=fold.id, label=f"{fold.base} ({len(fold.members):,} {kind})", type="Fold", phase=phase,
                     x=box.x, y=box.y, w=box.w, h=box.h,
                     fold=FoldInfo(count=len(fold.members), phases=phases, members=fold.base, retry=fold.retry,
                                   parent=fold.parent))
