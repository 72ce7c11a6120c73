"""hera 7.1.0, unchanged, against `wfexec server` (`global_config.host`), with server and client auth."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hera.exceptions import Unauthorized
from hera.shared import global_config
from hera.workflows import Container, Steps, Workflow, WorkflowsService
from hera.workflows.models import (
    WorkflowLintRequest,
    WorkflowRetryRequest,
    WorkflowStopRequest,
)

from tests.server.workflows import wait_node, wait_phase

pytestmark = pytest.mark.usefixtures("swagger_checked")


@pytest.fixture
def hera_host(server) -> Iterator[str]:
    global_config.host = server.url
    global_config.token = None
    yield server.url
    global_config.reset()


def _past_pending(url: str, name: str, token: str | None = None) -> None:
    """hera's wait() polls only while the phase is Running and returns at once on Pending (on a real Argo
    Server too, where a new workflow's phase is empty at first); on a loaded machine our engine may take
    more than wait()'s first sleep to start, so let the run leave Pending before handing it to wait()."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + 60
    while requests.get(f"{url}/api/v1/workflows/default/{name}", headers=headers, timeout=10).json()[
            "status"]["phase"] == "Pending":
        assert time.monotonic() < deadline, f"{name} stayed Pending"
        time.sleep(0.05)


def _hello(name: str = "hera-hello-", labels: dict[str, str] | None = None, script: str = "echo hello") -> Workflow:
    with Workflow(generate_name=name, entrypoint="main", namespace="default", labels=labels or {}) as w:
        c = Container(name="say", image="busybox", command=["sh", "-c", script])
        with Steps(name="main"):
            c(name="hello")
    return w


def test_create_wait_get_list_lint_delete(hera_host: str) -> None:
    w = _hello(labels={"from": "hera"})
    created = w.create()
    assert created.metadata.name and created.metadata.name.startswith("hera-hello-")
    w.name = created.metadata.name
    w.generate_name = None
    _past_pending(hera_host, w.name)
    done = w.wait(poll_interval=2)
    assert done.status.phase == "Succeeded"
    svc = WorkflowsService(host=hera_host, namespace="default")
    got = svc.get_workflow(created.metadata.name)
    hello = next(n for n in got.status.nodes.values() if n.display_name == "hello")
    assert hello.phase == "Succeeded" and hello.outputs.result == "hello"
    listed = svc.list_workflows(label_selector="from=hera")
    assert [i.metadata.name for i in listed.items] == [created.metadata.name]
    assert svc.list_workflows(label_selector="from=elsewhere").items in ([], None)
    linted = svc.lint_workflow(WorkflowLintRequest(workflow=_hello().build()))
    assert linted.metadata.generate_name == "hera-hello-"
    svc.delete_workflow(created.metadata.name)
    assert not svc.list_workflows(label_selector="from=hera").items


def test_stop_and_retry(hera_host: str, server) -> None:
    svc = WorkflowsService(host=hera_host, namespace="default")
    slow = _hello("hera-slow-", script="sleep 30").create()
    wait_node(server.url, slow.metadata.name, "hello", "Running")
    stopped = svc.stop_workflow(slow.metadata.name, WorkflowStopRequest(name=slow.metadata.name,
                                                                      namespace="default"))
    assert stopped.metadata.name == slow.metadata.name
    assert wait_phase(server.url, slow.metadata.name)["status"]["phase"] == "Failed"
    retried = svc.retry_workflow(slow.metadata.name, WorkflowRetryRequest(name=slow.metadata.name,
                                                                        namespace="default"))
    assert retried.status.phase == "Running"
    wait_node(server.url, slow.metadata.name, "hello", "Running")
    svc.stop_workflow(slow.metadata.name, WorkflowStopRequest())
    assert wait_phase(server.url, slow.metadata.name)["status"]["phase"] == "Failed"


def test_logs_what_hera_can_read(hera_host: str, server) -> None:
    """Argo Server streams logs as newline-delimited `{"result": LogEntry}` objects (grpc-gateway), and
    hera's `pod_logs`/`workflow_logs` parse the body as one JSON object into a LogEntry. So against a real
    Argo Server too: a log of one line parses, but as the envelope (`result`), leaving `content` empty,
    and a log of two or more lines is not one JSON document and raises. The stream itself is read line by
    line by a plain client in test_streams_api.py; here we pin what hera gets."""
    one = _hello("hera-one-", script="echo only").create()
    two = _hello("hera-two-", script="echo a; echo b").create()
    for w in (one, two):
        assert wait_phase(server.url, w.metadata.name)["status"]["phase"] == "Succeeded"
    svc = WorkflowsService(host=hera_host, namespace="default")
    entry = svc.workflow_logs(one.metadata.name, container="main")
    assert entry.content is None  # the line sits under `result`, which LogEntry does not have
    nodes: dict[str, Any] = svc.get_workflow(one.metadata.name).status.nodes
    pod = next(n for n in nodes.values() if n.type == "Pod")
    pod_name = f"{one.metadata.name}-say-{pod.id.rsplit('-', 1)[1]}"
    assert svc.pod_logs(one.metadata.name, pod_name, container="main").content is None
    with pytest.raises(ValueError):  # requests' JSONDecodeError: "Extra data", as from Argo
        svc.workflow_logs(two.metadata.name, container="main")


def test_client_auth_token_and_401(server_factory) -> None:
    srv = server_factory("--auth-mode", "client")
    token = srv.wfexec("server", "token", "create", "--namespace", "default", "--role", "edit").stdout.strip()
    global_config.host = srv.url
    try:
        global_config.token = None
        with pytest.raises(Unauthorized):
            WorkflowsService(host=srv.url, namespace="default").list_workflows()
        global_config.token = token
        w = _hello("hera-auth-")
        created = w.create()
        w.name, w.generate_name = created.metadata.name, None
        _past_pending(srv.url, w.name, token)
        assert w.wait(poll_interval=2).status.phase == "Succeeded"
        svc = WorkflowsService(host=srv.url, namespace="default", token=token)
        assert [i.metadata.name for i in svc.list_workflows().items] == [created.metadata.name]
        svc.delete_workflow(created.metadata.name)
    finally:
        global_config.reset()
    assert token not in (srv.home / "server.log").read_text()
