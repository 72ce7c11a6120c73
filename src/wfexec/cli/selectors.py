"""Kubernetes label selectors (`-l`) and argo's node field selectors (`--node-field-selector`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from wfexec.errors import WfexecError

Test = Callable[[Mapping[str, str]], bool]
_SET = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ = re.compile(r"^\s*([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([\w./-]+)\s*$")
#: The node fields argo's --node-field-selector can name, and where each lives in a node.
NODE_FIELDS = {"displayName": "displayName", "name": "name", "id": "id", "templateName": "templateName",
               "phase": "phase", "type": "type", "templateRef.name": None, "templateRef.template": None,
               "inputs.parameters.NAME.value": None}
_PARAM = re.compile(r"^inputs\.parameters\.([\w-]+)\.value$")


def _terms(text: str) -> list[str]:
    """Split on commas that are not inside `( … )`."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [t for t in out if t.strip()]


def _term(term: str, flag: str) -> Test:
    if m := _SET.match(term):
        key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if m := _EQ.match(term):
        key, op, value = m.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if m := _EXISTS.match(term):
        neg, key = m.groups()
        return (lambda labels: key not in labels) if neg else (lambda labels: key in labels)
    raise WfexecError(f"{flag} {term.strip()!r}: expected key=value, key!=value, key, !key or key in (a,b)")


def label_selector(text: str, flag: str = "-l") -> Test:
    """A Kubernetes label selector; every comma-separated term must hold."""
    tests = [_term(t, flag) for t in _terms(text)]
    return lambda labels: all(t(labels) for t in tests)


def labels_match(selectors: list[str] | None, labels: Mapping[str, str]) -> bool:
    return all(label_selector(s)(labels) for s in selectors or [])


def node_field_selector(text: str, flag: str = "--node-field-selector") -> Callable[[dict[str, Any]], bool]:
    """argo's node field selector (`displayName=a,phase!=Succeeded`) over a node in Argo's status shape."""
    tests = []
    for term in _terms(text):
        m = _EQ.match(term) or re.match(r"^\s*([\w.]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
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
    return str(node.get(NODE_FIELDS[field], ""))
