"""What runs around a template's body: its memoization (a cache hit replaces the body), its locks
(`synchronization`, held while the body runs) and its custom metrics (once the node has ended).

`Walker.run_body` wraps the body's coroutine with `around_template`; nothing else in the walker
knows about these features.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, cast

from wfexec.engine import nodes as N
from wfexec.engine.context import RunContext, Scope
from wfexec.engine.memo import MemoCache, memoize_of
from wfexec.engine.nodes import Node


async def around_template(ctx: RunContext, node: Node, tmpl: dict[str, Any], scope: Scope,
                          body: Coroutine[Any, Any, Any]) -> Node:
    try:
        memo = memoize_of(tmpl, scope) if tmpl.get("memoize") is not None else None
    except BaseException:
        body.close()
        raise
    cache = MemoCache(ctx.book.journal.store, ctx.options.config) if memo else None
    if memo and cache:
        entry = cache.lookup(memo)
        record = cast(dict[str, Any], node)
        record["memoizationStatus"] = memo.status(entry is not None)
        if entry is not None:
            body.close()  # never started: the cached outputs stand for it
            node["outputs"] = cast(N.NodeOutputs, entry.outputs)
            for p in entry.outputs.get("parameters") or []:
                if p.get("globalName") and "value" in p:
                    ctx.set_global_output(p["globalName"], p["value"])
            node.setdefault("startedAt", N.now())
            return ctx.book.finish_node(node, N.SUCCEEDED)
    await body
    if memo and cache and node.get("phase") == N.SUCCEEDED:
        cache.save(memo, node["id"], dict(node.get("outputs") or {}))
    return node


__all__ = ["around_template"]
