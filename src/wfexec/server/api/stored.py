"""What the template and cron routers share: the object store of a request, lint, list bodies, errors.

An object the client sends is linted as `wfexec lint` would lint it (schema plus Argo's rules, with
the stored templates as the ones `templateRef` may name) before it is stored, so a bad spec is a 400
that names the field, never a run that fails later.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wfexec.engine.labels import SelectorError, parse_selector
from wfexec.engine.objects import (
    CLUSTER_WORKFLOW_TEMPLATE,
    WORKFLOW_TEMPLATE,
    ObjectConflict,
    ObjectStore,
    StoredObject,
)
from wfexec.errors import SpecError
from wfexec.server.auth import authorize
from wfexec.server.http import (
    INVALID_ARGUMENT,
    ApiError,
    bad_request,
    json_response,
    query_int,
    query_str,
    read_json,
)
from wfexec.server.listing import decode_continue, encode_continue

ABORTED = 10  # gRPC's code for a conflicting write; grpc-gateway answers it with 409


def objects_of(request: Request) -> ObjectStore:
    """The server's object store, made once (its table is created on first use)."""
    objects = getattr(request.app.state, "objects", None)
    if objects is None:
        objects = request.app.state.objects = ObjectStore(request.app.state.store)
    return objects


async def body_of(request: Request) -> dict[str, Any]:
    return await read_json(request, request.app.state.settings.max_body_bytes)


@contextmanager
def said_as_api_errors() -> Iterator[None]:
    """Store and spec errors as the gRPC codes Argo Server gives them."""
    try:
        yield
    except ObjectConflict as exc:
        raise ApiError(ABORTED, str(exc), status=409) from None
    except SelectorError as exc:
        raise ApiError(INVALID_ARGUMENT, str(exc)) from None


def selector_of(request: Request) -> Any:
    try:
        return parse_selector(request.query_params.get("listOptions.labelSelector"))
    except SelectorError as exc:
        raise bad_request(f"query listOptions.labelSelector: {exc}") from None


def list_body(request: Request, objs: list[StoredObject]) -> dict[str, Any]:
    """One page of `objs` (`listOptions.limit` and `continue`, as for workflows), with the token to the next."""
    limit = query_int(request, "listOptions.limit", 0) or 0
    offset = decode_continue(query_str(request, "listOptions.continue"))
    page = objs[offset:offset + limit] if limit else objs[offset:]
    meta: dict[str, Any] = {}
    if limit and offset + limit < len(objs):
        meta.update({"continue": encode_continue(offset + limit), "remainingItemCount": len(objs) - offset - limit})
    return {"metadata": meta, "items": [o.manifest() for o in page]}


async def list_in_all_namespaces(request: Request, kind: str) -> Response:
    """The objects of `kind` in every namespace the caller may read (a namespace-less list path)."""
    who = authorize(request, None, "view")
    ns = None if who.namespace == "*" else who.namespace
    return json_response(list_body(request, await listed(request, kind, ns)))


async def listed(request: Request, kind: str, ns: str | None) -> list[StoredObject]:
    """The objects of `kind` in `ns` (None: every namespace) the query's label selector keeps."""
    selector = selector_of(request)
    return await run_in_threadpool(objects_of(request).list, kind, ns, selector)


async def get_response(request: Request, kind: str, ns: str) -> Response:
    """The object of `kind` named by the path, as its manifest."""
    obj = await run_in_threadpool(objects_of(request).get, kind, ns, request.path_params["name"])
    return json_response(obj.manifest())


async def delete_response(request: Request, kind: str, ns: str) -> Response:
    """Delete the object of `kind` named by the path (Argo answers an empty object)."""
    await run_in_threadpool(objects_of(request).delete, kind, ns, request.path_params["name"])
    return json_response({})


def store_object(objects: ObjectStore, doc: dict[str, Any], ns: str, name: str | None, where: str) -> dict[str, Any]:
    """Create `doc` (`name` None) or replace the object stored as `name`; the stored manifest."""
    with said_as_api_errors(), spec_errors(where):
        stored = objects.create(doc, ns) if name is None else objects.update(doc, ns, name)
    return stored.manifest()


def lint_object(objects: ObjectStore, doc: dict[str, Any], namespace: str, where: str) -> None:
    """A 400 listing every problem lint finds in `doc` (field paths prefixed by `where`)."""
    from wfexec.spec.document import Document
    from wfexec.spec.lint import lint_documents

    if not isinstance(doc.get("spec"), dict):
        raise bad_request(f"{where}.spec: required, expected an object")
    stored = [Document(o.manifest(), f"stored {o.kind}", 0, o.kind)
              for kind in (WORKFLOW_TEMPLATE, CLUSTER_WORKFLOW_TEMPLATE)
              for o in objects.list(kind, namespace)]
    name = (doc.get("metadata") or {}).get("name") if isinstance(doc.get("metadata"), dict) else None
    stored = [d for d in stored if not (d.kind == doc.get("kind") and d.name == name)]  # itself, if updated
    issues = lint_documents([Document(doc, where, 0, str(doc.get("kind")))], templates=stored)
    if issues:
        raise bad_request("; ".join(f"{where}.{i.path}: {i.message}" if i.path else f"{where}: {i.message}"
                                    for i in issues[:20]))


def with_kind(doc: dict[str, Any], kind: str, where: str) -> dict[str, Any]:
    """The document with its kind and apiVersion set (clients may leave them out)."""
    given = doc.get("kind")
    if given not in (None, "", kind):
        raise bad_request(f"{where}.kind: expected {kind!r}, got {given!r}")
    meta = doc.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise bad_request(f"{where}.metadata: expected an object")
    return {**doc, "kind": kind, "apiVersion": doc.get("apiVersion") or "argoproj.io/v1alpha1"}


def spec_errors(where: str) -> Any:
    """A SpecError from the store (bad name, labels) as a 400 naming the field under `where`."""

    @contextmanager
    def wrap() -> Iterator[None]:
        try:
            yield
        except SpecError as exc:
            field = f"{where}.{exc.field}" if exc.field else where
            raise bad_request(f"{field}: {exc.detail}") from None

    return wrap()
