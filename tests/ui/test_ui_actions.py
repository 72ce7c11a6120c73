"""Actions in the UI that leave the page or repeat: a cron workflow's "Submit now" and "Delete" from its own
page, a double-clicked Retry, a run deleted in its own namespace."""

from __future__ import annotations

import re

import pytest
import requests

from tests.ui.conftest import api, create_workflow, wait_phase

pytestmark = pytest.mark.timeout(300)


def cron(name: str) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": name},
            "spec": {"schedules": ["0 3 * * *"], "workflowSpec": {"entrypoint": "main", "templates": [
                {"name": "main", "container": {"image": "busybox", "command": ["true"]}}]}}}


def failing(name: str) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": f"{name}-"},
            "spec": {"entrypoint": "main", "templates": [
                {"name": "main", "container": {"image": "busybox", "command": ["sh", "-c", "exit 1"]}}]}}


def open_cron(page, server, name: str) -> None:
    page.goto(f"{server.url}/cron-workflows/default/{name}")
    page.wait_for_selector("#view[data-ready='1'] button.cron-submit")


def test_submit_now_from_a_cron_page_shows_only_the_new_run(page, ui_server):
    api(ui_server, "POST", "/api/v1/cron-workflows/default", {"namespace": "default", "cronWorkflow": cron("hourly")})
    open_cron(page, ui_server, "hourly")
    page.click("button.cron-submit")
    page.wait_for_url(re.compile(r".*/workflows/default/hourly-[a-z0-9]+$"))
    page.wait_for_selector("#view.run-page[data-ready='1']")
    page.wait_for_timeout(1000)  # time for a stray reload of the cron page to draw
    assert page.locator("#view h1").all_inner_texts() == [page.url.rsplit("/", 1)[1]]
    assert page.locator("#view button.cron-submit, #view pre.yaml").count() == 0
    assert "Submit hourly: done" in page.inner_text("#banner")


def test_delete_from_a_cron_page_lands_on_the_list_without_an_error(page, ui_server):
    api(ui_server, "POST", "/api/v1/cron-workflows/default", {"namespace": "default", "cronWorkflow": cron("weekly")})
    open_cron(page, ui_server, "weekly")
    page.click("button.cron-delete")
    page.wait_for_selector("dialog#confirm[open]")
    page.click("#confirm-ok")
    page.wait_for_url(re.compile(r".*/cron-workflows$"))
    page.wait_for_selector("#view[data-ready='1']")
    page.wait_for_timeout(1000)  # time for a stray fetch of the deleted cron workflow to fail
    assert page.get_attribute("#banner", "class") == "info", page.inner_text("#banner")
    assert "Delete weekly: done" in page.inner_text("#banner")
    assert page.locator("tr[data-name='weekly']").count() == 0
    res = requests.get(f"{ui_server.url}/api/v1/cron-workflows/default/weekly", timeout=30)
    assert res.status_code == 404


def test_a_double_clicked_retry_sends_one_request(page, ui_server):
    name = create_workflow(ui_server, failing("twice"))
    wait_phase(ui_server, name, ("Failed",))
    retries: list[str] = []
    page.on("request", lambda r: retries.append(r.url) if r.url.endswith("/retry") else None)
    page.goto(f"{ui_server.url}/workflows/default/{name}")
    page.wait_for_selector("#view[data-ready='1'] svg.graph[data-phase='Failed']")
    page.dblclick("#act-retry")
    page.wait_for_selector("#banner.info:has-text('Retry: done')")
    page.wait_for_timeout(1000)  # time for a second request's answer
    assert len(retries) == 1, retries
    assert page.get_attribute("#banner", "class") == "info", page.inner_text("#banner")
    assert not page.is_disabled("#act-retry")  # enabled again once the request is answered
    wait_phase(ui_server, name, ("Failed",))


def test_deleting_a_run_goes_back_to_the_runs_of_its_namespace(page, ui_server):
    name = create_workflow(ui_server, failing("elsewhere"), ns="team-b")
    page.goto(f"{ui_server.url}/workflows/team-b/{name}")
    page.wait_for_selector("#view[data-ready='1']")
    page.click("#act-delete")
    page.wait_for_selector("dialog#confirm[open]")
    page.click("#confirm-ok")
    page.wait_for_url(re.compile(r".*/workflows/team-b$"))
