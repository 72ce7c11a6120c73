"""`-p NAME=VALUE` (and the API's `submitOptions.parameters`) written into the Workflow, as Argo's
submit does: the Workflow object a run shows carries the values it ran with, not the file's."""

from __future__ import annotations

from typing import Any


def apply_parameters(spec: dict[str, Any], values: dict[str, str]) -> None:
    """Argo's order: the given parameters first, in the order given, then the declared ones not given.
    A name the Workflow does not declare is added (Argo takes it; the entrypoint's inputs may read it).
    A declared one keeps its other fields (enum, description) and loses its valueFrom."""
    if not values:
        return
    args = spec.get("arguments")
    if not isinstance(args, dict):
        args = spec["arguments"] = {}
    declared = [p for p in args.get("parameters") or [] if isinstance(p, dict)]
    by_name = {p.get("name"): p for p in declared}
    given = []
    for name, value in values.items():
        entry = {k: v for k, v in by_name.get(name, {}).items() if k != "valueFrom"}
        entry.update(name=name, value=value)
        given.append(entry)
    args["parameters"] = given + [p for p in declared if p.get("name") not in values]
