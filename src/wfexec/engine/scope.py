"""The `{{…}}` variables Argo offers, built from the workflow and from finished nodes."""

from __future__ import annotations

import json
from typing import Any

from wfexec.engine.nodes import Node
from wfexec.errors import SpecError

#: The annotation a CronWorkflow puts on its runs; `{{workflow.scheduledTime}}` reads it.
SCHEDULED_TIME = "workflows.argoproj.io/scheduled-time"


def workflow_scope(wf: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    meta = wf.get("metadata") or {}
    spec = wf.get("spec") or {}
    scope: dict[str, Any] = {
        "workflow.name": meta.get("name", ""),
        "workflow.namespace": meta.get("namespace", "default"),
        "workflow.uid": meta.get("uid", ""),
        "workflow.serviceAccountName": spec.get("serviceAccountName", "default"),
        "workflow.creationTimestamp": meta.get("creationTimestamp", ""),
        "workflow.priority": str(spec.get("priority", 0)),
        "workflow.mainEntrypoint": spec.get("entrypoint", ""),
        "workflow.status": "Running",
        "workflow.parameters": json.dumps([{"name": k, "value": v} for k, v in parameters.items()]),
        "workflow.parameters.json": json.dumps([{"name": k, "value": v} for k, v in parameters.items()]),
    }
    ts = meta.get("creationTimestamp", "")
    if len(ts) >= 19:
        for key, val in (("Y", ts[0:4]), ("m", ts[5:7]), ("d", ts[8:10]), ("H", ts[11:13]),
                         ("M", ts[14:16]), ("S", ts[17:19])):
            scope[f"workflow.creationTimestamp.{key}"] = val
        scope["workflow.creationTimestamp.RFC3339"] = ts
    for k, v in parameters.items():
        scope[f"workflow.parameters.{k}"] = v
    for k, v in (meta.get("labels") or {}).items():
        scope[f"workflow.labels.{k}"] = str(v)
    for k, v in (meta.get("annotations") or {}).items():
        scope[f"workflow.annotations.{k}"] = str(v)
    scheduled = (meta.get("annotations") or {}).get(SCHEDULED_TIME)
    if scheduled:  # a CronWorkflow's run: the time it was due (or submitted by hand), as Argo sets it
        scope["workflow.scheduledTime"] = str(scheduled)
    scope["workflow.labels.json"] = json.dumps(meta.get("labels") or {})
    scope["workflow.annotations.json"] = json.dumps(meta.get("annotations") or {})
    return scope


def node_output_scope(prefix: str, node: Node) -> dict[str, Any]:
    """`steps.X.*` / `tasks.X.*` entries for one finished node."""
    out: dict[str, Any] = {
        f"{prefix}.id": node["id"],
        f"{prefix}.status": node.get("phase", ""),
        f"{prefix}.startedAt": node.get("startedAt", ""),
        f"{prefix}.finishedAt": node.get("finishedAt", ""),
    }
    if node.get("hostIP") or node.get("podIP"):
        out[f"{prefix}.ip"] = node.get("podIP") or node.get("hostIP")
    outputs = node.get("outputs") or {}
    if "result" in outputs:
        out[f"{prefix}.outputs.result"] = outputs["result"]
    if "exitCode" in outputs:
        out[f"{prefix}.exitCode"] = outputs["exitCode"]
        out[f"{prefix}.outputs.exitCode"] = outputs["exitCode"]
    for p in outputs.get("parameters") or []:
        if "value" in p:
            out[f"{prefix}.outputs.parameters.{p['name']}"] = p["value"]
    for a in outputs.get("artifacts") or []:
        out[f"{prefix}.outputs.artifacts.{a['name']}"] = a
    return out


def aggregate_scope(prefix: str, children: list[Node]) -> dict[str, Any]:
    """Outputs of an expanded loop step as JSON lists, the way Argo aggregates them: children in
    loop order, only those that succeeded; results parsed as JSON where they are JSON; a named
    parameter's values as objects only when every value is a JSON object or list."""
    ordered = sorted(children, key=_loop_index)
    results: list[Any] = []
    params: list[dict[str, str]] = []
    by_name: dict[str, list[str]] = {}
    for child in ordered:
        outputs = child.get("outputs") or {}
        if child.get("phase") != "Succeeded" or not outputs:
            continue
        ps = {p["name"]: p["value"] for p in outputs.get("parameters") or [] if "value" in p}
        if ps:
            params.append(ps)
            for name, value in ps.items():
                by_name.setdefault(name, []).append(value)
        if "result" in outputs:
            try:
                results.append(json.loads(outputs["result"]))
            except (ValueError, TypeError):
                results.append(outputs["result"])
    out: dict[str, Any] = {f"{prefix}.status": _aggregate_phase(children),
                           f"{prefix}.outputs.result": json.dumps(results, separators=(",", ":")),
                           f"{prefix}.outputs.parameters": json.dumps(params, separators=(",", ":"))}
    for name, values in by_name.items():
        parsed = [_json_container(v) for v in values]
        both = parsed if all(p is not None for p in parsed) else values
        out[f"{prefix}.outputs.parameters.{name}"] = json.dumps(both, separators=(",", ":"))
    return out


def _loop_index(node: Node) -> int:
    tail = node.get("name", "").rsplit("(", 1)[-1]
    try:
        return int(tail.split(":", 1)[0])
    except ValueError:
        return 0


def _json_container(text: str) -> Any:
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, dict | list) else None


def _aggregate_phase(children: list[Node]) -> str:
    phases = {c.get("phase") for c in children}
    for p in ("Error", "Failed", "Running", "Pending"):
        if p in phases:
            return p
    return "Succeeded"


def render_item(item: Any) -> str:
    """How Argo prints an item in a node name: `name(0:hello)`, maps as `a:1,b:2`."""
    if isinstance(item, dict):
        return ",".join(f"{k}:{render_value(v)}" for k, v in sorted(item.items()))
    return render_value(item)


def render_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def item_scope(item: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {"item": render_value(item) if not isinstance(item, dict | list) else item}
    if isinstance(item, dict):
        scope["item"] = json.dumps(item, separators=(",", ":"))
        for k, v in item.items():
            scope[f"item.{k}"] = render_value(v)
            if isinstance(v, dict):
                for k2, v2 in v.items():
                    scope[f"item.{k}.{k2}"] = render_value(v2)
    elif isinstance(item, list):
        scope["item"] = json.dumps(item, separators=(",", ":"))
    return scope


#: A sequence of more items is refused before it is made: each item is a node, and a count such as
#: 10^11 would only exhaust the engine's memory.
MAX_SEQUENCE = 1_000_000


def sequence_items(seq: dict[str, Any], where: str) -> list[str]:
    """withSequence: count, start, end, format (printf-style)."""
    try:
        start = int(str(seq.get("start", 0)))
        if "count" in seq and seq.get("count") not in (None, ""):
            count = int(str(seq["count"]))
            end = start + count - 1
            values = range(start, end + 1)
        else:
            end = int(str(seq.get("end", 0)))
            step = 1 if end >= start else -1
            values = range(start, end + step, step)
    except ValueError as exc:
        raise SpecError(f"withSequence needs integers: {exc}", field=f"{where}.withSequence") from None
    if len(values) > MAX_SEQUENCE:
        raise SpecError(f"withSequence makes {len(values)} items, more than one run can hold (at most "
                        f"{MAX_SEQUENCE})", field=f"{where}.withSequence")
    fmt = seq.get("format")
    if fmt:
        return [_printf(fmt, v) for v in values]
    return [str(v) for v in values]


def _printf(fmt: str, value: int) -> str:
    try:
        return fmt % value
    except (TypeError, ValueError):
        return fmt.replace("%d", str(value))
