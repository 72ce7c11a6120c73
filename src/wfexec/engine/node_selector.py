"""Argo's node field selectors (`displayName=a,phase!=Succeeded`): which nodes of a run `retry`,
`resume`, `stop` and `node set` act on, from the CLI and the API alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from wfexec.errors import WfexecError

NodeMatch = Callable[[dict[str, Any]], bool]

#: The node fields a selector can name, and where each lives in a node (None: looked up specially).
NODE_FIELDS = {"displayName": "displayName", "name": "name", "id": "id", "templateName": "templateName",
               "phase": "phase", "type": "type", "templateRef.name": None, "templateRef.template": None,
               "inputs.parameters.NAME.value": None}
_PARAM = re.compile(r"^inputs\.parameters\.([\w-]+)\.value$")
_TERM = re.compile(r"^\s*([\w.-]+)\s*(==|=|!=)\s*(.*?)\s*$")


def node_field_selector(text: str, flag: str = "--node-field-selector") -> NodeMatch:
    """A test over a node in Argo's status shape; every comma-separated term must hold."""
    tests = []
    for term in (t for t in text.split(",") if t.strip()):
        m = _TERM.match(term)
        if not m or not (m.group(1) in NODE_FIELDS or _PARAM.match(m.group(1))):
            raise WfexecError(f"{flag} {term.strip()!r}: expected FIELD=VALUE or FIELD!=VALUE with FIELD one of "
                              f"{', '.join(NODE_FIELDS)}")
        field, op, value = m.groups()
        tests.append((field, op == "!=", value))

    def match(node: dict[str, Any]) -> bool:
        return all((_node_field(node, f) != v) if neg else (_node_field(node, f) == v) for f, neg, v in tests)
    return match


def _node_field(node: dict[str, Any], field: str) -> str:
    if field.startswith("templateRef."):
        return str((node.get("templateRef") or {}).get(field.split(".", 1)[1], ""))
    if m := _PARAM.match(field):
        params = (node.get("inputs") or {}).get("parameters") or []
        return next((str(p.get("value", "")) for p in params if p.get("name") == m.group(1)), "")
    return str(node.get(NODE_FIELDS[field] or field, ""))
