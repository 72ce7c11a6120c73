"""Exit handlers and lifecycle hooks: a step's or task's `onExit` and `hooks`, the workflow's
expression hooks, and the workflow's exit handler (`spec.onExit` or `spec.hooks.exit`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.artifacts_glue import substitute_arguments
from wfexec.engine.context import RunContext, Scope
from wfexec.engine.nodes import Node
from wfexec.engine.protocols import Execute
from wfexec.engine.scope import node_output_scope
from wfexec.engine.templates import resolve_text
from wfexec.engine.values import expr_env, ref_name
from wfexec.errors import WfexecError
from wfexec.expr.values import go_json, go_quote

#: How often a running node's (or workflow's) lifecycle hooks are judged again; Argo judges them on
#: every pass of its controller.
HOOK_POLL_SECONDS = 0.2
HOOKED = {"hooked": True}


class HookWatch:
    """The lifecycle hooks (not `exit`) of a step, a task or the workflow: each fires at most once, when
    its expression holds, judged while the node runs and once more when it has ended, as Argo's
    controller judges them on every pass (so a `running` hook fires while its node runs)."""

    def __init__(self, ctx: RunContext, execute: Execute, hooks: dict[str, Any], node_name: str, display: str,
                 parent: Node | None, boundary: str | None, where: str) -> None:
        self.ctx, self.execute = ctx, execute
        self.hooks = {k: h for k, h in hooks.items() if k != "exit" and isinstance(h, dict)}
        self.node_name, self.display, self.parent, self.boundary, self.where = \
            node_name, display, parent, boundary, where
        self.fired: set[str] = set()
        self.running: list[asyncio.Task[None]] = []

    def judge(self, scope: Scope) -> None:
        """Start each hook not fired yet whose expression holds in `scope`."""
        from wfexec.expr.exprlang import evaluate_expr  # expr-lang: only for a node that has hooks

        for hook_name, hook in self.hooks.items():
            if hook_name in self.fired:
                continue
            try:
                text = resolve_text(str(hook.get("expression") or hook_name), scope,
                                    f"{self.where}.hooks.{hook_name}", strict=False)
                holds = bool(evaluate_expr(text, expr_env(text, scope)))
            except WfexecError:
                holds = False
            if holds:
                self.fired.add(hook_name)
                self.running.append(asyncio.create_task(self._fire(hook_name, hook, dict(scope))))

    async def watch(self, scope_now: Callable[[], Scope]) -> None:
        """Judge the hooks while the node runs (cancelled when it has ended)."""
        while True:
            self.judge(scope_now())
            await asyncio.sleep(HOOK_POLL_SECONDS)

    async def finish(self, scope: Scope) -> None:
        """The last judgement, on the ended node, then wait for every hook that fired."""
        self.judge(scope)
        await asyncio.gather(*self.running)

    async def _fire(self, hook_name: str, hook: dict[str, Any], scope: Scope) -> None:
        name, display = f"{self.node_name}.hooks.{hook_name}", f"{self.display}.hooks.{hook_name}"
        await run_hook(self.ctx, self.execute, hook, name, display, scope, self.parent, self.boundary,
                       f"{self.where}.hooks.{hook_name}")


async def run_hook(ctx: RunContext, execute: Execute, hook: dict[str, Any], name: str, display: str, scope: Scope,
                   parent: Node | None, boundary: str | None, where: str) -> Node:
    """One hook's template as node `name`, its arguments resolved in `scope`; flagged `hooked`, as Argo's."""
    try:
        args = substitute_arguments(hook.get("arguments") or {}, scope, where=where, strict=True)
    except WfexecError as exc:
        node = ctx.book.child_node(name=name, display=display, node_type=N.POD, template_name=ref_name(hook),
                                   parent=parent, boundary=boundary)
        node["nodeFlag"] = dict(HOOKED)
        return ctx.book.finish_node(node, N.ERROR, str(exc))
    ref: Any = hook.get("template") if "templateRef" not in hook else hook
    node = await execute(name=name, display=display, ref=ref, args=args, scope=scope, parent=parent,
                         boundary=boundary)
    if node.get("id") and not (node.get("nodeFlag") or {}).get("hooked"):
        node["nodeFlag"] = {**(node.get("nodeFlag") or {}), **HOOKED}
        ctx.book.save(node)
    return node


def step_hooks(ctx: RunContext, execute: Execute, step: dict[str, Any], name: str, display: str, scope: Scope,
               parent: Node | None, boundary: str, where: str) -> tuple[HookWatch, asyncio.Task[None]] | None:
    """A watch over a step's or task's lifecycle hooks while it runs (None when it has none): its
    `steps.<name>.status` (and `tasks.`) is the node's phase as it is now."""
    hooks = {k: h for k, h in (step.get("hooks") or {}).items() if k != "exit"}
    if not hooks:
        return None
    watch = HookWatch(ctx, execute, hooks, name, display, parent, boundary, where)
    nid, sname = N.node_id(ctx.name, name), step.get("name", "")

    def scope_now() -> Scope:
        node = ctx.book.get(nid)
        phase = node["phase"] if node else N.PENDING
        return {**scope, f"steps.{sname}.status": phase, f"tasks.{sname}.status": phase}

    return watch, asyncio.create_task(watch.watch(scope_now))


async def run_step_hooks(ctx: RunContext, execute: Execute, step: dict[str, Any], child: Node, name: str,
                         display: str, scope: Scope, parent: Node | None, boundary: str, where: str,
                         watching: tuple[HookWatch, asyncio.Task[None]] | None = None) -> None:
    """Once the step or task has ended: the last judgement of its lifecycle hooks, then `onExit`."""
    exit_hook = (step.get("hooks") or {}).get("exit") or ({"template": step["onExit"]} if step.get("onExit") else None)
    if watching is None and exit_hook is None:
        return
    own = dict(scope)
    sname = step.get("name", "")
    for prefix in (f"steps.{sname}", f"tasks.{sname}"):
        own.update(node_output_scope(prefix, child))
    own.update({"steps.status": child["phase"], "tasks.status": child["phase"], "status": child["phase"]})
    if watching is not None:
        watch, task = watching
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await watch.finish(own)
    if exit_hook is not None:
        await run_hook(ctx, execute, exit_hook, f"{name}.onExit", f"{display}.onExit", own, parent, boundary,
                       f"{where}.hooks.exit")


class WorkflowHooks:
    """The workflow's own hooks: its lifecycle hooks, judged while it runs and once it has ended, and
    its exit handler."""

    def __init__(self, ctx: RunContext, execute: Execute) -> None:
        self.ctx = ctx
        self.execute = execute
        self.watching: tuple[HookWatch, asyncio.Task[None]] | None = None

    def exit_hook(self) -> dict[str, Any] | None:
        """The exit handler with its arguments, as Argo's GetExitHook gives it: `onExit` takes the
        workflow's arguments; `hooks.exit` its own, else the workflow's."""
        spec = self.ctx.spec
        wf_args = self.ctx.workflow_arguments()
        if spec.get("onExit"):
            return {"template": spec["onExit"], "arguments": wf_args}
        hook = (spec.get("hooks") or {}).get("exit")
        if not isinstance(hook, dict) or not (hook.get("template") or hook.get("templateRef")):
            return None
        return {**hook, "arguments": hook.get("arguments") or wf_args}

    def start(self) -> None:
        """Start judging the lifecycle hooks with `workflow.status` Running (Argo's first pass already does)."""
        ctx = self.ctx
        hooks = {k: h for k, h in (ctx.spec.get("hooks") or {}).items() if k != "exit" and isinstance(h, dict)
                 and h.get("expression")}
        if hooks:
            watch = HookWatch(ctx, self.execute, hooks, ctx.name, ctx.name, None, None, "spec")
            self.watching = watch, asyncio.create_task(
                watch.watch(lambda: dict(ctx.gscope, **{"workflow.status": N.RUNNING})))

    def stop(self) -> None:
        """The run ended without its last judgement (stopped, or a fault): no more hooks start."""
        if self.watching is not None:
            self.watching[1].cancel()
            self.watching = None

    async def run_expression_hooks(self, phase: str) -> None:
        """The last judgement of the lifecycle hooks, with the workflow's final status; waits for them."""
        watch = self.watching[0] if self.watching is not None else None
        self.stop()
        if watch is not None:
            await watch.finish(dict(self.ctx.gscope, **{"workflow.status": phase}))

    async def run_exit_handler(self, phase: str, message: str) -> tuple[str, str]:
        """Run the exit handler, if the workflow has one; its failure fails a run that had succeeded."""
        ctx = self.ctx
        hook = self.exit_hook()
        if hook is None:
            return phase, message
        ctx.gscope["workflow.status"] = phase
        ctx.gscope["workflow.failures"] = failures_text(self.failures())
        ctx.shutdown_exempt = True
        handler = await run_hook(ctx, self.execute, hook, f"{ctx.name}.onExit", f"{ctx.name}.onExit", ctx.gscope,
                                 None, None, "spec.onExit")
        if handler["phase"] in (N.FAILED, N.ERROR) and phase == N.SUCCEEDED:
            return handler["phase"], handler.get("message", "")
        return phase, message

    def failures(self) -> list[dict[str, Any]]:
        """`{{workflow.failures}}` as Argo's operator.go builds it: every Failed or Error node of any type
        (the entrypoint's and its groups' too), each with its v2 pod name whether or not it is a pod. Argo
        walks a Go map, in no set order; these come in the order the nodes were made."""
        ctx = self.ctx
        return [{"displayName": n.get("displayName", ""), "message": n.get("message", ""),
                 "templateName": N.node_template(n), "phase": n["phase"],
                 "podName": N.node_pod_name(ctx.name, n), "finishedAt": n.get("finishedAt")}
                for n in ctx.book.nodes.values() if n.get("phase") in (N.FAILED, N.ERROR)]


def failures_text(failures: list[dict[str, Any]]) -> str:
    """The list as Go's json.Marshal writes its struct slice (fields in order, no spaces, nil as `null`),
    then strconv.Quote'd as Argo sets it: a pod gets `"[{\\"displayName\\":…}]"`, which `sh -c` echoes as JSON."""
    items = ["{" + ",".join(f"{go_json(k)}:{go_json(v)}" for k, v in f.items()) + "}" for f in failures]
    return go_quote("[" + ",".join(items) + "]" if items else "null")
