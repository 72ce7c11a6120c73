"""Argo's `{{…}}` substitution: simple variables and `{{=expression}}` tags.

A tag runs from `{{` to the next `}}`, as in the template library Argo uses. Simple tags are
looked up by their trimmed text in a flat scope; expression tags are evaluated with expr-lang
against the scope turned into nested maps. Strings without `{{` return at once, because the
engine substitutes every field of every node. expr-lang (`exprlang`, `exprenv`) is imported by
the first `{{=…}}` tag, not with this module: most workflows have none.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from wfexec.errors import ExpressionError, TemplateResolutionError
from wfexec.expr.values import render

__all__ = ["substitute", "substitute_obj", "variables_in"]

_Segments = tuple[tuple[str, str | None], ...]  # (literal text, tag or None)


@functools.lru_cache(maxsize=16384)
def _segments(text: str) -> tuple[_Segments, bool]:
    """Split text into literal/tag pairs; the flag says an unclosed `{{` was found."""
    out: list[tuple[str, str | None]] = []
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            out.append((text[pos:], None))
            return tuple(out), False
        end = text.find("}}", start + 2)
        if end < 0:
            out.append((text[pos:], None))
            return tuple(out), True
        out.append((text[pos:start], text[start + 2:end]))
        pos = end + 2


def _context(where: str) -> str:
    if not where:
        return ""
    return " " + where if where.startswith("in ") else " in " + where


_SMALL_SCOPE = 256


class _LazyEnv:
    """Builds the expression environment only when a `{{=…}}` tag needs it.

    Small scopes are expanded once; for large ones (big DAGs) each expression gets only the
    variables it reads.
    """

    __slots__ = ("scope", "env")

    def __init__(self, scope: Mapping[str, Any]) -> None:
        self.scope = scope
        self.env: dict[str, Any] | None = None

    def get(self, expression: str) -> dict[str, Any]:
        from wfexec.expr.exprenv import build_env
        from wfexec.expr.exprlang import access_paths

        if len(self.scope) > _SMALL_SCOPE:
            return build_env(self.scope, access_paths(expression))
        if self.env is None:
            self.env = build_env(self.scope)
        return self.env


def _expression(tag: str, env: _LazyEnv, where: str, strict: bool) -> str | None:
    """Text of an expression tag, or None to leave it unresolved (non-strict only)."""
    from wfexec.expr.exprlang import evaluate_expr, parse_expr

    expression = tag[1:]
    try:
        parse_expr(expression)
    except ExpressionError as err:
        raise ExpressionError(f"{err}{_context(where)}") from None
    try:
        value = evaluate_expr(expression, env.get(expression))
    except ExpressionError as err:
        if not strict:
            return None
        raise ExpressionError(f"{err}{_context(where)}") from None
    if value is None:
        if not strict:
            return None
        raise ExpressionError(
            f"expression '{expression.strip()}' evaluated to nil{_context(where)}")
    try:
        return render(value)
    except ValueError as err:
        raise ExpressionError(
            f"cannot render the value of '{expression.strip()}': {err}{_context(where)}") from None


def _substitute(text: str, scope: Mapping[str, Any], env: _LazyEnv, where: str,
                strict: bool) -> str:
    if "{{" not in text:
        return text
    segments, unclosed = _segments(text)
    if unclosed and strict:
        raise TemplateResolutionError(f"unclosed '{{{{' in {text!r}{_context(where)}")
    out: list[str] = []
    for literal, tag in segments:
        out.append(literal)
        if tag is None:
            continue
        if tag.startswith("="):
            resolved = _expression(tag, env, where, strict)
        else:
            resolved = _simple(tag, scope, where, strict)
        out.append("{{" + tag + "}}" if resolved is None else resolved)
    return "".join(out)


_MISSING = object()


def _simple(tag: str, scope: Mapping[str, Any], where: str, strict: bool) -> str | None:
    value = scope.get(tag.strip(), _MISSING)
    if value is _MISSING:
        if strict:
            raise TemplateResolutionError(f"failed to resolve {{{{{tag}}}}}{_context(where)}")
        return None
    if value is None:
        raise TemplateResolutionError(
            f"unable to substitute {{{{{tag}}}}}: output is an absent optional "
            f"(skipped/omitted node with no default){_context(where)}")
    try:
        return render(value)
    except ValueError as err:
        raise TemplateResolutionError(
            f"cannot render {{{{{tag}}}}}: {err}{_context(where)}") from None


def substitute(text: str, scope: Mapping[str, Any], *, where: str = "",
               strict: bool = True) -> str:
    """Replace every `{{…}}` in text; unknown variables raise when strict, else stay as is."""
    if "{{" not in text:
        return text
    return _substitute(text, scope, _LazyEnv(scope), where, strict)


def substitute_obj(obj: Any, scope: Mapping[str, Any], *, where: str = "",
                   strict: bool = True) -> Any:
    """substitute() applied to every string value (not key) of a nested dict/list structure."""
    return _walk(obj, scope, _LazyEnv(scope), where, strict, "")


def _walk(obj: Any, scope: Mapping[str, Any], env: _LazyEnv, where: str, strict: bool,
          path: str) -> Any:
    if isinstance(obj, str):
        if "{{" not in obj:
            return obj
        field = f"field '{path}'" if path else ""
        here = ", ".join(p for p in (where.removeprefix("in "), field) if p)
        return _substitute(obj, scope, env, here, strict)
    if isinstance(obj, dict):
        return {k: _walk(v, scope, env, where, strict, f"{path}.{k}" if path else str(k))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_walk(v, scope, env, where, strict, f"{path}[{i}]") for i, v in enumerate(obj)]
    return obj


def variables_in(text: str) -> list[str]:
    """The simple `{{name}}` variables of text, in order, without duplicates or `{{=…}}`."""
    if "{{" not in text:
        return []
    seen: dict[str, None] = {}
    for _, tag in _segments(text)[0]:
        if tag is not None and not tag.startswith("=") and tag.strip():
            seen.setdefault(tag.strip(), None)
    return list(seen)
