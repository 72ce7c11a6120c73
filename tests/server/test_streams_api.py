"""Logs, the watch stream and artifacts, read as Argo Server serves them, by a plain HTTP client."""

from __future__ import annotations

import http.client
import io
import json
import tarfile
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.server.swagger import SWAGGER, check_response
from tests.server.workflows import container_wf, create, get, steps_wf, wait_phase
from tests.support.waiting import wait_for

pytestmark = pytest.mark.usefixtures("swagger_checked")


def _entries(resp: requests.Response) -> list[dict]:
    check_response(resp)
    return [json.loads(line)["result"] for line in resp.text.splitlines() if line.strip()]


def test_logs_as_argo_streams_them(server) -> None:
    name = create(server.url, steps_wf([("a", "echo one; echo two; echo three >&2"), ("b", "echo four")]))
    wf = wait_phase(server.url, name)
    pods = {n["displayName"]: n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"}
    base = f"{server.url}/api/v1/workflows/default/{name}"
    entries = _entries(requests.get(f"{base}/log", params={"logOptions.container": "main"}, timeout=10))
    assert [e["content"] for e in entries] == ["one", "two", "three", "four"]
    pod_a = entries[0]["podName"]
    assert pod_a.startswith(f"{name}-a-") and pod_a != entries[-1]["podName"]  # Argo's v2 pod names
    only_a = _entries(requests.get(f"{base}/{pod_a}/log", params={"logOptions.container": "main"}, timeout=10))
    assert [e["content"] for e in only_a] == ["one", "two", "three"]
    by_node_id = _entries(requests.get(f"{base}/log", params={"podName": pods["b"]["id"]}, timeout=10))
    assert [e["content"] for e in by_node_id] == ["four"]
    grep = _entries(requests.get(f"{base}/log", params={"grep": "^t"}, timeout=10))
    assert [e["content"] for e in grep] == ["two", "three"]
    tail = _entries(requests.get(f"{base}/{pod_a}/log", params={"logOptions.tailLines": 1}, timeout=10))
    assert [e["content"] for e in tail] == ["three"]
    # limitBytes counts each pod's log bytes ("one\ntwo\n" is 8), and cuts the last line, as the kubelet does
    limited = _entries(requests.get(f"{base}/log", params={"logOptions.container": "main",
                                                           "logOptions.limitBytes": 10}, timeout=10))
    assert [(e["content"], e["podName"] == pod_a) for e in limited] == [
        ("one", True), ("two", True), ("th", True), ("four", False)]
    none = _entries(requests.get(f"{base}/log", params={"logOptions.container": "sidecar"}, timeout=10))
    assert none == []
    r = check_response(requests.get(f"{base}/nope-pod/log", timeout=10))
    assert r.status_code == 404 and r.json()["code"] == 5
    r = check_response(requests.get(f"{base}/log", params={"grep": "("}, timeout=10))
    assert r.status_code == 400 and "grep" in r.json()["message"]


def test_follow_streams_lines_as_they_come(server) -> None:
    name = create(server.url, container_wf("echo first; sleep 1.5; echo second"))
    got: list[tuple[float, str]] = []
    with requests.get(f"{server.url}/api/v1/workflows/default/{name}/log",
                      params={"logOptions.follow": "true", "logOptions.container": "main"}, stream=True,
                      timeout=30) as resp:
        for line in resp.iter_lines():
            if line:
                doc = json.loads(line)
                SWAGGER.check("GET", resp.url, 200, line)
                got.append((time.monotonic(), doc["result"]["content"]))
    assert [c for _, c in got] == ["first", "second"]
    assert got[1][0] - got[0][0] > 0.8  # the first line came while the step still slept
    assert get(server.url, name)["status"]["phase"] == "Succeeded"


def test_watch_sees_each_node_change(server) -> None:
    events: list[dict] = []
    started = threading.Event()
    name_box: dict[str, str] = {}

    def watch() -> None:
        with requests.get(f"{server.url}/api/v1/workflow-events/default",
                          params={"listOptions.labelSelector": "watch=me"}, stream=True, timeout=60) as resp:
            started.set()
            for line in resp.iter_lines():
                if not line:
                    continue
                SWAGGER.check("GET", resp.url, 200, line)
                ev = json.loads(line)["result"]
                events.append(ev)
                if ev["type"] == "DELETED" or ev["object"].get("status", {}).get("phase") == "Succeeded":
                    if ev["type"] == "DELETED":
                        return

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    assert started.wait(10)
    time.sleep(0.2)
    # "one" runs for a second: a step of `true` can start and end between two of the watch's looks (and in
    # one batch of the engine's node writes), so its Running state may never be stored to be seen
    name_box["n"] = create(server.url, steps_wf([("one", "sleep 1"), ("two", "true")], labels={"watch": "me"}))
    create(server.url, container_wf("true"))  # not selected
    wait_phase(server.url, name_box["n"])
    wait_for(lambda: any(e["object"].get("status", {}).get("phase") == "Succeeded" for e in events), 30,
             "the watch's Succeeded event")  # before the delete, or the stream may end without it
    requests.delete(f"{server.url}/api/v1/workflows/default/{name_box['n']}", timeout=30)
    t.join(20)
    assert not t.is_alive()
    assert {e["object"]["metadata"]["name"] for e in events} == {name_box["n"]}
    assert events[0]["type"] == "ADDED" and events[-1]["type"] == "DELETED"
    seen = set()
    for e in events:
        for n in (e["object"].get("status", {}).get("nodes") or {}).values():
            seen.add((n["displayName"], n["phase"]))
    assert {("one", "Running"), ("one", "Succeeded"), ("two", "Succeeded")} <= seen, seen
    phases = [e["object"]["status"]["phase"] for e in events if e["type"] != "DELETED"]
    assert phases[-1] == "Succeeded" and "Running" in phases


def test_a_watch_with_selectors_sees_only_its_runs_deleted_and_a_retried_run_modified(server) -> None:
    """As a Kubernetes watch with selectors: DELETED only for a run the stream matched; a run retried
    after it ended is MODIFIED (it was never gone), not ADDED again."""
    base = f"{server.url}/api/v1/workflows/default"
    other = create(server.url, container_wf("true", labels={"grp": "odd"}))
    mine = create(server.url, container_wf("exit 1", labels={"grp": "even"}))
    wait_phase(server.url, other)
    wait_phase(server.url, mine)
    events: list[dict] = []
    started = threading.Event()

    def watch() -> None:
        with requests.get(f"{server.url}/api/v1/workflow-events/default", stream=True, timeout=60, params={
                "listOptions.labelSelector": "grp=even", "fields": "result.type,result.object.metadata.name,"
                                                                    "result.object.status.phase"}) as resp:
            started.set()
            for line in resp.iter_lines():
                if line:
                    events.append(json.loads(line)["result"])
                    if events[-1]["type"] == "DELETED":
                        return

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    assert started.wait(10)
    wait_for(lambda: events, 10, "the first ADDED")
    requests.delete(f"{base}/{other}", timeout=30)
    check_response(requests.put(f"{base}/{mine}/retry", json={}, timeout=30))
    wait_for(lambda: any(e["type"] == "MODIFIED" and e["object"].get("status", {}).get("phase") == "Failed"
                         and len([x for x in events if x["type"] == "MODIFIED"]) > 1 for e in events), 30,
             "the retried run's end")
    requests.delete(f"{base}/{mine}", timeout=30)
    t.join(20)
    assert not t.is_alive()
    assert {e["object"]["metadata"]["name"] for e in events} == {mine}
    assert [e["type"] for e in events if e["type"] != "MODIFIED"] == ["ADDED", "DELETED"]


def _raw_get(url: str) -> tuple[int, bytes]:
    """GET without any client-side normalising of `..` (requests would fold it away)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    resp = conn.getresponse()
    return resp.status, resp.read()


def test_artifacts_by_name_uid_and_file(server) -> None:
    wf = container_wf("mkdir -p /tmp/out/sub && echo hello > /tmp/out/sub/greeting.txt && echo hi > /tmp/msg")
    wf["spec"]["templates"][0]["outputs"] = {"artifacts": [{"name": "dir", "path": "/tmp/out"},
                                                           {"name": "msg", "path": "/tmp/msg"}]}
    name = create(server.url, wf)
    done = wait_phase(server.url, name)
    assert done["status"]["phase"] == "Succeeded"
    node = done["status"]["nodes"][name]
    uid = done["metadata"]["uid"]
    r = check_response(requests.get(f"{server.url}/artifacts/default/{name}/{node['id']}/msg", timeout=10))
    assert r.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(r.content)) as tar:
        assert tar.extractfile("msg").read() == b"hi\n"
    r2 = check_response(requests.get(f"{server.url}/artifacts-by-uid/{uid}/{node['id']}/msg", timeout=10))
    assert r2.status_code == 200 and r2.content == r.content
    f = check_response(requests.get(
        f"{server.url}/artifact-files/default/workflow/{name}/{node['id']}/outputs/dir/sub/greeting.txt", timeout=10))
    assert f.status_code == 200 and f.content == b"hello\n"
    archived = f"{server.url}/artifact-files/{{ns}}/archived-workflows/{uid}/{node['id']}/outputs/dir/sub/greeting.txt"
    a = check_response(requests.get(archived.format(ns="default"), timeout=10))  # the UI's archive view asks so
    assert a.status_code == 200 and a.content == b"hello\n"
    assert check_response(requests.get(archived.format(ns="elsewhere"), timeout=10)).status_code == 404
    r = check_response(requests.get(f"{server.url}/artifacts/default/{name}/{node['id']}/nope", timeout=10))
    assert r.status_code == 404 and r.json()["code"] == 5
    r = check_response(requests.get(f"{server.url}/input-artifacts/default/{name}/{node['id']}/msg", timeout=10))
    assert r.status_code == 404
    # path traversal: every spelling is refused, and nothing outside the artifact comes back
    base = f"{server.url}/artifact-files/default/workflow/{name}/{node['id']}/outputs/dir"
    for tail in ("../../../../../etc/passwd", "%2e%2e/%2e%2e/%2e%2e/etc/passwd", "sub/..%2f..%2f..%2fetc/passwd",
                 "..%5c..%5cetc%5cpasswd"):
        status, body = _raw_get(f"{base}/{tail}")
        assert status in (400, 404), (tail, status)
        assert b"root:" not in body
    for bad_node in ("..%2f..%2f..%2fetc", "%2e%2e"):
        status, body = _raw_get(f"{server.url}/artifacts/default/{name}/{bad_node}/msg")
        assert status in (400, 404) and b"root:" not in body
