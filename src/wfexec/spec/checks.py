"""The checks `argo lint --offline` makes beyond the schema: names, references, DAG shape, variables.

They walk plain data that may be malformed in any way (the schema reports wrong types
separately), so every access checks the type first and skips what it cannot read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wfexec.spec.dag_graph import TASK_RESULTS, ancestors, depends_terms, find_cycle
from wfexec.spec.document import TEMPLATE_KINDS, Document, FieldPath, format_path
from wfexec.spec.issue import LintIssue
from wfexec.spec.refs import TemplateIndex, kind_label, template_names
from wfexec.spec.variables import Scope, strings, tags, unresolved

TEMPLATE_TYPES = ("container", "script", "steps", "dag", "resource", "suspend", "containerSet", "data",
                  "http", "plugin")
FIELD_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")
PARAM_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")
#: Where an output parameter's value may come from (`valueFrom`), and which of them each template type reads.
OUTPUT_SOURCES = ("path", "jqFilter", "jsonPath", "parameter", "expression", "supplied")
OUTPUT_SOURCE_BY_TYPE = {"container": ("path",), "containerSet": ("path",), "script": ("path",),
                         "resource": ("jqFilter", "jsonPath"), "steps": ("parameter", "expression"),
                         "dag": ("parameter", "expression")}


@dataclass
class SpecChecker:
    """Checks one document's WorkflowSpec and collects what is wrong with it."""

    doc: Document
    index: TemplateIndex
    issues: list[LintIssue] = field(default_factory=list)
    base: FieldPath = ()
    local: list[str] = field(default_factory=list)
    wftmpl_ref: dict[str, Any] | None = None
    ref_spec: dict[str, Any] | None = None

    def report(self, path: FieldPath, message: str) -> None:
        self.issues.append(LintIssue(self.doc.file, self.doc.line_of(path), format_path(path), message))

    # -- the spec ------------------------------------------------------------------------------

    def run(self) -> list[LintIssue]:
        spec, base = self.doc.workflow_spec, self.doc.spec_path
        if spec is None:
            return self.issues
        self.base = base
        self.local = template_names(spec)
        self.wftmpl_ref = _dict(spec.get("workflowTemplateRef"))
        self.ref_spec = self._workflow_template_ref()
        templates = _list(spec.get("templates"))
        if self.wftmpl_ref is not None and templates:
            self.report((*base, "templates"), "templates cannot be given together with workflowTemplateRef")
        self._entrypoint(spec)
        self._parallelism(spec, base)
        if isinstance(spec.get("onExit"), str):
            self._named_template(spec["onExit"], (*base, "onExit"))
        self._hooks(spec.get("hooks"), (*base, "hooks"))
        self._unique_names(templates, (*base, "templates"), "template", FIELD_NAME)
        params = self._workflow_params(spec)
        for i, tmpl in enumerate(templates):
            if isinstance(tmpl, dict):
                self._template(tmpl, (*base, "templates", i), params, frozenset(), frozenset(), frozenset())
        return self.issues

    def _workflow_template_ref(self) -> dict[str, Any] | None:
        ref = self.wftmpl_ref
        if ref is None:
            return None
        path = (*self.base, "workflowTemplateRef")
        name, cluster = ref.get("name"), bool(ref.get("clusterScope"))
        if not isinstance(name, str) or not name:
            self.report(path, 'missing required field "name"')
            return None
        found = self.index.spec_of(name, cluster)
        if found is None and self.index.complete and "{{" not in name:
            self.report((*path, "name"), f'{kind_label(cluster)} "{name}" not found'
                        + _hint(name, self.index.names(cluster)))
        return found

    def _entrypoint(self, spec: dict[str, Any]) -> None:
        entry = spec.get("entrypoint")
        path = (*self.base, "entrypoint")
        if entry is None or entry == "":
            if self.wftmpl_ref is None and self.doc.kind not in TEMPLATE_KINDS:
                self.report(self.base, 'missing required field "entrypoint" (the template to start with)')
            return
        if isinstance(entry, str):
            self._named_template(entry, path)

    def _workflow_params(self, spec: dict[str, Any]) -> frozenset[str] | None:
        if self.doc.kind in TEMPLATE_KINDS:
            return None  # the submitting Workflow may supply any parameter
        names = set(_param_names(spec))
        if self.wftmpl_ref is not None:
            if self.ref_spec is None:
                return None
            names.update(_param_names(self.ref_spec))
        return frozenset(names)

    # -- references ----------------------------------------------------------------------------

    def _named_template(self, name: str, path: FieldPath) -> None:
        """`name` must be a template of this spec, or of the WorkflowTemplate it refers to."""
        if "{{" in name:
            return
        known, where = list(self.local), ""
        if self.wftmpl_ref is not None:
            if self.ref_spec is None:
                return  # the referenced WorkflowTemplate is not known here
            known += template_names(self.ref_spec)
            cluster = bool(self.wftmpl_ref.get("clusterScope"))
            where = f' in {kind_label(cluster)} "{self.wftmpl_ref.get("name")}"'
        if name not in known:
            self.report(path, f'template "{name}" is not defined{where}' + _hint(name, known))

    def _template_ref(self, ref: Any, path: FieldPath) -> None:
        if not isinstance(ref, dict):
            return
        name, template = ref.get("name"), ref.get("template")
        for key, value in (("name", name), ("template", template)):
            if not isinstance(value, str) or not value:
                self.report(path, f'missing required field "{key}"')
                return
        if "{{" in name or "{{" in template:
            return
        cluster = bool(ref.get("clusterScope"))
        spec = self.index.spec_of(name, cluster)
        if spec is None:
            if self.index.complete:
                self.report((*path, "name"), f'{kind_label(cluster)} "{name}" not found'
                            + _hint(name, self.index.names(cluster)))
            return
        names = template_names(spec)
        if template not in names:
            self.report((*path, "template"), f'template "{template}" is not defined in {kind_label(cluster)} '
                        f'"{name}"' + _hint(template, names))

    def _holder(self, holder: dict[str, Any], path: FieldPath, *, allow_inline: bool) -> None:
        """A step, task or hook: exactly one of template / templateRef (/ inline) and it must exist."""
        given = [k for k in ("template", "templateRef", "inline") if holder.get(k) is not None]
        if not allow_inline and "inline" in given:
            given.remove("inline")
        if not given:
            choices = "template, templateRef or inline" if allow_inline else "template or templateRef"
            self.report(path, f"one of {choices} is required")
        elif len(given) > 1:
            self.report(path, f"only one of {', '.join(given)} may be given")
        if isinstance(holder.get("template"), str):
            self._named_template(holder["template"], (*path, "template"))
        self._template_ref(holder.get("templateRef"), (*path, "templateRef"))

    def _hooks(self, hooks: Any, path: FieldPath) -> None:
        if not isinstance(hooks, dict):
            return
        for name, hook in hooks.items():
            if not isinstance(hook, dict):
                continue
            hook_path = (*path, name)
            if name != "exit" and not hook.get("expression"):
                self.report(hook_path, f'hook "{name}" needs an "expression" (only the "exit" hook runs without one)')
            self._holder(hook, hook_path, allow_inline=False)

    # -- templates -----------------------------------------------------------------------------

    def _template(self, tmpl: dict[str, Any], path: FieldPath, params: frozenset[str] | None,
                  outer_inputs: frozenset[str], outer_steps: frozenset[str], outer_tasks: frozenset[str]) -> None:
        name = tmpl.get("name") if isinstance(tmpl.get("name"), str) else "(inline)"
        types = [t for t in TEMPLATE_TYPES if tmpl.get(t) is not None]
        if not types:
            self.report(path, f'template "{name}" has no type: give one of {", ".join(TEMPLATE_TYPES)}')
        elif len(types) > 1:
            self.report(path, f'template "{name}" has several types ({", ".join(types)}): give only one')
        self._parallelism(tmpl, path)
        inputs = _dict(tmpl.get("inputs")) or {}
        outputs = _dict(tmpl.get("outputs")) or {}
        for section, where in ((inputs, "inputs"), (outputs, "outputs")):
            for kind in ("parameters", "artifacts"):
                self._unique_names(_list(section.get(kind)), (*path, where, kind), kind[:-1], PARAM_NAME)
        self._parameters_have_values(_list(outputs.get("parameters")), (*path, "outputs", "parameters"),
                                     "an output parameter")
        self._output_sources(_list(outputs.get("parameters")), types[0] if len(types) == 1 else None,
                             (*path, "outputs", "parameters"))
        steps = self._steps(tmpl.get("steps"), (*path, "steps"))
        tasks = self._dag(tmpl.get("dag"), (*path, "dag"))
        scope = Scope(template=name,
                      inputs=outer_inputs | frozenset(_names(_list(inputs.get("parameters")))),
                      steps=outer_steps | frozenset(steps), tasks=outer_tasks | frozenset(tasks),
                      workflow_params=params)
        for where, text in strings(tmpl, path, skip_keys=frozenset({"inline"})):
            for tag in tags(text):
                problem = unresolved(tag, scope) or self._later_step(tag, where, path, steps)
                if problem:
                    self.report(where, f"{{{{{tag}}}}}: {problem}")
        for inline_path, inline in self._inlines(tmpl, path):
            self._template(inline, inline_path, params, scope.inputs, scope.steps, scope.tasks)

    def _later_step(self, tag: str, where: FieldPath, path: FieldPath,
                    steps: dict[str, tuple[int, int]]) -> str | None:
        """A step may use the outputs of steps before it, as Argo's validation builds its scope."""
        n = len(path)
        if not tag.startswith("steps.") or where[n:n + 1] != ("steps",) or len(where) < n + 3:
            return None
        here, other = (where[n + 1], where[n + 2]), steps.get(tag.split(".")[1])
        if other is None or other <= here or not all(isinstance(i, int) for i in here):
            return None
        return (f'step "{tag.split(".")[1]}" runs later (steps[{other[0]}]), so it cannot be used '
                f"in steps[{here[0]}]")

    def _inlines(self, tmpl: dict[str, Any], path: FieldPath) -> list[tuple[FieldPath, dict[str, Any]]]:
        found: list[tuple[FieldPath, dict[str, Any]]] = []
        for gi, group in enumerate(_list(tmpl.get("steps"))):
            for si, step in enumerate(_list(group)):
                if isinstance(step, dict) and isinstance(step.get("inline"), dict):
                    found.append(((*path, "steps", gi, si, "inline"), step["inline"]))
        dag = _dict(tmpl.get("dag")) or {}
        for ti, task in enumerate(_list(dag.get("tasks"))):
            if isinstance(task, dict) and isinstance(task.get("inline"), dict):
                found.append(((*path, "dag", "tasks", ti, "inline"), task["inline"]))
        return found

    def _steps(self, groups: Any, path: FieldPath) -> dict[str, tuple[int, int]]:
        """Checks each step; returns every step name with its (group, position)."""
        seen: dict[str, FieldPath] = {}
        for gi, group in enumerate(_list(groups)):
            for si, step in enumerate(_list(group)):
                if not isinstance(step, dict):
                    continue
                step_path = (*path, gi, si)
                self._name(step, step_path, seen, "step", FIELD_NAME)
                self._holder(step, step_path, allow_inline=True)
                self._loop(step, step_path)
                if isinstance(step.get("onExit"), str):
                    self._named_template(step["onExit"], (*step_path, "onExit"))
                self._hooks(step.get("hooks"), (*step_path, "hooks"))
                self._argument_names(step, step_path)
        return {name: (where[-2], where[-1]) for name, where in seen.items()}

    def _dag(self, dag: Any, path: FieldPath) -> list[str]:
        """Checks the tasks, their dependencies and the target; returns the task names."""
        if not isinstance(dag, dict):
            return []
        tasks = _list(dag.get("tasks"))
        seen: dict[str, FieldPath] = {}
        deps: dict[str, list[str]] = {}
        uses_depends = any(isinstance(t, dict) and t.get("depends") for t in tasks)
        uses_dependencies = any(isinstance(t, dict) and t.get("dependencies") for t in tasks)
        if uses_depends and uses_dependencies:
            self.report(path, 'use either "depends" or "dependencies" in one DAG, not both')
        for ti, task in enumerate(tasks):
            if isinstance(task, dict):
                self._name(task, (*path, "tasks", ti), seen, "task", FIELD_NAME)
        names = list(seen)
        for ti, task in enumerate(tasks):
            if not isinstance(task, dict):
                continue
            task_path = (*path, "tasks", ti)
            self._holder(task, task_path, allow_inline=True)
            self._loop(task, task_path)
            if isinstance(task.get("onExit"), str):
                self._named_template(task["onExit"], (*task_path, "onExit"))
            self._hooks(task.get("hooks"), (*task_path, "hooks"))
            self._argument_names(task, task_path)
            own: list[str] = []
            for di, dep in enumerate(_list(task.get("dependencies"))):
                if isinstance(dep, str) and "{{" not in dep:
                    own.append(dep)
                    if dep not in seen:
                        self.report((*task_path, "dependencies", di),
                                    f'task "{dep}" is not defined in this DAG' + _hint(dep, names))
            if isinstance(task.get("depends"), str):
                own.extend(self._depends(task["depends"], (*task_path, "depends"), seen, names))
            if isinstance(task.get("name"), str):
                deps[task["name"]] = [d for d in own if d in seen]
        cycle = find_cycle(deps)
        if cycle:
            self.report((*path, "tasks"), "dependency cycle: " + " -> ".join(cycle))
        else:
            for ti, task in enumerate(tasks):
                if isinstance(task, dict) and isinstance(task.get("name"), str):
                    self._arguments_follow_dependencies(task, (*path, "tasks", ti), deps, seen)
        target = dag.get("target")
        if isinstance(target, str) and "{{" not in target:
            for name in target.split():
                if name not in seen:
                    self.report((*path, "target"), f'target task "{name}" is not defined' + _hint(name, names))
        return names

    def _depends(self, expr: str, path: FieldPath, seen: dict[str, FieldPath], names: list[str]) -> list[str]:
        found: list[str] = []
        if "{{" in expr:
            return found
        for name, result in depends_terms(expr):
            found.append(name)
            if name not in seen:
                self.report(path, f'depends names task "{name}", which is not defined in this DAG'
                            + _hint(name, names))
            if result is not None and result not in TASK_RESULTS:
                self.report(path, f'"{name}.{result}": unknown task result (expected one of {", ".join(TASK_RESULTS)})')
        return found

    def _arguments_follow_dependencies(self, task: dict[str, Any], path: FieldPath, deps: dict[str, list[str]],
                                       seen: dict[str, FieldPath]) -> None:
        """An argument taken from another task's outputs needs that task among its ancestors (Argo checks it)."""
        before = ancestors(deps, task["name"])
        args = _dict(task.get("arguments")) or {}
        for kind, key in (("parameters", "value"), ("artifacts", "from")):
            for i, item in enumerate(_list(args.get(kind))):
                value = item.get(key) if isinstance(item, dict) else None
                if not isinstance(value, str) or not value.startswith("{{tasks."):
                    continue
                name = value[len("{{tasks."):].split(".")[0].split("}")[0]
                if name in seen and name not in before and name != task["name"]:
                    self.report((*path, "arguments", kind, i, key),
                                f'uses task "{name}", which is not among this task\'s dependencies '
                                '(add it to "depends" or "dependencies")')

    def _parallelism(self, holder: dict[str, Any], path: FieldPath) -> None:
        """A limit below 1 lets nothing start: Argo's controller then waits for ever."""
        value = holder.get("parallelism")
        if isinstance(value, int) and not isinstance(value, bool) and value < 1:
            self.report((*path, "parallelism"), f"expected 1 or more (pods or steps at once), got {value}")

    def _loop(self, holder: dict[str, Any], path: FieldPath) -> None:
        loops = [k for k in ("withItems", "withParam", "withSequence") if holder.get(k) not in (None, "", [])]
        if len(loops) > 1:
            self.report(path, f"only one of {', '.join(loops)} may be given")
        seq = _dict(holder.get("withSequence"))
        if seq is not None and seq.get("count") is not None and seq.get("end") is not None:
            self.report((*path, "withSequence"), 'give "count" or "end", not both')

    def _argument_names(self, holder: dict[str, Any], path: FieldPath) -> None:
        args = _dict(holder.get("arguments")) or {}
        for kind in ("parameters", "artifacts"):
            self._unique_names(_list(args.get(kind)), (*path, "arguments", kind), kind[:-1], PARAM_NAME)
        self._parameters_have_values(_list(args.get("parameters")), (*path, "arguments", "parameters"),
                                     "an argument")

    def _parameters_have_values(self, params: list[Any], path: FieldPath, what: str) -> None:
        """Arguments passed to a step or task, and outputs, must say where their value comes from."""
        for i, param in enumerate(params):
            if isinstance(param, dict) and param.get("value") is None and param.get("valueFrom") is None:
                name = param.get("name")
                label = f' "{name}"' if isinstance(name, str) else ""
                self.report((*path, i), f'{what}{label} needs "value" or "valueFrom"')

    def _output_sources(self, params: list[Any], kind: str | None, path: FieldPath) -> None:
        """An output parameter's one source, and the one its template type can give (Argo's
        validateOutputs): a pod's from a file, a resource's from the object, steps' and DAG's
        from a child or an expression. Any other the controller leaves without a value."""
        for i, param in enumerate(params):
            if not isinstance(param, dict) or param.get("valueFrom") is None:
                continue
            name = param.get("name")
            label = f'output parameter "{name}"' if isinstance(name, str) else "output parameter"
            if param.get("value") is not None:
                self.report((*path, i), f'{label} has both "value" and "valueFrom": give one')
                continue
            value_from = _dict(param.get("valueFrom"))
            if value_from is None:
                continue  # the schema reports the wrong type
            given = [k for k in OUTPUT_SOURCES if value_from.get(k) not in (None, "")]
            if len(given) != 1:
                problem = (f"has several sources ({', '.join(given)}): give one" if given
                           else f"needs one of {', '.join(OUTPUT_SOURCES)}")
                self.report((*path, i, "valueFrom"), f"{label}: valueFrom {problem}")
                continue
            needed = OUTPUT_SOURCE_BY_TYPE.get(kind or "")
            if needed is not None and given[0] not in needed:
                self.report((*path, i, "valueFrom"), f'{label}: valueFrom.{" or ".join(needed)} must be '
                            f"specified for {kind} templates, not {given[0]}")

    # -- names ---------------------------------------------------------------------------------

    def _unique_names(self, items: list[Any], path: FieldPath, what: str, pattern: re.Pattern[str]) -> None:
        seen: dict[str, FieldPath] = {}
        for i, item in enumerate(items):
            if isinstance(item, dict):
                self._name(item, (*path, i), seen, what, pattern)

    def _name(self, item: dict[str, Any], path: FieldPath, seen: dict[str, FieldPath], what: str,
              pattern: re.Pattern[str]) -> None:
        name = item.get("name")
        if name is None and what not in ("template", "step"):
            return  # the schema already reports the missing required field
        if name is None or name == "":
            self.report(path, f'{what} has no "name"')
            return
        if not isinstance(name, str):
            return  # the schema reports the wrong type
        if name in seen:
            first = self.doc.line_of((*seen[name], "name"))
            where = f" (first at line {first})" if first else ""
            self.report((*path, "name"), f'{what} name "{name}" is not unique{where}')
            return
        seen[name] = path
        if "{{" not in name and (not pattern.match(name) or len(name) > 128):
            rule = ("letters, digits, '-' and '_'" if pattern is PARAM_NAME
                    else "letters, digits and '-', starting with a letter or digit, at most 128 characters")
            self.report((*path, "name"), f'{what} name "{name}" is invalid: use {rule}')


def _param_names(spec: dict[str, Any]) -> list[str]:
    args = _dict(spec.get("arguments")) or {}
    return _names(_list(args.get("parameters")))


def _names(items: list[Any]) -> list[str]:
    return [i["name"] for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _hint(name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
