"""The projected list built in SQL (server/fast_list.py) says the same as the general path."""

from __future__ import annotations

import pytest
import requests

from tests.server.swagger import check_response
from tests.server.workflows import container_wf, create, wait_phase

pytestmark = pytest.mark.usefixtures("swagger_checked")

UI_FIELDS = ("metadata,items.metadata.uid,items.metadata.name,items.metadata.namespace,"
             "items.metadata.creationTimestamp,items.metadata.labels,items.metadata.annotations,items.status.phase,"
             "items.status.message,items.status.finishedAt,items.status.startedAt,items.status.estimatedDuration,"
             "items.status.progress,items.spec.suspend")


def _without_entrypoint(doc: dict) -> dict:
    for item in doc["items"]:
        item["spec"].pop("entrypoint", None)
    return doc


def test_fast_and_general_projection_agree(server) -> None:
    ok = container_wf("echo hi", labels={"app": "x"})
    ok["metadata"]["annotations"] = {"note": "a b"}
    names = [create(server.url, ok), create(server.url, container_wf("exit 3", name="bad-"))]
    for n in names:
        wait_phase(server.url, n)
    base = f"{server.url}/api/v1/workflows/default"
    for params in ({}, {"listOptions.labelSelector": "app=x"}, {"listOptions.limit": "1"},
                   {"listOptions.fieldSelector": f"metadata.name={names[1]}"}):
        fast = check_response(requests.get(base, params={**params, "fields": UI_FIELDS}, timeout=10)).json()
        # one member the fast path does not do sends the same request the general way
        general = check_response(requests.get(base, params={**params, "fields": UI_FIELDS + ",items.spec.entrypoint"},
                                              timeout=10)).json()
        assert fast == _without_entrypoint(general), params
    listed = check_response(requests.get(base, params={"fields": UI_FIELDS}, timeout=10)).json()
    by_name = {i["metadata"]["name"]: i for i in listed["items"]}
    assert by_name[names[0]]["metadata"]["annotations"] == {"note": "a b"}
    assert by_name[names[0]]["status"]["progress"] == "1/1"
    # a pod that ended counts, in any phase (engine.status.progress)
    assert by_name[names[1]]["status"]["phase"] == "Failed" and by_name[names[1]]["status"]["progress"] == "1/1"
    assert by_name[names[0]]["metadata"]["labels"]["workflows.argoproj.io/completed"] == "true"


def test_cached_lists_follow_every_change(server) -> None:
    base = f"{server.url}/api/v1/workflows/default"
    params = {"fields": UI_FIELDS, "listOptions.labelSelector": "cache=probe"}

    def listed() -> dict[str, str]:
        items = check_response(requests.get(base, params=params, timeout=10)).json()["items"]
        return {i["metadata"]["name"]: i["status"]["phase"] for i in items}

    assert listed() == {} and listed() == {}  # the second answer may come from the cache
    name = create(server.url, container_wf("echo hi", labels={"cache": "probe"}))
    assert name in listed()  # a create is a write: no cached answer survives it
    wait_phase(server.url, name)
    assert listed()[name] == "Succeeded"
    requests.delete(f"{base}/{name}", timeout=30)
    assert listed() == {}
