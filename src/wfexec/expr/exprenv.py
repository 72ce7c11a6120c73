"""The environment of an Argo `{{=…}}` expression, built from the flat `{{…}}` scope.

Argo turns dotted names into nested maps (`steps.gen.outputs.result` becomes
`steps["gen"]["outputs"]["result"]`) and adds `asInt`, `asFloat`, `jsonpath`, `toJson` and
`sprig`. When both `a` and `a.b` exist, Argo keeps the more specific `a.b`; we do the same,
except that a dict-valued `a` is kept underneath its children.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from wfexec.expr import sprig
from wfexec.expr.builtins import EvalError, to_float, to_int
from wfexec.expr.jsonpath import jsonpath
from wfexec.expr.values import go_json


def _to_json(value: Any) -> str:
    try:
        return go_json(value)
    except ValueError as err:
        raise EvalError(str(err)) from None


ARGO_FUNCTIONS: dict[str, Any] = {
    "asInt": to_int,
    "asFloat": to_float,
    "jsonpath": jsonpath,
    "toJson": _to_json,
    "sprig": sprig.FUNCTIONS,
}


def expand(scope: Mapping[str, Any]) -> dict[str, Any]:
    """Nest a flat dotted mapping; a key that has children gives way to them."""
    parents: set[str] = set()
    for key in scope:
        dot = key.rfind(".")
        while dot > 0:
            parents.add(key[:dot])
            dot = key.rfind(".", 0, dot)
    root: dict[str, Any] = {}
    for key in sorted(scope, key=lambda k: k.count(".")):
        value = scope[key]
        if key in parents and not isinstance(value, dict):
            continue
        node = root
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        leaf = parts[-1]
        if isinstance(value, dict) and isinstance(node.get(leaf), dict):
            node[leaf] = {**value, **node[leaf]}
        elif isinstance(value, dict):
            node[leaf] = dict(value)
        else:
            node[leaf] = value
    return root


def build_env(scope: Mapping[str, Any], paths: Collection[str] | None = None) -> dict[str, Any]:
    """Expression environment for a `{{…}}` scope: nested variables plus Argo's functions.

    With paths (the variables an expression reads, see exprlang.access_paths) only what those
    need is expanded, so an expression in a 10,000-task DAG does not pay for every `tasks.*`
    entry. A path found as a plain scope key is then taken as is, even if the scope also has
    keys below it (full expansion would let those win).
    """
    if paths is not None:
        scope = _needed(scope, paths)
    env = expand(scope)
    env.update(ARGO_FUNCTIONS)
    return env


_MISSING = object()


def _needed(scope: Mapping[str, Any], paths: Collection[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    unresolved: list[str] = []
    for path in paths:
        value = scope.get(path, _MISSING)
        if value is not _MISSING and not isinstance(value, dict):
            out[path] = value
            continue
        unresolved.append(path)
        dot = path.rfind(".")
        while dot > 0:  # ancestors, e.g. a dict-valued `item` for `item.key`
            ancestor = path[:dot]
            if ancestor in scope:
                out[ancestor] = scope[ancestor]
            dot = path.rfind(".", 0, dot)
    if unresolved:
        exact = set(unresolved)
        prefixes = tuple(p + "." for p in unresolved)
        for key, value in scope.items():
            if key in exact or key.startswith(prefixes):
                out[key] = value
    return out
