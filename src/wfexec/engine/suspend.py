"""Suspend nodes: wait for `resume` or for the template's duration."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.context import RunContext, Scope
from wfexec.engine.durations import parse_duration
from wfexec.engine.nodes import Node
from wfexec.engine.outputs import suspend_parameters
from wfexec.engine.templates import resolve_text
from wfexec.engine.values import parse_ts


class Suspensions:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self._events: dict[str, asyncio.Event] = {}

    def resume_all(self) -> None:
        for ev in list(self._events.values()):
            ev.set()

    async def run(self, node: Node, tmpl: dict[str, Any], scope: Scope, arts: list[dict[str, Any]]) -> Node:
        book = self.ctx.book
        node["phase"] = N.RUNNING
        book.save(node)
        ev = asyncio.Event()
        self._events[node["id"]] = ev
        if node["id"] not in book.loaded:
            book.started.setdefault(node["id"], time.time())
        duration = (tmpl.get("suspend") or {}).get("duration")
        try:
            if duration not in (None, ""):
                secs = parse_duration(resolve_text(str(duration), scope, "suspend.duration"))
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
        outputs = suspend_parameters(tmpl)
        if outputs:
            node["outputs"] = {"parameters": outputs}
        if self.ctx.shutdown:
            return book.finish_node(node, N.FAILED, self.ctx.stop_message())
        return book.finish_node(node, N.SUCCEEDED)
