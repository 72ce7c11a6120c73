"""A KFP v2 pipeline IR document, loaded into typed records and checked before anything starts.

The IR is what `kfp.compiler.Compiler` writes: `pipelineInfo`, `root`, `components`,
`deploymentSpec`, `schemaVersion`, and an optional second YAML document `platforms`.
Every error names the file and the field, and what was expected there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wfexec.errors import SpecError

PARAMETER_TYPES = ("STRING", "NUMBER_INTEGER", "NUMBER_DOUBLE", "BOOLEAN", "LIST", "STRUCT", "TASK_FINAL_STATUS")


@dataclass
class ParameterSpec:
    type: str
    default: Any = None
    has_default: bool = False
    optional: bool = False


@dataclass
class ArtifactSpec:
    schema_title: str
    schema_version: str = "0.0.1"
    is_list: bool = False
    optional: bool = False


@dataclass
class Interface:
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)
    artifacts: dict[str, ArtifactSpec] = field(default_factory=dict)


@dataclass
class ParamBinding:
    """Where one input parameter of a task gets its value."""

    kind: str  # component_input | task_output | constant | final_status
    name: str = ""  # the parent's input, or the producer's output key
    producer: str = ""
    constant: Any = None
    selector: str = ""  # parameterExpressionSelector


@dataclass
class ArtifactBinding:
    kind: str  # component_input | task_output
    name: str = ""
    producer: str = ""


@dataclass
class Iterator:
    item_input: str
    raw: str | None = None  # a JSON list written in the IR
    input_parameter: str | None = None  # one of the task's own inputs holds the list
    input_artifact: str | None = None  # artifactIterator: one of the task's input artifacts is the list
    parallelism: int = 0


@dataclass
class Retry:
    max_count: int
    backoff: str = ""
    factor: float | None = None
    max_backoff: str = ""


@dataclass
class Task:
    name: str
    component: str
    display_name: str
    parameters: dict[str, ParamBinding] = field(default_factory=dict)
    artifacts: dict[str, ArtifactBinding] = field(default_factory=dict)
    dependent_tasks: list[str] = field(default_factory=list)
    enable_cache: bool = False
    condition: str = ""
    all_upstream_completed: bool = False
    iterator: Iterator | None = None
    retry: Retry | None = None


@dataclass
class OutputSelector:
    producer: str
    key: str


@dataclass
class DagOutputs:
    parameters: dict[str, list[OutputSelector]] = field(default_factory=dict)  # several = OneOf
    artifacts: dict[str, list[OutputSelector]] = field(default_factory=dict)


@dataclass
class Component:
    name: str
    inputs: Interface
    outputs: Interface
    executor_label: str = ""
    tasks: dict[str, Task] = field(default_factory=dict)
    dag_outputs: DagOutputs = field(default_factory=DagOutputs)

    @property
    def is_dag(self) -> bool:
        return not self.executor_label


@dataclass
class ContainerSpec:
    image: str
    command: list[str]
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cpu_limit: str = ""
    memory_limit: str = ""
    accelerator: str = ""


@dataclass
class ImporterSpec:
    uri_constant: str
    uri_parameter: str
    schema_title: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Executor:
    label: str
    container: ContainerSpec | None = None
    importer: ImporterSpec | None = None


@dataclass
class Pipeline:
    """One pipeline IR file, checked."""

    file: str
    name: str
    root: Component
    components: dict[str, Component]
    executors: dict[str, Executor]
    platforms: dict[str, Any] = field(default_factory=dict)
    schema_version: str = ""


def looks_like_ir(docs: list[Any]) -> bool:
    """True when the first document has the IR's top-level keys rather than a `kind`."""
    first = docs[0] if docs else None
    return isinstance(first, dict) and "kind" not in first and (
        "pipelineInfo" in first or "deploymentSpec" in first or ("root" in first and "components" in first)
        or "executorLabel" in first and "name" in first)


def read_documents(path: str | Path) -> list[Any]:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", file=str(path)) from None
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SpecError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                        line=mark.line + 1 if mark else None) from None


def load_pipeline(path: str | Path) -> Pipeline:
    return parse_pipeline(read_documents(path), str(path))


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, message: str) -> SpecError:
        return SpecError(message, file=self.file, field=where)

    def mapping(self, value: Any, where: str, required: bool = False) -> dict[str, Any]:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {type(value).__name__}"
                            if value is not None else "is missing")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(where, "expected a non-empty string")
        return value


def parse_pipeline(docs: list[Any], file: str) -> Pipeline:
    r = _Reader(file)
    if not docs:
        raise r.fail("(document 1)", "the file is empty")
    doc = r.mapping(docs[0], "(document 1)", required=True)
    platforms = {}
    if len(docs) > 1:
        platforms = r.mapping(r.mapping(docs[1], "(document 2)").get("platforms"), "(document 2).platforms")
    if "executorLabel" in doc and "pipelineInfo" not in doc:
        raise r.fail("pipelineInfo", "a bare component spec; compile the component (kfp.compiler) to a pipeline")
    version = str(doc.get("schemaVersion") or "")
    if not version.startswith("2."):
        raise r.fail("schemaVersion", f"expected a KFP pipeline IR schema 2.x (such as 2.1.0), got {version or 'none'!r}")
    info = r.mapping(doc.get("pipelineInfo"), "pipelineInfo", required=True)
    name = r.text(info.get("name"), "pipelineInfo.name")
    if "root" not in doc:
        raise r.fail("root", "is missing: a pipeline IR needs its root DAG component")
    components = {cname: _component(r, cname, spec, f"components.{cname}")
                  for cname, spec in r.mapping(doc.get("components"), "components").items()}
    root = _component(r, "root", doc["root"], "root")
    if not root.is_dag:
        raise r.fail("root.dag", "the root component must be a DAG")
    executors = {label: _executor(r, label, spec, f"deploymentSpec.executors.{label}") for label, spec in
                 r.mapping(r.mapping(doc.get("deploymentSpec"), "deploymentSpec").get("executors"),
                           "deploymentSpec.executors").items()}
    pipeline = Pipeline(file, name, root, components, executors, platforms, version)
    _check_references(r, pipeline)
    return pipeline


def _interface(r: _Reader, spec: dict[str, Any], where: str) -> Interface:
    out = Interface()
    for pname, p in r.mapping(spec.get("parameters"), f"{where}.parameters").items():
        p = r.mapping(p, f"{where}.parameters.{pname}", required=True)
        ptype = p.get("parameterType")
        if ptype not in PARAMETER_TYPES:
            raise r.fail(f"{where}.parameters.{pname}.parameterType",
                         f"expected one of {', '.join(PARAMETER_TYPES)}, got {ptype!r}")
        out.parameters[pname] = ParameterSpec(ptype, p.get("defaultValue"), "defaultValue" in p,
                                              bool(p.get("isOptional")))
    for aname, a in r.mapping(spec.get("artifacts"), f"{where}.artifacts").items():
        a = r.mapping(a, f"{where}.artifacts.{aname}", required=True)
        atype = r.mapping(a.get("artifactType"), f"{where}.artifacts.{aname}.artifactType")
        out.artifacts[aname] = ArtifactSpec(str(atype.get("schemaTitle") or "system.Artifact"),
                                            str(atype.get("schemaVersion") or "0.0.1"),
                                            bool(a.get("isArtifactList")), bool(a.get("isOptional")))
    return out


def _component(r: _Reader, name: str, spec: Any, where: str) -> Component:
    spec = r.mapping(spec, where, required=True)
    comp = Component(name, _interface(r, r.mapping(spec.get("inputDefinitions"), f"{where}.inputDefinitions"),
                                      f"{where}.inputDefinitions"),
                     _interface(r, r.mapping(spec.get("outputDefinitions"), f"{where}.outputDefinitions"),
                                f"{where}.outputDefinitions"))
    if "dag" in spec:
        dag = r.mapping(spec["dag"], f"{where}.dag", required=True)
        comp.tasks = {tname: _task(r, tname, t, f"{where}.dag.tasks.{tname}")
                      for tname, t in r.mapping(dag.get("tasks"), f"{where}.dag.tasks").items()}
        comp.dag_outputs = _dag_outputs(r, r.mapping(dag.get("outputs"), f"{where}.dag.outputs"),
                                        f"{where}.dag.outputs")
    elif "executorLabel" in spec:
        comp.executor_label = r.text(spec["executorLabel"], f"{where}.executorLabel")
    else:
        raise r.fail(where, "expected a `dag` or an `executorLabel`")
    return comp


def _task(r: _Reader, name: str, spec: Any, where: str) -> Task:
    spec = r.mapping(spec, where, required=True)
    ref = r.mapping(spec.get("componentRef"), f"{where}.componentRef", required=True)
    info = r.mapping(spec.get("taskInfo"), f"{where}.taskInfo")
    task = Task(name, r.text(ref.get("name"), f"{where}.componentRef.name"), str(info.get("name") or name))
    inputs = r.mapping(spec.get("inputs"), f"{where}.inputs")
    for pname, b in r.mapping(inputs.get("parameters"), f"{where}.inputs.parameters").items():
        task.parameters[pname] = _param_binding(r, r.mapping(b, f"{where}.inputs.parameters.{pname}", True),
                                                f"{where}.inputs.parameters.{pname}")
    for aname, b in r.mapping(inputs.get("artifacts"), f"{where}.inputs.artifacts").items():
        b = r.mapping(b, f"{where}.inputs.artifacts.{aname}", True)
        if "componentInputArtifact" in b:
            task.artifacts[aname] = ArtifactBinding("component_input", str(b["componentInputArtifact"]))
        elif "taskOutputArtifact" in b:
            out = r.mapping(b["taskOutputArtifact"], f"{where}.inputs.artifacts.{aname}.taskOutputArtifact", True)
            task.artifacts[aname] = ArtifactBinding("task_output", str(out.get("outputArtifactKey")),
                                                    str(out.get("producerTask")))
        else:
            raise r.fail(f"{where}.inputs.artifacts.{aname}",
                         "expected componentInputArtifact or taskOutputArtifact")
    task.dependent_tasks = [str(t) for t in spec.get("dependentTasks") or []]
    task.enable_cache = bool(r.mapping(spec.get("cachingOptions"), f"{where}.cachingOptions").get("enableCache"))
    trigger = r.mapping(spec.get("triggerPolicy"), f"{where}.triggerPolicy")
    task.condition = str(trigger.get("condition") or "")
    task.all_upstream_completed = trigger.get("strategy") == "ALL_UPSTREAM_TASKS_COMPLETED"
    if "parameterIterator" in spec:
        it = r.mapping(spec["parameterIterator"], f"{where}.parameterIterator", True)
        items = r.mapping(it.get("items"), f"{where}.parameterIterator.items", True)
        policy = r.mapping(spec.get("iteratorPolicy"), f"{where}.iteratorPolicy")
        task.iterator = Iterator(r.text(it.get("itemInput"), f"{where}.parameterIterator.itemInput"),
                                 raw=items.get("raw"), input_parameter=items.get("inputParameter"),
                                 parallelism=int(policy.get("parallelismLimit") or 0))
        if task.iterator.raw is None and not task.iterator.input_parameter:
            raise r.fail(f"{where}.parameterIterator.items", "expected `raw` or `inputParameter`")
    elif "artifactIterator" in spec:
        it = r.mapping(spec["artifactIterator"], f"{where}.artifactIterator", True)
        items = r.mapping(it.get("items"), f"{where}.artifactIterator.items", True)
        policy = r.mapping(spec.get("iteratorPolicy"), f"{where}.iteratorPolicy")
        task.iterator = Iterator(r.text(it.get("itemInput"), f"{where}.artifactIterator.itemInput"),
                                 input_artifact=r.text(items.get("inputArtifact"),
                                                       f"{where}.artifactIterator.items.inputArtifact"),
                                 parallelism=int(policy.get("parallelismLimit") or 0))
        if task.iterator.input_artifact not in task.artifacts:
            raise r.fail(f"{where}.artifactIterator.items.inputArtifact",
                         f"expected one of the task's input artifacts, not {task.iterator.input_artifact!r}")
    if "retryPolicy" in spec:
        rp = r.mapping(spec["retryPolicy"], f"{where}.retryPolicy", True)
        task.retry = Retry(int(rp.get("maxRetryCount") or 0), str(rp.get("backoffDuration") or ""),
                           float(rp["backoffFactor"]) if rp.get("backoffFactor") else None,
                           str(rp.get("backoffMaxDuration") or ""))
    return task


def _param_binding(r: _Reader, b: dict[str, Any], where: str) -> ParamBinding:
    selector = str(b.get("parameterExpressionSelector") or "")
    if "componentInputParameter" in b:
        return ParamBinding("component_input", str(b["componentInputParameter"]), selector=selector)
    if "taskOutputParameter" in b:
        out = r.mapping(b["taskOutputParameter"], f"{where}.taskOutputParameter", True)
        return ParamBinding("task_output", str(out.get("outputParameterKey")), str(out.get("producerTask")),
                            selector=selector)
    if "runtimeValue" in b:
        rv = r.mapping(b["runtimeValue"], f"{where}.runtimeValue", True)
        return ParamBinding("constant", constant=rv.get("constant"), selector=selector)
    if "taskFinalStatus" in b:
        fs = r.mapping(b["taskFinalStatus"], f"{where}.taskFinalStatus", True)
        return ParamBinding("final_status", producer=str(fs.get("producerTask")))
    raise r.fail(where, "expected componentInputParameter, taskOutputParameter, runtimeValue or taskFinalStatus")


def _dag_outputs(r: _Reader, spec: dict[str, Any], where: str) -> DagOutputs:
    out = DagOutputs()
    for pname, p in r.mapping(spec.get("parameters"), f"{where}.parameters").items():
        p = r.mapping(p, f"{where}.parameters.{pname}", True)
        if "valueFromParameter" in p:
            v = p["valueFromParameter"]
            out.parameters[pname] = [OutputSelector(str(v.get("producerSubtask")), str(v.get("outputParameterKey")))]
        elif "valueFromOneof" in p:
            sels = (p["valueFromOneof"] or {}).get("parameterSelectors") or []
            out.parameters[pname] = [OutputSelector(str(s.get("producerSubtask")), str(s.get("outputParameterKey")))
                                     for s in sels]
        else:
            raise r.fail(f"{where}.parameters.{pname}", "expected valueFromParameter or valueFromOneof")
    for aname, a in r.mapping(spec.get("artifacts"), f"{where}.artifacts").items():
        sels = r.mapping(a, f"{where}.artifacts.{aname}", True).get("artifactSelectors") or []
        out.artifacts[aname] = [OutputSelector(str(s.get("producerSubtask")), str(s.get("outputArtifactKey")))
                                for s in sels]
    return out


def _executor(r: _Reader, label: str, spec: Any, where: str) -> Executor:
    spec = r.mapping(spec, where, required=True)
    if "container" in spec:
        c = r.mapping(spec["container"], f"{where}.container", True)
        res = r.mapping(c.get("resources"), f"{where}.container.resources")
        env = {str(e.get("name")): str(e.get("value", "")) for e in c.get("env") or []}
        accel = r.mapping(res.get("accelerator"), f"{where}.container.resources.accelerator")
        cpu = res.get("resourceCpuLimit") or res.get("cpuLimit") or ""
        mem = res.get("resourceMemoryLimit") or res.get("memoryLimit") or ""
        return Executor(label, container=ContainerSpec(
            r.text(c.get("image"), f"{where}.container.image"), [str(x) for x in c.get("command") or []],
            [str(x) for x in c.get("args") or []], env, str(cpu), str(mem),
            str(accel.get("resourceType") or accel.get("type") or "") if accel.get("resourceCount", accel.get("count"))
            not in (None, 0, "0") else ""))
    if "importer" in spec:
        imp = r.mapping(spec["importer"], f"{where}.importer", True)
        uri = r.mapping(imp.get("artifactUri"), f"{where}.importer.artifactUri", True)
        const = uri.get("constant")
        if isinstance(const, dict):  # older IR: {stringValue: …}
            const = const.get("stringValue")
        schema = r.mapping(imp.get("typeSchema"), f"{where}.importer.typeSchema")
        return Executor(label, importer=ImporterSpec(str(const or ""), str(uri.get("runtimeParameter") or ""),
                                                     str(schema.get("schemaTitle") or "system.Artifact"),
                                                     dict(imp.get("metadata") or {})))
    raise r.fail(where, "expected a `container` or an `importer` executor (resolver executors are not supported)")


def _check_references(r: _Reader, p: Pipeline) -> None:
    for comp, where in [(p.root, "root")] + [(c, f"components.{n}") for n, c in p.components.items()]:
        if comp.executor_label and comp.executor_label not in p.executors:
            raise r.fail(f"{where}.executorLabel", f"executor {comp.executor_label!r} is not in "
                         f"deploymentSpec.executors (known: {', '.join(sorted(p.executors)) or 'none'})")
        for tname, t in comp.tasks.items():
            tw = f"{where}.dag.tasks.{tname}"
            if t.component not in p.components:
                raise r.fail(f"{tw}.componentRef.name", f"component {t.component!r} is not in `components`")
            for dep in t.dependent_tasks:
                if dep not in comp.tasks:
                    raise r.fail(f"{tw}.dependentTasks", f"task {dep!r} is not a task of the same DAG")
            for pname, b in t.parameters.items():
                if b.kind in ("task_output", "final_status") and b.producer not in comp.tasks:
                    raise r.fail(f"{tw}.inputs.parameters.{pname}", f"producer task {b.producer!r} is not in the DAG")
                if b.kind == "component_input" and b.name not in comp.inputs.parameters:
                    raise r.fail(f"{tw}.inputs.parameters.{pname}",
                                 f"{b.name!r} is not an input parameter of the enclosing component")
            for aname, a in t.artifacts.items():
                if a.kind == "task_output" and a.producer not in comp.tasks:
                    raise r.fail(f"{tw}.inputs.artifacts.{aname}", f"producer task {a.producer!r} is not in the DAG")
                if a.kind == "component_input" and a.name not in comp.inputs.artifacts:
                    raise r.fail(f"{tw}.inputs.artifacts.{aname}",
                                 f"{a.name!r} is not an input artifact of the enclosing component")
        for oname, sels in list(comp.dag_outputs.parameters.items()) + list(comp.dag_outputs.artifacts.items()):
            for s in sels:
                if s.producer not in comp.tasks:
                    raise r.fail(f"{where}.dag.outputs.{oname}", f"producer task {s.producer!r} is not in the DAG")
