"""The expr-lang (github.com/expr-lang/expr) subset that Argo evaluates: the evaluator (parsing is exprparse.py).

Argo uses expr for `{{=…}}` tags, `when` with expressions, `retryStrategy.expression`, hook
`expression`, `valueFrom.expression` and (after a rewrite) `depends`. Parsing is cached by text
because the engine evaluates the same expressions for every node of large DAGs.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from wfexec.errors import ExpressionError
from wfexec.expr import builtins as _bi
from wfexec.expr.builtins import EvalError, NilFetchError, type_name
from wfexec.expr.exprparse import Node, access_paths, parse_expr

__all__ = ["evaluate_expr", "parse_expr", "access_paths", "Node"]  # parsing lives in exprparse.py


class _Ctx:
    __slots__ = ("env", "scopes")

    def __init__(self, env: Mapping[str, Any]) -> None:
        self.env = env
        self.scopes: list[dict[str, Any]] = []


class _ShortCircuit(Exception):
    """`a?.b` met nil: the whole member chain is nil."""


_MISSING = object()


def _lookup(ctx: _Ctx, name: str) -> Any:
    for scope in reversed(ctx.scopes):
        if name in scope:
            return scope[name]
    value = ctx.env.get(name, _MISSING)
    if value is not _MISSING:
        return value
    value = _fallback().get(name, _MISSING)
    if value is not _MISSING:
        return value
    raise EvalError(f"unknown name {name}")


@functools.cache
def _fallback() -> dict[str, Any]:
    """Builtins plus Argo's functions (asInt, jsonpath, sprig, …), for envs that lack them."""
    from wfexec.expr.exprenv import ARGO_FUNCTIONS
    return {**_bi.FUNCTIONS, **ARGO_FUNCTIONS}


def _ev(node: Node, ctx: _Ctx) -> Any:
    return _DISPATCH[node[0]](node, ctx)


def _ev_lit(node: Node, ctx: _Ctx) -> Any:
    return node[1]


def _ev_id(node: Node, ctx: _Ctx) -> Any:
    return _lookup(ctx, node[1])


def _ev_ptr(node: Node, ctx: _Ctx) -> Any:
    key = node[1]
    for scope in reversed(ctx.scopes):
        if "#" in scope:
            if key == "#":
                return scope["#"]
            if key in ("index", "acc") and key in scope:
                return scope[key]
            raise EvalError(f"unknown pointer #{key}")
    raise EvalError("# can only be used inside a predicate")


def _ev_member(node: Node, ctx: _Ctx) -> Any:
    obj = _ev(node[1], ctx)
    if obj is None and node[3]:
        raise _ShortCircuit
    return _bi.fetch(obj, _ev(node[2], ctx))


def _ev_chain(node: Node, ctx: _Ctx) -> Any:
    try:
        return _ev(node[1], ctx)
    except _ShortCircuit:
        return None


def _ev_slice(node: Node, ctx: _Ctx) -> Any:
    obj = _ev(node[1], ctx)
    lo = None if node[2] is None else _ev(node[2], ctx)
    hi = None if node[3] is None else _ev(node[3], ctx)
    return _bi.slice_of(obj, lo, hi)


def _ev_call(node: Node, ctx: _Ctx) -> Any:
    callee = node[1]
    if callee[0] == "id" and callee[1] in _bi.FUNCTIONS and not _in_env(ctx, callee[1]):
        func: Any = _bi.FUNCTIONS[callee[1]]
        name = callee[1]
    else:
        func = _ev(callee, ctx)
        name = callee[1] if callee[0] == "id" else _describe(callee)
    if not callable(func):
        raise EvalError(f"{name} is not a function (it is {type_name(func)})")
    args = [_ev(a, ctx) for a in node[2]]
    return _bi.call(name, func, args)


def _in_env(ctx: _Ctx, name: str) -> bool:
    return name in ctx.env or any(name in s for s in ctx.scopes)


def _describe(node: Node) -> str:
    if node[0] == "member" and node[2][0] == "lit":
        return f"{_describe(node[1])}.{node[2][1]}"
    if node[0] == "id":
        return str(node[1])
    return "expression"


def _ev_array(node: Node, ctx: _Ctx) -> Any:
    return [_ev(item, ctx) for item in node[1]]


def _ev_map(node: Node, ctx: _Ctx) -> Any:
    out: dict[Any, Any] = {}
    for key_node, value_node in node[1]:
        key = _ev(key_node, ctx)
        if isinstance(key, (list, dict)):
            raise EvalError(f"a map key cannot be {type_name(key)}")
        out[key] = _ev(value_node, ctx)
    return out


def _ev_unary(node: Node, ctx: _Ctx) -> Any:
    op, value = node[1], _ev(node[2], ctx)
    if op in ("not", "!"):
        if not isinstance(value, bool):
            raise EvalError(f"invalid operation: {op} {type_name(value)}")
        return not value
    if not _bi.is_number(value) and not isinstance(value, _dt.timedelta):
        raise EvalError(f"invalid operation: {op} {type_name(value)}")
    return -value if op == "-" else value


def _ev_bin(node: Node, ctx: _Ctx) -> Any:
    op = node[1]
    if op in ("&&", "||"):
        left = _ev(node[2], ctx)
        _need_bool(op, left)
        if (op == "&&") != left:
            return left
        right = _ev(node[3], ctx)
        _need_bool(op, right)
        return right
    if op == "??":
        try:
            left = _ev(node[2], ctx)
        except NilFetchError:
            left = None
        return _ev(node[3], ctx) if left is None else left
    return _bi.binary(op, _ev(node[2], ctx), _ev(node[3], ctx))


def _need_bool(op: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise EvalError(f"invalid operation: {op} needs bool operands, got {type_name(value)}")


def _ev_cond(node: Node, ctx: _Ctx) -> Any:
    cond = _ev(node[1], ctx)
    if not isinstance(cond, bool):
        raise EvalError(f"non-bool condition in ?: ({type_name(cond)})")
    return _ev(node[2] if cond else node[3], ctx)


def _ev_elvis(node: Node, ctx: _Ctx) -> Any:
    value = _ev(node[1], ctx)
    return value if _bi.truthy(value) else _ev(node[2], ctx)


def _ev_let(node: Node, ctx: _Ctx) -> Any:
    ctx.scopes.append({node[1]: _ev(node[2], ctx)})
    try:
        return _ev(node[3], ctx)
    finally:
        ctx.scopes.pop()


def _ev_builtin(node: Node, ctx: _Ctx) -> Any:
    name, arg_nodes = node[1], node[2]
    if not arg_nodes:
        raise EvalError(f"not enough arguments to call {name}")
    collection = _ev(arg_nodes[0], ctx)
    closure = arg_nodes[1] if len(arg_nodes) > 1 else None
    extra = [_ev(a, ctx) for a in arg_nodes[2:]]

    def predicate(item: Any, index: int, acc: Any = None) -> Any:
        if closure is None:
            return item
        ctx.scopes.append({"#": item, "index": index, "acc": acc})
        try:
            return _ev(closure[1], ctx)
        finally:
            ctx.scopes.pop()

    return _bi.closure_builtin(name, collection, predicate, closure is not None, extra)


_DISPATCH: dict[str, Callable[[Node, _Ctx], Any]] = {
    "lit": _ev_lit, "id": _ev_id, "ptr": _ev_ptr, "member": _ev_member, "chain": _ev_chain,
    "slice": _ev_slice, "call": _ev_call, "array": _ev_array, "map": _ev_map,
    "unary": _ev_unary, "bin": _ev_bin, "cond": _ev_cond, "elvis": _ev_elvis, "let": _ev_let,
    "builtin": _ev_builtin, "closure": lambda node, ctx: _ev(node[1], ctx),
}


def evaluate_expr(text: str, env: Mapping[str, Any]) -> Any:
    """Evaluate an expr-lang expression against env; errors become ExpressionError(text)."""
    node = parse_expr(text)
    try:
        return _ev(node, _Ctx(env))
    except ExpressionError:
        raise
    except EvalError as err:
        raise ExpressionError(f"cannot evaluate expression '{text}': {err}") from None
    except RecursionError:
        raise ExpressionError(f"cannot evaluate expression '{text}': nested too deeply") from None
    except (TypeError, ValueError, KeyError, IndexError, OverflowError, ZeroDivisionError,
            AttributeError, re.error, UnicodeError) as err:
        raise ExpressionError(f"cannot evaluate expression '{text}': {err}") from None
