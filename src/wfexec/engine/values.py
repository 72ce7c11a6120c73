"""Small conversions the engine applies to spec values: Argo's text form of a value, template
merging, a reference's display name, timestamps, and the expr-lang environment of one expression."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.nodes import Node


def as_text(value: Any) -> str:
    """A parameter value as Argo passes it: strings as is, JSON for objects, `true`/`false`."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` laid on `base`, objects merged key by key (templateDefaults)."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def ref_name(ref: Any) -> str:
    """The template a step, task or hook refers to, as a node's templateName shows it."""
    if isinstance(ref, str):
        return ref
    if isinstance(ref, dict):
        if "templateRef" in ref:
            return f"{ref['templateRef'].get('name')}/{ref['templateRef'].get('template')}"
        return str(ref.get("template") or ref.get("name") or "")
    return str(ref)


def parse_ts(ts: str) -> float:
    """Seconds since the epoch of a "YYYY-MM-DDTHH:MM:SSZ" time. Those the engine writes are read by
    fromisoformat: strptime's first call imports _strptime and calendar (some 2 ms of every run);
    strptime judges any other text, as before."""
    if (len(ts) == 20 and ts[19] == "Z" and ts[10] == "T" and ts[4] == ts[7] == "-" and ts[13] == ts[16] == ":"
            and (digits := ts[:4] + ts[5:7] + ts[8:10] + ts[11:13] + ts[14:16] + ts[17:19]).isascii()
            and digits.isdigit()):
        return dt.datetime.fromisoformat(ts[:19]).replace(tzinfo=dt.UTC).timestamp()
    return dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp()


def node_duration(node: Node) -> float:
    try:
        return parse_ts(node.get("finishedAt") or N.now()) - parse_ts(node.get("startedAt") or N.now())
    except ValueError:
        return 0.0


def expr_env(text: str, scope: Mapping[str, Any]) -> dict[str, Any]:
    """The expr-lang environment for one expression: only the variables it reads are expanded."""
    from wfexec.expr.exprenv import build_env  # expr-lang is loaded by the first expression a run meets
    from wfexec.expr.exprlang import access_paths

    return build_env(scope, access_paths(text))
