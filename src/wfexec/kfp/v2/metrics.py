"""Scalar metrics of a KFP v2 run (`system.Metrics` artifacts), read from its nodes' outputs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

METRICS_TYPES = ("system.Metrics",)


@dataclass(frozen=True)
class ScalarMetric:
    task: str
    artifact: str
    name: str
    value: float | int


def scalar_metrics(nodes: dict[str, dict[str, Any]]) -> list[ScalarMetric]:
    """Every number logged with `Metrics.log_metric`, per task and artifact, in start order."""
    out: list[ScalarMetric] = []
    pods = sorted((n for n in nodes.values() if n.get("type") == "Pod"), key=lambda n: n.get("startedAt") or "")
    for node in pods:
        for p in (node.get("outputs") or {}).get("parameters") or []:
            if not p.get("name", "").startswith("a-") or not p.get("value"):
                continue
            try:
                arts = json.loads(p["value"])
            except ValueError:
                continue
            for art in arts if isinstance(arts, list) else []:
                if not isinstance(art, dict) or (art.get("type") or {}).get("schemaTitle") not in METRICS_TYPES:
                    continue
                for key, value in (art.get("metadata") or {}).items():
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        out.append(ScalarMetric(node.get("displayName", ""), p["name"][2:], key, value))
    return out
