"""Suspend nodes: wait for `resume` or for the template's duration."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.context import RunContext, Scope
from wfexec.engine.durations import parse_duration
from wfexec.engine.node_requests import NodeRequest
from wfexec.engine.nodes import Node
from wfexec.engine.outputs import suspend_parameters
from wfexec.engine.templates import resolve_text
from wfexec.engine.values import parse_ts


class Suspensions:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self._events: dict[str, asyncio.Event] = {}
        self._nodes: dict[str, Node] = {}
        #: (phase, message) a request gave a node: it ends so instead of Succeeded.
        self._decided: dict[str, tuple[str, str]] = {}

    def resume_all(self) -> None:
        for ev in list(self._events.values()):
            ev.set()

    def apply(self, request: NodeRequest) -> bool:
        """A `node set` / `resume` / `stop` for some nodes; False when none of them waits here (yet)."""
        hit = False
        for nid in request.nodes:
            node = self._nodes.get(nid)
            if node is None:
                continue
            hit = True
            if request.outputs:
                params = {p["name"]: p for p in (node.get("outputs") or {}).get("parameters") or []}
                for name, value in request.outputs.items():
                    params[name] = {"name": name, "value": value}
                node["outputs"] = {"parameters": list(params.values())}
            if request.message is not None:
                node["message"] = request.message
            self.ctx.book.save(node)
            if request.phase:
                self._decided[nid] = (request.phase, request.message or node.get("message", ""))
                self._events[nid].set()
        return hit

    async def run(self, node: Node, tmpl: dict[str, Any], scope: Scope, arts: list[dict[str, Any]]) -> Node:
        book = self.ctx.book
        node["phase"] = N.RUNNING
        book.save(node)
        ev = asyncio.Event()
        self._events[node["id"]] = ev
        self._nodes[node["id"]] = node
        if node["id"] not in book.loaded:
            book.started.setdefault(node["id"], time.time())
        duration = (tmpl.get("suspend") or {}).get("duration")
        try:
            if duration not in (None, ""):
                secs = parse_duration(resolve_text(str(duration), scope, "suspend.duration"), "suspend.duration")
                started = book.started.get(node["id"])
                if started is None:  # started under an earlier engine: trust the record
                    started = parse_ts(node.get("startedAt", N.now()))
                try:
                    await asyncio.wait_for(ev.wait(), max(0.0, started + secs - time.time()))
                except TimeoutError:
                    pass
            else:
                await ev.wait()
        finally:
            self._events.pop(node["id"], None)
            self._nodes.pop(node["id"], None)
        supplied = {p["name"]: p["value"] for p in (node.get("outputs") or {}).get("parameters") or []}
        declared = suspend_parameters(tmpl)
        outputs = [{**p, "value": supplied.pop(p["name"])} if p["name"] in supplied else p for p in declared]
        outputs += [{"name": k, "value": v} for k, v in supplied.items()]
        if outputs:
            node["outputs"] = {"parameters": outputs}
        decided = self._decided.pop(node["id"], None)
        if decided:
            return book.finish_node(node, decided[0], decided[1])
        if self.ctx.shutdown == "deadline":
            return book.finish_node(node, N.FAILED, "Step exceeded its deadline")
        if self.ctx.shutdown:
            return book.finish_node(node, N.FAILED, self.ctx.stop_message())
        return book.finish_node(node, N.SUCCEEDED)
