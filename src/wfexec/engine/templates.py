"""Templates as a node runs them: find one by reference, apply templateDefaults, bind its inputs,
build its variable scope, and expand a step's or task's loop."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from wfexec.engine.context import RunContext, Scope
from wfexec.engine.scope import sequence_items
from wfexec.engine.values import as_text, merge
from wfexec.errors import SpecError
from wfexec.expr.template import substitute, substitute_obj
from wfexec.kfp_runs import is_kfp_v2

TEMPLATE_KINDS = ("container", "script", "containerSet", "steps", "dag", "suspend", "resource", "data", "http",
                  "plugin")
#: Argo's message on the Skipped node of a loop over an empty list.
EMPTY_PARAMS = "Skipped, empty params"
#: What a skipped or omitted step's output parameter without `valueFrom.default` reads as: nothing.
#: A caller's argument that is exactly this leaves the input to its own default; anywhere else it is
#: an error, as in Argo.
ABSENT = "\x00absent optional\x00"


def check_absent(text: str, where: str, source: str | None = None) -> None:
    """`source`, the text before substitution, names the reference in the message."""
    if ABSENT in text:
        named = f" ({source.strip()})" if source else ""
        raise SpecError(f"refers to an absent optional{named}: the output parameter of a skipped or omitted step"
                        " that declares no valueFrom.default", field=where)


def resolve_text(text: str, scope: Mapping[str, Any], where: str, strict: bool = True) -> str:
    return substitute(text, scope, where=where, strict=strict)


class Templates:
    """The run's templates and those of the WorkflowTemplates given at submit."""

    def __init__(self, ctx: RunContext, input_artifact_scope: Callable[[list[dict[str, Any]]], Scope]) -> None:
        self.ctx = ctx
        self.input_artifact_scope = input_artifact_scope
        self.by_name: dict[str, dict[str, Any]] = {t["name"]: t for t in ctx.spec.get("templates") or []}
        self.workflow_templates: dict[str, dict[str, Any]] = {}
        for doc in ctx.options.workflow_templates:
            self.workflow_templates[(doc.get("metadata") or {}).get("name", "")] = doc
        #: Argo substitutes into an input's value (the whole template is its text); a KFP pipeline's
        #: values are its data, which KFP's driver passes on untouched, `{{…}}` and all.
        self.values_are_data = is_kfp_v2(ctx.manifest)

    def resolve(self, ref: Any, where: str) -> dict[str, Any]:
        """The template `ref` names: a name, a `templateRef`, an `inline` template, or a step holding one."""
        if isinstance(ref, dict) and "templateRef" in ref:
            tref = ref["templateRef"]
            wt = self.workflow_templates.get(tref.get("name", ""))
            if wt is None:
                raise SpecError(f"WorkflowTemplate {tref.get('name')!r} not found (load it with --templates)",
                                field=f"{where}.templateRef.name")
            for t in (wt.get("spec") or {}).get("templates") or []:
                if t.get("name") == tref.get("template"):
                    return t
            raise SpecError(f"template {tref.get('template')!r} not found in WorkflowTemplate {tref.get('name')!r}",
                            field=f"{where}.templateRef.template")
        if isinstance(ref, dict) and "inline" in ref:
            return dict(ref["inline"], name=ref["inline"].get("name") or ref.get("name", "inline"))
        if isinstance(ref, dict):
            ref = ref.get("template")
        tmpl = self.by_name.get(ref) if isinstance(ref, str) else None
        if tmpl is None:
            for wt in self.workflow_templates.values():
                for t in (wt.get("spec") or {}).get("templates") or []:
                    if t.get("name") == ref:
                        tmpl = t
        if tmpl is None:
            raise SpecError(f"template {ref!r} not found", field=where)
        return tmpl

    def with_defaults(self, tmpl: dict[str, Any]) -> dict[str, Any]:
        defaults = self.ctx.spec.get("templateDefaults")
        if not defaults:
            return tmpl
        return merge(defaults, tmpl)

    def bind_inputs(self, tmpl: dict[str, Any], args: dict[str, Any], scope: Scope, where: str) -> tuple[
            list[dict[str, Any]], list[dict[str, Any]]]:
        """The template's input parameters (values as text) and artifacts, with the caller's arguments."""
        given = {p["name"]: p for p in (args.get("parameters") or [])}
        params = []
        local = dict(scope)  # a value may use the inputs bound before it (Argo substitutes the whole template)
        for p in (tmpl.get("inputs") or {}).get("parameters") or []:
            name = p["name"]
            if name in given and given[name].get("value") is not None:
                value = given[name]["value"]
            elif p.get("value") is not None:
                value = p["value"]
            elif p.get("default") is not None:
                value = p["default"]
            else:
                raise SpecError(f"inputs.parameters.{name} was not supplied", field=f"{where}.arguments")
            value = as_text(value)
            if "{{" in value and not self.values_are_data:
                value = substitute(value, local, where=f"{where}.inputs.parameters.{name}", strict=False)
            local[f"inputs.parameters.{name}"] = value
            if p.get("enum") and value not in [as_text(e) for e in p["enum"]]:
                raise SpecError(f"value {value!r} is not in enum {p['enum']}", field=f"{where}.inputs.parameters.{name}")
            params.append({"name": name, "value": value})
        given_arts = {a["name"]: a for a in (args.get("artifacts") or [])}
        arts = []
        for a in (tmpl.get("inputs") or {}).get("artifacts") or []:
            merged = dict(a)
            if a["name"] in given_arts:
                merged.update({k: v for k, v in given_arts[a["name"]].items() if k != "name"})
            arts.append(merged)
        return params, arts

    def scope(self, params: list[dict[str, Any]], arts: list[dict[str, Any]], base: Scope) -> Scope:
        """A template's own scope: the global one, its inputs, and the caller's workflow.* values."""
        gscope = self.ctx.gscope
        scope = dict(gscope)
        for p in params:
            scope[f"inputs.parameters.{p['name']}"] = p["value"]
        scope["inputs.parameters"] = json.dumps(params)
        for a in arts:
            if a.get("path"):
                scope[f"inputs.artifacts.{a['name']}.path"] = a["path"]
        scope.update(self.input_artifact_scope(arts))
        # Every such key of `base` was first set in gscope (workflow_scope, set_global_output, the
        # exit handler) or is workflow.status: look these up rather than scan `base`, which holds
        # every earlier task's outputs in a big DAG (a scan per node was quadratic).
        for k in [k for k in gscope if k.startswith(("workflow.outputs.", "workflow.status",
                                                      "workflow.failures"))] + ["workflow.status"]:
            if k in base:
                scope[k] = base[k]
        return scope


def expand_items(step: dict[str, Any], scope: Scope, where: str) -> list[Any] | None:
    """A step's or task's loop items (withItems, withParam, withSequence); None when it has no loop."""
    if "withItems" in step:
        items = step["withItems"]
        return [substitute_obj(i, scope, where=f"{where}.withItems", strict=True) for i in items]
    if "withParam" in step:
        text = resolve_text(str(step["withParam"]), scope, f"{where}.withParam")
        check_absent(text, f"{where}.withParam", str(step["withParam"]))
        try:
            value = json.loads(text)
        except ValueError:
            raise SpecError(f"withParam value could not be parsed as a JSON list: {text.strip()[:200]}",
                            field=f"{where}.withParam") from None
        if not isinstance(value, list):
            raise SpecError(f"withParam value is not a JSON list: {text.strip()[:200]}", field=f"{where}.withParam")
        return value
    if "withSequence" in step:
        seq = substitute_obj(step["withSequence"], scope, where=f"{where}.withSequence", strict=True)
        return sequence_items(seq, where)
    return None
