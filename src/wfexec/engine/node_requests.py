"""Changes to a running run's suspended nodes asked by other commands (`node set`, `resume`/`stop`
with --node-field-selector): one JSON file each under the run's `requests/`, taken by its engine.

Files rather than the store's one `control` field: several may wait at once, and each is written
whole (a temporary name, then a rename), so the engine never reads half of one.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class NodeRequest:
    #: Node ids, all Suspend nodes of the run.
    nodes: list[str]
    #: Succeeded or Failed ends the nodes; None leaves them waiting.
    phase: str | None = None
    message: str | None = None
    #: Output parameters the nodes supply (`valueFrom.supplied`).
    outputs: dict[str, str] = field(default_factory=dict)


def request_dir(run_dir: Path) -> Path:
    return run_dir / "requests"


def write_request(run_dir: Path, request: NodeRequest) -> Path:
    folder = request_dir(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{os.getpid()}.json"
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps(asdict(request)))
    os.replace(tmp, folder / name)
    return folder / name


def pending_requests(run_dir: Path) -> list[tuple[Path, NodeRequest]]:
    """The requests not yet taken, oldest first; a damaged file is dropped."""
    folder = request_dir(run_dir)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text())
            out.append((path, NodeRequest(nodes=list(data["nodes"]), phase=data.get("phase"),
                                          message=data.get("message"), outputs=dict(data.get("outputs") or {}))))
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
    return out
