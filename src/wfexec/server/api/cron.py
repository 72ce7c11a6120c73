"""CronWorkflowService: create, get, list, update, delete, lint, suspend, resume.

The objects are stored ones; the server's scheduler (`server/cron.py`) fires them and keeps their status.
A CronWorkflow's schedules, time zone and policy are checked when it is written, not when it first fires.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from wfexec.engine.objects import CRON_WORKFLOW
from wfexec.server.api.stored import (
    body_of,
    delete_response,
    get_response,
    lint_object,
    list_body,
    list_in_all_namespaces,
    listed,
    objects_of,
    spec_errors,
    store_object,
    with_kind,
)
from wfexec.server.auth import authorize
from wfexec.server.cron import cron_rules
from wfexec.server.http import body_object, json_response

BASE = "/api/v1/cron-workflows/{namespace}"
WHERE = "body.cronWorkflow"


async def _cron_in(request: Request) -> tuple[str, dict]:
    ns = request.path_params["namespace"]
    authorize(request, ns, "edit")
    body = await body_of(request)
    doc = with_kind(body_object(body, "cronWorkflow"), CRON_WORKFLOW, WHERE)
    doc["metadata"] = {**(doc.get("metadata") or {}), "namespace": ns}
    def check() -> None:
        lint_object(objects_of(request), doc, ns, WHERE)
        with spec_errors(WHERE):
            cron_rules(doc["spec"])

    await run_in_threadpool(check)
    return ns, doc


async def create(request: Request) -> Response:
    ns, doc = await _cron_in(request)
    return json_response(await run_in_threadpool(store_object, objects_of(request), doc, ns, None, WHERE))


async def lint(request: Request) -> Response:
    _, doc = await _cron_in(request)
    return json_response(doc)


async def update(request: Request) -> Response:
    ns, doc = await _cron_in(request)
    name = request.path_params["name"]
    return json_response(await run_in_threadpool(store_object, objects_of(request), doc, ns, name, WHERE))


async def get(request: Request) -> Response:
    ns = request.path_params["namespace"]
    authorize(request, ns, "view")
    return await get_response(request, CRON_WORKFLOW, ns)


async def list_(request: Request) -> Response:
    ns = request.path_params["namespace"]
    authorize(request, ns, "view")
    return json_response(list_body(request, await listed(request, CRON_WORKFLOW, ns)))


async def list_all_namespaces(request: Request) -> Response:
    """`/api/v1/cron-workflows/`: every namespace the caller may read."""
    return await list_in_all_namespaces(request, CRON_WORKFLOW)


async def delete(request: Request) -> Response:
    ns = request.path_params["namespace"]
    authorize(request, ns, "edit")
    return await delete_response(request, CRON_WORKFLOW, ns)


async def _suspend(request: Request, suspend: bool) -> Response:
    ns = request.path_params["namespace"]
    authorize(request, ns, "edit")
    await body_of(request)  # the body repeats the path; read so a malformed one is still a 400
    obj = await run_in_threadpool(objects_of(request).set_suspend, ns, request.path_params["name"], suspend)
    return json_response(obj.manifest())


async def suspend(request: Request) -> Response:
    return await _suspend(request, True)


async def resume(request: Request) -> Response:
    return await _suspend(request, False)


routes: list[BaseRoute] = [
    Route("/api/v1/cron-workflows/", list_all_namespaces, methods=["GET"]),
    Route(BASE, list_, methods=["GET"]),
    Route(BASE, create, methods=["POST"]),
    Route(BASE + "/lint", lint, methods=["POST"]),
    Route(BASE + "/{name}", get, methods=["GET"]),
    Route(BASE + "/{name}", update, methods=["PUT"]),
    Route(BASE + "/{name}", delete, methods=["DELETE"]),
    Route(BASE + "/{name}/suspend", suspend, methods=["PUT"]),
    Route(BASE + "/{name}/resume", resume, methods=["PUT"]),
]
