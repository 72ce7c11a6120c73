"""WorkflowService over plain HTTP: create … set, list options, errors, with every response checked
against Argo's swagger."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
import requests

from tests.server.swagger import check_response
from tests.server.workflows import container_wf, create, get, steps_wf, wait_node, wait_phase

pytestmark = pytest.mark.usefixtures("swagger_checked")


def test_create_get_list_and_fields(server) -> None:
    names = [create(server.url, container_wf("echo hi", labels={"team": "blue" if i else "red"})) for i in range(3)]
    for n in names:
        assert wait_phase(server.url, n)["status"]["phase"] == "Succeeded"
    base = f"{server.url}/api/v1/workflows/default"
    blue = check_response(requests.get(base, params={"listOptions.labelSelector": "team=blue"}, timeout=10)).json()
    assert sorted(i["metadata"]["name"] for i in blue["items"]) == sorted(names[1:])
    done = check_response(requests.get(base, params={
        "listOptions.labelSelector": "workflows.argoproj.io/completed=true,team in (red)"}, timeout=10)).json()
    assert [i["metadata"]["name"] for i in done["items"]] == [names[0]]
    one = check_response(requests.get(base, params={"listOptions.fieldSelector": f"metadata.name={names[2]}"},
                                      timeout=10)).json()
    assert [i["metadata"]["name"] for i in one["items"]] == [names[2]]
    # limit / continue walk every run once
    seen, token = [], None
    while True:
        page = check_response(requests.get(base, params={"listOptions.limit": 2, "listOptions.continue": token or ""},
                                           timeout=10)).json()
        seen += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            break
    assert sorted(seen) == sorted(set(seen)) and set(names) <= set(seen)
    # the projection the Argo UI asks for leaves the nodes out
    fields = "metadata,items.metadata.name,items.status.phase"
    slim = check_response(requests.get(base, params={"fields": fields}, timeout=10)).json()
    assert all(set(i) == {"metadata", "status"} and set(i["status"]) == {"phase"} for i in slim["items"])
    full = get(server.url, names[0])
    assert full["status"]["nodes"][names[0]]["outputs"]["result"] == "hi"
    assert full["metadata"]["labels"]["workflows.argoproj.io/phase"] == "Succeeded"
    one_field = check_response(requests.get(f"{base}/{names[0]}", params={"fields": "status.phase"}, timeout=10))
    assert one_field.json() == {"status": {"phase": "Succeeded"}}


def test_bad_input_gets_4xx_naming_the_field(server) -> None:
    base = f"{server.url}/api/v1/workflows/default"
    cases = [
        (b"{not json", 400, "not valid JSON"),
        (b"[1]", 400, "expected a JSON object"),
        (json.dumps({}).encode(), 400, "body.workflow: required"),
        (json.dumps({"workflow": {"metadata": {"generateName": "x-"}}}).encode(), 400, "body.workflow.spec"),
        (json.dumps({"workflow": {"metadata": {}, "spec": {"entrypoint": "m", "templates": []}}}).encode(), 400,
         "name or generateName"),
        (json.dumps({"workflow": container_wf("true", extra_spec={"entrypont": "x"})}).encode(), 400, "entrypont"),
        (json.dumps({"workflow": {**container_wf("true"), "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "container": {"image": 3}}]}}}).encode(), 400, "image"),
    ]
    for body, status, words in cases:
        r = check_response(requests.post(base, data=body, timeout=10, headers={"content-type": "application/json"}))
        assert r.status_code == status, (body, r.text)
        assert words in r.json()["message"] and r.json()["code"] == 3, r.text
        assert "Traceback" not in r.text
    big = b'{"workflow": {"metadata": {"name": "' + b"x" * (9 * 1024 * 1024) + b'"}}}'
    r = requests.post(base, data=big, timeout=30)
    assert r.status_code == 413 and "over the limit" in r.json()["message"]
    r = check_response(requests.get(f"{base}/no-such-run", timeout=10))
    assert r.status_code == 404 and r.json()["code"] == 5
    r = check_response(requests.get(base, params={"listOptions.labelSelector": "a in ("}, timeout=10))
    assert r.status_code == 400 and "labelSelector" in r.json()["message"]
    r = check_response(requests.get(base, params={"listOptions.fieldSelector": "spec.x=1"}, timeout=10))
    assert r.status_code == 400 and "spec.x" in r.json()["message"]
    r = check_response(requests.get(base, params={"listOptions.limit": "many"}, timeout=10))
    assert r.status_code == 400 and "listOptions.limit" in r.json()["message"]
    r = check_response(requests.get(base, params={"listOptions.continue": "garbage!"}, timeout=10))
    assert r.status_code == 400 and "continue" in r.json()["message"]
    name = create(server.url, container_wf("true", name="dup-"))
    wf = container_wf("true")
    wf["metadata"] = {"name": name}
    r = check_response(requests.post(base, json={"workflow": wf}, timeout=10))
    assert r.status_code == 409 and r.json()["code"] == 6


def test_a_name_that_is_no_kubernetes_name_is_refused_and_touches_no_path(server) -> None:
    """A run's name is its directory's: `..`, `../x` or a name the file system cannot hold is a 400, as
    Kubernetes refuses it, and nothing is stored or made, in the home or beside it."""
    base = f"{server.url}/api/v1/workflows/default"
    home = Path(server.home)
    before = set(home.parent.iterdir())
    names = ["..", "../../outside", "a/b", "UPPER_bad", "a b", "x" * 300, "-lead", "trail-"]
    for name in names:
        wf = container_wf("true")
        wf["metadata"] = {"name": name, "annotations": {}}
        r = check_response(requests.post(base, json={"workflow": wf}, timeout=10))
        assert r.status_code == 400 and "metadata.name" in r.json()["message"], (name, r.text)
    for prefix in ("../", "Bad-", "x" * 250):
        r = check_response(requests.post(base, json={"workflow": container_wf("true", name=prefix)}, timeout=10))
        assert r.status_code == 400 and "metadata.generateName" in r.json()["message"], (prefix, r.text)
    listed = check_response(requests.get(base, timeout=10)).json()["items"] or []
    assert not [i for i in listed if i["metadata"]["name"] in names]
    assert set(home.parent.iterdir()) == before
    assert not (home / "outside").exists() and (home / "runs.db").exists()


def test_lint_and_dry_run_create_nothing(server) -> None:
    base = f"{server.url}/api/v1/workflows/default"
    r = check_response(requests.post(f"{base}/lint", json={"workflow": container_wf("true", name="lint-")},
                                     timeout=10))
    assert r.status_code == 200 and r.json()["metadata"]["generateName"] == "lint-"
    r = check_response(requests.post(f"{base}/lint", json={"workflow": {**container_wf("true"), "spec": {
        "entrypoint": "nope", "templates": [{"name": "main", "container": {"image": "b"}}]}}}, timeout=10))
    assert r.status_code == 400 and "nope" in r.json()["message"]
    r = check_response(requests.post(base, json={"workflow": container_wf("true", name="dry-"),
                                                 "serverDryRun": True}, timeout=10))
    assert r.status_code == 200
    listed = check_response(requests.get(base, timeout=10)).json()["items"]
    assert not [i for i in listed if i["metadata"]["name"].startswith(("dry-", "lint-"))]


def test_stop_terminate_delete(server) -> None:
    base = f"{server.url}/api/v1/workflows/default"
    exit_handler = {"name": "bye", "container": {"image": "busybox", "command": ["sh", "-c", "echo bye"]}}
    stop_me = steps_wf([("slow", "sleep 30")], extra_templates=[exit_handler])
    stop_me["spec"]["onExit"] = "bye"
    stopped = create(server.url, stop_me)
    terminated = create(server.url, stop_me)
    for n in (stopped, terminated):
        wait_node(server.url, n, "slow", "Running")
    r = check_response(requests.put(f"{base}/{stopped}/stop", json={"name": stopped, "namespace": "default"},
                                    timeout=10))
    assert r.status_code == 200
    r = check_response(requests.put(f"{base}/{terminated}/terminate", json={}, timeout=10))
    assert r.status_code == 200
    s = wait_phase(server.url, stopped)
    t = wait_phase(server.url, terminated)
    assert s["status"]["phase"] == "Failed" and "Stopped" in s["status"].get("message", "")
    ran_exit = lambda wf: any(n["name"].endswith(".onExit") for n in wf["status"]["nodes"].values())  # noqa: E731
    assert ran_exit(s) and not ran_exit(t)
    r = check_response(requests.put(f"{base}/{stopped}/stop", json={}, timeout=10))
    assert r.status_code == 400 and "already ended" in r.json()["message"]
    r = check_response(requests.put(f"{base}/{stopped}/stop", json={"name": "other"}, timeout=10))
    assert r.status_code == 400 and "body.name" in r.json()["message"]
    running = create(server.url, steps_wf([("slow", "sleep 30")]))
    wait_node(server.url, running, "slow", "Running")
    for n in (stopped, running):
        r = check_response(requests.delete(f"{base}/{n}", timeout=60))
        assert r.status_code == 200 and r.json() == {}
        assert requests.get(f"{base}/{n}", timeout=10).status_code == 404


def test_retry_and_resubmit(server) -> None:
    base = f"{server.url}/api/v1/workflows/default"
    shared = Path(tempfile.mkdtemp(prefix="wfexec-retry-", dir="/var/tmp"))  # a step's /tmp is its own
    flag = shared / "flag"
    wf = steps_wf([("first", "date +%s%N"), ("flaky", f"test -e {flag}")])
    name = create(server.url, wf)
    failed = wait_phase(server.url, name)
    assert failed["status"]["phase"] == "Failed"
    first = next(n for n in failed["status"]["nodes"].values() if n["displayName"] == "first")
    r = check_response(requests.put(f"{base}/{name}/retry", json={}, timeout=10))
    assert r.status_code == 200
    again = wait_phase(server.url, name)
    assert again["status"]["phase"] == "Failed"
    assert again["status"]["nodes"][first["id"]]["outputs"]["result"] == first["outputs"]["result"]  # not re-run
    flag.write_text("")
    r = check_response(requests.put(f"{base}/{name}/retry", json={
        "restartSuccessful": True, "nodeFieldSelector": "displayName=first"}, timeout=10))
    assert r.status_code == 200
    done = wait_phase(server.url, name)
    assert done["status"]["phase"] == "Succeeded", json.dumps(done["status"], indent=1)
    assert done["status"]["nodes"][first["id"]]["outputs"]["result"] != first["outputs"]["result"]  # it re-ran
    r = check_response(requests.put(f"{base}/{name}/retry", json={}, timeout=10))
    assert r.status_code == 400 and "Succeeded" in r.json()["message"]
    r = check_response(requests.put(f"{base}/{name}/retry", json={"nodeFieldSelector": "bogus~1",
                                                                   "restartSuccessful": True}, timeout=10))
    assert r.status_code == 400
    r = check_response(requests.put(f"{base}/{name}/resubmit", json={}, timeout=10))
    assert r.status_code == 200
    new = r.json()["metadata"]["name"]
    assert new != name and new.startswith(name.rsplit("-", 1)[0] + "-")  # as Argo: its generateName again
    assert r.json()["metadata"]["labels"]["workflows.argoproj.io/resubmitted-from-workflow"] == name
    assert wait_phase(server.url, new)["status"]["phase"] == "Succeeded"
    shutil.rmtree(shared)


def test_suspend_resume_and_set(server) -> None:
    base = f"{server.url}/api/v1/workflows/default"
    approve = {"name": "approve", "suspend": {}, "outputs": {"parameters": [
        {"name": "answer", "valueFrom": {"default": "none", "supplied": {}}}]}}
    wf = steps_wf([("before", "true")], extra_templates=[approve])
    wf["spec"]["templates"][0]["steps"].append([{"name": "approve", "template": "approve"}])
    wf["spec"]["templates"][0]["steps"].append([{"name": "after", "template": "echo", "arguments": {"parameters": [
        {"name": "v", "value": "{{steps.approve.outputs.parameters.answer}}"}]}}])
    wf["spec"]["templates"].append({"name": "echo", "inputs": {"parameters": [{"name": "v"}]},
                                    "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters.v}}"]}})
    name = create(server.url, wf)
    wait_node(server.url, name, "approve", "Running")
    r = check_response(requests.put(f"{base}/{name}/set", json={
        "nodeFieldSelector": "displayName=approve", "outputParameters": json.dumps({"answer": "yes"}),
        "phase": "Succeeded"}, timeout=10))
    assert r.status_code == 200, r.text
    done = wait_phase(server.url, name)
    assert done["status"]["phase"] == "Succeeded"
    after = next(n for n in done["status"]["nodes"].values() if n["displayName"] == "after")
    assert after["outputs"]["result"] == "yes"
    r = check_response(requests.put(f"{base}/{name}/set", json={"nodeFieldSelector": "displayName=approve",
                                                                 "phase": "Bogus"}, timeout=10))
    assert r.status_code == 400 and "body.phase" in r.json()["message"]
    # suspend: no new pod starts until resume
    slow = create(server.url, steps_wf([("one", "sleep 1"), ("two", "true")]))
    wait_node(server.url, slow, "one", "Running")
    r = check_response(requests.put(f"{base}/{slow}/suspend", json={}, timeout=10))
    assert r.status_code == 200 and r.json()["spec"]["suspend"] is True
    wait_node(server.url, slow, "one", "Succeeded")
    import time

    time.sleep(1.0)
    nodes = get(server.url, slow)["status"]["nodes"].values()
    assert not any(n["displayName"] == "two" and n["phase"] != "Pending" for n in nodes), nodes
    r = check_response(requests.put(f"{base}/{slow}/resume", json={}, timeout=10))
    assert r.status_code == 200
    assert wait_phase(server.url, slow)["status"]["phase"] == "Succeeded"


def test_resume_and_stop_some_nodes(server) -> None:
    base = f"{server.url}/api/v1/workflows/default"
    wf = steps_wf([], extra_templates=[{"name": "gate", "suspend": {}}])
    wf["spec"]["templates"][0]["steps"] = [[{"name": "yes", "template": "gate"}, {"name": "no", "template": "gate"}]]
    name = create(server.url, wf)
    wait_node(server.url, name, "yes", "Running")
    wait_node(server.url, name, "no", "Running")
    r = check_response(requests.put(f"{base}/{name}/resume", json={"nodeFieldSelector": "displayName=nobody"},
                                    timeout=10))
    assert r.status_code == 400 and "no suspended step" in r.json()["message"]
    r = check_response(requests.put(f"{base}/{name}/resume", json={"nodeFieldSelector": "colour=red"}, timeout=10))
    assert r.status_code == 400 and "nodeFieldSelector" in r.json()["message"]
    r = check_response(requests.put(f"{base}/{name}/resume", json={"nodeFieldSelector": "displayName=yes"},
                                    timeout=10))
    assert r.status_code == 200, r.text
    wait_node(server.url, name, "yes", "Succeeded")
    assert next(n for n in get(server.url, name)["status"]["nodes"].values()
                if n["displayName"] == "no")["phase"] == "Running"  # the other one still waits
    r = check_response(requests.put(f"{base}/{name}/stop", json={"nodeFieldSelector": "displayName=no",
                                                                 "message": "not today"}, timeout=10))
    assert r.status_code == 200, r.text
    done = wait_phase(server.url, name)
    no = next(n for n in done["status"]["nodes"].values() if n["displayName"] == "no")
    assert done["status"]["phase"] == "Failed" and no["phase"] == "Failed" and no["message"] == "not today"
