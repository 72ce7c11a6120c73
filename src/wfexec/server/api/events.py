"""The watch stream, `/api/v1/workflow-events/{namespace}`: each change of a run as it happens.

Each event is `{"result": {"type": ADDED|MODIFIED|DELETED, "object": Workflow}}` and a newline. Without
`listOptions.resourceVersion` the stream first sends the runs that match as ADDED, as a Kubernetes
watch does. Changes come from the server's store watcher (server/watch.py), not from polling per client.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from wfexec.engine.labels import SelectorError, parse_selector
from wfexec.server import run_view as V
from wfexec.server.auth import authorize
from wfexec.server.http import bad_request, query_int, query_str
from wfexec.server.listing import parse_field_selector, parse_fields
from wfexec.server.watch import ADDED, DELETED, MODIFIED, RunChange, StoreWatcher

KEEPALIVE_SECONDS = 15.0


def _event(kind: str, obj: dict[str, Any]) -> bytes:
    return (json.dumps({"result": {"type": kind, "object": obj}}, separators=(",", ":")) + "\n").encode()


async def watch_workflows(request: Request) -> Response:
    namespace = request.path_params.get("namespace") or None
    who = authorize(request, namespace, "view")
    if namespace is None and who.namespace != "*":
        namespace = who.namespace
    try:
        selector = parse_selector(query_str(request, "listOptions.labelSelector"))
    except SelectorError as exc:
        raise bad_request(f"query listOptions.labelSelector: {exc}") from None
    terms = parse_field_selector(query_str(request, "listOptions.fieldSelector"))
    projection = parse_fields(query_str(request, "fields"))
    timeout = query_int(request, "listOptions.timeoutSeconds")
    initial = not query_str(request, "listOptions.resourceVersion")
    store = request.app.state.store
    watcher: StoreWatcher = request.app.state.watcher
    want_nodes = projection is None or projection.wants("result.object.status.nodes")
    # the runs list asks for progress without nodes: counted apart, so a big run's nodes are not read per event
    want_progress = not want_nodes and projection is not None and projection.wants("result.object.status.progress")

    def matches(row: V.RunRow) -> bool:
        if namespace and row.namespace != namespace:
            return False
        values = {"metadata.name": row.name, "metadata.namespace": row.namespace, "metadata.uid": row.uid,
                  "status.phase": row.phase}
        return all(t.matches(values) for t in terms) and selector.matches(V.labels_of(row))

    def shaped(kind: str, obj: dict[str, Any]) -> bytes:
        if projection is None:
            return _event(kind, obj)
        return (json.dumps(projection.apply({"result": {"type": kind, "object": obj}})) + "\n").encode()

    shown: set[str] = set()  # the runs this stream has sent, as they last matched

    def gone(name: str, ns: str) -> bytes | None:
        """DELETED for a run this stream showed: deleted, or no longer matching its selectors (as a
        Kubernetes watch with selectors says it); nothing for a run it never showed."""
        if name not in shown:
            return None
        shown.discard(name)
        return shaped(DELETED, {"metadata": {"name": name, "namespace": ns}, "spec": {}})

    def render(change: RunChange) -> bytes | None:
        if change.kind == DELETED:
            return gone(change.name, change.namespace)
        row = V.get_row(store, change.namespace, change.name)
        if row is None or not matches(row):
            return gone(change.name, change.namespace)
        kind = MODIFIED if change.name in shown else ADDED  # ADDED: it starts to match
        shown.add(change.name)
        nodes = store.get_nodes(row.name) if want_nodes else None
        progress = V.progress_of(store, row.name) if want_progress else None
        return shaped(kind, V.as_workflow(row, nodes, progress))

    def render_all(changes: list[RunChange]) -> list[bytes | None]:
        return [render(c) for c in changes]

    def first() -> list[bytes]:
        """The runs that match now: sent as ADDED without a resourceVersion; with one, the client has
        listed them, and they only count as shown (their deletion is sent)."""
        rows = [r for r in V.list_rows(store, namespace) if matches(r)]
        if not initial:
            shown.update(r.name for r in rows)
            return []
        return [b for r in rows if (b := render(RunChange(ADDED, r.name, r.namespace)))]

    sub = watcher.subscribe()  # before the first read, so nothing falls between the two

    async def events() -> AsyncIterator[bytes]:
        import time

        end = time.monotonic() + timeout if timeout else None
        try:
            for chunk in await run_in_threadpool(first):
                yield chunk
            while end is None or time.monotonic() < end:
                wait = KEEPALIVE_SECONDS if end is None else min(KEEPALIVE_SECONDS, end - time.monotonic())
                changes = await sub.next(timeout=max(wait, 0.0))
                if not changes:
                    continue
                chunks = await run_in_threadpool(render_all, changes)
                for chunk in chunks:
                    if chunk:
                        yield chunk
        finally:
            watcher.unsubscribe(sub)

    return StreamingResponse(events(), media_type="application/json")


routes: list[BaseRoute] = [
    Route("/api/v1/workflow-events/", watch_workflows, methods=["GET"]),
    Route("/api/v1/workflow-events/{namespace}", watch_workflows, methods=["GET"]),
]
