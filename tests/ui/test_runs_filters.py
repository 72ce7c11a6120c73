"""The runs list's filters in Chromium: the name search and label selectors are the server's (every run is
searched, pages are cut from the matches, kubectl's selector grammar), a run that stops matching leaves the
list, a suspended run says so (list and run header), and a failed list leaves no stale rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.server.conftest import ServerProcess, make_server
from tests.ui.conftest import api, at, create_workflow, wait_phase

pytestmark = pytest.mark.timeout(240)
RUNS = 60
ROWS = "table.runs tr[data-name]"


def seed(home: Path, name: str, minute: float, labels: dict[str, str]) -> None:
    """An ended run written straight into the store, with labels."""
    from wfexec.engine.store import RunRecord, Store

    uid = str(uuid.uuid4())
    manifest = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": {"name": name, "namespace": "default", "uid": uid, "creationTimestamp": at(minute),
                             "labels": labels},
                "spec": {"entrypoint": "main", "templates": [
                    {"name": "main", "container": {"image": "busybox", "command": ["true"]}}]}}
    Store(home / "runs.db").create_run(RunRecord(
        name=name, uid=uid, namespace="default", phase="Succeeded", message=None, created_at=at(minute),
        started_at=at(minute), finished_at=at(minute + 0.5), manifest=manifest, options={}, status={},
        engine_pid=None, control=None))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """run-000 … run-059 (newest last), team qa/dev/none in turn and gen 0-4; `needle-found` is the oldest,
    so the unfiltered list has it on page 2."""
    home = tmp_path_factory.mktemp("runs-filters-home")
    for i in range(RUNS):
        labels = {"gen": str(i % 5)}
        if i % 3 < 2:
            labels["team"] = ("qa", "dev")[i % 3]
        seed(home, f"run-{i:03d}", i, labels)
    seed(home, "needle-found", -10, {"team": "ops"})
    with make_server(home) as srv:
        yield srv


def one_step(prefix: str, script: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"generateName": f"{prefix}-", "labels": labels or {}},
            "spec": {"entrypoint": "main", "templates": [
                {"name": "main", "steps": [[{"name": "a", "template": "run"}], [{"name": "b", "template": "run"}]]},
                {"name": "run", "container": {"image": "busybox", "command": ["sh", "-c", script]}}]}}


def shown(page: Any) -> list[str]:
    return page.eval_on_selector_all(ROWS, "trs => trs.map(t => t.dataset.name)")


def listed(server: ServerProcess, **params: str) -> list[str]:
    res = requests.get(f"{server.url}/api/v1/workflows/default", timeout=30,
                       params={"listOptions.limit": "50", "fields": "items.metadata.name", **params})
    assert res.status_code == 200, res.text
    return [i["metadata"]["name"] for i in res.json().get("items") or []]


def open_list(page: Any, server: ServerProcess, query: str = "") -> None:
    page.goto(f"{server.url}/workflows/default{query}")
    page.wait_for_selector("#view[data-ready='1'] table.runs tbody tr")


def test_the_name_search_covers_every_run_and_pages_the_matches(page: Any, server: ServerProcess) -> None:
    open_list(page, server, "?name=needle")
    assert shown(page) == ["needle-found"]  # on page 2 of the unfiltered list
    assert "1 shown" in page.text_content("span.count")
    page.fill("#f-name", "run-0")  # run-000 … run-059: 50, then 10
    page.click("form.filters button[type=submit]")
    page.wait_for_selector(f"{ROWS}[data-name='run-059']")
    assert shown(page) == [f"run-{i:03d}" for i in range(59, 9, -1)]
    assert "50 shown" in page.text_content("span.count")
    page.click("#next-page")
    page.wait_for_selector(f"{ROWS}[data-name='run-000']")
    assert shown(page) == [f"run-{i:03d}" for i in range(9, -1, -1)]
    assert "10 shown" in page.text_content("span.count")
    assert page.is_disabled("#next-page")


@pytest.mark.parametrize("selector", ["team!=qa", "!team", "team in (qa,dev)", "gen>2", "team notin (dev),gen<1"])
def test_the_label_filter_shows_what_the_server_selects(page: Any, server: ServerProcess, selector: str) -> None:
    expected = listed(server, **{"listOptions.labelSelector": selector})
    assert expected
    open_list(page, server, "?" + requests.compat.urlencode({"label": selector}))
    assert shown(page) == expected


def test_a_live_run_is_shown_as_the_label_selector_says(page: Any, server: ServerProcess) -> None:
    open_list(page, server, "?" + requests.compat.urlencode({"label": "team in (qa,dev)"}))
    other = create_workflow(server, one_step("lbl-ops", "true", {"team": "ops"}))
    wait_phase(server, other, ("Succeeded",))
    mine = create_workflow(server, one_step("lbl-dev", "true", {"team": "dev"}))
    page.wait_for_selector(f"{ROWS}[data-name='{mine}']:first-child .phase.succeeded", timeout=60_000)
    assert other not in shown(page)


def test_a_run_that_stops_matching_the_phase_filter_leaves_the_list(page: Any, server: ServerProcess) -> None:
    open_list(page, server, "?phase=Running")
    assert not shown(page)
    name = create_workflow(server, one_step("doomed", "sleep 2; exit 1"))
    page.wait_for_selector(f"{ROWS}[data-name='{name}'] .phase.running", timeout=60_000)
    assert "1 shown" in page.text_content("span.count")
    wait_phase(server, name, ("Failed",))
    page.wait_for_selector(f"{ROWS}[data-name='{name}']", state="detached", timeout=15_000)
    page.wait_for_selector("table.runs td:has-text('No workflows.')")
    assert "0 shown" in page.text_content("span.count")


def test_a_suspended_run_says_so_in_the_list_and_its_header(page: Any, server: ServerProcess) -> None:
    name = create_workflow(server, one_step("held", "sleep 5"))
    open_list(page, server)
    row = f"{ROWS}[data-name='{name}']"
    page.wait_for_selector(f"{row} .phase.running", timeout=60_000)
    body = {"name": name, "namespace": "default"}
    try:
        api(server, "PUT", f"/api/v1/workflows/default/{name}/suspend", body)
        page.wait_for_selector(f"{row} .phase:has-text('Running (Suspended)')")  # live
        open_list(page, server)
        page.wait_for_selector(f"{row} .phase:has-text('Running (Suspended)')")  # listed
        page.goto(f"{server.url}/workflows/default/{name}")
        page.wait_for_selector("#view[data-ready='1'] .run-head .phase:has-text('Running (Suspended)')")
        api(server, "PUT", f"/api/v1/workflows/default/{name}/resume", body)
        page.wait_for_selector(".run-head .phase.succeeded", timeout=60_000)
    finally:
        if requests.get(f"{server.url}/api/v1/workflows/default/{name}", timeout=30).json()["status"]["phase"] \
                == "Running":
            api(server, "PUT", f"/api/v1/workflows/default/{name}/terminate", body)

    # A run waiting at a suspend step: the run page's header says so too, as `wfexec get` does.
    waiting = create_workflow(server, {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "approve-"},
        "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "steps": [[{"name": "approve", "template": "wait"}]]},
            {"name": "wait", "suspend": {}}]}})
    try:
        wait_phase(server, waiting, ("Running",))
        page.goto(f"{server.url}/workflows/default/{waiting}")
        page.wait_for_selector("#view[data-ready='1'] .run-head .phase:has-text('Running (Suspended)')")
    finally:
        api(server, "PUT", f"/api/v1/workflows/default/{waiting}/terminate", {"name": waiting, "namespace": "default"})


def test_a_failed_list_leaves_no_stale_rows(page: Any, server: ServerProcess) -> None:
    open_list(page, server)
    assert shown(page)
    page.fill("#f-label", "team in (qa")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#banner:not([hidden]):has-text('labelSelector')")
    page.wait_for_function("!document.querySelector('table.runs tr[data-name]')", timeout=5_000)
    assert "shown" not in (page.text_content("span.count") or "")
    page.fill("#f-label", "team in (qa,dev)")  # mended: rows again, and the message goes
    page.click("form.filters button[type=submit]")
    page.wait_for_selector(f"{ROWS}[data-name='run-058']")
    assert page.is_hidden("#banner")
