"""The layered layout on big parts (its cheaper path) still draws a readable top-down graph."""

from __future__ import annotations

import gc
from collections import defaultdict

from wfexec.server.ui.graph_layout import BIG_PART, GAP_X, HUGE_PART, layout


def _tree(size: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Task i depends on task (i-1)//4, as a DAG of distinct tasks fans out."""
    ids = [f"t{i}" for i in range(size)]
    return ids, [(f"t{(i - 1) // 4}", f"t{i}") for i in range(1, size)]


def _check_drawing(ids: list[str], edges: list[tuple[str, str]]) -> None:
    boxes, paths, width, height = layout(ids, {}, edges)
    assert set(boxes) == set(ids)
    for a, b in edges:  # every edge goes down, from its source's layer to a lower one
        assert boxes[a].y < boxes[b].y, (a, b)
        assert len(paths[(a, b)]) >= 2
    rows: dict[float, list[float]] = defaultdict(list)
    for box in boxes.values():
        assert box.w / 2 <= box.x + 1e-6 and box.x + box.w / 2 <= width + 1e-6
        assert box.h / 2 <= box.y + 1e-6 and box.y + box.h / 2 <= height + 1e-6
        rows[box.y].append(box.x)
    for xs in rows.values():  # no two boxes of a layer overlap
        xs.sort()
        assert all(b - a >= 180.0 + GAP_X - 1e-6 for a, b in zip(xs, xs[1:], strict=False))


def test_a_big_part_is_layered_without_overlaps() -> None:
    assert BIG_PART < 2000 < HUGE_PART
    _check_drawing(*_tree(2000))


def test_a_huge_part_is_layered_without_overlaps_and_the_collector_is_back_on() -> None:
    ids, edges = _tree(HUGE_PART + 200)
    edges.append(("t5", "t1"))  # a skip back up: the general (cycle-breaking) ranking path
    boxes, _, _, _ = layout(ids, {}, edges)
    assert set(boxes) == set(ids) and gc.isenabled()
    _check_drawing(*_tree(HUGE_PART + 200))
