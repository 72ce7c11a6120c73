"""Argo's enhanced `depends` for DAG tasks (`A && (B.Failed || !C.Skipped)`).

Argo finds task references with a regex, expands a bare `A` into
`(A.Succeeded || A.Skipped || A.Daemoned)` (plus `A.Errored` / `A.Failed` when task A has
`continueOn.error` / `continueOn.failed`), replaces `-` with `_` and hands the result to expr.
We parse the same grammar directly, so names keep their dashes.

Scheduling contract (what Argo's `evaluateDependsLogic` does): a task is decided only once
*every* task its `depends` mentions has completed (`task_completed`), even when the answer is
already known. Then it runs if the expression is true, and is Omitted otherwise. Use
`DependsExpr.decide(states)`: None means "not yet", True "run", False "omit".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from wfexec.errors import ExpressionError

__all__ = ["TaskState", "DependsExpr", "parse_depends", "dependencies_to_depends",
           "task_completed", "is_resolvable", "RESULTS"]

RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned",
           "AnySucceeded", "AllFailed")
_DONE_PHASES = frozenset({"Succeeded", "Failed", "Error", "Skipped", "Omitted"})

_TOKEN_RE = re.compile(r"\s*(?:(?P<ref>[A-Za-z0-9_][-A-Za-z0-9_]*)(?:\.(?P<result>\w+))?"
                       r"|(?P<op>&&|\|\||!|\(|\)))")


@dataclass
class TaskState:
    """What `depends` needs to know about one task.

    children_phases lists the phases of a withItems/withParam expansion's iterations (for
    AnySucceeded/AllFailed); continue_on_* mirror the task's `continueOn`, which widens a
    bare reference to also accept Errored/Failed.
    """

    phase: str
    daemoned: bool = False
    children_phases: list[str] = field(default_factory=list)
    continue_on_failed: bool = False
    continue_on_error: bool = False


def task_completed(state: TaskState) -> bool:
    """Argo's "fulfilled": a final phase, or a daemon that has started."""
    return state.phase in _DONE_PHASES or (state.daemoned and state.phase != "Pending")


def _result(state: TaskState, result: str | None) -> bool:
    if result is None:
        return (_result(state, "Succeeded") or _result(state, "Skipped")
                or _result(state, "Daemoned")
                or (state.continue_on_error and _result(state, "Errored"))
                or (state.continue_on_failed and _result(state, "Failed")))
    if result == "Errored":
        return state.phase == "Error"
    if result == "Daemoned":
        return state.daemoned and state.phase != "Pending"
    if result == "AnySucceeded":
        return "Succeeded" in state.children_phases
    if result == "AllFailed":
        return bool(state.children_phases) and all(
            p == "Failed" for p in state.children_phases)
    return state.phase == result


class DependsExpr:
    """A parsed `depends` expression."""

    def __init__(self, text: str, tree: tuple) -> None:
        self.text = text
        self._tree = tree
        refs: dict[str, None] = {}
        self._collect(tree, refs)
        self._tasks = frozenset(refs)
        self.order = tuple(refs)  # task names in order of first mention

    def _collect(self, node: tuple, refs: dict[str, None]) -> None:
        if node[0] == "ref":
            refs.setdefault(node[1], None)
        else:
            for child in node[1:]:
                self._collect(child, refs)

    def tasks(self) -> set[str]:
        """Names of the tasks this expression mentions."""
        return set(self._tasks)

    def item_tasks(self) -> set[str]:
        """Tasks referenced through AnySucceeded/AllFailed (their iterations matter)."""
        out: set[str] = set()

        def walk(node: tuple) -> None:
            if node[0] == "ref":
                if node[2] in ("AnySucceeded", "AllFailed"):
                    out.add(node[1])
            else:
                for child in node[1:]:
                    walk(child)
        walk(self._tree)
        return out

    def ready(self, states: Mapping[str, TaskState]) -> bool:
        """True once every mentioned task has a state and has completed."""
        return all(name in states and task_completed(states[name]) for name in self._tasks)

    def evaluate(self, states: Mapping[str, TaskState]) -> bool:
        """Value of the expression; every mentioned task needs a state (call when ready)."""
        missing = sorted(name for name in self._tasks if name not in states)
        if missing:
            raise ExpressionError(
                f"cannot evaluate depends '{self.text}': no state for task(s) "
                + ", ".join(f"'{m}'" for m in missing))
        return self._eval(self._tree, states)

    def decide(self, states: Mapping[str, TaskState]) -> bool | None:
        """None until all mentioned tasks completed; then True (run) or False (omit)."""
        if not self.ready(states):
            return None
        return self._eval(self._tree, states)

    def _eval(self, node: tuple, states: Mapping[str, TaskState]) -> bool:
        kind = node[0]
        if kind == "ref":
            return _result(states[node[1]], node[2])
        if kind == "not":
            return not self._eval(node[1], states)
        if kind == "and":
            return self._eval(node[1], states) and self._eval(node[2], states)
        return self._eval(node[1], states) or self._eval(node[2], states)

    def __repr__(self) -> str:
        return f"DependsExpr({self.text!r})"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, str | None]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN_RE.match(text, pos)
            if m is None:
                raise self.error(f"unexpected {text[pos:].strip()[:20]!r}")
            if m.group("ref"):
                self.tokens.append(("ref", m.group("ref"), m.group("result")))
            else:
                self.tokens.append(("op", m.group("op"), None))
            pos = m.end()
        self.i = 0

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(f"invalid depends '{self.text}': {message}")

    def peek(self) -> tuple[str, str, str | None] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> tuple:
        if not self.tokens:
            raise self.error("empty expression")
        node = self.or_expr()
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def or_expr(self) -> tuple:
        node = self.and_expr()
        while self.peek() == ("op", "||", None):
            self.i += 1
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self) -> tuple:
        node = self.unary()
        while self.peek() == ("op", "&&", None):
            self.i += 1
            node = ("and", node, self.unary())
        return node

    def unary(self) -> tuple:
        tok = self.peek()
        if tok is None:
            raise self.error("unexpected end of expression")
        self.i += 1
        if tok == ("op", "!", None):
            return ("not", self.unary())
        if tok == ("op", "(", None):
            node = self.or_expr()
            if self.peek() != ("op", ")", None):
                raise self.error("missing ')'")
            self.i += 1
            return node
        if tok[0] == "ref":
            name, result = tok[1], tok[2]
            if result is not None and result not in RESULTS:
                raise self.error(f"task result '{result}' for task '{name}' is invalid "
                                 f"(expected one of {', '.join(RESULTS)})")
            return ("ref", name, result)
        raise self.error(f"unexpected {tok[1]!r}")


@functools.lru_cache(maxsize=8192)
def parse_depends(text: str) -> DependsExpr:
    """Parse a `depends` expression (cached by text)."""
    try:
        return DependsExpr(text, _Parser(text).parse())
    except RecursionError:
        raise ExpressionError(f"invalid depends '{text}': nested too deeply") from None


def dependencies_to_depends(names: list[str]) -> str:
    """The `depends` equivalent of the legacy `dependencies: [A, B]` list: `A && B`."""
    return " && ".join(names)


def is_resolvable(expr: DependsExpr | str, states: Mapping[str, TaskState]) -> bool:
    """True when every task the expression mentions has completed."""
    parsed = parse_depends(expr) if isinstance(expr, str) else expr
    return parsed.ready(states)
