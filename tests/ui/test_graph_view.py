"""The run graph drawn in Chromium for a run of 3,000 distinct tasks: only what is in and around the
view is in the page, and panning, zooming, keyboard focus and a node's URL still reach every node.

The run is written straight into the server's store (finished, in Argo's node shape): what is under
test is the drawing, not the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.server.conftest import ServerProcess, make_server
from tests.ui.conftest import T0, T1, seed_run

pytestmark = pytest.mark.timeout(240)
RUN = "wide-dag"
TASKS = 3000


def dag_nodes() -> dict[str, dict[str, Any]]:
    """Task i depends on task (i-1)//4: a tree about 2,250 leaves wide; task 2,999 failed."""
    nodes = {RUN: {"id": RUN, "name": RUN, "displayName": RUN, "type": "DAG", "phase": "Failed",
                   "startedAt": T0, "finishedAt": T1, "children": [f"{RUN}-t0"]}}
    for i in range(TASKS):
        nodes[f"{RUN}-t{i}"] = {
            "id": f"{RUN}-t{i}", "name": f"{RUN}.t{i}", "displayName": f"t{i}", "type": "Pod",
            "phase": "Failed" if i == TASKS - 1 else "Succeeded", "boundaryID": RUN, "startedAt": T0,
            "finishedAt": T1, "children": [f"{RUN}-t{j}" for j in range(4 * i + 1, min(4 * i + 5, TASKS))]}
    return nodes


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("graph-view-home")
    seed_run(home, RUN, "Failed", list(dag_nodes().values()))
    with make_server(home) as srv:
        yield srv


def drawn_ids(page: Any) -> set[str]:
    return set(page.eval_on_selector_all("svg.graph g.node", "gs => gs.map(g => g.dataset.id)"))


def in_view(page: Any, node_id: str) -> bool:
    """Whether the node's box lies inside the graph's box on screen."""
    return page.evaluate("""(id) => {
        const g = document.querySelector(`svg.graph g.node[data-id="${id}"]`);
        if (!g) return false;
        const a = g.getBoundingClientRect(), b = document.querySelector("svg.graph").getBoundingClientRect();
        return a.left >= b.left && a.right <= b.right && a.top >= b.top && a.bottom <= b.bottom;
    }""", node_id)


def test_only_the_nodes_near_the_view_are_drawn_and_panning_draws_the_next(page: Any,
                                                                          seeded_server: ServerProcess) -> None:
    page.goto(f"{seeded_server.url}/workflows/default/{RUN}")
    page.wait_for_selector("#view[data-ready='1'] svg.graph g.node")
    assert page.get_attribute("svg.graph", "data-nodes") == str(TASKS + 1)
    first = drawn_ids(page)
    assert 0 < len(first) < TASKS // 2
    assert page.get_attribute("svg.graph", "data-drawn") == str(len(first))
    # All edges are one path and their arrowheads another, whatever the number drawn.
    assert page.locator("svg.graph path").count() == 2
    assert page.get_attribute("svg.graph path.edge", "d").count("M") > 100

    # Zoomed in, nodes get their labels; far out they are bare boxes.
    assert page.locator("svg.graph g.node text").count() == 0
    box = page.locator(f"svg.graph g.node[data-id='{RUN}-t0']").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(25):  # the wheel zooms about the pointer: t0 stays under it
        page.mouse.wheel(0, -100)
    page.wait_for_function(f"document.querySelector(`svg.graph g.node[data-id='{RUN}-t0'] text.lbl`)")
    assert page.locator("svg.graph g.node text.lbl").count() > 0
    near = drawn_ids(page)
    assert len(near) < 200

    page.focus("svg.graph")
    for _ in range(40):  # 2,400 px: beyond the drawn margin
        page.keyboard.press("ArrowRight")
    moved = drawn_ids(page)
    assert moved and moved != near
    assert any(in_view(page, i) for i in moved - near)

    # A click on a node cut by the edge of the view opens it (the view does not jump under the pointer):
    # the right-most node wholly in view is moved (60 px a key) until the edge cuts it.
    right = page.evaluate("""() => {
        const b = document.querySelector("svg.graph").getBoundingClientRect();
        let best = null;
        for (const g of document.querySelectorAll("svg.graph g.node")) {
            const a = g.getBoundingClientRect();
            if (a.left >= b.left && a.right <= b.right && a.top >= b.top && a.bottom <= b.bottom &&
                (!best || a.right > best.right)) best = {id: g.dataset.id, right: a.right, edge: b.right};
        }
        return best;
    }""")
    for _ in range(int((right["edge"] - right["right"]) // 60) + 1):
        page.keyboard.press("ArrowLeft")
    box = page.locator(f"svg.graph g.node[data-id='{right['id']}']").bounding_box()
    assert box["x"] < right["edge"] - 20 < right["edge"] < box["x"] + box["width"]
    page.mouse.click((box["x"] + right["edge"]) / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(f"aside.panel:has-text('{right['id']}')")


def test_a_node_url_tab_and_centre_on_failed_reach_nodes_never_drawn_before(page: Any,
                                                                            seeded_server: ServerProcess) -> None:
    far = f"{RUN}-t{TASKS - 2}"  # a leaf at the right-hand end
    page.goto(f"{seeded_server.url}/workflows/default/{RUN}?node={far}")
    page.wait_for_selector("#view[data-ready='1']")
    page.wait_for_selector("aside.panel:has-text('t2998')")
    assert page.evaluate("document.activeElement.dataset.id") == far
    assert in_view(page, far)

    # Shift+Tab walks back along the bottom row, past the edge of the view (the node's box is 180 px
    # wide, the graph's about 800 px): each node is drawn before it is reached and comes into view.
    seen = set()
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        focused = page.evaluate("document.activeElement.dataset.id")
        assert focused and focused.startswith(f"{RUN}-t")
        assert in_view(page, focused), focused
        seen.add(focused)
    assert len(seen) == 12

    page.click("#fit")
    assert f"{RUN}-t{TASKS - 1}" not in drawn_ids(page) or not in_view(page, f"{RUN}-t{TASKS - 1}")
    page.click("#centre-failed")
    assert page.evaluate("document.activeElement.dataset.id") == f"{RUN}-t{TASKS - 1}"
    assert "failed" in page.get_attribute(f"svg.graph g.node[data-id='{RUN}-t{TASKS - 1}']", "class")
    page.keyboard.press("Enter")
    page.wait_for_selector("aside.panel:has-text('t2999')")


def test_a_graph_first_shown_from_another_tab_is_fitted_when_its_tab_opens(page: Any,
                                                                          seeded_server: ServerProcess) -> None:
    page.goto(f"{seeded_server.url}/workflows/default/{RUN}?tab=timeline")
    page.wait_for_selector("#view[data-ready='1'] .gantt")
    page.click("#tab-graph")
    page.wait_for_selector("svg.graph g.node")
    assert in_view(page, RUN)  # the run's own node, at the top centre of the fitted graph
    assert 0 < int(page.get_attribute("svg.graph", "data-drawn")) < TASKS // 2
    shown = page.get_attribute("svg.graph g.world", "transform")
    page.click("#fit")
    assert page.get_attribute("svg.graph g.world", "transform") == shown
