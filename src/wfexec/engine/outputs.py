"""A node's output parameters: a pod's (read from its files), a steps or DAG template's (from its
children), a suspend node's (its defaults)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from wfexec.engine import nodes as N
from wfexec.engine.context import RunContext, Scope
from wfexec.engine.nodes import Node, NodeOutputs
from wfexec.engine.templates import resolve_text
from wfexec.engine.values import as_text, expr_env
from wfexec.errors import WfexecError
from wfexec.pod import PodResult


class CompositeArtifacts(Protocol):
    def composite_outputs(self, node: Node, outputs: dict[str, Any], scope: Scope,
                          where: str) -> list[dict[str, Any]]: ...


def pod_parameters(tmpl: dict[str, Any], result: PodResult, phase: str, message: str,
                   set_global: Callable[[str, str], None]) -> tuple[list[dict[str, Any]], str, str]:
    """The pod's output parameters, and its phase and message (Error when a required file is missing)."""
    params_out = []
    for p in (tmpl.get("outputs") or {}).get("parameters") or []:
        vf = p.get("valueFrom") or {}
        entry: dict[str, Any] = {"name": p["name"]}
        if "value" in p:
            entry["value"] = as_text(p["value"])
        elif vf.get("path"):
            value = result.parameters.get(p["name"])
            if value is None:
                if vf.get("default") is not None:
                    value = as_text(vf["default"])
                elif phase == N.SUCCEEDED:
                    phase, message = N.ERROR, (f"failed to get output parameter {p['name']!r}: "
                                               f"open {vf['path']}: no such file or directory")
            if value is not None:
                entry["value"] = value[:-1] if value.endswith("\n") else value  # Argo trims one newline
            entry["valueFrom"] = {k: v for k, v in vf.items()}
        elif "default" in vf:
            entry["value"] = as_text(vf["default"])
        if p.get("globalName"):
            entry["globalName"] = p["globalName"]
            if "value" in entry:
                set_global(p["globalName"], entry["value"])
        params_out.append(entry)
    return params_out, phase, message


def composite_outputs(ctx: RunContext, artifacts: CompositeArtifacts, node: Node, tmpl: dict[str, Any],
                      scope: Scope) -> None:
    """A steps or DAG template's outputs, from its children's (valueFrom.parameter / expression)."""
    outputs = tmpl.get("outputs") or {}
    where = f"templates[{tmpl.get('name')}].outputs"
    params = []
    for p in outputs.get("parameters") or []:
        vf = p.get("valueFrom") or {}
        entry: dict[str, Any] = {"name": p["name"]}
        try:
            if "parameter" in vf:
                entry["value"] = resolve_text(str(vf["parameter"]), scope, f"{where}.parameters.{p['name']}")
            elif "expression" in vf:
                from wfexec.expr.exprlang import evaluate_expr  # expr-lang: only for expression outputs

                entry["value"] = as_text(evaluate_expr(vf["expression"], expr_env(vf["expression"], scope)))
            elif "value" in p:
                entry["value"] = resolve_text(as_text(p["value"]), scope, f"{where}.parameters.{p['name']}")
        except WfexecError:
            if "default" in vf:
                entry["value"] = as_text(vf["default"])
            else:
                raise
        if "value" not in entry and "default" in vf:
            entry["value"] = as_text(vf["default"])
        if p.get("globalName") and "value" in entry:
            entry["globalName"] = p["globalName"]
            ctx.set_global_output(p["globalName"], entry["value"])
        entry["valueFrom"] = vf if vf else None
        if entry["valueFrom"] is None:
            entry.pop("valueFrom")
        params.append(entry)
    arts = artifacts.composite_outputs(node, outputs, scope, where)
    out: NodeOutputs = {}
    if params:
        out["parameters"] = params
    if arts:
        out["artifacts"] = arts
    if out:
        node["outputs"] = out


def suspend_parameters(tmpl: dict[str, Any]) -> list[dict[str, Any]]:
    """A suspend node's output parameters: `valueFrom.default`, else `value`."""
    outputs = []
    for p in (tmpl.get("outputs") or {}).get("parameters") or []:
        vf = p.get("valueFrom") or {}
        value = vf.get("default") if "default" in vf else p.get("value")
        if value is not None:
            outputs.append({"name": p["name"], "value": as_text(value)})
    return outputs
