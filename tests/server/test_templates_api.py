"""Stored templates, cron workflows, submit-from and the archive, through a real `wfexec server`.

hera 7.1.0 is used unchanged against the server; every response read with plain HTTP is checked
against Argo's swagger for its operation.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from hera.shared import global_config
from hera.workflows import Container, CronWorkflow, Parameter, Step, Steps, Workflow, WorkflowTemplate
from hera.workflows.models import SubmitOpts, TemplateRef, WorkflowSubmitRequest, WorkflowTemplateRef
from hera.workflows.service import WorkflowsService

from tests.server.swagger import check_response

NS = "default"


@pytest.fixture(scope="module")
def url(server) -> str:
    global_config.host = server.url
    global_config.verify_ssl = False
    return server.url


def call(method: str, url: str, path: str, status: int = 200, **kw: Any) -> Any:
    """One request; its status is `status` and its body fits the swagger (errors: Argo's error shape)."""
    r = requests.request(method, url + path, timeout=30, **kw)
    assert r.status_code == status, r.text
    assert "Traceback" not in r.text
    check_response(r)
    return r.json()


def wait_phase(url: str, name: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        phase = call("GET", url, f"/api/v1/workflows/{NS}/{name}").get("status", {}).get("phase")
        if phase not in (None, "", "Pending", "Running"):
            return phase
        time.sleep(0.2)
    raise AssertionError(f"{name} did not end within {timeout} s")


def greet_template(name: str = "greet") -> WorkflowTemplate:
    with WorkflowTemplate(name=name, namespace=NS, entrypoint="say", labels={"team": "blue"},
                          arguments={"msg": "default"}) as wt:
        Container(name="say", image="busybox", command=["sh", "-c"], args=["echo {{inputs.parameters.msg}}"],
                  inputs=[Parameter(name="msg")])
    return wt


def test_hera_workflow_template_then_template_ref_succeeds(url: str) -> None:
    created = greet_template().create()
    assert created.metadata.resource_version == "1" and created.metadata.uid
    with Workflow(generate_name="use-ref-", namespace=NS, entrypoint="main") as w:
        with Steps(name="main"):
            Step(name="hello", template_ref=TemplateRef(name="greet", template="say"),
                 arguments={"msg": "from-ref"})
    made = w.create()
    # hera's wait() stops at a Pending phase, which a loaded machine can show; poll until the run ends.
    assert wait_phase(url, made.metadata.name) == "Succeeded"
    logs = requests.get(f"{url}/api/v1/workflows/{NS}/{made.metadata.name}/log",
                        params={"logOptions.container": "main"}, timeout=30)
    assert "from-ref" in logs.text

    svc = WorkflowsService(host=url, verify_ssl=False)
    assert [t.metadata.name for t in svc.list_workflow_templates(NS, label_selector="team=blue").items] == ["greet"]
    assert svc.list_workflow_templates(NS, label_selector="team in (red)").items in (None, [])
    submitted = svc.submit_workflow(WorkflowSubmitRequest(
        namespace=NS, resource_kind="WorkflowTemplate", resource_name="greet",
        submit_options=SubmitOpts(parameters=["msg=via-hera-submit"], generate_name="hera-sub-")), namespace=NS)
    assert submitted.metadata.name.startswith("hera-sub-")
    assert wait_phase(url, submitted.metadata.name) == "Succeeded"
    body = call("GET", url, f"/api/v1/workflow-templates/{NS}/greet")
    assert body["spec"]["templates"][0]["name"] == "say"
    call("GET", url, f"/api/v1/workflow-templates/{NS}")


def test_update_conflict_lint_and_delete(url: str) -> None:
    tmpl = greet_template("upd").to_dict()
    call("POST", url, f"/api/v1/workflow-templates/{NS}",
         json={"template": tmpl})
    again = call("POST", url, f"/api/v1/workflow-templates/{NS}", status=409, json={"template": tmpl})
    assert again["code"] == 6 and "already exists" in again["message"]

    current = call("GET", url, f"/api/v1/workflow-templates/{NS}/upd")
    current["metadata"]["labels"] = {"team": "green"}
    updated = call("PUT", url, f"/api/v1/workflow-templates/{NS}/upd", json={"template": current})
    assert updated["metadata"]["resourceVersion"] == "2" and updated["metadata"]["labels"] == {"team": "green"}
    stale = call("PUT", url, f"/api/v1/workflow-templates/{NS}/upd", status=409, json={"template": current})
    assert stale["code"] == 10 and "resourceVersion" in stale["message"]

    bad = {"metadata": {"name": "bad"}, "spec": {"templates": [{"name": "x", "container": {"image": 7}}]}}
    err = call("POST", url, f"/api/v1/workflow-templates/{NS}/lint", status=400, json={"template": bad})
    assert "body.template.spec.templates[0].container.image" in err["message"]
    err = call("POST", url, f"/api/v1/workflow-templates/{NS}", status=400, json={"template": {"spec": {}}})
    assert "metadata.name" in err["message"]
    err = call("GET", url, f"/api/v1/workflow-templates/{NS}?listOptions.labelSelector=a%20in", status=400)
    assert "labelSelector" in err["message"]

    call("DELETE", url, f"/api/v1/workflow-templates/{NS}/upd")
    gone = call("GET", url, f"/api/v1/workflow-templates/{NS}/upd", status=404)
    assert gone["code"] == 5


def test_template_and_cron_lists_page_by_limit_and_continue(url: str) -> None:
    for i in range(3):
        greet_template(f"paged-{i}").create()
    every = {i["metadata"]["name"] for i in call("GET", url, f"/api/v1/workflow-templates/{NS}")["items"]}
    seen, token, pages = [], "", 0
    while True:
        page = call("GET", url, f"/api/v1/workflow-templates/{NS}",
                    params={"listOptions.limit": 2, "listOptions.continue": token})
        assert len(page["items"]) <= 2
        seen += [i["metadata"]["name"] for i in page["items"]]
        pages += 1
        token = page["metadata"].get("continue", "")
        if not token:
            break
        assert page["metadata"]["remainingItemCount"] == len(every) - len(seen)
    assert sorted(seen) == sorted(every) and pages == (len(every) + 1) // 2
    crons = call("GET", url, f"/api/v1/cron-workflows/{NS}", params={"listOptions.limit": 1})
    assert len(crons["items"] or []) <= 1
    bad = call("GET", url, f"/api/v1/workflow-templates/{NS}", status=400, params={"listOptions.continue": "x!"})
    assert "continue" in bad["message"]


def test_cluster_template_and_submit_from(url: str) -> None:
    cwt = greet_template("shared").to_dict()
    cwt["kind"] = "ClusterWorkflowTemplate"
    cwt["metadata"].pop("namespace", None)
    made = call("POST", url, "/api/v1/cluster-workflow-templates", json={"template": cwt})
    assert "namespace" not in made["metadata"]
    listed = call("GET", url, "/api/v1/cluster-workflow-templates")
    assert [t["metadata"]["name"] for t in listed["items"]] == ["shared"]

    # A Workflow by workflowTemplateRef to the cluster template, created through the API.
    with Workflow(generate_name="by-cwt-", namespace=NS,
                  workflow_template_ref=WorkflowTemplateRef(name="shared", cluster_scope=True),
                  arguments={"msg": "cluster"}) as w:
        pass
    assert wait_phase(url, w.create().metadata.name) == "Succeeded"

    sub = call("POST", url, f"/api/v1/workflows/{NS}/submit",
               json={"resourceKind": "ClusterWorkflowTemplate", "resourceName": "shared",
                     "submitOptions": {"parameters": ["msg=submitted"], "labels": "via=submit"}})
    labels = sub["metadata"]["labels"]
    assert labels["workflows.argoproj.io/cluster-workflow-template"] == "shared" and labels["via"] == "submit"
    assert wait_phase(url, sub["metadata"]["name"]) == "Succeeded"
    logs = requests.get(f"{url}/api/v1/workflows/{NS}/{sub['metadata']['name']}/log",
                        params={"logOptions.container": "main"}, timeout=30)
    assert "submitted" in logs.text

    missing = call("POST", url, f"/api/v1/workflows/{NS}/submit", status=404,
                   json={"resourceKind": "WorkflowTemplate", "resourceName": "nope"})
    assert "nope" in missing["message"]
    bad = call("POST", url, f"/api/v1/workflows/{NS}/submit", status=400,
               json={"resourceKind": "ClusterWorkflowTemplate", "resourceName": "shared",
                     "submitOptions": {"name": "../../sub"}})
    assert "metadata.name" in bad["message"]  # a run's name is its directory's: never a path
    call("DELETE", url, "/api/v1/cluster-workflow-templates/shared")


def test_hera_cron_workflow_crud_suspend_and_submit(url: str) -> None:
    with CronWorkflow(name="nightly", namespace=NS, schedules=["0 3 * * *"], timezone="Europe/Paris",
                      concurrency_policy="Forbid", entrypoint="main", labels={"kind": "cron"}) as cw:
        Container(name="main", image="busybox", command=["sh", "-c", "echo cron-ran"])
    made = cw.create()
    assert made.spec.schedules == ["0 3 * * *"]
    got = call("GET", url, f"/api/v1/cron-workflows/{NS}/nightly")
    assert got["spec"]["timezone"] == "Europe/Paris"
    listed = call("GET", url, f"/api/v1/cron-workflows/{NS}?listOptions.labelSelector=kind%3Dcron")
    assert [c["metadata"]["name"] for c in listed["items"]] == ["nightly"]
    sus = call("PUT", url, f"/api/v1/cron-workflows/{NS}/nightly/suspend", json={})
    assert sus["spec"]["suspend"] is True
    res = call("PUT", url, f"/api/v1/cron-workflows/{NS}/nightly/resume", json={})
    assert res["spec"]["suspend"] is False

    bad = dict(got, spec={**got["spec"], "schedules": ["not a schedule"]})
    err = call("PUT", url, f"/api/v1/cron-workflows/{NS}/nightly", status=400, json={"cronWorkflow": bad})
    assert "schedules[0]" in err["message"]
    bad = dict(got, spec={**got["spec"], "timezone": "Mars/Olympus"})
    err = call("POST", url, f"/api/v1/cron-workflows/{NS}/lint", status=400, json={"cronWorkflow": bad})
    assert "timezone" in err["message"]

    sub = call("POST", url, f"/api/v1/workflows/{NS}/submit", json={"resourceKind": "cronwf",
                                                                    "resourceName": "nightly"})
    assert sub["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"] == "nightly"
    assert wait_phase(url, sub["metadata"]["name"]) == "Succeeded"
    call("DELETE", url, f"/api/v1/cron-workflows/{NS}/nightly")
    call("GET", url, f"/api/v1/cron-workflows/{NS}/nightly", status=404)


def test_archived_workflows(url: str) -> None:
    with Workflow(generate_name="arch-", namespace=NS, entrypoint="main", labels={"arch": "yes"}) as w:
        Container(name="main", image="busybox", command=["sh", "-c", "exit 3"])
    name = w.create().metadata.name
    assert wait_phase(url, name) == "Failed"
    listed = call("GET", url, "/api/v1/archived-workflows?listOptions.labelSelector=arch%3Dyes")
    assert [i["metadata"]["name"] for i in listed["items"]] == [name]
    uid = listed["items"][0]["metadata"]["uid"]
    one = call("GET", url, f"/api/v1/archived-workflows/{uid}")
    assert one["status"]["phase"] == "Failed" and one["status"]["nodes"]
    keys = call("GET", url, "/api/v1/archived-workflows-label-keys")
    assert "arch" in keys["items"]

    again = call("PUT", url, f"/api/v1/archived-workflows/{uid}/resubmit", json={})
    assert again["metadata"]["name"] != name
    assert wait_phase(url, again["metadata"]["name"]) == "Failed"
    retried = call("PUT", url, f"/api/v1/archived-workflows/{uid}/retry",
                   json={})
    assert retried["metadata"]["name"] == name
    assert wait_phase(url, name) == "Failed"

    call("DELETE", url, f"/api/v1/archived-workflows/{uid}")
    call("GET", url, f"/api/v1/archived-workflows/{uid}", status=404)
    call("GET", url, f"/api/v1/workflows/{NS}/{name}", status=404)


def test_refs_to_stored_templates_are_checked_when_a_workflow_is_created(url: str) -> None:
    """Argo validates a Workflow against the stored templates before it creates it: a missing template, a
    template or an entrypoint the template lacks is a 400 naming the field, and no run is made."""
    greet_template("checked").create()
    base = f"/api/v1/workflows/{NS}"
    before = {i["metadata"]["name"] for i in call("GET", url, base)["items"] or []}

    def steps(ref: dict[str, str]) -> dict[str, Any]:
        return {"metadata": {"generateName": "refs-"}, "spec": {"entrypoint": "s", "templates": [
            {"name": "s", "steps": [[{"name": "a", "templateRef": ref,
                                      "arguments": {"parameters": [{"name": "msg", "value": "x"}]}}]]}]}}

    cases = [
        (steps({"name": "no-such-template", "template": "say"}), "templateRef.name"),
        (steps({"name": "checked", "template": "nope"}), "templateRef.template"),
        ({"metadata": {"generateName": "refs-"}, "spec": {"entrypoint": "nope", "workflowTemplateRef": {
            "name": "checked"}}}, "spec.entrypoint"),
        ({"metadata": {"generateName": "refs-"}, "spec": {"workflowTemplateRef": {"name": "no-such-template"}}},
         "workflowTemplateRef.name"),
    ]
    for wf, field in cases:
        assert field in call("POST", url, base, status=400, json={"workflow": wf})["message"]
    bad_entry = call("POST", url, f"{base}/submit", status=400, json={
        "resourceKind": "WorkflowTemplate", "resourceName": "checked", "submitOptions": {"entryPoint": "nope"}})
    assert "spec.entrypoint" in bad_entry["message"]
    assert {i["metadata"]["name"] for i in call("GET", url, base)["items"] or []} == before
    good = call("POST", url, base, json={"workflow": steps({"name": "checked", "template": "say"})})
    assert wait_phase(url, good["metadata"]["name"]) == "Succeeded"
