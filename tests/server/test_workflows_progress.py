"""`status.progress` survives a `fields=` projection that leaves the nodes out (what the runs list asks for)."""

from __future__ import annotations

import json

import pytest
import requests

from tests.server.swagger import check_response
from tests.server.workflows import create, steps_wf, wait_phase

pytestmark = pytest.mark.usefixtures("swagger_checked")

EVENT_FIELDS = "result.type,result.object.metadata.name,result.object.status.phase,result.object.status.progress"
LIST_FIELDS = "items.metadata.name,items.status.phase,items.status.progress,items.spec.entrypoint"


def test_progress_kept_without_nodes(server) -> None:
    name = create(server.url, steps_wf([("a", "true"), ("b", "exit 1")]))
    wait_phase(server.url, name)
    resp = check_response(requests.get(f"{server.url}/api/v1/workflow-events/default", timeout=30, params={
        "fields": EVENT_FIELDS, "listOptions.fieldSelector": f"metadata.name={name}",
        "listOptions.timeoutSeconds": "1"}))
    events = [json.loads(line)["result"] for line in resp.text.splitlines() if line.strip()]
    assert events, resp.text
    status = events[0]["object"]["status"]
    assert status == {"phase": "Failed", "progress": "2/2"}  # no nodes sent, progress counted
    # the list's general path (a member the SQL path does not build) says the same
    items = check_response(requests.get(f"{server.url}/api/v1/workflows/default", timeout=30, params={
        "fields": LIST_FIELDS, "listOptions.fieldSelector": f"metadata.name={name}"})).json()["items"]
    assert items[0]["status"] == {"phase": "Failed", "progress": "2/2"}
