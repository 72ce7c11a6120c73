"""Swagger-driven fuzzing of the workflow operations: never a 5xx, never a traceback, always Argo's
error shape (checked against the swagger) when refused. Bounded in time and deterministic per seed."""

from __future__ import annotations

import time

import pytest
import requests

from tests.server.fuzz import Generator, send_checked
from tests.server.swagger import SWAGGER
from tests.server.workflows import container_wf, create, wait_phase

SERVICES = ("WorkflowService_", "InfoService_", "ArtifactService_")
SKIP = ("WorkflowService_WatchWorkflows", "WorkflowService_WatchEvents")  # endless streams; tested elsewhere
BUDGET_SECONDS = 30
MAX_CALLS = 1500


@pytest.mark.timeout(180)
def test_fuzz_workflow_operations(server) -> None:
    done = create(server.url, container_wf("echo fuzz", name="fuzz-"))
    wait_phase(server.url, done)
    gen = Generator(SWAGGER.doc, seed=1729, names=[done])
    ops = gen.operations(SERVICES, SKIP)
    assert len(ops) >= 20
    valid = {"workflow": container_wf("true", name="fz-")}
    session = requests.Session()
    deadline = time.monotonic() + BUDGET_SECONDS
    calls = 0
    seen_status: dict[int, int] = {}
    while time.monotonic() < deadline and calls < MAX_CALLS:
        for method, path, op in ops:
            call = gen.call(method, path, op, valid)
            if call.params.get("logOptions.follow") == "true":
                call.params["logOptions.follow"] = "false"  # a follow of a live run would hold the budget
            status = send_checked(session, server.url, call)
            calls += 1
            seen_status[status] = seen_status.get(status, 0) + 1
    print(f"fuzz: {calls} calls, statuses {sorted(seen_status.items())}")
    assert calls >= 200, calls
    assert any(400 <= s < 500 for s in seen_status) and 200 in seen_status, seen_status
