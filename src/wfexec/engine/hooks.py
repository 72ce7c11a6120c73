"""Exit handlers and lifecycle hooks: a step's or task's `onExit` and `hooks`, the workflow's
expression hooks, and the workflow's exit handler (`spec.onExit` or `spec.hooks.exit`)."""

from __future__ import annotations

from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.context import RunContext, Scope
from wfexec.engine.nodes import Node
from wfexec.engine.protocols import Execute
from wfexec.engine.scope import node_output_scope
from wfexec.engine.templates import resolve_text
from wfexec.engine.values import expr_env, ref_name
from wfexec.errors import WfexecError
from wfexec.expr.template import substitute_obj
from wfexec.expr.values import go_json, go_quote


async def run_step_hooks(ctx: RunContext, execute: Execute, step: dict[str, Any], child: Node, name: str,
                         display: str, scope: Scope, parent: Node | None, boundary: str, where: str) -> None:
    """`onExit` and lifecycle `hooks` of a step or task, once the node has ended."""
    hooks = dict(step.get("hooks") or {})
    if step.get("onExit"):
        hooks.setdefault("exit", {"template": step["onExit"]})
    if not hooks:
        return
    from wfexec.expr.exprlang import evaluate_expr  # expr-lang: only for a step that has hooks

    own = dict(scope)
    sname = step.get("name", "")
    for prefix in (f"steps.{sname}", f"tasks.{sname}"):
        own.update(node_output_scope(prefix, child))
    own.update({"steps.status": child["phase"], "tasks.status": child["phase"], "status": child["phase"]})
    for hook_name, hook in hooks.items():
        if hook_name == "exit":
            run_it = True
        else:
            expr = hook.get("expression")
            try:
                text = resolve_text(str(expr or hook_name), own, f"{where}.hooks.{hook_name}", strict=False)
                run_it = bool(evaluate_expr(text, expr_env(text, own)))
            except WfexecError:
                run_it = False
        if not run_it:
            continue
        suffix = "onExit" if hook_name == "exit" else hook_name
        try:
            args = substitute_obj(hook.get("arguments") or {}, own, where=f"{where}.hooks.{hook_name}", strict=True)
        except WfexecError as exc:
            node = ctx.book.child_node(name=f"{name}.{suffix}", display=f"{display}.{suffix}", node_type=N.POD,
                                       template_name=ref_name(hook), parent=parent, boundary=boundary)
            ctx.book.finish_node(node, N.ERROR, str(exc))
            continue
        ref: Any = hook.get("template") if "templateRef" not in hook else hook
        await execute(name=f"{name}.{suffix}", display=f"{display}.{suffix}", ref=ref, args=args,
                      scope=own, parent=parent, boundary=boundary)


class WorkflowHooks:
    """The workflow's own hooks, run once its entrypoint has ended."""

    def __init__(self, ctx: RunContext, execute: Execute) -> None:
        self.ctx = ctx
        self.execute = execute

    def exit_template(self) -> Any:
        spec = self.ctx.spec
        return spec.get("onExit") or ((spec.get("hooks") or {}).get("exit") or {}).get("template")

    async def run_expression_hooks(self, phase: str) -> None:
        """Workflow-level lifecycle hooks with an `expression`, judged once the entrypoint has ended."""
        ctx = self.ctx
        scope = dict(ctx.gscope, **{"workflow.status": phase})
        for hook_name, hook in (ctx.spec.get("hooks") or {}).items():
            if hook_name == "exit" or not hook.get("expression"):
                continue
            from wfexec.expr.exprlang import evaluate_expr  # expr-lang: only for a workflow that has hooks

            try:
                text = resolve_text(str(hook["expression"]), scope, f"spec.hooks.{hook_name}", strict=False)
                fire = bool(evaluate_expr(text, expr_env(text, scope)))
            except WfexecError:
                fire = False
            if fire:
                await self.execute(name=f"{ctx.name}.hooks.{hook_name}", display=f"{ctx.name}.hooks.{hook_name}",
                                   ref=hook.get("template") if "templateRef" not in hook else hook,
                                   args=hook.get("arguments") or {}, scope=scope, parent=None, boundary=None)

    async def run_exit_handler(self, phase: str, message: str) -> tuple[str, str]:
        """Run the exit handler; its failure fails a run that had succeeded."""
        ctx = self.ctx
        ctx.gscope["workflow.status"] = phase
        ctx.gscope["workflow.failures"] = failures_text(self.failures())
        ctx.shutdown_exempt = True
        handler = await self.execute(name=f"{ctx.name}.onExit", display=f"{ctx.name}.onExit",
                                     ref=self.exit_template(), args={}, scope=ctx.gscope, parent=None,
                                     boundary=None)
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
