"""The template, cron, archive and submit operations, fuzzed with the swagger-driven generator: never a 5xx,
never a traceback, every answer (Argo's error shape when refused) valid against the swagger."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.server.fuzz import Generator
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
    session = requests.Session()
    deadline = time.monotonic() + BUDGET_SECONDS
    calls = 0
    seen: dict[int, int] = {}
    while time.monotonic() < deadline and calls < MAX_CALLS:
        for method, path, op in ops:
            call = gen.call(method, path, op, _valid_body(path))
            kwargs = {} if call.body is None else {"data": json.dumps(call.body),
                                                   "headers": {"content-type": "application/json"}}
            resp = session.request(method, server.url + call.path, params=call.params, timeout=30, **kwargs)
            calls += 1
            seen[resp.status_code] = seen.get(resp.status_code, 0) + 1
            where = f"{method} {call.path} {call.params} {str(call.body)[:300]}"
            assert resp.status_code < 500, f"{where} -> {resp.status_code} {resp.text[:500]}"
            assert "Traceback" not in resp.text and 'File "' not in resp.text, f"{where} -> {resp.text[:500]}"
            if resp.status_code >= 400:
                assert resp.json().get("message"), where
            sent = resp.request.url  # `..` in a generated name is resolved before sending: check what was asked
            if SWAGGER.operation(method, sent) is None:
                continue
            try:
                SWAGGER.check(method, sent, resp.status_code, resp.content)
            except AssertionError as exc:
                raise AssertionError(f"{where}: {exc}") from None
    assert calls >= 200, calls
    assert 200 in seen and any(400 <= s < 500 for s in seen), seen
