"""What runs around a template's body: its memoization (a cache hit replaces the body), its locks
(`synchronization`, held while the body runs) and its custom metrics (once the node has ended).

`Walker.run_body` wraps the body's coroutine with `around_template`; nothing else in the walker
knows about these features. Memoization and locks are imported by the first template that asks for
them: every run's engine imports this module, and few templates do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, cast

from wfexec.engine import nodes as N
from wfexec.engine.context import RunContext, Scope
from wfexec.engine.metrics import MetricsTable, resolve_metrics
from wfexec.engine.nodes import Node
from wfexec.engine.values import node_duration
from wfexec.errors import WfexecError

if TYPE_CHECKING:
    from wfexec.engine.sync import LockTable

REALTIME_SECONDS = 1.0


def around_template(ctx: RunContext, node: Node, tmpl: dict[str, Any], scope: Scope,
                    body: Coroutine[Any, Any, Any]) -> Coroutine[Any, Any, Any]:
    """The body wrapped in what the template asks for; the body itself when it asks for none (most
    templates: no extra coroutine per node)."""
    if ("metrics" not in tmpl and "synchronization" not in tmpl and "memoize" not in tmpl
            and ctx.on_pod_end is None):
        return body
    return _around(ctx, node, tmpl, scope, body)


async def _around(ctx: RunContext, node: Node, tmpl: dict[str, Any], scope: Scope,
                  body: Coroutine[Any, Any, Any]) -> Node:
    await _measured(ctx, node, tmpl, scope, body)
    if ctx.on_pod_end is not None and node.get("type") == N.POD:
        ctx.on_pod_end(node)  # podGC
    return node


async def _measured(ctx: RunContext, node: Node, tmpl: dict[str, Any], scope: Scope,
                    body: Coroutine[Any, Any, Any]) -> Node:
    specs = (tmpl.get("metrics") or {}).get("prometheus") if isinstance(tmpl.get("metrics"), dict) else None
    if not specs:
        return await _locked(ctx, node, tmpl, scope, body)
    where = f"templates[{tmpl.get('name')}].metrics.prometheus"
    table = MetricsTable(ctx.book.journal.store)
    ticker = None
    if any(isinstance(m, dict) and (m.get("gauge") or {}).get("realtime") for m in specs):
        ticker = asyncio.create_task(_realtime(table, node, specs, scope, where))
    try:
        await _locked(ctx, node, tmpl, scope, body)
    except WfexecError as exc:  # ended in Error: its metrics still count it
        ctx.book.finish_node(node, N.ERROR, str(exc))
    finally:
        if ticker is not None:
            ticker.cancel()
    await asyncio.to_thread(table.record, resolve_metrics(specs, node_metric_scope(node, scope), where))
    return node


def node_metric_scope(node: Node, scope: Scope) -> Scope:
    """Argo's variables for a template's metrics: duration, status, exitCode, outputs, resourcesDuration."""
    out = dict(scope)
    out["status"] = node.get("phase", "")
    out["duration"] = f"{node_duration(node):f}"
    outputs = node.get("outputs") or {}
    if "exitCode" in outputs:
        out["exitCode"] = outputs["exitCode"]
    if "result" in outputs:
        out["outputs.result"] = outputs["result"]
    for p in outputs.get("parameters") or []:
        if "value" in p:
            out[f"outputs.parameters.{p['name']}"] = p["value"]
    for res, amount in (node.get("resourcesDuration") or {}).items():
        out[f"resourcesDuration.{res}"] = str(amount)
    return out


async def _realtime(table: MetricsTable, node: Node, specs: Any, scope: Scope, where: str) -> None:
    """A realtime gauge follows the running node, once a second."""
    while True:
        await asyncio.to_thread(table.record, resolve_metrics(specs, node_metric_scope(node, scope), where,
                                                              realtime_only=True))
        await asyncio.sleep(REALTIME_SECONDS)


async def _locked(ctx: RunContext, node: Node, tmpl: dict[str, Any], scope: Scope,
                  body: Coroutine[Any, Any, Any]) -> Node:
    if tmpl.get("synchronization") is None:
        return await _memoized(ctx, node, tmpl, scope, body)
    from wfexec.engine.sync import LockTable, acquire_all, lock_refs, release_all

    try:
        refs = lock_refs(tmpl["synchronization"], f"templates[{tmpl.get('name')}].synchronization",
                         ctx.manifest.get("metadata", {}).get("namespace") or "argo", ctx.options.config)
    except BaseException:
        body.close()
        raise
    table = LockTable(ctx.book.journal.store)
    record = cast(dict[str, Any], node)
    priority = int(tmpl.get("priority") or ctx.spec.get("priority") or 0)

    def waiting(message: str) -> None:
        node["message"] = message
        record["synchronizationStatus"] = {"waiting": message.split(" ")[2]}
        ctx.book.touch(node)
        _publish(ctx, table)

    try:
        if not await acquire_all(table, refs, node["id"], ctx.name, priority, waiting, ctx.halted):
            body.close()
            return ctx.book.finish_node(node, N.FAILED, ctx.stop_message())
    except BaseException:
        body.close()
        await asyncio.to_thread(release_all, table, refs, node["id"])
        raise
    if record.pop("synchronizationStatus", None) is not None:
        node.pop("message", None)
    try:
        _publish(ctx, table)
        return await _memoized(ctx, node, tmpl, scope, body)
    finally:
        await asyncio.to_thread(release_all, table, refs, node["id"])
        _publish(ctx, table)


def _publish(ctx: RunContext, table: LockTable) -> None:
    """The run's `status.synchronization` as the lock table has it now."""
    from wfexec.engine.sync import synchronization_status

    sync = synchronization_status(table, ctx.name)
    if sync or ctx.status.get("synchronization"):
        ctx.status["synchronization"] = sync
        if not sync:
            ctx.status.pop("synchronization")
        ctx.book.journal.store.update_run(ctx.name, status=ctx.status)


async def _memoized(ctx: RunContext, node: Node, tmpl: dict[str, Any], scope: Scope,
                    body: Coroutine[Any, Any, Any]) -> Node:
    memo = None
    if tmpl.get("memoize") is not None:
        from wfexec.engine.memo import MemoCache, memoize_of

        try:
            memo = memoize_of(tmpl, scope)
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
