"""ArtifactService: output and input artifacts of a node, by workflow name or uid, streamed."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from wfexec.errors import ArtifactError
from wfexec.server import run_view as V
from wfexec.server.artifact_source import ArtifactNotFound, ArtifactPathRefused, inner_path, open_artifact
from wfexec.server.auth import authorize
from wfexec.server.http import INVALID_ARGUMENT, NOT_FOUND, ApiError, bad_request, not_found


def _find(row: V.RunRow, nodes: dict[str, dict[str, Any]], node_id: str, name: str, kind: str) -> dict[str, Any]:
    node = nodes.get(node_id) or next((n for n in nodes.values() if n.get("name") == node_id), None)
    if node is None:
        raise not_found(f"node {node_id!r} not found in workflow {row.name}")
    arts = (node.get(kind) or {}).get("artifacts") or []
    art = next((a for a in arts if a.get("name") == name), None)
    if art is None:
        raise not_found(f"{kind[:-1]} artifact {name!r} not found on node {node_id!r}")
    if not any(isinstance(art.get(d), dict) for d in ("local", "s3", "raw")):
        raise not_found(f"{kind[:-1]} artifact {name!r} of node {node_id!r} has no stored location to serve")
    return art


async def _serve(request: Request, row: V.RunRow | None, what: str, node_id: str, name: str, kind: str,
                 inner: str = "") -> Response:
    if row is None:
        raise not_found(f"workflow {what} not found")
    authorize(request, row.namespace, "view")
    store = request.app.state.store
    if inner:
        try:
            inner = inner_path(inner)
        except ArtifactPathRefused as exc:
            raise bad_request(str(exc)) from None

    def open_it():  # noqa: ANN202
        nodes = store.get_nodes(row.name)
        art = _find(row, nodes, node_id, name, kind)
        try:
            return open_artifact(row.record(), art, inner)
        except ArtifactPathRefused as exc:
            raise ApiError(INVALID_ARGUMENT, str(exc)) from None
        except ArtifactNotFound as exc:
            raise ApiError(NOT_FOUND, str(exc)) from None
        except ArtifactError as exc:
            raise ApiError(NOT_FOUND, str(exc)) from None

    opened = await run_in_threadpool(open_it)
    headers = {"Content-Disposition": f'attachment; filename="{opened.filename}"'}
    if opened.size is not None:
        headers["Content-Length"] = str(opened.size)
    return StreamingResponse(iterate_in_threadpool(opened.chunks), media_type="application/octet-stream",
                             headers=headers)


async def by_name(request: Request) -> Response:
    p = request.path_params
    kind = "inputs" if request.url.path.startswith("/input-artifacts/") else "outputs"
    row = await run_in_threadpool(V.get_row, request.app.state.store, p["namespace"], p["name"])
    return await _serve(request, row, p["name"], p["nodeId"], p["artifactName"], kind)


async def by_uid(request: Request) -> Response:
    p = request.path_params
    kind = "inputs" if request.url.path.startswith("/input-artifacts-by-uid/") else "outputs"
    row = await run_in_threadpool(V.get_row_by_uid, request.app.state.store, p["uid"])
    return await _serve(request, row, f"with uid {p['uid']!r}", p["nodeId"], p["artifactName"], kind)


async def artifact_file(request: Request) -> Response:
    """By the run's name (`workflow`), or by the uid of an ended one (`archived-workflows`, as the UI's
    archive view asks)."""
    p = request.path_params
    if p["idDiscriminator"] not in ("workflow", "archived-workflows"):
        raise bad_request(f"idDiscriminator {p['idDiscriminator']!r}: expected workflow or archived-workflows")
    if p["artifactDiscriminator"] not in ("outputs", "inputs"):
        raise bad_request(f"artifactDiscriminator {p['artifactDiscriminator']!r}: expected outputs or inputs")
    store = request.app.state.store
    if p["idDiscriminator"] == "workflow":
        row = await run_in_threadpool(V.get_row, store, p["namespace"], p["id"])
        what = p["id"]
    else:
        row = await run_in_threadpool(V.get_row_by_uid, store, p["id"])
        if row is not None and (row.namespace != p["namespace"] or row.phase in V.ACTIVE):
            row = None  # not an archived workflow of that namespace
        what = f"archived with uid {p['id']!r}"
    return await _serve(request, row, what, p["nodeId"], p["artifactName"], p["artifactDiscriminator"],
                        p.get("path", ""))


routes: list[BaseRoute] = [
    Route("/artifacts/{namespace}/{name}/{nodeId}/{artifactName}", by_name, methods=["GET"]),
    Route("/input-artifacts/{namespace}/{name}/{nodeId}/{artifactName}", by_name, methods=["GET"]),
    Route("/artifacts-by-uid/{uid}/{nodeId}/{artifactName}", by_uid, methods=["GET"]),
    Route("/input-artifacts-by-uid/{uid}/{nodeId}/{artifactName}", by_uid, methods=["GET"]),
    Route("/artifact-files/{namespace}/{idDiscriminator}/{id}/{nodeId}/{artifactDiscriminator}/{artifactName}",
          artifact_file, methods=["GET"]),
    Route("/artifact-files/{namespace}/{idDiscriminator}/{id}/{nodeId}/{artifactDiscriminator}/{artifactName}"
          "/{path:path}", artifact_file, methods=["GET"]),
]
