"""Small KFP v2 pipeline IR documents written by hand, of container components (`sh`), so the
feature tests need no Python environment: the shape is the one kfp.compiler writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def container(script: str, *args: str, outputs: dict[str, str] | None = None,
              inputs: dict[str, str] | None = None) -> dict[str, Any]:
    """A container component: `sh -c SCRIPT ARGS…`; parameters name -> parameterType."""
    comp: dict[str, Any] = {"executor": {"container": {"image": "alpine", "command": ["sh", "-c", script, *args]}}}
    if inputs:
        comp["inputDefinitions"] = {"parameters": {k: {"parameterType": t} for k, t in inputs.items()}}
    if outputs:
        comp["outputDefinitions"] = {"parameters": {k: {"parameterType": t} for k, t in outputs.items()}}
    return comp


def pipeline(name: str, tasks: dict[str, dict[str, Any]], components: dict[str, dict[str, Any]],
             inputs: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Tasks refer to components by name; a component with `executor` gets `exec-<name>`."""
    comps: dict[str, Any] = {}
    executors: dict[str, Any] = {}
    for cname, comp in components.items():
        comp = dict(comp)
        executor = comp.pop("executor", None)
        if executor is not None:
            comp["executorLabel"] = f"exec-{cname}"
            executors[f"exec-{cname}"] = executor
        comps[f"comp-{cname}"] = comp
    root: dict[str, Any] = {"dag": {"tasks": tasks}}
    if inputs:
        root["inputDefinitions"] = {"parameters": inputs}
    return {"components": comps, "deploymentSpec": {"executors": executors}, "pipelineInfo": {"name": name},
            "root": root, "schemaVersion": "2.1.0", "sdkVersion": "kfp-2.15.2"}


def task(component: str, *, after: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"componentRef": {"name": f"comp-{component}"}, "taskInfo": {"name": component}}
    if after:
        out["dependentTasks"] = after
    out.update(extra)
    return out


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path
