"""Compile a component and its arguments into an Argo Workflow, in the shape KFP's v1 compiler emitted.

- Each container op becomes a template named after its component (`<name>`, `<name>-2`…).
- An input read through `inputPath` is an input artifact at `/tmp/inputs/<input>/data`: `raw` when
  its value is known now, `from: {{tasks.<op>.outputs.artifacts.<op>-<output>}}` when another op
  produces it. An input read by value from another op is an input parameter named
  `<op>-<output>`, fed from `{{tasks.<op>.outputs.parameters.<op>-<output>}}`.
- Every output file is an output artifact `<op>-<output>`; outputs that some op reads by value
  are also output parameters (`valueFrom.path`), as KFP did.
- A graph component becomes a DAG template (the entrypoint); a lone container component is the
  entrypoint itself.

Output directories: programs expect `/tmp/outputs/<name>/` to exist. Like KFP's own generated
components, the command is wrapped in `sh -c 'mkdir -p … && exec "$0" "$@"'`; this needs a shell
in the image. With `output_dirs="annotate"` (for shell-less images, or when the command comes
from the image's ENTRYPOINT and cannot be wrapped) the command is left alone and the directories
are listed in the template annotation `wfexec.io/output-dirs` for the runtime or emissary to
create before starting the program.
"""

from __future__ import annotations

import json
import posixpath
import shlex
from collections.abc import Mapping
from typing import Any, Literal

from wfexec.errors import SpecError
from wfexec.kfp.flatten import Const, Op, Plan, Ref, flatten
from wfexec.kfp.naming import k8s_name, unique
from wfexec.kfp.resolve import Resolved, resolve
from wfexec.kfp.serialize import SerializeError, serialize
from wfexec.kfp.spec import ComponentSpec

OUTPUT_DIRS_ANNOTATION = "wfexec.io/output-dirs"
#: KFP type names (lower case) of outputs that hold a value rather than a file.
VALUE_TYPES = frozenset({"string", "str", "integer", "int", "float", "bool", "boolean", "jsonobject", "jsonarray",
                         "dict", "list", "json"})
#: Maps component output names to the Argo names of the entrypoint's outputs (read by component_outputs).
OUTPUTS_ANNOTATION = "wfexec.io/kfp-outputs"


def port_name(op: str, output: str) -> str:
    """KFP's Argo name for an op's output: `<op>-<output>`, sanitized."""
    return f"{op}-{k8s_name(output)}"


def compile_component(spec: ComponentSpec, arguments: Mapping[str, Any] | None = None, *,
                      name: str | None = None,
                      output_dirs: Literal["sh", "annotate"] = "sh",
                      value_outputs: bool = False) -> dict[str, Any]:
    """An Argo Workflow (a dict) that runs `spec` with `arguments` (input name → value).

    `value_outputs` (for `run-component`): the component's own outputs of a value type (String,
    Integer, Float, Boolean, JSON…) are also read as output parameters, so their values can be
    printed; KFP's compiler did not do this, so `compile-component` leaves it off.
    """
    base = k8s_name(name or spec.name or "") or "component"
    reserved = {base} if spec.graph is not None else set()
    plan = flatten(spec, dict(arguments or {}), reserved)
    if not plan.ops:
        raise SpecError("the graph has no tasks, so there is nothing to run", file=spec.file,
                        field="implementation.graph.tasks")
    resolved = {op.name: _resolve_op(op) for op in plan.ops}
    by_value = _consumed_by_value(plan, resolved)
    shown = _shown_values(spec, plan, resolved) if value_outputs else {}
    by_value |= set(shown.values())
    templates = [_template(op, resolved, by_value, output_dirs) for op in plan.ops]
    if spec.graph is not None:
        entry = base
        dag, exported = _dag(entry, plan, resolved, shown)
        templates.insert(0, dag)
    else:
        entry = plan.ops[0].name
        exported = {o.name: {"artifact": port_name(entry, o.name)} for o in spec.outputs
                    if o.name in resolved[entry].output_paths}
        for out_name in shown:
            exported[out_name]["parameter"] = port_name(entry, out_name)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": f"{base}-",
                     "annotations": {OUTPUTS_ANNOTATION: json.dumps(exported, sort_keys=True),
                                     "wfexec.io/kfp-component": spec.name or ""}},
        "spec": {"entrypoint": entry, "templates": templates},
    }


def _resolve_op(op: Op) -> Resolved:
    """The op's command line, with run-time values standing in as Argo input parameter references."""
    values: dict[str, Any] = {}
    for input_name, binding in op.bindings.items():
        if isinstance(binding, Ref):
            values[input_name] = f"{{{{inputs.parameters.{port_name(binding.op, binding.output)}}}}}"
        else:
            values[input_name] = binding.value
    deferred = frozenset(n for n, b in op.bindings.items() if isinstance(b, Ref))
    try:
        return resolve(op.spec, values, deferred=deferred)
    except SpecError as exc:
        if op.where and exc.field:
            exc = SpecError(exc.detail, file=exc.file, line=exc.line, field=f"{op.where}{exc.field}")
        raise exc from None


def is_value_type(type_: Any) -> bool:
    """Whether an output of this KFP type is a small value worth printing (not a file such as a model)."""
    return isinstance(type_, str) and type_.lower() in VALUE_TYPES


def _shown_values(spec: ComponentSpec, plan: Plan, resolved: dict[str, Resolved]) -> dict[str, Ref]:
    """The component's outputs of a value type, each with the op output that holds it."""
    shown: dict[str, Ref] = {}
    if spec.graph is None:
        op = plan.ops[0]
        for o in spec.outputs:
            if is_value_type(o.type) and o.name in resolved[op.name].output_paths:
                shown[o.name] = Ref(op.name, o.name)
        return shown
    ops = {op.name: op for op in plan.ops}
    for out_name, binding in plan.outputs.items():
        if not isinstance(binding, Ref) or binding.output not in resolved[binding.op].output_paths:
            continue
        declared = spec.output(out_name)
        produced = ops[binding.op].spec.output(binding.output)
        if is_value_type(declared.type if declared else None) or is_value_type(produced.type if produced else None):
            shown[out_name] = binding
    return shown


def _consumed_by_value(plan: Plan, resolved: dict[str, Resolved]) -> set[Ref]:
    refs: set[Ref] = set()
    for op in plan.ops:
        for input_name in resolved[op.name].inputs_consumed_by_value:
            binding = op.bindings.get(input_name)
            if isinstance(binding, Ref):
                refs.add(binding)
    return refs


def _template(op: Op, resolved: dict[str, Resolved], by_value: set[Ref], output_dirs: str) -> dict[str, Any]:
    r = resolved[op.name]
    container_spec = op.spec.container
    assert container_spec is not None
    in_params: list[dict[str, Any]] = []
    in_artifacts: list[dict[str, Any]] = []
    artifact_names: set[str] = set()
    for input_name in r.inputs_consumed_by_value:
        binding = op.bindings[input_name]
        if isinstance(binding, Ref):
            param = {"name": port_name(binding.op, binding.output)}
            if param not in in_params:
                in_params.append(param)
    for input_name, path in r.input_paths.items():
        binding = op.bindings[input_name]
        if isinstance(binding, Ref):
            artifact: dict[str, Any] = {"name": unique(port_name(binding.op, binding.output), artifact_names),
                                        "path": path}
        else:
            artifact = {"name": unique(k8s_name(input_name) or "input", artifact_names), "path": path,
                        "raw": {"data": _raw(op, input_name, binding)}}
        in_artifacts.append(artifact)
    out_params = [{"name": port_name(op.name, out), "valueFrom": {"path": path}}
                  for out, path in r.output_paths.items() if Ref(op.name, out) in by_value]
    out_artifacts = [{"name": port_name(op.name, out), "path": path} for out, path in r.output_paths.items()]
    dirs = sorted({d for d in (posixpath.dirname(p) for p in r.output_paths.values()) if d not in ("", "/")})
    command, args = list(r.command), list(r.args)
    annotations = dict(op.spec.annotations)
    if dirs and output_dirs == "sh" and command:
        script = f"mkdir -p -- {' '.join(shlex.quote(d) for d in dirs)} && exec \"$0\" \"$@\""
        command = ["sh", "-c", script, *command]
    elif dirs:
        annotations[OUTPUT_DIRS_ANNOTATION] = json.dumps(dirs)
    container: dict[str, Any] = {"image": container_spec.image}
    if command:
        container["command"] = command
    if args:
        container["args"] = args
    if container_spec.env:
        container["env"] = [{"name": k, "value": v} for k, v in container_spec.env.items()]
    template: dict[str, Any] = {"name": op.name, "container": container}
    inputs = {k: v for k, v in (("parameters", in_params), ("artifacts", in_artifacts)) if v}
    outputs = {k: v for k, v in (("parameters", out_params), ("artifacts", out_artifacts)) if v}
    if inputs:
        template["inputs"] = inputs
    if outputs:
        template["outputs"] = outputs
    metadata = {k: v for k, v in (("annotations", annotations), ("labels", dict(op.spec.labels))) if v}
    if metadata:
        template["metadata"] = metadata
    if op.retry_limit is not None:
        template["retryStrategy"] = {"limit": str(op.retry_limit)}
    return template


def _raw(op: Op, input_name: str, binding: Const) -> str:
    try:
        return serialize(binding.value, op.spec.input(input_name).type if op.spec.input(input_name) else None)
    except SerializeError as exc:
        raise SpecError(f"input {input_name!r}: {exc}", file=op.spec.file, field=f"arguments.{input_name}") from None


def _dag(entry: str, plan: Plan, resolved: dict[str, Resolved],
         shown: Mapping[str, Ref]) -> tuple[dict[str, Any], dict[str, Any]]:
    tasks = []
    for op in plan.ops:
        r = resolved[op.name]
        params: list[dict[str, Any]] = []
        for input_name in r.inputs_consumed_by_value:
            binding = op.bindings[input_name]
            if isinstance(binding, Ref):
                name = port_name(binding.op, binding.output)
                param = {"name": name, "value": f"{{{{tasks.{binding.op}.outputs.parameters.{name}}}}}"}
                if param not in params:
                    params.append(param)
        artifacts: list[dict[str, Any]] = []
        taken: set[str] = set()
        for input_name in r.input_paths:
            binding = op.bindings[input_name]
            if isinstance(binding, Ref):
                source = port_name(binding.op, binding.output)
                _require_file(plan, resolved, binding, op)
                artifacts.append({"name": unique(source, taken),
                                  "from": f"{{{{tasks.{binding.op}.outputs.artifacts.{source}}}}}"})
            else:
                unique(k8s_name(input_name) or "input", taken)
        task: dict[str, Any] = {"name": op.name, "template": op.name}
        if op.dependencies:
            task["dependencies"] = op.dependencies
        arguments = {k: v for k, v in (("parameters", params), ("artifacts", artifacts)) if v}
        if arguments:
            task["arguments"] = arguments
        tasks.append(task)
    out_artifacts, out_params, exported = [], [], {}
    for out_name, binding in plan.outputs.items():
        name = k8s_name(out_name) or "output"
        if isinstance(binding, Ref):
            source = port_name(binding.op, binding.output)
            if binding.output in resolved[binding.op].output_paths:
                out_artifacts.append({"name": name, "from": f"{{{{tasks.{binding.op}.outputs.artifacts.{source}}}}}"})
                exported[out_name] = {"artifact": name}
            if out_name in shown:
                ref = f"{{{{tasks.{binding.op}.outputs.parameters.{source}}}}}"
                out_params.append({"name": name, "valueFrom": {"parameter": ref}})
                exported[out_name]["parameter"] = name
        else:
            try:
                value = serialize(binding.value, None)
            except SerializeError as exc:
                raise SpecError(f"graph output {out_name!r}: {exc}", file=plan.ops[0].spec.file,
                                field=f"implementation.graph.outputValues[{out_name!r}]") from None
            out_params.append({"name": name, "value": value})
            exported[out_name] = {"parameter": name}
    dag: dict[str, Any] = {"name": entry, "dag": {"tasks": tasks}}
    outputs = {k: v for k, v in (("parameters", out_params), ("artifacts", out_artifacts)) if v}
    if outputs:
        dag["outputs"] = outputs
    return dag, exported


def _require_file(plan: Plan, resolved: dict[str, Resolved], ref: Ref, consumer: Op) -> None:
    if ref.output not in resolved[ref.op].output_paths:
        raise SpecError(f"op {consumer.name!r} reads output {ref.output!r} of op {ref.op!r}, but that component "
                        "never writes it (no outputPath placeholder or fileOutputs entry for it)",
                        file=consumer.spec.file, field=f"{consumer.where}arguments")
