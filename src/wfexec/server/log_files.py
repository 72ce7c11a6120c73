"""Where a run's container logs are on disk, by pod: the live tee while a pod runs, its kept log after.

The engine writes each container's combined stdout+stderr to `<pod dir>/ctr/<container>/combined` while
the pod runs (the pod dir on a tmpfs, or `pods/<node>` in the run dir) and keeps it as
`logs/<node>/<container>.log` once the pod ends (same bytes; an empty one as engine/kept_logs.py says),
so a reader at offset N in one continues at N in the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wfexec.engine import api
from wfexec.engine import nodes as N
from wfexec.engine.kept_logs import EMPTY, kept_files, kept_log, printed_nothing
from wfexec.engine.pod_dirs import live_pod_dir


@dataclass(frozen=True)
class PodLog:
    node_id: str
    pod_name: str
    container: str
    started_at: str


def pod_name_of(run: str, node: dict[str, Any]) -> str:
    return N.pod_name(run, node["name"], node.get("templateName") or "")


def pods_of(run: str, nodes: dict[str, dict[str, Any]], pod: str | None) -> list[dict[str, Any]]:
    """The Pod nodes of a run (or the one whose pod name or node id is `pod`), oldest first; `nodes` comes in
    the order the engine created them, which decides within one second."""
    out = [n for n in nodes.values() if n.get("type") == N.POD]
    if pod:
        out = [n for n in out if pod in (n["id"], pod_name_of(run, n))]
    return sorted(out, key=lambda n: n.get("startedAt") or "")  # stable: the store's order breaks ties


def log_path(run: str, node_id: str, container: str) -> Path | None:
    """The container's log file as it is now: kept log, else live tee, else None."""
    rd = api.run_dir(run)
    kept = kept_log(rd / "logs", node_id, container)
    if kept is not None:
        return kept
    live = _live_ctr(rd, node_id) / container / "combined"
    if live.exists():
        return live
    return EMPTY if container in printed_nothing(rd / "logs", node_id) else None


def _live_ctr(rd: Path, node_id: str) -> Path:
    """A running pod's container directories, wherever the engine put the pod (a tmpfs or the run dir)."""
    pod_dir = live_pod_dir(rd, node_id)
    return (pod_dir if pod_dir is not None else rd / "pods" / node_id) / "ctr"


def containers_of(run: str, node_id: str) -> list[str]:
    rd = api.run_dir(run)
    names = set(kept_files(rd / "logs", node_id)) | printed_nothing(rd / "logs", node_id)
    names |= {p.parent.name for p in _live_ctr(rd, node_id).glob("*/combined")}
    return sorted(names)
