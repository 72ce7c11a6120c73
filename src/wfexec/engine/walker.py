"""Runs a template as a node: find and bind it, then hand it to retries, steps, DAG, suspend, a
local resource or a pod; and one step or task (its `when`, arguments, template and hooks)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.around import around_template
from wfexec.engine.artifacts_glue import ArtifactGlue, node_input_artifacts, substitute_arguments
from wfexec.engine.context import RunContext, Scope
from wfexec.engine.durations import parse_go_duration
from wfexec.engine.guard import Guard, continues, maybe
from wfexec.engine.hooks import run_step_hooks, step_hooks
from wfexec.engine.local_resources import is_local_resource, run_local_resource
from wfexec.engine.nodes import Node
from wfexec.engine.outputs import composite_outputs
from wfexec.engine.pods import Pods
from wfexec.engine.retry import deferred_retry_vars, holds_retry_vars, run_retry
from wfexec.engine.steps import run_steps
from wfexec.engine.suspend import Suspensions
from wfexec.engine.templates import ABSENT, TEMPLATE_KINDS, Templates, check_absent, resolve_text
from wfexec.engine.values import as_text, ref_name
from wfexec.errors import SpecError, WfexecError

CLUSTER_KINDS = ("resource", "data", "http", "plugin")
#: A node left unfinished under a steps or DAG node whose `timeout` passed (its pod was killed).
TIMEOUT_CHILD_MESSAGE = "Step exceeded its deadline"


class Walker:
    def __init__(self, ctx: RunContext, templates: Templates, pods: Pods, suspensions: Suspensions,
                 artifacts: ArtifactGlue) -> None:
        self.ctx = ctx
        self.templates = templates
        self.pods = pods
        self.suspensions = suspensions
        self.artifacts = artifacts

    async def execute(self, *, name: str, display: str, ref: Any, args: dict[str, Any], scope: Scope,
                      parent: Node | None, boundary: str | None, extra: Scope | None = None) -> Node:
        """Run template `ref` as node `name`; return the node once fulfilled."""
        book = self.ctx.book
        nid = N.node_id(self.ctx.name, name)
        existing = book.get(nid)
        if existing is not None and N.is_fulfilled(existing):
            book.adopt(parent, nid)
            return existing
        where = f"template {ref_name(ref)!r}"
        try:
            tmpl = self.templates.with_defaults(self.templates.resolve(ref, where))
            kinds = [k for k in TEMPLATE_KINDS if k in tmpl]
            params, arts = self.templates.bind_inputs(tmpl, args, scope, f"templates[{tmpl['name']}]")
        except WfexecError as exc:
            node = book.child_node(name=name, display=display, node_type=N.POD, template_name=ref_name(ref),
                                   parent=parent, boundary=boundary)
            return book.finish_node(node, N.ERROR, str(exc))
        unresolved = next((p for p in params if holds_retry_vars(str(p["value"]))), None)
        if unresolved is not None and tmpl.get("retryStrategy") is None:
            node = book.child_node(name=name, display=display, node_type=N.POD, template_name=ref_name(ref),
                                   parent=parent, boundary=boundary)
            return book.finish_node(node, N.ERROR, f"failed to resolve {unresolved['value']}: only a template with"
                                    f" a retryStrategy gives it a value (templates[{tmpl['name']}])")
        tscope = self.templates.scope(params, arts, scope)
        if extra:
            tscope.update(extra)
        if tmpl.get("retryStrategy") is not None:  # `retryStrategy: {}` retries until it succeeds
            return await run_retry(self.ctx, self.run_body, name, display, tmpl, params, arts, tscope, parent,
                                   boundary)
        return await self.run_body(name, display, tmpl, kinds, params, arts, tscope, parent, boundary)

    async def run_body(self, name: str, display: str, tmpl: dict[str, Any], kinds: list[str],
                       params: list[dict[str, Any]], arts: list[dict[str, Any]], scope: Scope,
                       parent: Node | None, boundary: str | None) -> Node:
        """The template itself (one attempt of a retried one), as node `name`."""
        book = self.ctx.book
        kind = kinds[0] if kinds else None
        node_type = {"steps": N.STEPS, "dag": N.DAG, "suspend": N.SUSPEND}.get(kind or "", N.POD)
        node = book.child_node(name=name, display=display, node_type=node_type, template_name=tmpl.get("name"),
                               parent=parent, boundary=boundary)
        if params:
            node.setdefault("inputs", {})["parameters"] = params
        if arts:
            node.setdefault("inputs", {})["artifacts"] = node_input_artifacts(arts)
        scope = dict(scope)
        scope["node.name"] = name
        timeout = tmpl.get("timeout")
        try:
            if kind is None:
                raise SpecError("template has no type: expected one of " + ", ".join(TEMPLATE_KINDS[:6]),
                                field=f"templates[{tmpl.get('name')}]")
            if len(kinds) > 1:
                raise SpecError(f"template has more than one type: {', '.join(kinds)}",
                                field=f"templates[{tmpl.get('name')}]")
            if kind in CLUSTER_KINDS and not (kind == "resource" and is_local_resource(tmpl)):
                raise SpecError(f"{kind} templates need a Kubernetes cluster; run this workflow with --kube"
                                + (" (here only PersistentVolumeClaims can be created, applied or deleted)"
                                   if kind == "resource" else ""), field=f"templates[{tmpl.get('name')}].{kind}")
            if kind == "steps":
                coro = run_steps(self.ctx, self, node, tmpl, scope)
            elif kind == "dag":
                from wfexec.engine.dag import run_dag  # with `depends`' parser: only for DAG templates

                coro = run_dag(self.ctx, self, node, tmpl, scope)
            elif kind == "suspend":
                coro = self.suspensions.run(node, tmpl, scope, arts)
            elif kind == "resource":
                coro = run_local_resource(self.ctx, node, tmpl, scope, arts)
            else:
                coro = self.pods.run(node, tmpl, scope, arts)
            coro = around_template(self.ctx, node, tmpl, scope, coro)
            if timeout and kind in ("steps", "dag"):
                secs = parse_go_duration(resolve_text(str(timeout), scope, "timeout"),
                                         f"templates[{tmpl.get('name')}].timeout")
                await self._run_with_timeout(node, coro, secs, f"Max duration limit exceeded ({timeout})")
            else:
                await coro
        except WfexecError as exc:
            book.finish_node(node, N.ERROR, str(exc))
        except OSError as exc:  # e.g. a full disk while preparing the pod's directory
            where = f": {exc.filename}" if exc.filename else ""
            book.finish_node(node, N.ERROR, f"cannot prepare the step: {exc.strerror or exc}{where}")
        return node

    async def _run_with_timeout(self, node: Node, coro: Coroutine[Any, Any, Node], secs: float,
                                message: str) -> None:
        """A steps or DAG node with a `timeout`: once it passes, kill the pods under the node (before
        cancelling it, while their handles are known), and fail what was left unfinished."""
        task = asyncio.ensure_future(coro)
        done, _ = await asyncio.wait({task}, timeout=secs)
        if done:
            task.result()  # its error, if it raised one
            return
        await self.pods.kill_under(node)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        book = self.ctx.book
        prefix = node["name"]
        for under in list(book.nodes.values()):
            if N.is_under(under["name"], prefix) and not N.is_fulfilled(under):
                book.finish_node(under, N.FAILED, TIMEOUT_CHILD_MESSAGE)
        book.finish_node(node, N.FAILED, message)

    async def run_one(self, step: dict[str, Any], name: str, display: str, scope: Scope, parent: Node | None,
                      boundary: str, where: str, item: Any, slots: Guard) -> Node:
        """One step or task (after loop expansion): `when`, arguments, then the template, then its hooks."""
        book = self.ctx.book
        nid = N.node_id(self.ctx.name, name)
        if N.is_fulfilled(book.get(nid)):
            return await self.execute(name=name, display=display, ref=step, args={}, scope=scope, parent=parent,
                                      boundary=boundary)
        outputs = self.ctx.global_outputs_now()  # merged into the copies below, not into `scope` (a hot path)
        try:
            if step.get("when") not in (None, ""):
                from wfexec.expr.govaluate import evaluate_when  # loaded by the first `when` a run meets

                cond = resolve_text(str(step["when"]), {**scope, **outputs} if outputs else scope, f"{where}.when")
                check_absent(cond, f"{where}.when", str(step["when"]))
                if not evaluate_when(cond):
                    node = book.child_node(name=name, display=display, node_type=N.SKIPPED_TYPE,
                                           template_name=ref_name(step), parent=parent, boundary=boundary)
                    return book.finish_node(node, N.SKIPPED, f"when '{cond}' evaluated false")
            args = substitute_arguments(step.get("arguments") or {}, {**scope, **outputs, **deferred_retry_vars(scope)},
                                        where=f"{where}.arguments", strict=True)
            args = self._drop_absent(step, args, where)
        except WfexecError as exc:
            node = book.child_node(name=name, display=display, node_type=N.POD, template_name=ref_name(step),
                                   parent=parent, boundary=boundary)
            return book.finish_node(node, N.ERROR, str(exc))
        ref: Any = step.get("template")
        if "templateRef" in step or "inline" in step:
            ref = step
        async with maybe(slots.sem):
            if slots.fail_fast and slots.failed and not N.is_fulfilled(book.get(nid)):
                return {"id": "", "name": name, "displayName": display, "phase": N.OMITTED, "notRun": True}
            watching = step_hooks(self.ctx, self.execute, step, name, display, scope, parent, boundary, where)
            try:
                child = await self.execute(name=name, display=display, ref=ref, args=args, scope=scope,
                                           parent=parent, boundary=boundary)
            except BaseException:
                if watching is not None:
                    watching[1].cancel()
                raise
        if child["phase"] in (N.FAILED, N.ERROR) and not continues(step, child):
            slots.failed = True
        await run_step_hooks(self.ctx, self.execute, step, child, name, display, scope, parent, boundary, where,
                             watching)
        return child

    async def stop_daemons(self, boundary_id: str) -> None:
        await self.pods.stop_daemons(boundary_id)

    def skipped_outputs(self, step: dict[str, Any], prefix: str) -> Scope:
        """What a skipped or omitted step's outputs read as (Argo): each output parameter's
        `valueFrom.default`, where it has one."""
        try:
            tmpl = self.templates.resolve(step, f"{prefix}.template")
        except WfexecError:
            return {}
        out: Scope = {}
        for p in (tmpl.get("outputs") or {}).get("parameters") or []:
            default = (p.get("valueFrom") or {}).get("default")
            out[f"{prefix}.outputs.parameters.{p['name']}"] = ABSENT if default is None else as_text(default)
        return out

    def _drop_absent(self, step: dict[str, Any], args: dict[str, Any], where: str) -> dict[str, Any]:
        """Arguments that are an absent optional: left out where the input has a default (Argo)."""
        params = args.get("parameters") or []
        if not any(ABSENT in str(p.get("value", "")) for p in params):
            return args
        try:
            tmpl = self.templates.resolve(step if "templateRef" in step or "inline" in step else step.get("template"),
                                          where)
        except WfexecError:
            tmpl = {}
        defaults = {i["name"] for i in (tmpl.get("inputs") or {}).get("parameters") or []
                    if i.get("default") is not None or i.get("value") is not None}
        written = {q.get("name"): str(q.get("value", "")) for q in (step.get("arguments") or {}).get("parameters") or []}
        kept = []
        for p in params:
            value = str(p.get("value", ""))
            if value == ABSENT and p.get("name") in defaults:
                continue
            check_absent(value, f"{where}.arguments.parameters.{p.get('name')}", written.get(p.get("name")))
            kept.append(p)
        return {**args, "parameters": kept}

    def composite_outputs(self, node: Node, tmpl: dict[str, Any], scope: Scope) -> None:
        composite_outputs(self.ctx, self.artifacts, node, tmpl, scope)
