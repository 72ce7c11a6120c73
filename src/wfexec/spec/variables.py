"""Find `{{…}}` references in a template and say which cannot resolve, as Argo's validation does.

Only the roots Argo checks at validation time are judged here (`inputs.parameters.*`,
`workflow.parameters.*`, `steps.<name>.*`, `tasks.<name>.*`); everything Argo fills in at
run time (`item`, `pod.name`, `retries`, `workflow.status`, `outputs.*`, `{{= expr}}` …) is
left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from wfexec.spec.document import FieldPath


@dataclass(frozen=True)
class Scope:
    """What a template may refer to."""

    template: str
    inputs: frozenset[str]
    steps: frozenset[str]
    tasks: frozenset[str]
    #: None: any workflow parameter may exist (WorkflowTemplates, unknown workflowTemplateRef).
    workflow_params: frozenset[str] | None


def tags(text: str) -> Iterator[str]:
    """The trimmed contents of each `{{…}}` in `text`."""
    start = text.find("{{")
    while start != -1:
        end = text.find("}}", start + 2)
        if end == -1:
            return
        yield text[start + 2:end].strip()
        start = text.find("{{", end + 2)


def strings(value: Any, path: FieldPath, skip_keys: frozenset[str] = frozenset()) -> Iterator[tuple[FieldPath, str]]:
    """Every string inside `value` (keys included), with its field path; skips subtrees under `skip_keys`."""
    stack: list[tuple[FieldPath, Any]] = [(path, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            if "{{" in node:
                yield where, node
        elif isinstance(node, dict):
            for key, child in node.items():
                if key in skip_keys:
                    continue
                if "{{" in key:
                    yield (*where, key), key
                stack.append(((*where, key), child))
        elif isinstance(node, list):
            stack.extend(((*where, i), child) for i, child in enumerate(node))


def unresolved(tag: str, scope: Scope) -> str | None:
    """Why `tag` cannot resolve in `scope`, or None when it can (or is not ours to judge)."""
    if tag.startswith("="):
        return None
    if tag.startswith("inputs.parameters."):
        name = tag[len("inputs.parameters."):]
        if name not in scope.inputs:
            return f'template "{scope.template}" declares no input parameter "{name}"' + _hint(name, scope.inputs)
    elif tag == "inputs.parameters":
        if not scope.inputs:
            return f'template "{scope.template}" declares no input parameters'
    elif tag.startswith("workflow.parameters.") and scope.workflow_params is not None:
        name = tag[len("workflow.parameters."):]
        if name != "json" and name not in scope.workflow_params:
            return f'no parameter "{name}" in spec.arguments.parameters' + _hint(name, scope.workflow_params)
    elif tag.startswith("steps.") and tag != "steps.name":
        name = tag.split(".")[1]
        if name not in scope.steps:
            return f'no step "{name}" in template "{scope.template}"' + _hint(name, scope.steps)
    elif tag.startswith("tasks.") and tag != "tasks.name":
        name = tag.split(".")[1]
        if name not in scope.tasks:
            return f'no task "{name}" in template "{scope.template}"' + _hint(name, scope.tasks)
    return None


def _hint(name: str, known: frozenset[str]) -> str:
    import difflib  # only for a file with a mistake, as in checks.py and lint.py

    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
