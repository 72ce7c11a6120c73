"""The dependency graph of a DAG template: `depends` expressions, ancestors, cycles.

Pure functions over task names, so lint and the engine read `depends` the same way.
"""

from __future__ import annotations

import re

#: The `.Result` suffixes a `depends` expression may use.
TASK_RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded",
                "AllFailed")
_TOKEN = re.compile(r"(?<![\w.-])([a-zA-Z0-9][-a-zA-Z0-9]*)(?:\.([A-Za-z]\w*))?")


def depends_terms(expr: str) -> list[tuple[str, str | None]]:
    """(task, result) for each operand of a `depends` expression: "a && b.Failed" → [(a, None), (b, Failed)]."""
    return [(m.group(1), m.group(2)) for m in _TOKEN.finditer(expr)]


def ancestors(deps: dict[str, list[str]], task: str) -> set[str]:
    """Every task `task` waits for, directly or through others."""
    found: set[str] = set()
    todo = list(deps.get(task, []))
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(deps.get(name, []))
    return found


def find_cycle(deps: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a closed path (a, b, a), or None; iterative so big DAGs cannot overflow."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in deps:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail = [start]
        state[start] = 1
        while stack:
            node, i = stack[-1]
            children = deps.get(node, [])
            if i == len(children):
                stack.pop()
                trail.pop()
                state[node] = 2
                continue
            stack[-1] = (node, i + 1)
            child = children[i]
            if state.get(child) == 1:
                return trail[trail.index(child):] + [child]
            if not state.get(child):
                state[child] = 1
                stack.append((child, 0))
                trail.append(child)
    return None
