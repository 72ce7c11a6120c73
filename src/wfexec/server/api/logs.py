"""Logs of a workflow or one of its pods, streamed as Argo Server streams them.

Each line is one `{"result": {"content": LINE, "podName": POD}}` object and a newline (grpc-gateway's
server streaming). With `logOptions.follow` the stream stays open until the run ends; it reads the
files the engine writes, at its own pace, so a slow reader never holds the engine back.
`logOptions.sinceSeconds` / `sinceTime` and `timestamps` use the time each line was printed
(`engine.log_lines`; the step's start for a run made before those times were kept).
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

from wfexec.engine.log_lines import LogCursor, LogLine, parse_rfc3339, rfc3339nano, store_time_ns
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
        self.since_ns = _since_ns(request)
        self.limit_bytes = query_int(request, "logOptions.limitBytes")
        query_bool(request, "logOptions.previous")
        self.timestamps = query_bool(request, "logOptions.timestamps")
        pattern = query_str(request, "grep") or query_str(request, "logOptions.grep")
        try:
            self.grep = re.compile(pattern) if pattern else None
        except re.error as exc:
            raise bad_request(f"query grep: not a regular expression ({exc})") from None


def _since_ns(request: Request) -> int | None:
    """The earliest time (Unix ns) of a line to send. `sinceTime` comes as `sinceTime.seconds` and `.nanos`
    (the SDKs, hera) or as one RFC 3339 string (grpc-gateway's form of a Timestamp); as in Kubernetes, at
    most one of `sinceSeconds` and `sinceTime`."""
    seconds = query_int(request, "logOptions.sinceSeconds", minimum=1)
    whole = query_int(request, "logOptions.sinceTime.seconds", minimum=-62135596800)
    nanos = query_int(request, "logOptions.sinceTime.nanos", minimum=0)
    text = query_str(request, "logOptions.sinceTime")
    if nanos is not None and nanos > 999_999_999:
        raise bad_request(f"query logOptions.sinceTime.nanos: must be at most 999999999, got {nanos}")
    if text and (whole is not None or nanos is not None):
        raise bad_request("query logOptions.sinceTime: give an RFC 3339 string or sinceTime.seconds/.nanos, not both")
    at: int | None = None
    if text:
        try:
            at = parse_rfc3339(text)
        except ValueError as exc:
            raise bad_request(f"query logOptions.sinceTime: {exc}") from None
    elif whole is not None or nanos is not None:
        at = (whole or 0) * 1_000_000_000 + (nanos or 0)
    if seconds is not None and at is not None:
        raise bad_request("query logOptions: at most one of sinceTime or sinceSeconds may be specified")
    return time.time_ns() - seconds * 1_000_000_000 if seconds is not None else at


def _entry(content: str, pod: str) -> bytes:
    return (json.dumps({"result": {"content": content, "podName": pod}}) + "\n").encode()


class _Reader:
    """One container log of one pod, read from where the last read ended."""

    def __init__(self, run: str, node: dict[str, Any], pod: str, container: str) -> None:
        self.run, self.node_id, self.pod, self.container = run, node["id"], pod, container
        self.started = store_time_ns(node.get("startedAt"))  # the time of lines the log kept none for
        self.cursor = LogCursor()
        self.tailed = False  # tailLines applied (to what the log held when first read)
        self.found = False  # the log file is there (the container has started)

    def read(self, final: bool) -> tuple[list[LogLine], bool]:
        """Whole lines from one chunk, each with its time, and whether more is already there to read."""
        path = log_path(self.run, self.node_id, self.container)
        if path is None:
            return [], False
        self.found = True
        lines, more = self.cursor.read(path, final, READ_CHUNK)
        if self.started is not None:
            lines = [line if line.time_ns is not None else LogLine(line.text, self.started) for line in lines]
        return lines, more


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

    def one_pass(readers: dict[str, _Reader], ended: bool) -> list[tuple[str, str]]:
        """Every new line of every pod's log (in a worker thread: it reads files)."""
        nodes = store.get_nodes(name)
        batch: list[tuple[str, str]] = []
        for node in pods_of(name, nodes, pod):
            if node["id"] not in readers:
                finished = store_time_ns(node.get("finishedAt"))
                if opts.since_ns and finished and finished + 1_000_000_000 <= opts.since_ns:
                    continue  # ended (to the second) before the cutoff
                names = containers_of(name, node["id"])
                if names and opts.container not in names and not _maybe_later(node):
                    continue
                readers[node["id"]] = _Reader(name, node, pod_name_of(name, node), opts.container)
            reader = readers[node["id"]]
            done = ended or not _maybe_later(node)
            more = True
            new: list[LogLine] = []
            while more:
                lines, more = reader.read(done)
                new += [line for line in lines
                        if opts.since_ns is None or line.time_ns is None or line.time_ns >= opts.since_ns]
            if opts.tail is not None and not reader.tailed and (reader.found or done):
                new = new[-opts.tail:] if opts.tail else []  # per pod, as the kubelet tails each container
                reader.tailed = True
            batch += [(_content(line, opts.timestamps), reader.pod) for line in new
                      if opts.grep is None or opts.grep.search(line.text)]
        return batch

    async def lines() -> AsyncIterator[bytes]:
        readers: dict[str, _Reader] = {}
        sent: dict[str, int] = {}  # log bytes per pod
        while True:
            current = await run_in_threadpool(V.get_row, store, namespace, name)
            ended = current is None or current.phase not in V.ACTIVE or not opts.follow
            batch = await run_in_threadpool(one_pass, readers, ended)
            for content, pod_name in batch:
                if opts.limit_bytes:
                    content = _within(content, opts.limit_bytes - sent.get(pod_name, 0))
                    if content is None:
                        continue
                    sent[pod_name] = sent.get(pod_name, 0) + len(content.encode()) + 1
                yield _entry(content, pod_name)
            if ended:
                return
            await asyncio.sleep(FOLLOW_POLL_SECONDS)

    return StreamingResponse(lines(), media_type="application/json")


def _within(content: str, left: int) -> str | None:
    """`logOptions.limitBytes` as the kubelet applies it: bytes of each container's log (a line and its
    newline), the last line cut where the budget ends; None once a pod's budget is spent."""
    if left <= 0:
        return None
    data = content.encode() + b"\n"
    return content if len(data) <= left else data[:left].decode(errors="ignore")


def _maybe_later(node: dict[str, Any]) -> bool:
    return node.get("phase") in ("Pending", "Running")


def _content(line: LogLine, timestamps: bool) -> str:
    """As the kubelet sends a line: with `timestamps`, its time (RFC 3339, to the nanosecond) and a space first."""
    return f"{rfc3339nano(line.time_ns)} {line.text}" if timestamps and line.time_ns is not None else line.text


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
