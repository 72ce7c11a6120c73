"""Logs of a workflow or one of its pods, streamed as Argo Server streams them.

Each line is one `{"result": {"content": LINE, "podName": POD}}` object and a newline (grpc-gateway's
server streaming). With `logOptions.follow` the stream stays open until the run ends; it reads the
files the engine writes, at its own pace, so a slow reader never holds the engine back.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from wfexec.server import run_view as V
from wfexec.server.auth import authorize
from wfexec.server.http import bad_request, not_found, query_bool, query_int, query_str
from wfexec.server.log_files import containers_of, log_path, pod_name_of, pods_of

FOLLOW_POLL_SECONDS = 0.1
READ_CHUNK = 1 << 20


class _Options:
    def __init__(self, request: Request) -> None:
        self.container = query_str(request, "logOptions.container") or "main"
        self.follow = query_bool(request, "logOptions.follow")
        self.tail = query_int(request, "logOptions.tailLines")
        self.since = query_int(request, "logOptions.sinceSeconds")
        self.limit_bytes = query_int(request, "logOptions.limitBytes")
        query_bool(request, "logOptions.previous")
        query_bool(request, "logOptions.timestamps")
        query_int(request, "logOptions.sinceTime.seconds")
        query_int(request, "logOptions.sinceTime.nanos")
        pattern = query_str(request, "grep") or query_str(request, "logOptions.grep")
        try:
            self.grep = re.compile(pattern) if pattern else None
        except re.error as exc:
            raise bad_request(f"query grep: not a regular expression ({exc})") from None


def _entry(content: str, pod: str) -> bytes:
    return (json.dumps({"result": {"content": content, "podName": pod}}) + "\n").encode()


class _Reader:
    """One container log of one pod, read from where the last read ended."""

    def __init__(self, run: str, node_id: str, pod: str, container: str) -> None:
        self.run, self.node_id, self.pod, self.container = run, node_id, pod, container
        self.offset = 0
        self.partial = b""

    def read(self, final: bool) -> tuple[list[str], bool]:
        """Whole lines from one chunk, and whether more is already there to read."""
        path = log_path(self.run, self.node_id, self.container)
        if path is None:
            return [], False
        try:
            with open(path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read(READ_CHUNK)
                self.offset = fh.tell()
        except OSError:
            return [], False
        more = len(data) == READ_CHUNK
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        if final and not more and self.partial:
            lines.append(self.partial)
            self.partial = b""
        return [line.decode(errors="replace") for line in lines], more


async def _stream(request: Request, namespace: str, name: str, pod: str | None) -> Response:
    authorize(request, namespace, "view")
    opts = _Options(request)
    store = request.app.state.store
    row = await run_in_threadpool(V.get_row, store, namespace, name)
    if row is None:
        raise not_found(f'workflows.argoproj.io "{name}" not found in namespace {namespace!r}')
    if pod:
        nodes = await run_in_threadpool(store.get_nodes, name)
        if not pods_of(name, nodes, pod):
            raise not_found(f"pod {pod!r} not found in workflow {name}")

    def one_pass(readers: dict[str, _Reader], ended: bool, cutoff: float | None) -> list[tuple[str, str]]:
        """Every new line of every pod's log (in a worker thread: it reads files)."""
        nodes = store.get_nodes(name)
        batch: list[tuple[str, str]] = []
        for node in pods_of(name, nodes, pod):
            if node["id"] not in readers:
                if cutoff and node.get("finishedAt") and _ts(node["finishedAt"]) < cutoff:
                    continue
                names = containers_of(name, node["id"])
                if names and opts.container not in names and not _maybe_later(node):
                    continue
                readers[node["id"]] = _Reader(name, node["id"], pod_name_of(name, node), opts.container)
            reader = readers[node["id"]]
            done = ended or not _maybe_later(node)
            more = True
            while more:
                lines, more = reader.read(done)
                batch += [(line, reader.pod) for line in lines if opts.grep is None or opts.grep.search(line)]
        return batch

    async def lines() -> AsyncIterator[bytes]:
        readers: dict[str, _Reader] = {}
        sent = 0
        cutoff = time.time() - opts.since if opts.since else None
        first = True
        while True:
            current = await run_in_threadpool(V.get_row, store, namespace, name)
            ended = current is None or current.phase not in V.ACTIVE or not opts.follow
            batch = await run_in_threadpool(one_pass, readers, ended, cutoff)
            if first and opts.tail is not None:
                batch = batch[-opts.tail:] if opts.tail else []
            first = False
            for content, pod_name in batch:
                chunk = _entry(content, pod_name)
                sent += len(chunk)
                if opts.limit_bytes and sent > opts.limit_bytes:
                    return
                yield chunk
            if ended:
                return
            await asyncio.sleep(FOLLOW_POLL_SECONDS)

    return StreamingResponse(lines(), media_type="application/json")


def _maybe_later(node: dict[str, Any]) -> bool:
    return node.get("phase") in ("Pending", "Running")


def _ts(text: str) -> float:
    import datetime as dt

    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp()


async def workflow_logs(request: Request) -> Response:
    p = request.path_params
    return await _stream(request, p["namespace"], p["name"], query_str(request, "podName") or None)


async def pod_logs(request: Request) -> Response:
    p = request.path_params
    return await _stream(request, p["namespace"], p["name"], p["podName"])


routes: list[BaseRoute] = [
    Route("/api/v1/workflows/{namespace}/{name}/log", workflow_logs, methods=["GET"]),
    Route("/api/v1/workflows/{namespace}/{name}/{podName}/log", pod_logs, methods=["GET"]),
]
