"""Limits on running children: a semaphore that may be absent, a steps or DAG template's
`parallelism` and `failFast`, and `continueOn`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from wfexec.engine import nodes as N


class maybe:  # noqa: N801 - used like a context-manager function
    """`async with maybe(sem)`: hold `sem` when there is one."""

    def __init__(self, sem: asyncio.Semaphore | None) -> None:
        self.sem = sem

    async def __aenter__(self) -> None:
        if self.sem is not None:
            await self.sem.acquire()

    async def __aexit__(self, *exc: object) -> None:
        if self.sem is not None:
            self.sem.release()


class Guard:
    """A steps or DAG template's limits on its children: `parallelism`, and `failFast` (no new
    child starts once one has failed)."""

    def __init__(self, tmpl: dict[str, Any]) -> None:
        self.sem = asyncio.Semaphore(int(tmpl["parallelism"])) if tmpl.get("parallelism") else None
        self.fail_fast = bool(tmpl.get("failFast"))
        self.failed = False


def continues(step: dict[str, Any], node: Mapping[str, object]) -> bool:
    """True when the step's `continueOn` lets its parent go on after this node's failure or error."""
    cont = step.get("continueOn") or {}
    if node.get("phase") == N.FAILED:
        return bool(cont.get("failed"))
    if node.get("phase") == N.ERROR:
        return bool(cont.get("error"))
    return False
