"""Routes of the UI: one page shell for every stable URL, static files, and the wfexec JSON endpoints."""

from __future__ import annotations

import html
import json
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from wfexec.engine.store import RunRecord, Store
from wfexec.errors import StoreError, WfexecError
from wfexec.server.auth import authorize
from wfexec.server.http import (
    FAILED_PRECONDITION,
    ApiError,
    bad_request,
    body_bool,
    body_str,
    json_response,
    not_found,
    read_json,
)
from wfexec.server.ui import executor_page
from wfexec.server.ui.cron_schedule import cron_schedule
from wfexec.server.ui.graph import build_graph
from wfexec.server.ui.graph_cache import ResponseCache
from wfexec.server.ui.kfp_view import NotKfp, kfp_node_view
from wfexec.server.ui.manifest_check import check_manifest
from wfexec.server.ui.pipelines import compile_text
from wfexec.server.ui.static_files import STATIC, ImmutableStatic, content_stamp

STAMP = content_stamp()
SHELL = (STATIC / "index.html").read_text().replace("/ui-static/", f"/ui-static/{STAMP}/")
# Graph answers by (run, its phase, its nodes' version, what is unfolded): a reload or a second
# viewer of an unchanged run costs one small query.
GRAPHS = ResponseCache(64)
# Paths the page shell answers (the page's script reads the path); every run and node has one.
PAGES = ("/", "/workflows", "/workflows/{namespace}", "/workflows/{namespace}/{name}", "/submit",
         "/workflow-templates", "/workflow-templates/{namespace}/{name}", "/cron-workflows",
         "/cron-workflows/{namespace}/{name}", "/executor")


def page(request: Request) -> Response:
    """The page shell; a run's page also tells the browser to fetch the run's graph while scripts load
    (not under client auth: that fetch carries no token, and the browser would hand its 401 to the page)."""
    shell = SHELL
    ns, name = request.path_params.get("namespace"), request.path_params.get("name")
    tokens = request.app.state.settings.client_auth
    if ns and name and request.url.path.startswith("/workflows/") and "unfold" not in request.query_params \
            and not tokens:
        graph = f"/api/v1/wfexec/workflows/{quote(ns, safe='')}/{quote(name, safe='')}/graph"
        shell = shell.replace("</head>", f'<link rel="preload" href="{html.escape(graph)}" as="fetch" crossorigin>\n</head>', 1)
    return HTMLResponse(shell, headers={"cache-control": "no-cache"})


def _run_or_404(store: Store, namespace: str, name: str) -> RunRecord:
    try:
        rec = store.get_run(name)
    except StoreError:
        raise not_found(f"workflow {namespace}/{name} not found") from None
    if rec.name != name or rec.namespace != namespace:
        raise not_found(f"workflow {namespace}/{name} not found")
    return rec


def _held(rec: RunRecord) -> bool:
    return (rec.manifest.get("spec") or {}).get("suspend") is True  # `argo suspend` sets it


def graph_key(store: Store, rec: RunRecord, unfold: set[str]) -> tuple[object, ...]:
    """What a cached graph answer depends on: the run's phase, nodes and `spec.suspend`, and the unfolding."""
    return (str(store.path), rec.uid, rec.phase, rec.finished_at, _held(rec), store.nodes_version(rec.name),
            tuple(sorted(unfold)))


def _graph(store: Store, namespace: str, name: str, unfold: set[str]) -> bytes:
    rec = _run_or_404(store, namespace, name)
    return GRAPHS.get(graph_key(store, rec, unfold), lambda: json.dumps(build_graph(
        rec.name, rec.namespace, rec.phase, store.get_nodes(rec.name), unfold, started_at=rec.started_at,
        finished_at=rec.finished_at, held=_held(rec)).to_dict(), separators=(",", ":")).encode())


def warm_graph(store: Store, namespace: str, name: str) -> None:
    """Build and cache the run's folded graph answer ahead of a view (see graph_warm)."""
    _graph(store, namespace, name, set())


async def get_graph(request: Request) -> Response:
    """The run's graph, folded and laid out: nodes with boxes and phases, edges with polylines."""
    ns, name = request.path_params["namespace"], request.path_params["name"]
    authorize(request, ns)
    unfold = {u for u in request.query_params.get("unfold", "").split(",") if u}
    store: Store = request.app.state.store
    body = await run_in_threadpool(_graph, store, ns, name, unfold)
    return Response(body, media_type="application/json")


def _kfp_view(store: Store, namespace: str, name: str, node_id: str) -> dict:
    rec = _run_or_404(store, namespace, name)
    node = store.get_nodes(rec.name).get(node_id)
    if node is None:
        raise not_found(f"node {node_id} not found in workflow {namespace}/{name}")
    try:
        return kfp_node_view(rec.manifest, node).to_dict()
    except NotKfp as exc:
        raise not_found(f"workflow {namespace}/{name}: {exc}") from None


async def get_kfp_node(request: Request) -> Response:
    """A KFP v2 task's view: display name, typed inputs and outputs, metrics artifacts (see kfp_view)."""
    ns, name = request.path_params["namespace"], request.path_params["name"]
    authorize(request, ns)
    store: Store = request.app.state.store
    return json_response(await run_in_threadpool(_kfp_view, store, ns, name, request.path_params["node"]))


async def get_executor(request: Request) -> Response:
    authorize(request, None)
    state = await run_in_threadpool(executor_page.current_state)
    return json_response(state.to_dict())


async def put_executor(request: Request) -> Response:
    """Body `{"executor": "docker"|"emissary", "confirm": bool}`; 400 with the doctor's problems unless confirmed."""
    authorize(request, None, "admin")
    body = await read_json(request, request.app.state.settings.max_body_bytes)
    value = body_str(body, "executor")
    if not value:
        raise ApiError(3, "body.executor: required, expected docker or emissary")
    try:
        state = await run_in_threadpool(executor_page.change_executor, value, body_bool(body, "confirm"))
    except executor_page.ChangeRefused as exc:
        raise ApiError(FAILED_PRECONDITION, f"executor {value} cannot work here: " + "; ".join(exc.problems)
                       + ". Send confirm: true to set it anyway.") from None
    return json_response(state.to_dict())


async def get_cron_schedule(request: Request) -> Response:
    """The next times a CronWorkflow fires (none while suspended), from the scheduler's own rules."""
    ns, name = request.path_params["namespace"], request.path_params["name"]
    authorize(request, ns)
    store: Store = request.app.state.store
    return json_response((await run_in_threadpool(cron_schedule, store, ns, name)).to_dict())


async def post_manifest(request: Request) -> Response:
    """Body `{"text": YAML}`: its documents as JSON and its lint issues by line, for the submit page."""
    authorize(request, None)
    body = await read_json(request, request.app.state.settings.max_body_bytes)
    text = body_str(body, "text") or ""
    return json_response((await run_in_threadpool(check_manifest, text)).to_dict())


async def post_pipeline_compile(request: Request) -> Response:
    """Body `{"namespace", "text": pipeline IR, "parameters": {name: text}}`: the Workflow it compiles to (as
    `wfexec submit` compiles it), for the page to create through Argo's API; 400 naming what is wrong."""
    body = await read_json(request, request.app.state.settings.max_body_bytes)
    ns = body_str(body, "namespace") or "default"
    authorize(request, ns, "edit")  # compiling prepares the components' environments on this machine
    params = body.get("parameters") or {}
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise bad_request("body.parameters: expected an object of name: text")
    try:
        answer = await run_in_threadpool(compile_text, body_str(body, "text") or "", params, ns)
    except WfexecError as exc:
        raise bad_request(f"pipeline: {exc}") from None
    return json_response(answer)


routes: list[BaseRoute] = [
    Route("/api/v1/wfexec/manifests", post_manifest, methods=["POST"]),
    Route("/api/v1/wfexec/pipelines/compile", post_pipeline_compile, methods=["POST"]),
    Route("/api/v1/wfexec/cron-workflows/{namespace}/{name}/schedule", get_cron_schedule, methods=["GET"]),
    Route("/api/v1/wfexec/workflows/{namespace}/{name}/graph", get_graph, methods=["GET"]),
    Route("/api/v1/wfexec/workflows/{namespace}/{name}/kfp/{node}", get_kfp_node, methods=["GET"]),
    Route("/api/v1/wfexec/executor", get_executor, methods=["GET"]),
    Route("/api/v1/wfexec/executor", put_executor, methods=["PUT"]),
    Mount(f"/ui-static/{STAMP}", app=ImmutableStatic(STATIC), name="ui-static"),
    *[Route(p, page, methods=["GET"]) for p in PAGES],
]
