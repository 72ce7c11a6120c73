"""Swagger-driven fuzzing of the workflow operations: never a 5xx, never a traceback, always Argo's
error shape (checked against the swagger) when refused. Bounded in time and deterministic per seed."""

from __future__ import annotations

import pytest

from tests.server.fuzz import Call, Generator, fuzz
from tests.server.swagger import SWAGGER
from tests.server.workflows import container_wf, create, wait_phase

SERVICES = ("WorkflowService_", "InfoService_", "ArtifactService_")
SKIP = ("WorkflowService_WatchWorkflows", "WorkflowService_WatchEvents")  # endless streams; tested elsewhere
BUDGET_SECONDS = 30
MAX_CALLS = 1500


def _no_follow(call: Call) -> None:
    if call.params.get("logOptions.follow") == "true":
        call.params["logOptions.follow"] = "false"  # a follow of a live run would hold the budget


@pytest.mark.timeout(180)
def test_fuzz_workflow_operations(server) -> None:
    done = create(server.url, container_wf("echo fuzz", name="fuzz-"))
    wait_phase(server.url, done)
    gen = Generator(SWAGGER.doc, seed=1729, names=[done])
    ops = gen.operations(SERVICES, SKIP)
    assert len(ops) >= 20
    valid = {"workflow": container_wf("true", name="fz-")}
    seen_status = fuzz(server.url, gen, ops, lambda path: valid, BUDGET_SECONDS, MAX_CALLS, _no_follow)
    calls = sum(seen_status.values())
    print(f"fuzz: {calls} calls, statuses {sorted(seen_status.items())}")
    assert calls >= 200, calls
    assert any(400 <= s < 500 for s in seen_status) and 200 in seen_status, seen_status
