"""Layered layout of the (folded) graph with grandalf's Sugiyama implementation.

grandalf lays out each connected part on its own; the parts are placed side by side. Edges
come back as polylines through grandalf's dummy nodes, so long edges bend around layers.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from grandalf.graphs import Edge as GEdge
from grandalf.graphs import Vertex, graph_core
from grandalf.layouts import SugiyamaLayout
from grandalf.utils.poset import Poset

NODE_W, NODE_H = 180.0, 36.0
FOLD_W, FOLD_H = 240.0, 50.0
GAP_X, GAP_Y = 24.0, 44.0
PART_GAP = 60.0
BIG_PART = 1500  # parts above this get one crossing-reduction round, and two of the four x-alignments
HUGE_PART = 3000  # parts above this get one downward crossing-reduction sweep


@dataclass
class Box:
    x: float  # centre
    y: float
    w: float
    h: float


class _Part(graph_core):
    """One connected part, built in linear time.

    grandalf's own `Graph` and `graph_core` constructors check membership and connectivity with list
    scans and set comparisons that grow with the square of the part's size (15 s at 5,000 nodes);
    the parts here are connected by construction (union-find below), so the same state is set directly.
    """

    def __init__(self, vertices: list[Vertex], edges: list[GEdge]) -> None:
        self.directed = True
        self.sV = Poset(vertices)
        self.sE = Poset([])
        self.degenerated_edges = set()
        for e in edges:
            if e.deg == 0:
                self.degenerated_edges.add(e)
            self.sE.add(e)
            e.attach()
        for v in self.sV:
            v.c = self


def _parts(ids: list[str], edges: list[tuple[str, str]]) -> list[tuple[list[str], list[tuple[str, str]]]]:
    """Connected parts (union-find), each with its ids in input order and its edges."""
    root = {i: i for i in ids}

    def find(i: str) -> str:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            root[rb] = ra
    groups: dict[str, tuple[list[str], list[tuple[str, str]]]] = {}
    for i in ids:
        groups.setdefault(find(i), ([], []))[0].append(i)
    for a, b in edges:
        groups[find(a)][1].append((a, b))
    return list(groups.values())


class _Sugiyama(SugiyamaLayout):
    """grandalf's Sugiyama layout, with its first ranking pass in linear time.

    The library's `_rank_init` checks "already queued?" with a list scan, which is quadratic in a
    layer's width (2 s of a 5,000-node layout); this is the same pass (a vertex is ranked once all its
    in-edges are scanned) with a count of unscanned in-edges per vertex.
    Its alignment conflicts are a list searched once per aligned pair: kept as a set here.
    """

    two_corners = False  # big parts: x from two of Brandes-Köpf's four alignments (half the cost)

    def _detect_alignment_conflicts(self) -> None:
        super()._detect_alignment_conflicts()
        self.conflicts = set(self.conflicts)

    def setxy(self) -> None:
        if not self.two_corners:
            super().setxy()
            return
        # The library's own steps, run for the upper-left and upper-right alignments only; each keeps
        # the layer order and the node spacing, so their mean does too (no overlaps).
        self._edge_inverter()
        self._detect_alignment_conflicts()
        grx = self.grx
        for layer in self.layers:
            for v in layer:
                a = grx[v]
                a.root = a.align = a.sink = v
                a.shift, a.X, a.x = float("inf"), None, [0.0] * 4
        saved = self.dirvh
        for corner in (0, 1):
            self.dirvh = corner
            self._coord_vertical_alignment()
            self._coord_horizontal_compact()
        self.dirvh = saved
        top = 0.0
        for layer in self.layers:
            half = max(v.view.h for v in layer) / 2.0
            for v in layer:
                x = grx[v].x
                v.view.xy = ((x[0] + x[1]) / 2.0, top + half)
            top += 2 * half + self.yspace
        self._edge_inverter()

    def _rank_init(self, unranked: list[Vertex]) -> None:
        assert self.dag
        waiting: dict[Vertex, int] = {}  # in-edges not yet scanned, by vertex
        while unranked:
            queued: list[Vertex] = []
            for v in unranked:
                self.setrank(v)
                for e in v.e_out():
                    x = e.v[1]
                    left = waiting[x] - 1 if x in waiting else len(x.e_in()) - 1
                    waiting[x] = left
                    if left == 0:  # its last in-edge: rankable, queued once
                        queued.append(x)
            unranked = queued


class _View:
    """What grandalf reads (w, h) and writes (xy) for a vertex."""

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)


class _EdgeView:
    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []

    def setpath(self, pts: list[tuple[float, float]]) -> None:
        self.points = [(float(x), float(y)) for x, y in pts]


def _acyclic(ids: list[str], edges: list[tuple[str, str]]) -> bool:
    """Kahn's check: with no cycle, grandalf's feedback-edge search (Tarjan over the part) is skipped."""
    indeg = dict.fromkeys(ids, 0)
    out: dict[str, list[str]] = {}
    for a, b in edges:
        indeg[b] += 1
        out.setdefault(a, []).append(b)
    ready = [i for i, d in indeg.items() if d == 0]
    seen = 0
    while ready:
        i = ready.pop()
        seen += 1
        for j in out.get(i, ()):
            indeg[j] -= 1
            if indeg[j] == 0:
                ready.append(j)
    return seen == len(ids)


_GC_LOCK = threading.Lock()
_GC_HOLDERS = 0
_GC_WAS_ON = True


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cycle collector off while a layout builds its ~10 objects a node: at 5,000 nodes its
    passes over the server's heap cost a quarter of the layout. Collected as usual afterwards."""
    global _GC_HOLDERS, _GC_WAS_ON
    with _GC_LOCK:
        if _GC_HOLDERS == 0:
            _GC_WAS_ON = gc.isenabled()
        _GC_HOLDERS += 1
        gc.disable()
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_HOLDERS -= 1
            if _GC_HOLDERS == 0 and _GC_WAS_ON:
                gc.enable()


def layout(ids: list[str], sizes: dict[str, tuple[float, float]], edges: list[tuple[str, str]],
           ) -> tuple[dict[str, Box], dict[tuple[str, str], list[tuple[float, float]]], float, float]:
    """Boxes by id, edge polylines, and the drawing's width and height (origin at 0, 0)."""
    with _gc_paused():
        return _layout(ids, sizes, edges)


def _layout(ids: list[str], sizes: dict[str, tuple[float, float]], edges: list[tuple[str, str]],
            ) -> tuple[dict[str, Box], dict[tuple[str, str], list[tuple[float, float]]], float, float]:
    verts = {i: Vertex(i) for i in ids}
    for i, v in verts.items():
        v.view = _View(*sizes.get(i, (NODE_W, NODE_H)))
    edges = [(a, b) for a, b in edges if a in verts and b in verts and a != b]
    boxes: dict[str, Box] = {}
    paths: dict[tuple[str, str], list[tuple[float, float]]] = {}
    x_off, height = 0.0, 0.0
    for part_ids, part_edges in _parts(ids, edges):
        gedges = []
        for a, b in part_edges:
            e = GEdge(verts[a], verts[b])
            e.view = _EdgeView()
            gedges.append(e)
        part = _Part([verts[i] for i in part_ids], gedges)
        sl = _Sugiyama(part)
        sl.xspace, sl.yspace = GAP_X, GAP_Y
        size = len(part_ids)
        sl.two_corners = size > BIG_PART
        if _acyclic(part_ids, part_edges):
            sl.init_all(roots=[v for v in part.sV if not v.e_in()], inverted_edges=[])
        else:
            sl.init_all()
        # Two crossing-reduction rounds; fewer on very large parts (already unreadable without zoom).
        sl.draw(2 if size <= BIG_PART else 1 if size <= HUGE_PART else 0.5)
        bends = [p for e in part.sE for p in e.view.points]
        x0 = min([v.view.xy[0] - v.view.w / 2 for v in part.sV] + [x for x, _ in bends])
        y0 = min([v.view.xy[1] - v.view.h / 2 for v in part.sV] + [y for _, y in bends])
        right = max([v.view.xy[0] + v.view.w / 2 for v in part.sV] + [x for x, _ in bends]) - x0
        bottom = max([v.view.xy[1] + v.view.h / 2 for v in part.sV] + [y for _, y in bends]) - y0
        for v in part.sV:
            boxes[v.data] = Box(v.view.xy[0] - x0 + x_off, v.view.xy[1] - y0, v.view.w, v.view.h)
        for e in part.sE:
            pts = e.view.points or [e.v[0].view.xy, e.v[1].view.xy]
            paths[(e.v[0].data, e.v[1].data)] = [(x - x0 + x_off, y - y0) for x, y in pts]
        x_off += right + PART_GAP
        height = max(height, bottom)
    return boxes, paths, max(0.0, x_off - PART_GAP), height
