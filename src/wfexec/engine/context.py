"""What every part of a running workflow shares: its name, spec, options, node book, global scope,
global outputs, and whether it is being stopped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfexec.engine.nodebook import NodeBook
from wfexec.engine.nodes import Node
from wfexec.engine.options import RunOptions

Scope = dict[str, Any]
#: The longest wait asyncio is asked for (a backoff of factor 1e308 is no reason to fail).
LONGEST_PAUSE = 10.0 ** 7


@dataclass
class RunContext:
    name: str
    manifest: dict[str, Any]
    spec: dict[str, Any]
    options: RunOptions
    #: The run's stored status (its global outputs, the artifact repository chosen); saved at the end.
    status: dict[str, Any]
    run_dir: Path
    book: NodeBook
    gscope: Scope = field(default_factory=dict)
    global_outputs: dict[str, str] = field(default_factory=dict)
    global_artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: "stop", "terminate" or "deadline" once the run is being ended ("fault": the engine's own, see `fault`).
    shutdown: str | None = None
    #: What ended the run when the engine itself failed: the message of the nodes it left unfinished.
    fault: str | None = None
    #: The exit handler runs even while the run is stopping.
    shutdown_exempt: bool = False
    #: Set while new pods may start; cleared by `wfexec suspend` (or spec.suspend), set again by resume or stop.
    unsuspended: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set once the run starts to end (stop, terminate, deadline, fault): what waits for time wakes up.
    ending: asyncio.Event = field(default_factory=asyncio.Event)
    #: Told of every pod node that has ended (podGC); set by the run when its spec has podGC.
    on_pod_end: Callable[[Node], None] | None = None

    @property
    def grace(self) -> float:
        return float(self.options.grace)

    def halted(self) -> bool:
        """No new child may start: the run is stopping and this is not its exit handler."""
        return bool(self.shutdown) and not self.shutdown_exempt

    def stop_message(self) -> str:
        if self.fault:
            return self.fault
        return f"Stopped with strategy '{(self.shutdown or '').capitalize()}'"

    async def pause(self, seconds: float) -> None:
        """Wait `seconds` (a retry's backoff), or less when the run starts to end: a stop or terminate
        ends the run now, as Argo's does, not after the backoff."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ending.wait(), timeout=min(seconds, LONGEST_PAUSE))

    def workflow_arguments(self) -> dict[str, Any]:
        """spec.arguments with the values given at submit (`-p name=value`): the entrypoint's and the
        exit handler's arguments."""
        args = self.spec.get("arguments") or {}
        given = self.options.parameters
        params = [{**p, "value": given.get(p["name"], p.get("value"))} for p in args.get("parameters") or []]
        return {"parameters": params, "artifacts": args.get("artifacts") or []}

    def global_outputs_now(self) -> Scope:
        """The run's global outputs as they are now, to lay over a step's scope: a template's scope is
        made when it starts, and a step after the one that set `globalName` reads the value (Argo merges
        its global parameters into every step's and task's scope)."""
        if not (self.global_outputs or self.global_artifacts):
            return {}
        now: Scope = {f"workflow.outputs.parameters.{k}": v for k, v in self.global_outputs.items()}
        now.update((f"workflow.outputs.artifacts.{k}", v) for k, v in self.global_artifacts.items())
        return now

    def set_global_output(self, name: str, value: str) -> None:
        self.global_outputs[name] = value
        self.gscope[f"workflow.outputs.parameters.{name}"] = value
