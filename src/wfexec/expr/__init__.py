"""Argo's expression layer: `{{…}}` substitution, `when` (govaluate), `depends`, expr-lang.

How the engine uses it:

- Fields: `substitute(text, scope, where=…, strict=…)` / `substitute_obj(obj, …)`. `scope` is
  flat (`"steps.gen.outputs.result": "3"`). Use strict=False for an early pass where later
  variables may still be unknown (they stay as `{{…}}`), strict=True when all must resolve.
  A scope value of None means "absent optional" (skipped producer, no default): a simple tag
  on it always fails, while `{{=x ?? 'd'}}` falls back.
- `when`: `evaluate_when(substitute(when, scope, where=…))`. `{{=…}}` inside a `when` is
  substituted first, like any tag; the text left is govaluate.
- Expression fields (`retryStrategy.expression`, hook `expression`, `valueFrom.expression`,
  data `transformation`): `evaluate_expr(substitute(text, scope), build_env(scope))` with
  `wfexec.expr.exprenv.build_env` (nested variables plus asInt/asFloat/jsonpath/toJson/sprig).
- DAG scheduling: `d = parse_depends(task.depends or dependencies_to_depends(task.dependencies))`;
  `d.tasks()` are the edges. For each pending task call `d.decide(states)` with a `TaskState`
  per mentioned task (set `continue_on_failed/error` from *that* task's `continueOn`, and
  `children_phases` for withItems/withParam expansions): None = wait (some mentioned task has
  not completed), True = run, False = mark Omitted ("omitted: depends condition not met").
  A task with no depends/dependencies is ready at once.

All failures raise ExpressionError or TemplateResolutionError with the expression text.

The names below are imported on first use, not with the package: the engine imports
`wfexec.expr.template` for every run, and expr-lang, govaluate and sprig (some 8 ms together) only
matter to a workflow with `{{=…}}`, `when`, `depends` or an expression field.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wfexec.expr.depends import (
        DependsExpr,
        TaskState,
        dependencies_to_depends,
        is_resolvable,
        parse_depends,
        task_completed,
    )
    from wfexec.expr.exprlang import evaluate_expr
    from wfexec.expr.govaluate import evaluate_when
    from wfexec.expr.template import substitute, substitute_obj, variables_in

#: Each exported name and the module that defines it.
_HOMES = {
    "DependsExpr": "depends", "TaskState": "depends", "dependencies_to_depends": "depends",
    "is_resolvable": "depends", "parse_depends": "depends", "task_completed": "depends",
    "evaluate_expr": "exprlang", "evaluate_when": "govaluate",
    "substitute": "template", "substitute_obj": "template", "variables_in": "template",
}

__all__ = [
    "DependsExpr", "TaskState", "dependencies_to_depends", "is_resolvable", "parse_depends",
    "task_completed", "evaluate_expr", "evaluate_when", "substitute", "substitute_obj",
    "variables_in",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
