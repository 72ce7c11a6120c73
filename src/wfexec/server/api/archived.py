"""ArchivedWorkflowService: the finished runs of the store, by uid, as Argo's workflow archive serves them.

wfexec keeps every run in its store until deleted, so the archive is a view: the runs that have
ended. Retry and resubmit act on the run itself (retry continues it, resubmit makes a new one).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from wfexec.engine.gc import delete_run
from wfexec.server import run_view as V
from wfexec.server.api.stored import body_of, selector_of
from wfexec.server.auth import authorize
from wfexec.server.http import (
    FAILED_PRECONDITION,
    ApiError,
    bad_request,
    body_bool,
    body_name_values,
    body_str,
    json_response,
    not_found,
    query_int,
    query_str,
)
from wfexec.server.listing import NAME_FILTERS, decode_continue, encode_continue, name_matches

BASE = "/api/v1/archived-workflows"
def _finished(request: Request, uid: str, role: str) -> V.RunRow:
    """The ended run with this uid, if the caller may act on its namespace."""
    row = V.get_row_by_uid(request.app.state.store, uid)
    if row is None or row.phase in V.ACTIVE:
        authorize(request, query_str(request, "namespace") or None, "view")
        raise not_found(f"archived workflow {uid!r} not found")
    authorize(request, row.namespace, role)
    return row


async def list_archived(request: Request) -> Response:
    namespace = query_str(request, "namespace") or None
    who = authorize(request, namespace, "view")
    if namespace is None and who.namespace != "*":
        namespace = who.namespace
    selector = selector_of(request)
    prefix = query_str(request, "namePrefix")
    how = query_str(request, "nameFilter") or "Exact"
    if how not in NAME_FILTERS:
        raise bad_request(f"query nameFilter: expected one of {', '.join(NAME_FILTERS)}, got {how[:40]!r}")
    limit = query_int(request, "listOptions.limit", 0)
    offset = decode_continue(query_str(request, "listOptions.continue"))
    store = request.app.state.store

    def listing() -> dict[str, Any]:
        rows = [r for r in V.list_rows(store, namespace) if r.phase not in V.ACTIVE]
        if prefix:
            # Argo's archive: namePrefix is matched as nameFilter says (Exact by default).
            rows = [r for r in rows if name_matches(r.name, prefix, how)]
        if selector.requirements:
            rows = [r for r in rows if selector.matches(V.labels_of(r))]
        total = len(rows)
        page = rows[offset:offset + limit] if limit else rows[offset:]
        meta: dict[str, Any] = {}
        if limit and offset + limit < total:
            meta["continue"] = encode_continue(offset + limit)
        return {"metadata": meta, "items": [V.as_workflow(r, None) for r in page]}

    return json_response(await run_in_threadpool(listing))


async def get_archived(request: Request) -> Response:
    def get() -> dict[str, Any]:
        row = _finished(request, request.path_params["uid"], "view")
        return V.as_workflow(row, request.app.state.store.get_nodes(row.name))

    return json_response(await run_in_threadpool(get))


async def delete_archived(request: Request) -> Response:
    def delete() -> None:
        row = _finished(request, request.path_params["uid"], "edit")
        delete_run(request.app.state.store, row.name)  # its OnWorkflowDeletion artifacts, pods, directory, rows

    await run_in_threadpool(delete)
    return json_response({})


async def retry_archived(request: Request) -> Response:
    body = await body_of(request)
    restart = body_bool(body, "restartSuccessful")
    selector = body_str(body, "nodeFieldSelector")
    params = body_name_values(body, "parameters")
    store = request.app.state.store

    def retry() -> dict[str, Any]:
        from wfexec.engine.rerun import NotRetryable, retry_run

        row = _finished(request, request.path_params["uid"], "edit")
        try:
            retry_run(store, row.name, restart_successful=restart, node_selector=selector, parameters=params)
        except NotRetryable as exc:
            raise ApiError(FAILED_PRECONDITION, str(exc)) from None
        fresh = V.get_row(store, row.namespace, row.name)
        assert fresh is not None
        return V.as_workflow(fresh, store.get_nodes(row.name))

    return json_response(await run_in_threadpool(retry))


async def resubmit_archived(request: Request) -> Response:
    body = await body_of(request)
    body_bool(body, "memoized")
    params = body_name_values(body, "parameters")
    store = request.app.state.store

    def resubmit() -> dict[str, Any]:
        from wfexec.engine.rerun import resubmit_run

        row = _finished(request, request.path_params["uid"], "edit")
        new = resubmit_run(store, row.name, params)
        fresh = V.get_row(store, new.namespace, new.name)
        assert fresh is not None
        return V.as_workflow(fresh, {})

    return json_response(await run_in_threadpool(resubmit))


def _label_rows(request: Request) -> list[V.RunRow]:
    namespace = query_str(request, "namespace") or None
    who = authorize(request, namespace, "view")
    if namespace is None and who.namespace != "*":
        namespace = who.namespace
    return [r for r in V.list_rows(request.app.state.store, namespace) if r.phase not in V.ACTIVE]


async def label_keys(request: Request) -> Response:
    def keys() -> list[str]:
        return sorted({k for r in _label_rows(request) for k in V.labels_of(r)})

    return json_response({"items": await run_in_threadpool(keys)})


async def label_values(request: Request) -> Response:
    key = (query_str(request, "listOptions.labelSelector") or "").strip()
    if not key:
        raise bad_request("query listOptions.labelSelector: required, the label key whose values to list")

    def values() -> list[str]:
        return sorted({v for r in _label_rows(request) for k, v in V.labels_of(r).items() if k == key})

    return json_response({"items": await run_in_threadpool(values)})


routes: list[BaseRoute] = [
    Route(BASE, list_archived, methods=["GET"]),
    Route(BASE + "/{uid}", get_archived, methods=["GET"]),
    Route(BASE + "/{uid}", delete_archived, methods=["DELETE"]),
    Route(BASE + "/{uid}/retry", retry_archived, methods=["PUT"]),
    Route(BASE + "/{uid}/resubmit", resubmit_archived, methods=["PUT"]),
    Route("/api/v1/archived-workflows-label-keys", label_keys, methods=["GET"]),
    Route("/api/v1/archived-workflows-label-values", label_values, methods=["GET"]),
]
