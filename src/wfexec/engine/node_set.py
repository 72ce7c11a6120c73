"""`set` on a running workflow: give Suspend nodes a phase, message or output parameters from outside.

The request is a file under the run's directory and the control word `set`; the engine reads the file
when it sees the word, so the request reaches the engine however many processes are in between. A
Suspend node given a phase ends with it (its outputs as set); one given only outputs keeps waiting
for `resume` and then ends with them.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wfexec.engine.store import Store
from wfexec.home import wfexec_home


@dataclass(frozen=True)
class NodeSet:
    selector: str
    phase: str | None = None
    message: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)


def _dir(run: str) -> Path:
    return wfexec_home() / "runs" / run / "node-set"


def request_node_set(store: Store, run: str, change: NodeSet) -> None:
    d = _dir(run)
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / f".{time.time_ns()}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(asdict(change)))
    tmp.rename(d / f"{time.time_ns()}.{os.getpid()}.json")
    store.set_control(run, "set")


def take_node_sets(run: str) -> list[NodeSet]:
    """The pending requests, oldest first; each is removed as it is read."""
    d = _dir(run)
    out: list[NodeSet] = []
    for f in sorted(d.glob("*.json")) if d.is_dir() else []:
        try:
            data = json.loads(f.read_text())
            out.append(NodeSet(str(data["selector"]), data.get("phase"), data.get("message"),
                               {str(k): str(v) for k, v in (data.get("outputs") or {}).items()}))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged request is dropped, not retried forever
        f.unlink(missing_ok=True)
    return out


def apply_outputs(node: dict[str, Any], change: NodeSet) -> None:
    """Set the node's output parameters (by name) and message as the request says."""
    if change.outputs:
        params = {p["name"]: p for p in (node.get("outputs") or {}).get("parameters") or []}
        for name, value in change.outputs.items():
            params[name] = {**params.get(name, {"name": name}), "value": value}
        node.setdefault("outputs", {})["parameters"] = list(params.values())
    if change.message:
        node["message"] = change.message
