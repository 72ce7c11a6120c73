"""The runs list's time range is filtered by the server, before the page is cut: Argo's `spec.startedAt>`/`<`
field-selector terms and its `createdAfter`/`finishedBefore` parameters, bounds included, through both
list paths (the `fields=` fast path and the full objects), and in the browser across pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.server.conftest import ServerProcess, make_server
from tests.ui.conftest import ARTIFACTS, at, create_workflow, seed_run

pytestmark = pytest.mark.timeout(180)
RUNS = 130
NAME_FIELDS = "metadata.continue,metadata.remainingItemCount,items.metadata.name"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Run i was created and started at minute i and finished half a minute later; one more never started."""
    home = tmp_path_factory.mktemp("time-range-home")
    for i in range(RUNS):
        seed_run(home, f"run-{i:03d}", "Succeeded", [], created=at(i), started=at(i), finished=at(i + 0.5))
    seed_run(home, "never-started", "Error", [], created=at(-1), started=None, finished=at(-1 + 1 / 6))
    with make_server(home) as srv:
        yield srv


def names(server: ServerProcess, fields: str | None, **params: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Every page of the list, 25 at a time: the names in order, and each page's metadata."""
    out, metas, cont = [], [], ""
    while True:
        query = {"listOptions.limit": 25, "listOptions.continue": cont, **params}
        if fields:
            query["fields"] = fields
        res = requests.get(f"{server.url}/api/v1/workflows/default", params=query, timeout=30)
        assert res.status_code == 200, res.text
        body = res.json()
        out += [i["metadata"]["name"] for i in body.get("items") or []]
        metas.append(body.get("metadata") or {})
        cont = metas[-1].get("continue")
        if not cont:
            return out, metas


def expected(indices: range | list[int]) -> list[str]:
    return [f"run-{i:03d}" for i in sorted(indices, reverse=True)]  # newest first


@pytest.mark.parametrize("fields", [NAME_FIELDS, None], ids=["fields-projection", "full-objects"])
def test_started_at_bounds_are_inclusive_and_pages_hold_only_runs_in_range(server: ServerProcess,
                                                                          fields: str | None) -> None:
    got, metas = names(server, fields, **{
        "listOptions.fieldSelector": f"spec.startedAt>{at(30)},spec.startedAt<{at(89)}"})
    assert got == expected(range(30, 90))
    assert len(metas) == 3  # 25 + 25 + 10
    assert metas[0]["remainingItemCount"] == 35
    # With another field term; a run never started is outside any started range.
    got, _ = names(server, fields, **{"listOptions.fieldSelector": f"metadata.name=run-007,spec.startedAt<{at(7)}"})
    assert got == ["run-007"]
    got, _ = names(server, fields, **{"listOptions.fieldSelector": f"spec.startedAt<{at(1)}"})
    assert got == expected([0, 1])


@pytest.mark.parametrize("fields", [NAME_FIELDS, None], ids=["fields-projection", "full-objects"])
def test_created_after_and_finished_before(server: ServerProcess, fields: str | None) -> None:
    assert names(server, fields, createdAfter=at(128))[0] == expected([128, 129])
    assert names(server, fields, finishedBefore=at(1.5))[0] == [*expected([0, 1]), "never-started"]
    assert names(server, fields, createdAfter="2026-01-01T01:00:00+01:00", finishedBefore=at(1.5))[0] == \
        expected([0, 1])


@pytest.mark.parametrize(("params", "named"), [
    ({"listOptions.fieldSelector": "spec.startedAt>yesterday"}, "listOptions.fieldSelector spec.startedAt>"),
    ({"createdAfter": "2026-01-01T00:00:00"}, "createdAfter"),
    ({"finishedBefore": "soon"}, "finishedBefore"),
])
def test_a_bad_time_is_a_400_naming_the_parameter(server: ServerProcess, params: dict[str, str], named: str) -> None:
    res = requests.get(f"{server.url}/api/v1/workflows/default", params=params, timeout=30)
    assert res.status_code == 400
    assert named in res.json()["message"] and "RFC 3339" in res.json()["message"]


def test_the_runs_page_pages_through_the_range(browser: Any, server: ServerProcess) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id="UTC")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.url}/workflows/default?from=2026-01-01T00:30&to=2026-01-01T01:29")
        page.wait_for_selector("#view[data-ready='1'] table.runs tr[data-name]")
        rows = page.eval_on_selector_all("table.runs tr[data-name]", "trs => trs.map(t => t.dataset.name)")
        assert rows == expected(range(40, 90))  # a full page of 50, all in range
        page.click("#next-page")
        page.wait_for_selector("table.runs tr[data-name='run-030']")
        rows = page.eval_on_selector_all("table.runs tr[data-name]", "trs => trs.map(t => t.dataset.name)")
        assert rows == expected(range(30, 40))
        assert page.is_disabled("#next-page")

        # Unfiltered, the first page holds 50 and stays so: the live stream brings only what changes
        # after the list (a new run), not every run there is.
        page.goto(f"{server.url}/workflows/default")
        page.wait_for_selector("#view[data-ready='1'] table.runs tr[data-name]")
        name = create_workflow(server, {
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "live-"},
            "spec": {"entrypoint": "main", "templates": [
                {"name": "main", "container": {"image": "busybox", "command": ["sh", "-c", "true"]}}]}})
        page.wait_for_selector(f"table.runs tr[data-name='{name}']:first-child")
        page.wait_for_selector(f"table.runs tr[data-name='{name}'] .phase.succeeded", timeout=60_000)
        assert page.locator("table.runs tr[data-name]").count() == 51
        assert not errors
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "test_the_runs_page_pages_through_the_range.png"))
    finally:
        context.close()
