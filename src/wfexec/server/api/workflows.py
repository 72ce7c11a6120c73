"""WorkflowService: create, get, list, delete, lint, and the run controls (stop … set)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from wfexec.engine import api
from wfexec.engine import nodes as N
from wfexec.engine.gc import end_and_delete
from wfexec.engine.labels import SelectorError, parse_selector
from wfexec.engine.run_control import check_supplied, send, suspend_run, suspended_nodes
from wfexec.engine.store import Store
from wfexec.errors import WfexecError
from wfexec.server import fast_list as FL
from wfexec.server import run_view as V
from wfexec.server.auth import authorize
from wfexec.server.http import (
    ALREADY_EXISTS,
    FAILED_PRECONDITION,
    ApiError,
    bad_request,
    body_bool,
    body_name_values,
    body_object,
    body_str,
    json_response,
    not_found,
    query_bool,
    query_int,
    query_str,
    read_json,
)
from wfexec.server.list_times import split_time_bounds
from wfexec.server.listing import (
    NAME_FILTERS,
    decode_continue,
    encode_continue,
    name_matches,
    parse_field_selector,
    parse_fields,
)
from wfexec.server.workflow_intake import checked_workflow, start_run


def _item_cache(request: Request) -> FL.ItemCache:
    cache = getattr(request.app.state, "item_cache", None)
    if cache is None:
        cache = request.app.state.item_cache = FL.ItemCache(_store(request).path)
    return cache


def _store(request: Request) -> Store:
    return request.app.state.store


def _row(store: Store, namespace: str, name: str) -> V.RunRow:
    row = V.get_row(store, namespace, name)
    if row is None:
        raise not_found(f'workflows.argoproj.io "{name}" not found in namespace {namespace!r}')
    return row


def _workflow(store: Store, row: V.RunRow) -> dict[str, Any]:
    return V.as_workflow(row, store.get_nodes(row.name))


# -- create, lint, get, list, delete -------------------------------------------------------------
async def create_workflow(request: Request) -> Response:
    namespace = request.path_params["namespace"]
    authorize(request, namespace, "edit")
    body = await read_json(request, request.app.state.settings.max_body_bytes)
    store = _store(request)
    wf = await run_in_threadpool(checked_workflow, body_object(body, "workflow") or {}, namespace, store=store)
    dry = body_bool(body, "serverDryRun") or bool((body_object(body, "createOptions", required=False) or {})
                                                   .get("dryRun"))
    if dry:
        return json_response(wf)

    def create() -> dict[str, Any]:
        name = (wf.get("metadata") or {}).get("name")
        if name and store._read("SELECT 1 FROM runs WHERE name=?", (name,)):
            raise ApiError(ALREADY_EXISTS, f'workflows.argoproj.io "{name}" already exists')
        rec = start_run(store, wf)
        return V.as_workflow(_row(store, rec.namespace, rec.name), {})

    return json_response(await run_in_threadpool(create))


async def lint_workflow(request: Request) -> Response:
    namespace = request.path_params["namespace"]
    authorize(request, namespace, "view")
    body = await read_json(request, request.app.state.settings.max_body_bytes)
    wf = await run_in_threadpool(checked_workflow, body_object(body, "workflow") or {}, namespace)
    return json_response(wf)


async def get_workflow(request: Request) -> Response:
    namespace, name = request.path_params["namespace"], request.path_params["name"]
    authorize(request, namespace, "view")
    projection = parse_fields(query_str(request, "fields"))
    uid = query_str(request, "uid")
    store = _store(request)

    def get() -> dict[str, Any]:
        row = _row(store, namespace, name)
        if uid and row.uid != uid:
            raise not_found(f'workflows.argoproj.io "{name}" with uid {uid!r} not found')
        if row.phase in V.ACTIVE:
            api.heal(store, row.record())  # a run whose engine died continues, as the CLI's readers do
        return _workflow(store, row)

    wf = await run_in_threadpool(get)
    return json_response(projection.apply(wf) if projection else wf)


async def list_workflows(request: Request) -> Response:
    namespace = request.path_params.get("namespace") or None
    who = authorize(request, namespace, "view")
    if namespace is None and who.namespace != "*":
        namespace = who.namespace  # all namespaces, as far as this token reaches
    try:
        selector = parse_selector(query_str(request, "listOptions.labelSelector"))
    except SelectorError as exc:
        raise bad_request(f"query listOptions.labelSelector: {exc}") from None
    field_selector, times = split_time_bounds(query_str(request, "listOptions.fieldSelector"),
                                              query_str(request, "createdAfter"), query_str(request, "finishedBefore"))
    terms = parse_field_selector(field_selector)
    bounded = bool(times)
    limit = query_int(request, "listOptions.limit", 0)
    offset = decode_continue(query_str(request, "listOptions.continue"))
    projection = parse_fields(query_str(request, "fields"))
    how = query_str(request, "nameFilter") or "Exact"  # Argo: how `metadata.name=` matches
    if how not in NAME_FILTERS:
        raise bad_request(f"query nameFilter: expected one of {', '.join(NAME_FILTERS)}, got {how[:40]!r}")
    names = [t.value for t in terms if t.key == "metadata.name" and t.equal]
    terms = [t for t in terms if not (t.key == "metadata.name" and t.equal)]
    store = _store(request)

    def keep(name: str, uid: str, ns: str, phase: str, labels: Callable[[], dict[str, str]],
             when: tuple[str | None, str | None, str | None]) -> bool:
        if terms and not all(t.matches({"metadata.name": name, "metadata.namespace": ns, "metadata.uid": uid,
                                        "status.phase": phase}) for t in terms):
            return False
        if names and not all(name_matches(name, pattern, how) for pattern in names):
            return False
        if bounded and not times.matches(*when):
            return False
        return not selector.requirements or selector.matches(labels())

    def page_meta(total: int) -> dict[str, Any]:
        meta: dict[str, Any] = {"resourceVersion": str(total)}
        if limit and offset + limit < total:
            meta["continue"] = encode_continue(offset + limit)
            meta["remainingItemCount"] = total - offset - limit
        return meta

    def window(rows: list[Any]) -> list[Any]:
        return rows[offset:offset + limit] if limit else rows[offset:]

    def fast_listing(fast: FL.FastList) -> str:
        rows = [r for r in _item_cache(request).select(store, fast, namespace)
                if keep(r.name, r.uid, r.namespace, r.phase, lambda r=r: FL.labels_of(r),
                        (r.created_at, r.started_at, r.finished_at))]
        assert projection is not None
        top = projection.apply({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowList",
                                "metadata": page_meta(len(rows))})
        items = "[" + ",".join(r.item_json for r in window(rows)) + "]"
        head = json.dumps(top, separators=(",", ":"))
        return '{"items":' + items + "}" if head == "{}" else head[:-1] + ',"items":' + items + "}"

    def listing() -> dict[str, Any]:
        rows = [r for r in V.list_rows(store, namespace)
                if keep(r.name, r.uid, r.namespace, r.phase, lambda r=r: V.labels_of(r),
                        (r.created_at, r.started_at, r.finished_at))]
        page = window(rows)
        want_nodes = projection is None or any(projection.wants(f"items.status.{k}") for k in ("nodes", "progress"))
        nodes = V.nodes_of(store, [r.name for r in page]) if want_nodes else {}
        items = [V.as_workflow(r, nodes.get(r.name) if want_nodes else None) for r in page]
        out = {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowList", "metadata": page_meta(len(rows)),
               "items": items}
        return projection.apply(out) if projection else out

    fast = FL.plan(projection)
    if fast is not None:
        key = (namespace, request.url.query)
        body = await run_in_threadpool(_item_cache(request).body, key, lambda: fast_listing(fast))
        return Response(body, media_type="application/json")
    return json_response(await run_in_threadpool(listing))


async def delete_workflow(request: Request) -> Response:
    namespace, name = request.path_params["namespace"], request.path_params["name"]
    authorize(request, namespace, "edit")
    query_bool(request, "force")
    dry = bool(request.query_params.getlist("deleteOptions.dryRun"))
    store = _store(request)

    def delete() -> None:
        row = _row(store, namespace, name)
        if dry:
            return
        end_and_delete(store, row.name)  # terminated first; its OnWorkflowDeletion artifacts, pods, directory, rows

    await run_in_threadpool(delete)
    return json_response({})


# -- controls ------------------------------------------------------------------------------------
async def _control_body(request: Request) -> tuple[str, str, dict[str, Any]]:
    namespace, name = request.path_params["namespace"], request.path_params["name"]
    authorize(request, namespace, "edit")
    body = await read_json(request, request.app.state.settings.max_body_bytes)
    for field in ("name", "namespace"):
        given = body_str(body, field)
        expected = name if field == "name" else namespace
        if given not in (None, "", expected):
            raise bad_request(f"body.{field}: {given!r} differs from the {field} in the path ({expected!r})")
    return namespace, name, body


def _running(store: Store, namespace: str, name: str, verb: str) -> V.RunRow:
    row = _row(store, namespace, name)
    if row.phase not in V.ACTIVE:
        raise ApiError(FAILED_PRECONDITION, f"cannot {verb} workflow {name}: it has already ended ({row.phase})")
    return row


def _stopper(control: str):  # noqa: ANN202 - a Starlette endpoint
    async def endpoint(request: Request) -> Response:
        namespace, name, body = await _control_body(request)
        message = body_str(body, "message")
        selector = body_str(body, "nodeFieldSelector") if control == "stop" else None
        store = _store(request)

        def act() -> dict[str, Any]:
            row = _running(store, namespace, name, control)
            if selector:  # only these suspended nodes: they end Failed
                _answer_nodes(store, row, selector, N.FAILED, message)
                return _workflow(store, _row(store, namespace, name))
            store.set_control(row.name, control)
            api.heal(store, row.record())
            return _workflow(store, _row(store, namespace, name))

        return json_response(await run_in_threadpool(act))

    return endpoint


async def suspend_workflow(request: Request) -> Response:
    namespace, name, _ = await _control_body(request)
    store = _store(request)

    def act() -> dict[str, Any]:
        row = _running(store, namespace, name, "suspend")
        suspend_run(store, row.record())
        return _workflow(store, _row(store, namespace, name))

    return json_response(await run_in_threadpool(act))


async def resume_workflow(request: Request) -> Response:
    namespace, name, body = await _control_body(request)
    selector = body_str(body, "nodeFieldSelector")
    store = _store(request)

    def act() -> dict[str, Any]:
        row = _running(store, namespace, name, "resume")
        if selector:  # only these suspended nodes: they end Succeeded
            _answer_nodes(store, row, selector, N.SUCCEEDED, None)
            return _workflow(store, _row(store, namespace, name))
        rec = row.record()
        manifest = rec.manifest
        (manifest.get("spec") or {}).pop("suspend", None)
        store.update_run(row.name, manifest=manifest, control="resume")
        api.heal(store, store.get_run(row.name))
        return _workflow(store, _row(store, namespace, name))

    return json_response(await run_in_threadpool(act))


async def retry_workflow(request: Request) -> Response:
    from wfexec.engine.rerun import NotRetryable, retry_run

    namespace, name, body = await _control_body(request)
    restart = body_bool(body, "restartSuccessful")
    selector = body_str(body, "nodeFieldSelector")
    params = body_name_values(body, "parameters")
    store = _store(request)

    def act() -> dict[str, Any]:
        row = _row(store, namespace, name)
        try:
            retry_run(store, row.name, restart_successful=restart, node_selector=selector, parameters=params)
        except NotRetryable as exc:
            raise ApiError(FAILED_PRECONDITION, str(exc)) from None
        except WfexecError as exc:  # a node selector that does not parse
            raise bad_request(str(exc)) from None
        return _workflow(store, _row(store, namespace, name))

    return json_response(await run_in_threadpool(act))


async def resubmit_workflow(request: Request) -> Response:
    from wfexec.engine.rerun import resubmit_run

    namespace, name, body = await _control_body(request)
    body_bool(body, "memoized")
    params = body_name_values(body, "parameters")
    store = _store(request)

    def act() -> dict[str, Any]:
        row = _row(store, namespace, name)
        new = resubmit_run(store, row.name, params)
        return V.as_workflow(_row(store, new.namespace, new.name), {})

    return json_response(await run_in_threadpool(act))


def _answer_nodes(store: Store, row: V.RunRow, selector: str, phase: str | None, message: str | None,
                  outputs: dict[str, str] | None = None) -> None:
    """Send a change to the suspended nodes `selector` picks (none picked, or a bad selector: 400)."""
    rec = row.record()
    try:
        nodes = suspended_nodes(store, rec, selector, "body.nodeFieldSelector")
        if outputs:
            check_supplied(rec, nodes, outputs)
    except WfexecError as exc:
        raise bad_request(str(exc)) from None
    send(rec, nodes, phase, message, outputs)
    api.heal(store, rec)


async def set_workflow(request: Request) -> Response:
    namespace, name, body = await _control_body(request)
    selector = body_str(body, "nodeFieldSelector")
    if not selector:
        raise bad_request("body.nodeFieldSelector: required, for example displayName=approve")
    phase = body_str(body, "phase")
    if phase not in (None, "", N.SUCCEEDED, N.FAILED, N.ERROR):
        raise bad_request(f"body.phase: expected Succeeded, Failed or Error, got {phase!r}")
    outputs_text = body_str(body, "outputParameters")
    outputs: dict[str, str] = {}
    if outputs_text:
        try:
            parsed = json.loads(outputs_text)
        except ValueError:
            raise bad_request("body.outputParameters: expected a JSON object of name to value, as a string") from None
        if not isinstance(parsed, dict):
            raise bad_request("body.outputParameters: expected a JSON object of name to value")
        outputs = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()}
    store = _store(request)

    def act() -> dict[str, Any]:
        row = _running(store, namespace, name, "set")
        _answer_nodes(store, row, selector, phase or None, body_str(body, "message"), outputs)
        return _workflow(store, _row(store, namespace, name))

    return json_response(await run_in_threadpool(act))


routes: list[BaseRoute] = [
    Route("/api/v1/workflows/", list_workflows, methods=["GET"]),
    Route("/api/v1/workflows/{namespace}", list_workflows, methods=["GET"]),
    Route("/api/v1/workflows/{namespace}", create_workflow, methods=["POST"]),
    Route("/api/v1/workflows/{namespace}/lint", lint_workflow, methods=["POST"]),
    Route("/api/v1/workflows/{namespace}/{name}", get_workflow, methods=["GET"]),
    Route("/api/v1/workflows/{namespace}/{name}", delete_workflow, methods=["DELETE"]),
    Route("/api/v1/workflows/{namespace}/{name}/stop", _stopper("stop"), methods=["PUT"]),
    Route("/api/v1/workflows/{namespace}/{name}/terminate", _stopper("terminate"), methods=["PUT"]),
    Route("/api/v1/workflows/{namespace}/{name}/suspend", suspend_workflow, methods=["PUT"]),
    Route("/api/v1/workflows/{namespace}/{name}/resume", resume_workflow, methods=["PUT"]),
    Route("/api/v1/workflows/{namespace}/{name}/retry", retry_workflow, methods=["PUT"]),
    Route("/api/v1/workflows/{namespace}/{name}/resubmit", resubmit_workflow, methods=["PUT"]),
    Route("/api/v1/workflows/{namespace}/{name}/set", set_workflow, methods=["PUT"]),
]
