"""JSONPath for Argo's `jsonpath(json, path)` expression function.

A definite path (`$.a`, `$[0].value`) yields one value; wildcards, slices, unions, recursive
descent and filters (`[?(@.age > 42)]`) yield a list, as the Go library Argo uses does. Filter
predicates are evaluated with our expr-lang evaluator (`@` becomes the current item).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from wfexec.expr.builtins import EvalError, from_json

_NAME_RE = re.compile(r"[A-Za-z_$][\w$-]*")
_INDEX_RE = re.compile(r"\s*(-?\d+)\s*")
_SLICE_RE = re.compile(r"\s*(-?\d*)\s*:\s*(-?\d*)\s*(?::\s*(-?\d*)\s*)?")


def jsonpath(document: Any, path: Any) -> Any:
    """Query a JSON text with a JSONPath expression."""
    if not isinstance(document, str) or not isinstance(path, str):
        raise EvalError("jsonpath expects (json string, path string)")
    data = from_json(document)
    steps = _compile(path)
    values = [data]
    definite = True
    for kind, arg in steps:
        if kind not in ("key", "index"):
            definite = False
        values = [out for value in values for out in _apply(kind, arg, value, definite, path)]
    if definite:
        return values[0] if values else None
    return values


@functools.lru_cache(maxsize=512)
def _compile(path: str) -> tuple[tuple[str, Any], ...]:
    text = path.strip()
    if not text.startswith("$"):
        raise EvalError(f"jsonpath {path!r} must start with '$'")
    pos, steps = 1, []
    while pos < len(text):
        if text.startswith("..", pos):
            pos += 2
            steps.append(("descend", None))
            if pos < len(text) and text[pos] == "[":
                continue
        elif text[pos] == ".":
            pos += 1
        elif text[pos] != "[":
            raise EvalError(f"invalid jsonpath {path!r} at {pos}")
        if pos < len(text) and text[pos] == "[":
            end = _bracket_end(text, pos, path)
            steps.append(_bracket(text[pos + 1:end], path))
            pos = end + 1
            continue
        if pos < len(text) and text[pos] == "*":
            steps.append(("wild", None))
            pos += 1
            continue
        m = _NAME_RE.match(text, pos)
        if m is None:
            raise EvalError(f"invalid jsonpath {path!r} at {pos}")
        steps.append(("key", m.group()))
        pos = m.end()
    return tuple(steps)


def _bracket_end(text: str, start: int, path: str) -> int:
    depth, quote = 0, ""
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
    raise EvalError(f"unclosed '[' in jsonpath {path!r}")


def _bracket(inner: str, path: str) -> tuple[str, Any]:
    body = inner.strip()
    if body == "*":
        return ("wild", None)
    if body.startswith("?"):
        expr = body[1:].strip()
        if expr.startswith("(") and expr.endswith(")"):
            expr = expr[1:-1]
        return ("filter", _filter_expr(expr))
    if body[:1] in "'\"":
        keys = [k.strip()[1:-1] for k in _split_union(body)]
        return ("key", keys[0]) if len(keys) == 1 else ("keys", tuple(keys))
    m = _SLICE_RE.fullmatch(body)
    if m:
        return ("slice", tuple(int(g) if g not in (None, "") else None for g in m.groups()))
    parts = _split_union(body)
    if all(_INDEX_RE.fullmatch(p) for p in parts):
        indexes = tuple(int(p) for p in parts)
        return ("index", indexes[0]) if len(indexes) == 1 else ("indexes", indexes)
    raise EvalError(f"invalid subscript [{inner}] in jsonpath {path!r}")


def _split_union(body: str) -> list[str]:
    return [p for p in re.findall(r"""'[^']*'|"[^"]*"|[^,]+""", body) if p.strip()]


def _filter_expr(expr: str) -> str:
    """Rewrite `@` (outside strings) into a variable the expr evaluator knows."""
    out, quote = [], ""
    for ch in expr:
        if quote:
            quote = "" if ch == quote else quote
            out.append(ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        else:
            out.append("__jsonpath_item" if ch == "@" else ch)
    return "".join(out)


def _apply(kind: str, arg: Any, value: Any, definite: bool, path: str) -> list[Any]:
    if kind == "key":
        if isinstance(value, dict) and arg in value:
            return [value[arg]]
        if definite:
            raise EvalError(f"jsonpath {path!r}: key {arg!r} not found")
        return []
    if kind == "keys":
        return [value[k] for k in arg if isinstance(value, dict) and k in value]
    if kind in ("index", "indexes"):
        indexes = (arg,) if kind == "index" else arg
        if not isinstance(value, list):
            if definite:
                raise EvalError(f"jsonpath {path!r}: cannot index a non-array")
            return []
        out = []
        for i in indexes:
            j = i + len(value) if i < 0 else i
            if 0 <= j < len(value):
                out.append(value[j])
            elif definite:
                raise EvalError(f"jsonpath {path!r}: index {i} out of range")
        return out
    if kind == "wild":
        if isinstance(value, dict):
            return [value[k] for k in sorted(value)]
        return list(value) if isinstance(value, list) else []
    if kind == "slice":
        if not isinstance(value, list):
            return []
        start, stop, step = arg
        return value[slice(start, stop, step or 1)]
    if kind == "descend":
        return _descendants(value)
    if kind == "filter":
        items = value if isinstance(value, list) else (
            [value[k] for k in sorted(value)] if isinstance(value, dict) else [])
        return [item for item in items if _matches(arg, item)]
    raise EvalError(f"invalid jsonpath {path!r}")


def _descendants(value: Any) -> list[Any]:
    out = [value]
    children = (value[k] for k in sorted(value)) if isinstance(value, dict) else (
        value if isinstance(value, list) else ())
    for child in children:
        out.extend(_descendants(child))
    return out


def _matches(expr: str, item: Any) -> bool:
    from wfexec.errors import ExpressionError
    from wfexec.expr.exprlang import evaluate_expr
    try:
        return evaluate_expr(expr, {"__jsonpath_item": item}) is True
    except ExpressionError as err:
        if "invalid expression" in str(err):
            raise EvalError(f"invalid jsonpath filter {expr!r}") from None
        return False
