"""WorkflowService.SubmitWorkflow: a run from a stored WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow.

`submitOptions` works as in Argo: `name`/`generateName` name the run, `entryPoint` overrides the
entrypoint, `parameters` are `NAME=VALUE` strings, `labels`/`annotations` are `k=v,k2=v2`, and
`serverDryRun` answers the Workflow without creating it.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from wfexec.engine.submit_from import parse_kind, workflow_from_object
from wfexec.errors import SpecError
from wfexec.server.api.stored import body_of, objects_of
from wfexec.server.auth import authorize
from wfexec.server.http import (
    bad_request,
    body_bool,
    body_name_values,
    body_object,
    body_str,
    json_response,
)


def _pairs(text: str | None, field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        if "=" not in item:
            raise bad_request(f"body.submitOptions.{field}: {item!r} is not KEY=VALUE")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def apply_submit_options(wf: dict[str, Any], opts: dict[str, Any]) -> dict[str, str]:
    """Apply `submitOptions` to `wf` in place; the parameters, which the run takes separately."""
    meta = wf.setdefault("metadata", {})
    name, gen = body_str(opts, "name"), body_str(opts, "generateName")
    if name:
        meta["name"] = name
        meta.pop("generateName", None)
    elif gen:
        meta["generateName"] = gen
    labels = _pairs(body_str(opts, "labels"), "labels")
    if labels:
        meta["labels"] = {**(meta.get("labels") or {}), **labels}
    annotations = _pairs(body_str(opts, "annotations"), "annotations")
    if annotations:
        meta["annotations"] = {**(meta.get("annotations") or {}), **annotations}
    entry = body_str(opts, "entryPoint")
    if entry:
        wf.setdefault("spec", {})["entrypoint"] = entry
    return body_name_values(opts, "parameters", "body.submitOptions")


async def submit(request: Request) -> Response:
    ns = request.path_params["namespace"]
    authorize(request, ns, "edit")
    body = await body_of(request)
    kind = body_str(body, "resourceKind") or ""
    name = body_str(body, "resourceName")
    if not name:
        raise bad_request("body.resourceName: required, the name of the template or cron workflow")
    try:
        kind = parse_kind(kind, "body.resourceKind")
    except SpecError as exc:
        raise bad_request(f"body.resourceKind: {exc.detail}") from None
    opts = body_object(body, "submitOptions", required=False) or {}
    dry = body_bool(opts, "serverDryRun") or body_bool(opts, "dryRun")
    objects = objects_of(request)

    def create() -> dict[str, Any]:
        from wfexec.engine.workflow_arguments import apply_parameters
        from wfexec.server import run_view as V
        from wfexec.server.workflow_intake import checked_workflow, start_run

        obj = objects.get(kind, ns, name)
        wf = workflow_from_object(obj)
        wf["metadata"]["namespace"] = ns
        apply_parameters(wf.setdefault("spec", {}), apply_submit_options(wf, opts))
        # as Argo validates a submitted Workflow: an entryPoint the template lacks is a 400, not a failed run
        wf = checked_workflow(wf, ns, store=request.app.state.store)
        if dry:
            return wf
        rec = start_run(request.app.state.store, wf)
        row = V.get_row(request.app.state.store, rec.namespace, rec.name)
        assert row is not None  # just created
        return V.as_workflow(row, {})

    return json_response(await run_in_threadpool(create))


routes: list[BaseRoute] = [Route("/api/v1/workflows/{namespace}/submit", submit, methods=["POST"])]
