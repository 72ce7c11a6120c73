"""DAG templates: each task waits for the tasks it depends on, then runs when its `depends`
expression holds (else it is Omitted). With failFast (the default), no new task starts once a
failed branch will fail the DAG; the DAG's phase is that of its failed leaf branch, if any."""

from __future__ import annotations

import asyncio
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.context import RunContext, Scope
from wfexec.engine.guard import Guard, continues
from wfexec.engine.nodes import Node
from wfexec.engine.protocols import ChildRunner
from wfexec.engine.scope import aggregate_scope, item_scope, node_output_scope, render_item
from wfexec.engine.templates import EMPTY_PARAMS, expand_items, resolve_text
from wfexec.engine.tree import outbound_of, set_dag_outbound
from wfexec.engine.values import ref_name
from wfexec.errors import SpecError, WfexecError
from wfexec.expr.depends import DependsExpr, TaskState, dependencies_to_depends, parse_depends


def task_state(node: Node, children: list[Node], task: dict[str, Any]) -> TaskState:
    """A finished task as a `depends` expression sees it."""
    phase = node.get("phase", N.PENDING)
    if node.get("notRun"):
        phase = N.OMITTED
    cont = task.get("continueOn") or {}
    return TaskState(phase=phase, daemoned=bool(node.get("daemoned")),
                     children_phases=[c.get("phase", "") for c in children],
                     continue_on_failed=bool(cont.get("failed")), continue_on_error=bool(cont.get("error")))


class DagRun:
    """One DAG node's run: its tasks, what each depends on, and what has finished."""

    def __init__(self, ctx: RunContext, runner: ChildRunner, node: Node, tmpl: dict[str, Any],
                 scope: Scope) -> None:
        self.ctx = ctx
        self.runner = runner
        self.node = node
        self.tmpl = tmpl
        dag = tmpl.get("dag") or {}
        self.tname = tmpl.get("name", "")
        self.tasks: dict[str, dict[str, Any]] = {t["name"]: t for t in dag.get("tasks") or []}
        self.exprs: dict[str, DependsExpr | None] = {}
        for name, t in self.tasks.items():
            if t.get("depends"):
                self.exprs[name] = parse_depends(str(t["depends"]))
            elif t.get("dependencies"):
                self.exprs[name] = parse_depends(dependencies_to_depends(list(t["dependencies"])))
            else:
                self.exprs[name] = None
        self.deps = {n: (e.tasks() if e else set()) for n, e in self.exprs.items()}
        for n, ds in self.deps.items():
            missing = ds - self.tasks.keys()
            if missing:
                raise SpecError(f"task {n!r} depends on unknown task(s) {', '.join(sorted(missing))}",
                                field=f"templates[{self.tname}].dag.tasks.{n}")
        target = dag.get("target")
        names: list[str] = []
        self.selected = set(self.tasks)
        if target:
            names = resolve_text(str(target), scope, f"templates[{self.tname}].dag.target").replace(",", " ").split()
            unknown = [t for t in names if t not in self.tasks]
            if unknown:
                raise SpecError(f"target task(s) {', '.join(unknown)} not found",
                                field=f"templates[{self.tname}].dag.target")
            self.selected = set()
            stack = list(names)
            while stack:
                tn = stack.pop()
                if tn not in self.selected:
                    self.selected.add(tn)
                    stack.extend(self.deps[tn])
        self.fail_fast = dag.get("failFast", True) is not False
        self.local = dict(scope)
        self.results: dict[str, tuple[Node, list[Node]]] = {}
        self.events = {n: asyncio.Event() for n in self.selected}
        self.failed = False  # failFast: a failed branch will fail the DAG; start no new task
        self.slots = Guard(tmpl)
        dependents = {d for tn in self.selected for d in self.deps[tn]}
        self.leaves = [tn for tn in sorted(self.selected) if tn not in dependents]
        if target:
            self.leaves = list(dict.fromkeys(names))  # Argo keeps the target's order

    async def run(self) -> Node:
        ctx, node, book = self.ctx, self.node, self.ctx.book
        await asyncio.gather(*(self._run_task(n) for n in sorted(self.selected)))
        await self.runner.stop_daemons(node["id"])
        self._set_outbound()
        if ctx.halted():
            return book.finish_node(node, N.FAILED, ctx.stop_message())
        failed_leaf = next((tn for tn in self.leaves if self._branch_failed(tn)), None)
        if failed_leaf is not None:
            culprit = next((self.results[tn][0] for tn in sorted(self.selected)
                            if self.results[tn][0]["phase"] in (N.FAILED, N.ERROR)
                            and not continues(self.tasks[tn], self.results[tn][0])), self.results[failed_leaf][0])
            ref = culprit.get("id") or culprit.get("name")
            return book.finish_node(node, self._branch_phase(failed_leaf, {}), f"child '{ref}' failed")
        try:
            self.runner.composite_outputs(node, self.tmpl, self.local)
        except WfexecError as exc:
            return book.finish_node(node, N.ERROR, str(exc))
        return book.finish_node(node, N.SUCCEEDED)

    def _link(self, tn: str) -> Node | None:
        """Argo's DAG shape: a task is a child of the outbound nodes of the tasks it depends on (a
        retried task's last attempt, a nested steps or DAG's last nodes); roots of the DAG node."""
        nid = N.node_id(self.ctx.name, f"{self.node['name']}.{tn}")
        if not self.deps[tn]:
            return self.node
        book = self.ctx.book
        for d in sorted(self.deps[tn]):
            dn = self.results[d][0]
            if dn.get("id"):
                for out in outbound_of(book.nodes, dn["id"]):
                    book.adopt(book.nodes[out], nid)
        return None

    def _set_outbound(self) -> None:
        ids = [self.results[tn][0].get("id", "") for tn in self.leaves if tn in self.results]
        set_dag_outbound(self.ctx.book.nodes, self.node, [i for i in ids if i])

    async def _run_task(self, tn: str) -> None:
        book, node, t = self.ctx.book, self.node, self.tasks[tn]
        try:
            for d in self.deps[tn]:
                await self.events[d].wait()
            where = f"templates[{self.tname}].dag.tasks.{tn}"
            base = f"{node['name']}.{tn}"
            ok = True
            expr = self.exprs[tn]
            if expr is not None:
                states = {d: task_state(*self.results[d], self.tasks[d]) for d in self.deps[tn]}
                ok = expr.evaluate(states)
            parent = self._link(tn)
            if not ok:
                n = book.child_node(name=base, display=tn, node_type=N.SKIPPED_TYPE,
                                    template_name=ref_name(t), parent=parent, boundary=node["id"])
                if not N.is_fulfilled(n):
                    book.finish_node(n, N.OMITTED, "omitted: depends condition not met")
                self.results[tn] = (n, [])
                self.local.update(self.runner.skipped_outputs(t, f"tasks.{tn}"))
                return
            if self.failed and not N.is_fulfilled(book.get(N.node_id(self.ctx.name, base))):
                self.results[tn] = ({"id": "", "name": base, "phase": N.OMITTED, "notRun": True}, [])
                return
            try:
                items = expand_items(t, self.local, where)
            except WfexecError as exc:
                n = book.child_node(name=base, display=tn, node_type=N.POD, template_name=ref_name(t),
                                    parent=parent, boundary=node["id"])
                self.results[tn] = (book.finish_node(n, N.ERROR, str(exc)), [])
                return
            if items is None:
                child = await self.runner.run_one(t, base, tn, self.local, parent, node["id"], where, None,
                                                  self.slots)
                self.results[tn] = (child, [])
                self.local.update(node_output_scope(f"tasks.{tn}", child))
                if child["phase"] in (N.SKIPPED, N.OMITTED) and not child.get("outputs"):
                    self.local.update(self.runner.skipped_outputs(t, f"tasks.{tn}"))
            else:
                await self._run_loop(tn, t, base, where, items, parent)
            if self.fail_fast and self.results[tn][0]["phase"] in (N.FAILED, N.ERROR, N.OMITTED):
                if any(self._branch_failed(leaf) for leaf in self.leaves if leaf in self.results):
                    self.failed = True
        finally:
            self.events[tn].set()

    async def _run_loop(self, tn: str, t: dict[str, Any], base: str, where: str, items: list[Any],
                        parent: Node | None) -> None:
        """A looping task: a TaskGroup node with one child per item."""
        book, node = self.ctx.book, self.node
        if not items:  # Argo: a loop over nothing is one Skipped node
            n = book.child_node(name=base, display=tn, node_type=N.SKIPPED_TYPE, template_name=ref_name(t),
                                parent=parent, boundary=node["id"])
            if not N.is_fulfilled(n):
                book.finish_node(n, N.SKIPPED, EMPTY_PARAMS)
            self.results[tn] = (n, [])
            self.local.update(aggregate_scope(f"tasks.{tn}", []))
            return
        group = book.child_node(name=base, display=tn, node_type=N.TASK_GROUP,
                                template_name=ref_name(t), parent=parent, boundary=node["id"])
        if not N.is_fulfilled(group):
            group["phase"] = N.RUNNING
            book.save(group)
        children = await asyncio.gather(*(
            self.runner.run_one(t, f"{base}({i}:{render_item(item)})", f"{tn}({i}:{render_item(item)})",
                                {**self.local, **item_scope(item)}, group, node["id"], where, item, self.slots)
            for i, item in enumerate(items)))
        bad = [c for c in children if c["phase"] in (N.FAILED, N.ERROR) and not continues(t, c)]
        if not N.is_fulfilled(group):
            book.finish_node(group, bad[0]["phase"] if bad else N.SUCCEEDED,
                             f"child '{bad[0]['id']}' failed" if bad else "")
        self.results[tn] = (group, list(children))
        self.local.update(aggregate_scope(f"tasks.{tn}", list(children)))
        self.local[f"tasks.{tn}.id"] = group["id"]

    def _branch_phase(self, tn: str, memo: dict[str, str]) -> str:
        """The phase of a task's branch: omitted tasks inherit a failure from the tasks they follow."""
        if tn in memo:
            return memo[tn]
        n, _ = self.results[tn]
        ph = n["phase"]
        if n.get("notRun"):
            ph = N.FAILED
        elif ph in (N.SKIPPED, N.OMITTED):
            parents = [self._branch_phase(d, memo) for d in self.deps[tn] if d in self.results]
            bad = [p for p in parents if p in (N.FAILED, N.ERROR)]
            ph = bad[0] if bad else N.SUCCEEDED
        memo[tn] = ph
        return ph

    def _branch_failed(self, tn: str) -> bool:
        ph = self._branch_phase(tn, {})
        return ph in (N.FAILED, N.ERROR) and not continues(self.tasks[tn], {"phase": ph})


async def run_dag(ctx: RunContext, runner: ChildRunner, node: Node, tmpl: dict[str, Any], scope: Scope) -> Node:
    node["phase"] = N.RUNNING
    ctx.book.save(node)
    return await DagRun(ctx, runner, node, tmpl, scope).run()
