"""Steps templates: groups run one after another, the steps of a group (and their loop items) at
once; a failed step (without `continueOn`) fails its group and ends the template."""

from __future__ import annotations

import asyncio
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.context import RunContext, Scope
from wfexec.engine.guard import Guard, continues
from wfexec.engine.nodebook import NodeBook
from wfexec.engine.nodes import Node
from wfexec.engine.protocols import ChildRunner
from wfexec.engine.scope import aggregate_scope, item_scope, node_output_scope, render_item
from wfexec.engine.templates import EMPTY_PARAMS, expand_items
from wfexec.engine.tree import outbound_of, set_steps_outbound
from wfexec.errors import WfexecError


async def run_steps(ctx: RunContext, runner: ChildRunner, node: Node, tmpl: dict[str, Any], scope: Scope) -> Node:
    book = ctx.book
    node["phase"] = N.RUNNING
    book.save(node)
    local = dict(scope)
    tname = tmpl.get("name", "")
    slots = Guard(tmpl)
    failed: Node | None = None
    last_group: Node | None = None
    for i, group in enumerate(tmpl.get("steps") or []):
        if isinstance(group, dict):
            group = [group]
        gname = f"{node['name']}[{i}]"
        gnode = book.child_node(name=gname, display=f"[{i}]", node_type=N.STEP_GROUP, template_name=None,
                                parent=node if last_group is None else None, boundary=node["id"])
        if last_group is not None:
            _chain(book, last_group, gnode)
        last_group = gnode
        gnode["phase"] = N.RUNNING if not N.is_fulfilled(gnode) else gnode["phase"]
        book.save(gnode)
        results = await asyncio.gather(*(_run_step(ctx, runner, step, gnode, local, node["id"], tname, slots)
                                         for step in group))
        group_failed = None
        for step, (children, is_loop) in zip(group, results, strict=True):
            prefix = f"steps.{step['name']}"
            if is_loop:
                local.update(aggregate_scope(prefix, children))
            elif children:
                local.update(node_output_scope(prefix, children[0]))
                if children[0]["phase"] in (N.SKIPPED, N.OMITTED) and not children[0].get("outputs"):
                    local.update(runner.skipped_outputs(step, prefix))
            for child in children:
                if child["phase"] in (N.FAILED, N.ERROR) and not continues(step, child):
                    group_failed = group_failed or child
        if group_failed is not None:
            book.finish_node(gnode, N.FAILED, f"child '{group_failed['id']}' failed")
            failed = group_failed
            break
        book.finish_node(gnode, N.SUCCEEDED)
        if ctx.halted():
            break
    await runner.stop_daemons(node["id"])
    set_steps_outbound(book.nodes, node, last_group)
    if failed is not None:
        return book.finish_node(node, N.FAILED, f"child '{failed['id']}' failed")
    if ctx.halted():
        return book.finish_node(node, N.FAILED, ctx.stop_message())
    runner.composite_outputs(node, tmpl, local)
    return book.finish_node(node, node["phase"] if node["phase"] in (N.ERROR,) else N.SUCCEEDED,
                            node.get("message", "") if node["phase"] == N.ERROR else "")


def _chain(book: NodeBook, previous: Node, group: Node) -> None:
    """Argo's chain: a group is a child of the outbound nodes of the group before it (of that group
    itself when it has no steps, e.g. an empty withParam)."""
    children = previous.get("children") or []
    if not children:
        book.adopt(previous, group["id"])
    for child in children:
        for out in outbound_of(book.nodes, child):
            book.adopt(book.nodes[out], group["id"])


async def _run_step(ctx: RunContext, runner: ChildRunner, step: dict[str, Any], gnode: Node, scope: Scope,
                    boundary: str, tname: str, slots: Guard) -> tuple[list[Node], bool]:
    """One step of a group: its node, or its loop's nodes (True)."""
    sname = step.get("name", "")
    base = f"{gnode['name']}.{sname}"
    where = f"templates[{tname}].steps.{sname}"
    try:
        items = expand_items(step, scope, where)
    except WfexecError as exc:
        node = ctx.book.child_node(name=base, display=sname, node_type=N.POD, template_name=step.get("template"),
                                   parent=gnode, boundary=boundary)
        return [ctx.book.finish_node(node, N.ERROR, str(exc))], False
    if items is None:
        return [await runner.run_one(step, base, sname, scope, gnode, boundary, where, None, slots)], False
    if not items:  # Argo: a loop over nothing is one Skipped node
        node = ctx.book.child_node(name=base, display=sname, node_type=N.SKIPPED_TYPE,
                                   template_name=step.get("template"), parent=gnode, boundary=boundary)
        if not N.is_fulfilled(node):
            ctx.book.finish_node(node, N.SKIPPED, EMPTY_PARAMS)
        return [], True
    children = await asyncio.gather(*(
        runner.run_one(step, f"{base}({i}:{render_item(item)})", f"{sname}({i}:{render_item(item)})",
                       {**scope, **item_scope(item)}, gnode, boundary, where, item, slots)
        for i, item in enumerate(items)))
    return list(children), True
