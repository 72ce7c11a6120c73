"""The narrow interfaces the steps, DAG and hook modules use to run their children: they see
these, not the whole engine."""

from __future__ import annotations

from typing import Any, Protocol

from wfexec.engine.context import Scope
from wfexec.engine.guard import Guard
from wfexec.engine.nodes import Node


class Execute(Protocol):
    """Run template `ref` as node `name` and return the node once fulfilled."""

    async def __call__(self, *, name: str, display: str, ref: Any, args: dict[str, Any], scope: Scope,
                       parent: Node | None, boundary: str | None, extra: Scope | None = None) -> Node: ...


class ChildRunner(Protocol):
    """What a steps or DAG node needs to run its children and to end."""

    async def run_one(self, step: dict[str, Any], name: str, display: str, scope: Scope, parent: Node | None,
                      boundary: str, where: str, item: Any, slots: Guard) -> Node: ...

    async def stop_daemons(self, boundary_id: str) -> None: ...

    def skipped_outputs(self, step: dict[str, Any], prefix: str) -> Scope: ...

    def composite_outputs(self, node: Node, tmpl: dict[str, Any], scope: Scope) -> None: ...
