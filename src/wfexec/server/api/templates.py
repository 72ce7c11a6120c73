"""WorkflowTemplateService and ClusterWorkflowTemplateService: create, get, list, update, delete, lint.

Paths and bodies are Argo Server's; the templates are stored objects (`engine/objects.py`), the same
ones `wfexec template` shows and `templateRef` resolves against.
"""

from __future__ import annotations

import fnmatch

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from wfexec.engine.objects import CLUSTER_WORKFLOW_TEMPLATE, WORKFLOW_TEMPLATE, ObjectStore
from wfexec.server.api.stored import (
    body_of,
    delete_response,
    get_response,
    lint_object,
    list_body,
    list_in_all_namespaces,
    listed,
    objects_of,
    store_object,
    with_kind,
)
from wfexec.server.auth import authorize
from wfexec.server.http import body_object, json_response

WT_BASE = "/api/v1/workflow-templates/{namespace}"
CWT_BASE = "/api/v1/cluster-workflow-templates"


def _scope(request: Request) -> tuple[str, str]:
    """(kind, namespace) of the request: a namespaced path is a WorkflowTemplate."""
    ns = request.path_params.get("namespace")
    return (WORKFLOW_TEMPLATE, ns) if ns is not None else (CLUSTER_WORKFLOW_TEMPLATE, "")


def _writer(request: Request, kind: str, ns: str) -> None:
    # A cluster-scoped object touches every namespace: only an admin may write one.
    authorize(request, None, "admin") if kind == CLUSTER_WORKFLOW_TEMPLATE else authorize(request, ns, "edit")


def _reader(request: Request, kind: str, ns: str) -> None:
    authorize(request, None if kind == CLUSTER_WORKFLOW_TEMPLATE else ns, "view")


async def _template_in(request: Request, kind: str, ns: str) -> dict:
    body = await body_of(request)
    doc = with_kind(body_object(body, "template"), kind, "body.template")
    if kind == WORKFLOW_TEMPLATE:
        doc["metadata"] = {**(doc.get("metadata") or {}), "namespace": ns}
    return doc


def _lint_and_store(objects: ObjectStore, doc: dict, ns: str, name: str | None) -> dict:
    """Lint, then create the template (`name` None) or replace the one stored as `name`."""
    lint_object(objects, doc, ns, "body.template")
    return store_object(objects, doc, ns, name, "body.template")


async def create(request: Request) -> Response:
    kind, ns = _scope(request)
    _writer(request, kind, ns)
    doc = await _template_in(request, kind, ns)
    return json_response(await run_in_threadpool(_lint_and_store, objects_of(request), doc, ns, None))


async def lint(request: Request) -> Response:
    kind, ns = _scope(request)
    _reader(request, kind, ns)
    doc = await _template_in(request, kind, ns)
    await run_in_threadpool(lint_object, objects_of(request), doc, ns, "body.template")
    return json_response(doc)


async def get(request: Request) -> Response:
    kind, ns = _scope(request)
    _reader(request, kind, ns)
    return await get_response(request, kind, ns)


async def list_(request: Request) -> Response:
    kind, ns = _scope(request)
    _reader(request, kind, ns)
    objs = await listed(request, kind, ns)
    pattern = request.query_params.get("namePattern")
    if pattern:
        objs = [o for o in objs if pattern in o.name or fnmatch.fnmatchcase(o.name, pattern)]
    return json_response(list_body(request, objs))


async def list_all_namespaces(request: Request) -> Response:
    """`/api/v1/workflow-templates/`: every namespace the caller may read."""
    return await list_in_all_namespaces(request, WORKFLOW_TEMPLATE)


async def update(request: Request) -> Response:
    kind, ns = _scope(request)
    _writer(request, kind, ns)
    doc = await _template_in(request, kind, ns)
    name = request.path_params["name"]
    return json_response(await run_in_threadpool(_lint_and_store, objects_of(request), doc, ns, name))


async def delete(request: Request) -> Response:
    kind, ns = _scope(request)
    _writer(request, kind, ns)
    return await delete_response(request, kind, ns)


routes: list[BaseRoute] = [
    Route("/api/v1/workflow-templates/", list_all_namespaces, methods=["GET"]),
    *(r for base in (WT_BASE, CWT_BASE) for r in (
        Route(base, list_, methods=["GET"]),
        Route(base, create, methods=["POST"]),
        Route(base + "/lint", lint, methods=["POST"]),
        Route(base + "/{name}", get, methods=["GET"]),
        Route(base + "/{name}", update, methods=["PUT"]),
        Route(base + "/{name}", delete, methods=["DELETE"]),
    )),
]
