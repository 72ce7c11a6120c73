"""The log API's `logOptions.timestamps`, `sinceSeconds` and `sinceTime`, from a plain client, the argo SDK and
the CLI in remote mode: each line has the time it was printed."""

from __future__ import annotations

import json
import time

import argo_workflows
import pytest
import requests
from argo_workflows.api import workflow_service_api

from tests.server.swagger import check_response
from tests.server.workflows import container_wf, create, steps_wf, wait_phase
from wfexec.engine.log_lines import parse_rfc3339, rfc3339nano

pytestmark = pytest.mark.usefixtures("swagger_checked")


def _contents(resp: requests.Response) -> list[str]:
    check_response(resp)
    assert resp.status_code == 200, resp.text
    return [json.loads(line)["result"]["content"] for line in resp.text.splitlines() if line.strip()]


def _stamped(content: str) -> tuple[str, int]:
    stamp, text = content.split(" ", 1)
    return text, parse_rfc3339(stamp)


def test_timestamps_since_seconds_and_since_time(server) -> None:
    name = create(server.url, container_wf("echo one; sleep 1.5; echo two"))
    wait_phase(server.url, name)
    url = f"{server.url}/api/v1/workflows/default/{name}/log"
    stamped = [_stamped(c) for c in _contents(requests.get(url, params={"logOptions.timestamps": "true"}, timeout=10))]
    assert [text for text, _ in stamped] == ["one", "two"]
    t_one, t_two = (t for _, t in stamped)
    assert t_two - t_one >= 1_200_000_000

    # the argo-workflows SDK sends sinceTime as seconds and nanos
    sdk = workflow_service_api.WorkflowServiceApi(argo_workflows.ApiClient(argo_workflows.Configuration(
        host=server.url)))
    secs, nanos = divmod(t_two, 1_000_000_000)
    raw = sdk.workflow_logs("default", name, log_options_since_time_seconds=str(secs),
                            log_options_since_time_nanos=nanos, _preload_content=False)
    assert [json.loads(line)["result"]["content"] for line in raw.data.decode().splitlines()] == ["two"]
    raw = sdk.workflow_logs("default", name, log_options_since_seconds="3600", log_options_timestamps=True,
                            _preload_content=False)
    assert [_stamped(json.loads(line)["result"]["content"]) for line in raw.data.decode().splitlines()] == stamped
    # grpc-gateway's form of a Timestamp: one RFC 3339 string
    assert _contents(requests.get(url, params={"logOptions.sinceTime": rfc3339nano(t_two)}, timeout=10)) == ["two"]
    time.sleep(max(0.0, (t_two - time.time_ns()) / 1e9 + 1.1))
    assert _contents(requests.get(url, params={"logOptions.sinceSeconds": 1}, timeout=10)) == []

    for params, says in (({"logOptions.sinceSeconds": 0}, "sinceSeconds"),
                         ({"logOptions.sinceSeconds": "soon"}, "sinceSeconds"),
                         ({"logOptions.sinceTime": "yesterday"}, "sinceTime"),
                         ({"logOptions.sinceTime.seconds": "x"}, "sinceTime.seconds"),
                         ({"logOptions.sinceTime.nanos": 2_000_000_000}, "nanos"),
                         ({"logOptions.sinceSeconds": 5, "logOptions.sinceTime.seconds": 5}, "at most one"),
                         ({"logOptions.timestamps": "maybe"}, "timestamps")):
        r = check_response(requests.get(url, params=params, timeout=10))
        assert r.status_code == 400 and says in r.json()["message"], (params, r.text)


def test_remote_cli_logs_with_times_tail_and_grep(server, tmp_path) -> None:
    name = create(server.url, container_wf("echo one; sleep 1.2; echo two; echo three"))
    # a home of its own, empty: every line comes from the server

    def logs(*args: str, step: str | None = None) -> list[str]:
        r = server.client(tmp_path, "logs", name, *([step] if step else []), *args, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout.splitlines() if step else [line.split(": ", 1)[1] for line in r.stdout.splitlines()]

    stamped = [_stamped(line) for line in logs("-f", "--timestamps", "--since", "1h")]  # follows the run to its end
    assert wait_phase(server.url, name)["status"]["phase"] == "Succeeded"
    assert [text for text, _ in stamped] == ["one", "two", "three"]
    assert [_stamped(line) for line in logs("--timestamps")] == stamped
    assert logs("--since-time", rfc3339nano(stamped[1][1])) == ["two", "three"]
    assert logs("--since", "1h", "--tail", "1") == ["three"]
    assert logs("--since", "1ms") == []
    assert logs("--grep", "^t", "--timestamps") == [f"{rfc3339nano(t)} {text}" for text, t in stamped[1:]]
    assert logs("--since-time", rfc3339nano(stamped[1][1]), "--tail", "1", "--timestamps", step=name) == [
        f"{rfc3339nano(stamped[2][1])} three"]  # one step: no prefix


def test_tail_lines_is_per_pod_as_the_kubelet_tails(server) -> None:
    """Argo asks the kubelet for each pod's log with tailLines: the last N lines of every pod, not of the run."""
    name = create(server.url, steps_wf([("a", "echo a1; echo a2; echo a3"), ("b", "echo b1; echo b2")]))
    wait_phase(server.url, name)
    url = f"{server.url}/api/v1/workflows/default/{name}/log"
    assert _contents(requests.get(url, params={"logOptions.tailLines": 1}, timeout=10)) == ["a3", "b2"]
    assert _contents(requests.get(url, params={"logOptions.tailLines": 2, "grep": "2"}, timeout=10)) == ["a2", "b2"]
    assert _contents(requests.get(url, params={"logOptions.tailLines": 0}, timeout=10)) == []
    local = server.wfexec("logs", name, "--tail", "1").stdout.splitlines()
    assert [line.split(": ", 1)[1] for line in local] == ["a3", "b2"]  # the local CLI tails the same way
