"""Expr-lang's closure builtins: all(arr, pred), map, filter, reduce, groupBy, sortBy and friends."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from wfexec.expr.operators import EvalError, binary, ordering, type_name

CLOSURE_BUILTINS = frozenset({
    "all", "none", "any", "one", "filter", "map", "count", "sum", "find", "findIndex",
    "findLast", "findLastIndex", "groupBy", "sortBy", "reduce",
})


def _pred_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise EvalError(f"predicate of {name} must return bool, got {type_name(value)}")
    return value


def closure_builtin(name: str, collection: Any, predicate: Callable[..., Any],
                    has_closure: bool, extra: list[Any]) -> Any:
    """Run a predicate builtin; `predicate(item, index, acc)` evaluates the closure."""
    if isinstance(collection, dict) and name not in ("reduce",):
        collection = list(collection.values())
    if not isinstance(collection, (list, tuple)):
        raise EvalError(f"cannot iterate over {type_name(collection)} in {name}")
    items = list(collection)
    if name == "map" and has_closure:
        return [predicate(x, i) for i, x in enumerate(items)]
    if name == "sum":
        mapped = [predicate(x, i) for i, x in enumerate(items)] if has_closure else items
        total: Any = 0
        for value in mapped:
            total = binary("+", total, value)
        return total
    if name == "count":
        if not has_closure:
            return sum(1 for x in items if _pred_bool(name, x))
        return sum(1 for i, x in enumerate(items) if _pred_bool(name, predicate(x, i)))
    if not has_closure and name != "reduce":
        raise EvalError(f"{name} needs a predicate")
    if name == "reduce":
        if not has_closure:
            raise EvalError("reduce needs a predicate")
        if extra:
            acc, start = extra[0], 0
        elif items:
            acc, start = items[0], 1
        else:
            raise EvalError("reduce of empty array with no initial value")
        for i in range(start, len(items)):
            acc = predicate(items[i], i, acc)
        return acc
    if name == "groupBy":
        groups: dict[Any, list[Any]] = {}
        for i, x in enumerate(items):
            groups.setdefault(predicate(x, i), []).append(x)
        return groups
    if name == "sortBy":
        keys = [predicate(x, i) for i, x in enumerate(items)]
        reverse = bool(extra) and extra[0] == "desc"
        order = sorted(range(len(items)), key=functools.cmp_to_key(
            lambda a, b: ordering(keys[a], keys[b])), reverse=reverse)
        return [items[i] for i in order]
    results = ((i, x, _pred_bool(name, predicate(x, i))) for i, x in enumerate(items))
    if name == "all":
        return all(r for _, _, r in results)
    if name == "any":
        return any(r for _, _, r in results)
    if name == "none":
        return not any(r for _, _, r in results)
    if name == "one":
        return sum(1 for _, _, r in results if r) == 1
    if name == "filter":
        return [x for _, x, r in results if r]
    if name in ("find", "findIndex"):
        for i, x, r in results:
            if r:
                return x if name == "find" else i
        return None if name == "find" else -1
    matches = [(i, x) for i, x, r in results if r]
    if name == "findLast":
        return matches[-1][1] if matches else None
    return matches[-1][0] if matches else -1
