"""Templates and cron workflows under client auth: tokens by namespace and role; the remote CLI sends ARGO_TOKEN."""

from __future__ import annotations

import requests

SPEC = {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "busybox", "command": ["true"]}}]}


def test_object_services_obey_tokens(server_factory, tmp_path) -> None:
    srv = server_factory("--auth-mode", "client")

    def token(ns: str, role: str) -> str:
        return srv.wfexec("server", "token", "create", "--namespace", ns, "--role", role).stdout.strip()

    view, edit, other, admin = token("default", "view"), token("default", "edit"), token("team-b", "edit"), \
        token("*", "admin")

    def call(method: str, path: str, tok: str | None, body: dict | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {tok}"} if tok else {}
        return requests.request(method, srv.url + path, json=body, headers=headers, timeout=30)

    wt = {"template": {"metadata": {"name": "t1"}, "spec": SPEC}}
    assert call("POST", "/api/v1/workflow-templates/default", None, wt).status_code == 401
    assert call("POST", "/api/v1/workflow-templates/default", view, wt).status_code == 403
    assert call("POST", "/api/v1/workflow-templates/default", other, wt).status_code == 403
    assert call("POST", "/api/v1/workflow-templates/default", edit, wt).status_code == 200
    assert call("GET", "/api/v1/workflow-templates/default/t1", view).status_code == 200
    assert call("GET", "/api/v1/workflow-templates/default/t1", other).status_code == 403
    # A cluster-scoped template reaches every namespace: only an admin writes one; anyone may read.
    assert call("POST", "/api/v1/cluster-workflow-templates", edit, wt).status_code == 403
    assert call("POST", "/api/v1/cluster-workflow-templates", admin, wt).status_code == 200
    assert call("GET", "/api/v1/cluster-workflow-templates/t1", view).status_code == 200

    cron = {"cronWorkflow": {"metadata": {"name": "c1"}, "spec": {"schedules": ["0 3 * * *"], "workflowSpec": SPEC}}}
    assert call("POST", "/api/v1/cron-workflows/default", edit, cron).status_code == 200
    assert call("PUT", "/api/v1/cron-workflows/default/c1/suspend", view, {}).status_code == 403
    assert call("PUT", "/api/v1/cron-workflows/default/c1/suspend", edit, {}).status_code == 200
    submit = {"resourceKind": "WorkflowTemplate", "resourceName": "t1"}
    assert call("POST", "/api/v1/workflows/default/submit", view, submit).status_code == 403
    assert call("GET", "/api/v1/archived-workflows?namespace=default", other).status_code == 403

    ok = srv.client(tmp_path / "client", "template", "list", timeout=60, ARGO_TOKEN=f"Bearer {view}")
    assert ok.returncode == 0 and "t1" in ok.stdout, ok.stderr
    bad = srv.client(tmp_path / "client", "cron", "suspend", "c1", timeout=60, ARGO_TOKEN=view)
    assert bad.returncode == 1 and "HTTP 403" in bad.stderr and view not in bad.stderr + bad.stdout
