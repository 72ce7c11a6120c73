"""A real run with a `withItems` of 2,000 items: drawn folded with live counts by phase, centred on its
failures, unfolded on demand and still usable (a node opens, zoom works, it folds back)."""

from __future__ import annotations

import pytest

from tests.ui.conftest import create_workflow, wait_phase

pytestmark = pytest.mark.timeout(400)
WIDTH = 2000


def wide_workflow() -> dict:
    # Items 7, 507, 1007 and 1507 fail; the others succeed.
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "wide-"},
            "spec": {"entrypoint": "main", "templates": [
                {"name": "main", "steps": [[{"name": "work", "template": "one", "withItems": list(range(WIDTH)),
                                             "arguments": {"parameters": [{"name": "i", "value": "{{item}}"}]}}]]},
                {"name": "one", "inputs": {"parameters": [{"name": "i"}]},
                 "container": {"image": "busybox", "command": [
                     "sh", "-c", "test $(( {{inputs.parameters.i}} % 500 )) -ne 7"]}}]}}


def test_a_2000_item_loop_renders_folded_unfolds_and_stays_usable(page, ui_server):
    name = create_workflow(ui_server, wide_workflow())
    page.goto(f"{ui_server.url}/workflows/default/{name}")
    page.wait_for_selector("svg.graph g.node.fold", timeout=60_000)
    assert int(page.get_attribute("svg.graph", "data-nodes")) < 10
    # Counts by phase change live while the items run (nodes are created as the loop expands).
    page.wait_for_function(
        "(document.querySelector('svg.graph g.node.fold')?.textContent || '').includes('work (2,000 items)')",
        timeout=60_000)

    wait_phase(ui_server, name, ("Failed",), timeout=300)
    page.wait_for_function(
        "(document.querySelector('svg.graph g.node.fold')?.textContent || '').includes('1,996 ✓ 4 ✗')",
        timeout=30_000)
    assert "failed" in (page.get_attribute("svg.graph g.node.fold", "class") or "")
    page.click("#centre-failed")
    assert page.evaluate("document.activeElement.classList.contains('fold')")

    page.keyboard.press("Enter")  # unfold from the keyboard
    page.wait_for_function(f"Number(document.querySelector('svg.graph').dataset.nodes) > {WIDTH}", timeout=60_000)
    assert "unfold=" in page.url
    # Every item is laid out, but only those in and around the view are in the page.
    graph = page.evaluate("async (u) => (await fetch(u)).json()",
                          f"/api/v1/wfexec/workflows/default/{name}/graph?unfold={page.url.split('unfold=')[1]}")
    assert sum(n["type"] == "Pod" for n in graph["nodes"]) == WIDTH
    assert sum(n["type"] == "Pod" and n["phase"] == "Failed" for n in graph["nodes"]) == 4
    assert 0 < page.locator("svg.graph g.node.t-pod").count() < WIDTH
    page.click("#centre-failed")  # the failed items, now drawn one by one, are found and focused
    assert page.evaluate("document.activeElement.matches('g.node.t-pod.failed')")
    page.keyboard.press("Enter")
    page.wait_for_selector("aside.panel:has-text('Failed')")
    assert "Exit code" in page.inner_text("aside.panel")
    before = page.get_attribute("svg.graph g.world", "transform")
    page.focus("svg.graph")
    page.keyboard.press("-")
    assert page.get_attribute("svg.graph g.world", "transform") != before
    page.click("#fold-all")
    page.wait_for_selector("svg.graph g.node.fold")
    assert int(page.get_attribute("svg.graph", "data-nodes")) < 10
