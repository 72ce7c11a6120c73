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
from wfexec.engine.kept_logs import EMPTY, kept_log, live_containers, pod_log_files, printed_nothing


@dataclass(frozen=True)
class PodLog:
    node_id: str
    pod_name: str
    container: str
    started_at: str


def pod_name_of(run: str, node: dict[str, Any]) -> str:
    return N.node_pod_name(run, node)


def pods_of(run: str, nodes: dict[str, dict[str, Any]], pod: str | None) -> list[dict[str, Any]]:
    """The Pod nodes of a run (or the one whose pod name or node id is `pod`), oldest first; `nodes` comes in
    the order the engine created them, which decides within one second."""
    out = [n for n in nodes.values() if n.get("type") == N.POD]
    if pod:
        out = [n for n in out if pod in (n["id"], pod_name_of(run, n))]
    return sorted(out, key=lambda n: n.get("startedAt") or "")  # stable: the store's order breaks ties


def log_path(run: str, node_id: str, container: str) -> Path | None:
    """The container's log file as it is now: kept log, else live tee, else None. The order of
    kept_logs.pod_log_files, for one container without listing the pod's (a follow looks every poll)."""
    rd = api.run_dir(run)
    kept = kept_log(rd / "logs", node_id, container)
    if kept is not None:
        return kept
    live = live_containers(rd, node_id) / container / "combined"
    if live.exists():
        return live
    return EMPTY if container in printed_nothing(rd / "logs", node_id) else None


def containers_of(run: str, node_id: str) -> list[str]:
    return sorted(pod_log_files(api.run_dir(run), node_id))
