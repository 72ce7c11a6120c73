"""What a KFP v2 pipeline returned: the parameters of its root DAG (`p-<name>`), as KFP's UI lists a
run's outputs. Read here so `wfexec get` shows them without the kfp package."""

from __future__ import annotations

from typing import Any

from wfexec.kfp.v2.launcher_values import ABSENT


def pipeline_outputs(nodes: dict[str, dict[str, Any]], run: str) -> list[tuple[str, str]]:
    """(name, value) of each parameter the pipeline returned; none for a branch that did not run."""
    root = nodes.get(run) or {}
    return [(p["name"][2:], str(p.get("value", ""))) for p in (root.get("outputs") or {}).get("parameters") or []
            if str(p.get("name", "")).startswith("p-") and "value" in p and p.get("value") != ABSENT]
