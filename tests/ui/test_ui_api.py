"""The UI's JSON endpoints over HTTP against a real server: the graph, the executor (with the doctor's
refusal), the manifest check, the cron schedule; bad input gets a 4xx in Argo's error shape."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from tests.server.conftest import ServerProcess, make_server
from tests.ui.conftest import api, create_workflow, wait_phase


@pytest.fixture(scope="module")
def no_docker_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose Docker daemon cannot be reached, so the doctor finds the docker executor cannot work."""
    srv = make_server(tmp_path_factory.mktemp("ui-api-home"))
    srv.env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"
    with srv:
        yield srv


def test_graph_of_a_real_run_and_unknown_runs_are_404(no_docker_server):
    srv = no_docker_server
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "g-"},
          "spec": {"entrypoint": "main", "templates": [
              {"name": "main", "dag": {"tasks": [{"name": "a", "template": "t"},
                                                 {"name": "b", "template": "t", "dependencies": ["a"]}]}},
              {"name": "t", "container": {"image": "busybox", "command": ["true"]}}]}}
    name = create_workflow(srv, wf)
    wait_phase(srv, name, ("Succeeded",))
    g = api(srv, "GET", f"/api/v1/wfexec/workflows/default/{name}/graph")
    labels = {n["label"]: n for n in g["nodes"]}
    assert set(labels) == {name, "a", "b"} and g["phase"] == "Succeeded" and g["progress"] == "2/2"
    ids = {n["label"]: n["id"] for n in g["nodes"]}
    assert {(e["source"], e["target"]) for e in g["edges"]} == {(ids[name], ids["a"]), (ids["a"], ids["b"])}
    assert labels["a"]["y"] < labels["b"]["y"]
    for path in (f"/api/v1/wfexec/workflows/default/{name}-nope/graph", f"/api/v1/wfexec/workflows/other/{name}/graph"):
        res = requests.get(srv.url + path, timeout=10)
        assert res.status_code == 404 and res.json()["code"] == 5 and "not found" in res.json()["message"]


def test_executor_change_is_refused_where_the_doctor_says_it_cannot_work_unless_confirmed(no_docker_server):
    srv = no_docker_server
    state = api(srv, "GET", "/api/v1/wfexec/executor")
    assert state["executor"] == "emissary" and state["doctor"]["recommended"] == "emissary"
    assert any("not reachable" in f for f in state["doctor"]["facts"])
    res = requests.put(srv.url + "/api/v1/wfexec/executor", json={"executor": "docker"}, timeout=30)
    assert res.status_code == 400 and "cannot work here" in res.json()["message"]
    assert not (srv.home / "config.yaml").exists()
    state = api(srv, "PUT", "/api/v1/wfexec/executor", {"executor": "docker", "confirm": True})
    assert state["executor"] == "docker" and "config.yaml" in state["executor_source"]
    assert state["doctor"]["problems"], "the doctor still says why docker cannot work"
    for body in ({"executor": "podman"}, {"executor": 3}, {}):
        res = requests.put(srv.url + "/api/v1/wfexec/executor", json=body, timeout=30)
        assert res.status_code == 400 and "executor" in res.json()["message"], body
    api(srv, "PUT", "/api/v1/wfexec/executor", {"executor": "emissary"})


def test_manifest_check_gives_documents_and_issues_by_line(no_docker_server):
    text = ("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: a-}\nspec:\n"
            "  entrypoint: main\n  templates:\n  - name: main\n    contaner: {image: x}\n")
    res = api(no_docker_server, "POST", "/api/v1/wfexec/manifests", {"text": text})
    assert res["documents"][0]["kind"] == "Workflow"
    assert any(i["line"] == 8 and "contaner" in i["message"] for i in res["issues"])
    res = api(no_docker_server, "POST", "/api/v1/wfexec/manifests", {"text": "a: ["})
    assert res["documents"] == [] and res["issues"][0]["line"] == 1
    bad = requests.post(no_docker_server.url + "/api/v1/wfexec/manifests", json={"text": 5}, timeout=10)
    assert bad.status_code == 400 and "body.text" in bad.json()["message"]


def test_cron_schedule_gives_the_next_times(no_docker_server):
    srv = no_docker_server
    cron = {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": "every-hour"},
            "spec": {"schedules": ["0 * * * *"], "timezone": "Europe/Paris", "workflowSpec": {
                "entrypoint": "main", "templates": [{"name": "main", "container": {"image": "x", "command": ["true"]}}]}}}
    api(srv, "POST", "/api/v1/cron-workflows/default", {"namespace": "default", "cronWorkflow": cron})
    s = api(srv, "GET", "/api/v1/wfexec/cron-workflows/default/every-hour/schedule")
    assert len(s["next"]) == 3 and all(t.endswith(":00:00Z") for t in s["next"]) and s["timezone"] == "Europe/Paris"
    missing = requests.get(srv.url + "/api/v1/wfexec/cron-workflows/default/nope/schedule", timeout=10)
    assert missing.status_code == 404


def test_every_page_url_serves_the_shell_and_a_run_page_preloads_its_graph(no_docker_server):
    for path in ("/", "/workflows", "/workflows/default", "/submit", "/workflow-templates", "/cron-workflows",
                 "/executor", "/cron-workflows/default/x", "/workflow-templates/default/x"):
        res = requests.get(no_docker_server.url + path, timeout=10)
        assert res.status_code == 200 and '<main id="view"' in res.text, path
    res = requests.get(no_docker_server.url + "/workflows/default/some-run", timeout=10)
    assert 'rel="preload" href="/api/v1/wfexec/workflows/default/some-run/graph"' in res.text
    stamp = re.search(r'src="/ui-static/([0-9a-f]{12})/app.js"', res.text)
    assert stamp, "the scripts are named by a content stamp"
    for asset in ("app.js", "app.css", "graph_view.js"):
        got = requests.get(f"{no_docker_server.url}/ui-static/{stamp.group(1)}/{asset}", timeout=10)
        assert got.status_code == 200 and "immutable" in got.headers["cache-control"]
