"""A KFP v2 pipeline, compiled to an ordinary Argo Workflow that the engine runs.

One DAG template per DAG component, one container template per executor task (running
`launcher.py`), `when` for conditions, `withParam` for ParallelFor (a one-task DAG with
`parallelism` when the loop has a limit), `depends` for `.after()` and exit handlers,
`retryStrategy` for `set_retry`. Values travel as Argo parameters: `p-<name>` for a
parameter (text), `a-<name>` for an artifact (a JSON list of name, uri, type, metadata).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfexec.errors import SpecError
from wfexec.kfp.v2 import kubernetes_platform as platform
from wfexec.kfp.v2.conditions import to_when
from wfexec.kfp.v2.ir import ArtifactBinding, Component, Interface, ParamBinding, Pipeline, Task
from wfexec.kfp.v2.launcher import ABSENT, LaunchError, to_text
from wfexec.kfp.v2.launcher_values import selector_keys
from wfexec.kfp_runs import ANNOTATION as KFP_V2

LAUNCHER = str(Path(__file__).with_name("launcher.py"))
LAUNCHER_VOLUME = "kfp-launcher"
OUT = "/tmp/kfp/argo"
KFP_VOLUME = "kfp-root"


@dataclass
class Runtime:
    """What the launcher needs from this machine."""

    kfp_root: str  # artifacts, cache and workspaces (bound read-write at the same path)
    launcher_python: str
    envs: dict[str, dict[str, Any]] = field(default_factory=dict)  # executor label -> lightweight env
    warnings: list[str] = field(default_factory=list)
    bind_launcher: bool = False  # launcher.py's folder bound in: docker sees no host file, a sandbox no host /tmp
    s3: dict[str, Any] | None = None  # the run's S3 artifact repository, when one is configured


def p(name: str) -> str:
    return "p-" + name


def a(name: str) -> str:
    return "a-" + name


def check_arguments(pipeline: Pipeline, given: dict[str, str]) -> dict[str, Any]:
    """The pipeline's parameters, typed per `parameterType`; an unknown, mistyped or missing one is an error."""
    declared = pipeline.root.inputs.parameters
    for name in given:
        if name not in declared:
            raise SpecError(f"the pipeline has no parameter {name!r} (it has: {', '.join(declared) or 'none'})",
                            file=pipeline.file, field="root.inputDefinitions.parameters")
    out: dict[str, Any] = {}
    for name, spec in declared.items():
        where = f"root.inputDefinitions.parameters.{name}"
        if name in given:
            out[name] = _typed(given[name], spec.type, pipeline.file, where)
        elif spec.has_default:
            out[name] = spec.default
        elif not spec.optional:
            raise SpecError(f"parameter {name!r} ({spec.type}) is required: give it with -p {name}=VALUE",
                            file=pipeline.file, field=where)
    for name, art in pipeline.root.inputs.artifacts.items():
        if not art.optional:
            raise SpecError(f"input artifact {name!r} of the pipeline cannot be given on the command line",
                            file=pipeline.file, field=f"root.inputDefinitions.artifacts.{name}")
    return out


def _typed(text: str, ptype: str, file: str, where: str) -> Any:
    try:
        if ptype == "STRING":
            return text
        if ptype == "NUMBER_INTEGER":
            return int(text)
        if ptype == "NUMBER_DOUBLE":
            return float(text)
        if ptype == "BOOLEAN":
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower() == "true"
        value = json.loads(text)
        if ptype == "LIST" and isinstance(value, list) or ptype == "STRUCT" and isinstance(value, dict):
            return value
    except ValueError:
        pass
    raise SpecError(f"expected a value of type {ptype}, got {text!r}", file=file, field=where)


class Compiler:
    def __init__(self, pipeline: Pipeline, runtime: Runtime) -> None:
        self.pl = pipeline
        self.rt = runtime
        self.templates: list[dict[str, Any]] = []
        self.names: set[str] = set()
        self.dag_names: dict[str, str] = {}
        self.extra_mounts: list[dict[str, Any]] = []
        self.pending_volumes: list[dict[str, Any]] = []  # pod volumes the tasks' settings ask for
        self.renames: dict[str, dict[str, str]] = {}  # component -> task key -> display name used
        self.renamed: dict[str, str] = {}  # those of the DAG being compiled
        self.imports: list[dict[str, Any]] = []  # read-only mounts of the local files importers name

    def _name(self, base: str) -> str:
        base = re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-")[:50] or "t"
        name, n = base, 1
        while name in self.names:
            n += 1
            name = f"{base}-{n}"
        self.names.add(name)
        return name

    def workflow(self, arguments: dict[str, Any]) -> dict[str, Any]:
        for i, path in enumerate(self.imported_paths(arguments)):
            self.imports.append({"name": f"kfp-import-{i}", "mountPath": path, "readOnly": True})
            self.extra_volumes([{"name": f"kfp-import-{i}", "hostPath": {"path": path}}])
        entry = self.dag(self.pl.root)
        params = [{"name": p(k), "value": to_text(v, self.pl.root.inputs.parameters[k].type)}
                  for k, v in arguments.items()]
        wf_name = re.sub(r"[^a-z0-9-]+", "-", self.pl.name.lower()).strip("-")[:50] or "pipeline"
        return {
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"generateName": wf_name + "-",
                         "labels": {"wfexec.io/kfp-pipeline": wf_name},
                         "annotations": {KFP_V2: "true", "wfexec.io/kfp-pipeline-name": self.pl.name}},
            "spec": {"entrypoint": entry, "arguments": {"parameters": params},
                     "volumes": [{"name": KFP_VOLUME, "hostPath": {"path": self.rt.kfp_root}}] + (
                         [{"name": LAUNCHER_VOLUME, "hostPath": {"path": os.path.dirname(LAUNCHER)}}]
                         if self.rt.bind_launcher else []),
                     "templates": self.templates},
        }

    def imported_paths(self, arguments: dict[str, Any]) -> list[str]:
        """The local files and folders importers name that a step may not see: KFP's importer records
        the URI as it is (no copy), so each is bound read-only at its own path into every executor step
        (a step has a private /tmp; under docker it sees no host file). Only URIs known before the run
        (a constant, a pipeline parameter) and paths that exist; the importer reports a missing one."""
        root = self.rt.kfp_root.rstrip("/") + "/"
        out: list[str] = []
        for parent in [self.pl.root, *self.pl.components.values()]:
            for t in parent.tasks.values():
                uri = self.import_uri(parent, t, arguments)
                path = os.path.normpath(uri) if uri.startswith("/") else ""
                if path and os.path.exists(path) and path not in out and not path.startswith(root) and \
                        not root.startswith(path.rstrip("/") + "/") and path not in ("/tmp", "/run"):
                    out.append(path)
        return out

    def import_uri(self, parent: Component, task: Task, arguments: dict[str, Any]) -> str:
        """The URI an importer task imports, when known before the run; "" otherwise."""
        comp = self.pl.components.get(task.component)
        if comp is None or comp.is_dag:
            return ""
        imp = self.pl.executors[comp.executor_label].importer
        if imp is None:
            return ""
        if imp.uri_constant:
            return imp.uri_constant
        b = task.parameters.get(imp.uri_parameter)
        if b is None:
            return ""
        if b.kind == "constant":
            return str(b.constant or "")
        if b.kind == "component_input" and parent is self.pl.root:
            return str(arguments.get(b.name) or "")
        return ""

    # ---- DAG components -----------------------------------------------------------------
    def dag(self, comp: Component) -> str:
        if comp.name in self.dag_names:
            return self.dag_names[comp.name]
        name = self._name("root" if comp is self.pl.root else comp.name.removeprefix("comp-"))
        self.dag_names[comp.name] = name
        tmpl: dict[str, Any] = {"name": name, "inputs": {"parameters": _interface_params(comp.inputs)}}
        self.templates.append(tmpl)
        outer, self.renamed = self.renamed, self.renames.get(comp.name, {})
        compiled = {t.name: self.dag_task(comp, t) for t in comp.tasks.values()}
        self.renamed = outer
        for exit_task, producer in exit_handlers(comp).items():
            # ExitHandler: the exit task is the group's exit hook, so it runs however the group ends
            # and the pipeline still fails when the group failed, as in KFP
            hook = compiled.pop(exit_task)
            compiled[producer].setdefault("hooks", {})["exit"] = {
                "template": hook["template"], "arguments": hook.get("arguments") or {}}
        tmpl["dag"] = {"tasks": list(compiled.values())}
        outputs = self.dag_outputs(comp)
        if outputs:
            tmpl["outputs"] = {"parameters": outputs}
        if not tmpl["inputs"]["parameters"]:
            tmpl.pop("inputs")
        return name

    def dag_outputs(self, comp: Component) -> list[dict[str, Any]]:
        out = []
        for name, sels in list(comp.dag_outputs.parameters.items()) + list(comp.dag_outputs.artifacts.items()):
            is_param = name in comp.dag_outputs.parameters
            key = p if is_param else a
            refs = [(s.producer, key(s.key)) for s in sels]
            if len(refs) == 1:
                vf: dict[str, Any] = {"parameter": f"{{{{tasks.{refs[0][0]}.outputs.parameters.{refs[0][1]}}}}}"}
            else:  # OneOf: the branch that ran
                expr = "''"
                for task, param in reversed(refs):
                    expr = (f"tasks['{task}'].status == 'Succeeded' ? "
                            f"tasks['{task}'].outputs.parameters['{param}'] : ({expr})")
                vf = {"expression": expr}
            vf["default"] = ABSENT if is_param else "[]"  # a branch that did not run: no value, not ""
            out.append({"name": key(name), "valueFrom": vf})
        return out

    def dag_task(self, parent: Component, task: Task) -> dict[str, Any]:
        comp = self.pl.components[task.component]
        where = f"{'root' if parent is self.pl.root else 'components.' + parent.name}.dag.tasks.{task.name}"
        args = self.arguments(parent, task, comp, where)
        if comp.is_dag:
            template = self.dag(comp)
            arguments = {**args.params, **args.artifacts, **args.statuses,
                         **{p(k): to_text(v, comp.inputs.parameters[k].type if k in comp.inputs.parameters
                                          else "STRING") for k, v in args.constants.items()}}
        else:
            template = self.executor_template(comp, task, args, where)
            arguments = {**args.params, **args.artifacts, **args.statuses, **args.platform}
        out: dict[str, Any] = {"name": task.name, "template": template}
        depends = self.depends(task, args.extra_deps)
        if depends:
            out["depends"] = depends
        if task.condition:
            out["when"] = to_when(task.condition, lambda k: self._cond_arg(args, comp, k, task, where), where)
        if task.iterator is not None:
            it = task.iterator
            arguments[(a if it.input_artifact is not None else p)(it.item_input)] = "{{item}}"
            if it.input_artifact is not None:
                items = self.artifact_items(task.artifacts[it.input_artifact])
            elif it.raw is not None:
                items = it.raw
            else:
                items = args.params.get(p(it.input_parameter or ""))
                if items is None and it.input_parameter in args.constants:
                    items = json.dumps(args.constants[it.input_parameter])
                if items is None:
                    raise SpecError(f"loop items {it.input_parameter!r} are not an input of the task", field=where)
            if it.parallelism > 0:
                return self.limited_loop(out, comp, arguments, items, it.parallelism)
            out["withParam"] = items
        if arguments:
            out["arguments"] = {"parameters": [{"name": k, "value": v} for k, v in arguments.items()]}
        return out

    @staticmethod
    def artifact_items(source: ArtifactBinding) -> str:
        """ParallelFor over artifacts, as KFP's driver iterates them: one iteration per artifact of the
        list, each given that one artifact. The list may be a loop's collected output (a list of lists,
        nested as deep as the loops): flattened, each artifact becomes a list of one."""
        ref = _value_expr(source.kind, a(source.name), source.producer)
        return f"{{{{=toJson(map(flatten(jsonpath({ref}, '$')), {{[#]}}))}}}}"

    def limited_loop(self, task: dict[str, Any], comp: Component, arguments: dict[str, str], items: str,
                     limit: int) -> dict[str, Any]:
        """ParallelFor with a parallelism limit: a one-task DAG with `parallelism` runs the iterations."""
        name = self._name(task["template"] + "-loop")
        outer: dict[str, str] = {}
        inner: dict[str, str] = {}
        for i, (k, v) in enumerate(arguments.items()):
            if v == "{{item}}":
                inner[k] = v
                continue
            outer[f"w{i}"] = v
            inner[k] = f"{{{{inputs.parameters.w{i}}}}}"
        outer["items"] = items
        inner_task = {"name": task["name"], "template": task["template"], "withParam": "{{inputs.parameters.items}}",
                      "arguments": {"parameters": [{"name": k, "value": v} for k, v in inner.items()]}}
        outputs = [{"name": o["name"], "valueFrom": {"parameter": f"{{{{tasks.{task['name']}.outputs.parameters."
                                                                  f"{o['name']}}}}}", "default": "[]"}}
                   for o in _interface_params(comp.outputs)]
        tmpl: dict[str, Any] = {"name": name, "parallelism": limit,
                                "inputs": {"parameters": [{"name": k} for k in outer]},
                                "dag": {"tasks": [inner_task]}}
        if outputs:
            tmpl["outputs"] = {"parameters": outputs}
        self.templates.append(tmpl)
        out = {k: v for k, v in task.items() if k != "template"}
        out["template"] = name
        out["arguments"] = {"parameters": [{"name": k, "value": v} for k, v in outer.items()]}
        return out

    def depends(self, task: Task, extra: list[str]) -> str:
        deps: list[str] = []
        for d in list(task.dependent_tasks) + extra + [b.producer for b in task.parameters.values() if b.producer] + \
                [b.producer for b in task.artifacts.values() if b.producer]:
            if d not in deps:
                deps.append(d)
        if task.all_upstream_completed:
            return " && ".join(f"({d}.Succeeded || {d}.Skipped || {d}.Failed || {d}.Errored)" for d in deps)
        return " && ".join(deps)

    def _cond_arg(self, args: TaskArgs, comp: Component, key: str, task: Task, where: str) -> tuple[str, str]:
        """(the expression of the value the condition reads, as the text the task is given; its KFP type)."""
        ptype = comp.inputs.parameters[key].type if key in comp.inputs.parameters else "STRING"
        b = task.parameters.get(key)
        if b is not None and p(key) in args.params:
            if b.selector and comp.is_dag:  # the field passed down, rendered as `{{=…}}` renders it
                field = _selected_expr(b, where)
                return f'(type({field}) == "string" ? {field} : toJson({field}))', ptype
            return _value_expr(b.kind, p(b.name), b.producer), ptype
        if key in args.constants:
            return json.dumps(to_text(args.constants[key], ptype)), ptype
        raise SpecError(f"the condition reads {key!r}, which is not an input of task {task.name!r}",
                        file=self.pl.file, field=f"{where}.triggerPolicy.condition")

    def arguments(self, parent: Component, task: Task, comp: Component, where: str) -> TaskArgs:
        out = TaskArgs()
        for name, b in task.parameters.items():
            if b.kind == "component_input":
                out.params[p(name)] = f"{{{{inputs.parameters.{p(b.name)}}}}}"
            elif b.kind == "task_output":
                out.params[p(name)] = f"{{{{tasks.{b.producer}.outputs.parameters.{p(b.name)}}}}}"
                ptype, depth = self.collected_shape(parent.tasks[b.producer], b.name)
                if depth:
                    out.collected[name] = {"type": ptype, "depth": depth}
            elif b.kind == "constant":
                out.constants[name] = b.constant
            elif b.kind == "final_status":
                out.statuses[p(name)] = f"{{{{tasks.{b.producer}.status}}}}"
                out.final_status_producers[name] = parent.tasks[b.producer].display_name
            if b.selector and comp.is_dag and p(name) in out.params:
                out.params[p(name)] = _selected(b, where)
            elif b.selector:
                out.selectors[name] = b.selector
        for name, ab in task.artifacts.items():
            if ab.kind == "component_input":
                out.artifacts[a(name)] = f"{{{{inputs.parameters.{a(ab.name)}}}}}"
            else:
                out.artifacts[a(name)] = f"{{{{tasks.{ab.producer}.outputs.parameters.{a(ab.name)}}}}}"
        missing = [k for k, s in comp.inputs.parameters.items() if k not in task.parameters and not s.has_default
                   and not s.optional and not (task.iterator and k == task.iterator.item_input)]
        if missing:
            raise SpecError(f"required input {missing[0]!r} of {comp.name!r} has no value", field=where)
        return out

    def collected_shape(self, task: Task, key: str) -> tuple[str, int]:
        """A task's output as loops collect it (`dsl.Collected`): the type of the value the executor
        inside produced, and how many loops lie between (each wraps the values in one more list)."""
        depth = 1 if task.iterator is not None else 0
        comp = self.pl.components[task.component]
        if not comp.is_dag:
            spec = comp.outputs.parameters.get(key)
            return (spec.type if spec else "STRING"), depth
        sels = comp.dag_outputs.parameters.get(key) or []
        if not sels:
            return "STRING", depth
        ptype, inner = self.collected_shape(comp.tasks[sels[0].producer], sels[0].key)
        return ptype, depth + inner

    # ---- executor tasks -----------------------------------------------------------------
    def executor_template(self, comp: Component, task: Task, args: TaskArgs, where: str) -> str:
        ex = self.pl.executors[comp.executor_label]
        name = self._name(task.name)
        spec: dict[str, Any] = {
            "task": task.display_name, "root": self.rt.kfp_root, "cache": task.enable_cache,
            "inputs": _interface_json(comp.inputs), "outputs": _interface_json(comp.outputs),
            "constants": args.constants, "selectors": args.selectors, "collected": args.collected,
            "final_status_producers": args.final_status_producers,
        }
        container: dict[str, Any] = {"image": "python:3.11"}
        if ex.importer is not None:
            imp = ex.importer
            spec["importer"] = {"uri": imp.uri_constant, "uri_parameter": imp.uri_parameter,
                                "schema_title": imp.schema_title, "metadata": imp.metadata}
            spec["outputs"]["artifacts"] = {"artifact": {"schema_title": imp.schema_title,
                                                         "schema_version": "0.0.1"}}
            if imp.uri_constant:
                platform.check_importer_uri(imp.uri_constant, task.display_name, self.pl.file)
        else:
            c = ex.container
            assert c is not None
            container["image"] = c.image
            spec["container"] = {"image": c.image, "command": c.command, "args": c.args, "env": c.env}
            if c.accelerator:
                raise SpecError(f"task {task.display_name!r} asks for an accelerator ({c.accelerator}), which this "
                                "machine cannot give", file=self.pl.file, field=f"deploymentSpec.executors."
                                f"{comp.executor_label}.container.resources.accelerator")
            if comp.executor_label in self.rt.envs:
                env = spec["lightweight"] = self.rt.envs[comp.executor_label]
                # the environment may sit under /tmp, which the sandbox hides: bind it where it is
                self.extra_mounts.append({"name": "kfp-pyenv-" + env["key"], "mountPath": env["pythonpath"],
                                          "readOnly": True})
                self.extra_volumes([{"name": "kfp-pyenv-" + env["key"], "hostPath": {"path": env["pythonpath"]}}])
            limits = {k: v for k, v in (("cpu", c.cpu_limit), ("memory", c.memory_limit)) if v}
            if limits:
                container["resources"] = {"limits": limits}
        argv = ["--job", "{{workflow.name}}", "{{workflow.uid}}", "--created", "{{workflow.creationTimestamp}}"]
        inputs = []
        for key in list(args.params) + list(args.artifacts) + list(args.statuses):
            flag = {"p": "--p", "a": "--a"}[key[0]] if key not in args.statuses else "--status"
            argv += [flag, key[2:], f"{{{{inputs.parameters.{key}}}}}"]
            inputs.append({"name": key})
        volumes = [{"name": KFP_VOLUME, "mountPath": self.rt.kfp_root}]
        if self.rt.bind_launcher:
            volumes.append({"name": LAUNCHER_VOLUME, "mountPath": os.path.dirname(LAUNCHER), "readOnly": True})
        extra = platform.executor_settings(self.pl, comp.executor_label, task.display_name, self.rt.warnings)
        spec.update(extra.spec)
        volumes += extra.volume_mounts + self.extra_mounts + self.imports
        if self.rt.s3 is not None:  # the launcher reads the repository's keys from the secrets folder
            spec["s3"] = self.rt.s3
            secrets = spec["secrets_root"]
            if not any(v["name"] == "kfp-secrets-root" for v in volumes):
                volumes.append({"name": "kfp-secrets-root", "mountPath": secrets, "readOnly": True})
                self.extra_volumes([{"name": "kfp-secrets-root", "hostPath": {"path": secrets}}])
        self.extra_mounts = []
        for slot, ref in extra.refs.items():
            if "componentInputParameter" in ref:
                args.platform["k-" + slot] = f"{{{{inputs.parameters.{p(ref['componentInputParameter'])}}}}}"
            elif "taskOutputParameter" in ref:
                out = ref["taskOutputParameter"]
                producer = self.renamed.get(str(out["producerTask"]), str(out["producerTask"]))
                args.platform["k-" + slot] = (f"{{{{tasks.{producer}.outputs.parameters."
                                              f"{p(out['outputParameterKey'])}}}}}")
                args.extra_deps.append(producer)
            argv += ["--k", slot, f"{{{{inputs.parameters.k-{slot}}}}}"]
            inputs.append({"name": "k-" + slot})
        encoded = base64.b64encode(json.dumps(spec).encode()).decode()
        container.update({"command": [self.rt.launcher_python, "-S", LAUNCHER], "args": [encoded] + argv,
                          "volumeMounts": volumes})
        outputs = [{"name": p(k), "valueFrom": {"path": f"{OUT}/p/{k}", "default": ""}}
                   for k in spec["outputs"]["parameters"]]
        outputs += [{"name": a(k), "valueFrom": {"path": f"{OUT}/a/{k}", "default": "[]"}}
                    for k in spec["outputs"]["artifacts"]]
        outputs.append({"name": "cached", "valueFrom": {"path": f"{OUT}/cached", "default": "false"}})
        tmpl: dict[str, Any] = {"name": name, "container": container, "outputs": {"parameters": outputs},
                                "metadata": {"annotations": {"wfexec.io/kfp-task": task.display_name}}}
        if inputs:
            tmpl["inputs"] = {"parameters": inputs}
        if extra.volumes:
            self.extra_volumes(extra.volumes)
        if task.retry and task.retry.max_count > 0:
            tmpl["retryStrategy"] = _retry(task)
        self.templates.append(tmpl)
        return name

    def extra_volumes(self, volumes: list[dict[str, Any]]) -> None:
        self.pending_volumes.extend(v for v in volumes if v not in self.pending_volumes)


def exit_handlers(comp: Component) -> dict[str, str]:
    """Exit tasks of a DAG (every upstream completed, a PipelineTaskFinalStatus input, after nothing
    but that group) -> the group they watch."""
    out: dict[str, str] = {}
    for t in comp.tasks.values():
        producers = [b.producer for b in t.parameters.values() if b.kind == "final_status"]
        if t.all_upstream_completed and len(producers) == 1 and set(t.dependent_tasks) <= {producers[0]} and \
                not any(t.name in o.dependent_tasks for o in comp.tasks.values()):
            out[t.name] = producers[0]
    return out


@dataclass
class TaskArgs:
    params: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    selectors: dict[str, str] = field(default_factory=dict)
    collected: dict[str, dict[str, Any]] = field(default_factory=dict)  # input -> element type, loop depth
    final_status_producers: dict[str, str] = field(default_factory=dict)
    platform: dict[str, str] = field(default_factory=dict)  # k-<slot>: secret/ConfigMap names
    extra_deps: list[str] = field(default_factory=list)


def _value_expr(kind: str, name: str, producer: str | None) -> str:
    """The Argo expression that reads parameter `name` (`p-…` or `a-…`) as a binding of `kind` passes it:
    an input of the DAG, or an output of the task `producer`."""
    if kind == "component_input":
        return f"inputs.parameters['{name}']"
    return f"tasks['{producer}'].outputs.parameters['{name}']"


def _selected_expr(b: ParamBinding, where: str) -> str:
    """The field a parameterExpressionSelector picks of a JSON parameter, as an Argo expression."""
    try:
        path = "".join(f"[{json.dumps(k)}]" for k in selector_keys(b.selector or ""))
    except LaunchError as exc:
        raise SpecError(str(exc), field=f"{where}.inputs.parameters") from None
    return f"jsonpath({_value_expr(b.kind, p(b.name), b.producer)}, '$'){path}"


def _selected(b: ParamBinding, where: str) -> str:
    """A sub-DAG's input given one field of a JSON parameter (parameterExpressionSelector): a DAG has
    no launcher to apply the selector, so the field is taken as the value is passed down, by an Argo
    expression. It renders as the launcher's selection does (a string as is, else JSON), and the
    tasks inside type it as the sub-DAG's input declares."""
    return f"{{{{={_selected_expr(b, where)}}}}}"


def _retry(task: Task) -> dict[str, Any]:
    assert task.retry is not None
    r = task.retry
    out: dict[str, Any] = {"limit": r.max_count, "retryPolicy": "Always"}
    backoff: dict[str, Any] = {}
    if r.backoff:
        backoff["duration"] = r.backoff
    if r.factor is not None:
        backoff["factor"] = int(r.factor) if float(r.factor).is_integer() else r.factor
    if r.max_backoff:
        backoff["maxDuration"] = r.max_backoff
    if backoff.get("duration") not in (None, "0s", "0"):
        out["backoff"] = backoff
    return out


def _interface_params(iface: Interface) -> list[dict[str, Any]]:
    """A DAG's inputs; one given no value carries the launcher's ABSENT mark (its default applies there)."""
    return [{"name": p(k), "default": ABSENT} for k in iface.parameters] + \
        [{"name": a(k), "default": ABSENT} for k in iface.artifacts]


def _interface_json(iface: Interface) -> dict[str, Any]:
    return {"parameters": {k: {"type": s.type, "default": s.default, "has_default": s.has_default,
                               "optional": s.optional} for k, s in iface.parameters.items()},
            "artifacts": {k: {"schema_title": s.schema_title, "schema_version": s.schema_version,
                              "is_list": s.is_list, "optional": s.optional} for k, s in iface.artifacts.items()}}


ARGO_TASK_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]{0,62}")


def with_display_names(pipeline: Pipeline) -> tuple[Pipeline, dict[str, dict[str, str]]]:
    """Tasks named as KFP shows them (`taskInfo.name`, what `set_display_name` sets) where that is a
    valid, unique Argo task name; every reference follows. Also returns, per component, old -> new."""
    pl = copy.deepcopy(pipeline)
    renames: dict[str, dict[str, str]] = {}
    for comp in [pl.root, *pl.components.values()]:
        wanted = {k: t.display_name for k, t in comp.tasks.items()
                  if t.display_name != k and ARGO_TASK_NAME.fullmatch(t.display_name)}
        taken = set(comp.tasks) - set(wanted)
        mapping = {}
        for key, new in wanted.items():
            if new not in taken:
                mapping[key] = new
                taken.add(new)
        if not mapping:
            continue
        renames[comp.name] = mapping

        def rn(name: str, mapping: dict[str, str] = mapping) -> str:
            return mapping.get(name, name)

        tasks = {}
        for key, t in comp.tasks.items():
            t.name = rn(key)
            t.dependent_tasks = [rn(d) for d in t.dependent_tasks]
            for b in list(t.parameters.values()) + list(t.artifacts.values()):
                if b.producer:
                    b.producer = rn(b.producer)
            tasks[t.name] = t
        comp.tasks = tasks
        for sels in list(comp.dag_outputs.parameters.values()) + list(comp.dag_outputs.artifacts.values()):
            for sel in sels:
                sel.producer = rn(sel.producer)
    return pl, renames


def compile_pipeline(pipeline: Pipeline, arguments: dict[str, str], runtime: Runtime) -> dict[str, Any]:
    """The Argo Workflow for one run of `pipeline` with `arguments` (text, typed here)."""
    typed = check_arguments(pipeline, arguments)
    pipeline, renames = with_display_names(pipeline)
    compiler = Compiler(pipeline, runtime)
    compiler.renames = renames
    wf = compiler.workflow(typed)
    wf["spec"]["volumes"].extend(compiler.pending_volumes)
    return wf
