"""Map a finished run's status back to the component's output names (for `run-component`)."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from wfexec.kfp.compile import OUTPUTS_ANNOTATION


def component_outputs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`{output name: {"value": str, "artifact": <status artifact>, "location": str}}` from a compiled workflow's status.

    `workflow` is the Workflow object with its `status` (Argo's shape, as `wfexec get -o json` prints).
    Outputs the run did not produce are left out.
    """
    meta = workflow.get("metadata") or {}
    try:
        exported = json.loads((meta.get("annotations") or {}).get(OUTPUTS_ANNOTATION) or "{}")
    except ValueError:
        return {}
    root = _root_node(workflow)
    if root is None or not isinstance(exported, dict):
        return {}
    outs = root.get("outputs") or {}
    artifacts = {a.get("name"): a for a in outs.get("artifacts") or [] if isinstance(a, dict)}
    params = {p.get("name"): p for p in outs.get("parameters") or [] if isinstance(p, dict)}
    result: dict[str, dict[str, Any]] = {}
    for out_name, names in exported.items():
        entry: dict[str, Any] = {}
        if names.get("artifact") in artifacts:
            entry["artifact"] = artifacts[names["artifact"]]
            where = artifact_url(entry["artifact"])
            if where:
                entry["location"] = where
        if names.get("parameter") in params and "value" in params[names["parameter"]]:
            entry["value"] = params[names["parameter"]]["value"]
        if entry:
            result[out_name] = entry
    return result


def artifact_url(artifact: dict[str, Any]) -> str | None:
    """Where a stored artifact can be fetched: a host path (local repository) or an `s3://` URL."""
    local = artifact.get("local")
    if isinstance(local, dict) and local.get("key"):
        root = str(local.get("root") or "")
        return str(PurePosixPath(root) / str(local["key"])) if root else str(local["key"])
    s3 = artifact.get("s3")
    if isinstance(s3, dict) and s3.get("key"):
        return f"s3://{s3.get('bucket', '')}/{s3['key']}"
    return None


def _root_node(workflow: dict[str, Any]) -> dict[str, Any] | None:
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    name = (workflow.get("metadata") or {}).get("name")
    if name in nodes:
        return nodes[name]
    entry = (workflow.get("spec") or {}).get("entrypoint")
    for node in nodes.values():
        if node.get("templateName") == entry and not node.get("boundaryID"):
            return node
    return None
