"""The template, cron, archive and submit operations, fuzzed with the swagger-driven generator: never a 5xx,
never a traceback, every answer (Argo's error shape when refused) valid against the swagger."""

from __future__ import annotations

import pytest
import requests

from tests.server.fuzz import Generator, fuzz
from tests.server.swagger import SWAGGER

SERVICES = ("WorkflowTemplateService_", "ClusterWorkflowTemplateService_", "CronWorkflowService_",
            "ArchivedWorkflowService_", "WorkflowService_SubmitWorkflow")
BUDGET_SECONDS = 40
MAX_CALLS = 1200

SPEC = {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "busybox", "command": ["true"]}}]}
TEMPLATE = {"metadata": {"name": "greet", "labels": {"team": "a"}}, "spec": SPEC}
CRON = {"metadata": {"name": "nightly"}, "spec": {"schedules": ["0 3 * * *"], "suspend": True, "workflowSpec": SPEC}}


def _valid_body(path: str) -> dict:
    if "cron-workflows" in path:
        return {"cronWorkflow": CRON}
    if path.endswith("/submit"):
        return {"resourceKind": "WorkflowTemplate", "resourceName": "greet"}
    return {"template": TEMPLATE}


@pytest.mark.timeout(180)
def test_fuzz_object_operations(server) -> None:
    for path, body in (("/api/v1/workflow-templates/default", {"template": TEMPLATE}),
                       ("/api/v1/cluster-workflow-templates", {"template": TEMPLATE}),
                       ("/api/v1/cron-workflows/default", {"cronWorkflow": CRON})):
        r = requests.post(server.url + path, json=body, timeout=30)
        assert r.status_code == 200, r.text
    gen = Generator(SWAGGER.doc, seed=4242, names=["greet", "nightly"])
    ops = gen.operations(SERVICES)
    assert len(ops) >= 25  # every operation of the five services
    seen = fuzz(server.url, gen, ops, _valid_body, BUDGET_SECONDS, MAX_CALLS)
    calls = sum(seen.values())
    assert calls >= 200, calls
    assert 200 in seen and any(400 <= s < 500 for s in seen), seen
