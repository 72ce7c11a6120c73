"""Flatten a (possibly nested) graph component into the container tasks that actually run.

KFP 1.8 did the same: a graph component was expanded task by task, in dependency order, into
ContainerOps of one pipeline, each named after its component and made unique with `-2`, `-3`….
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wfexec.errors import SpecError
from wfexec.kfp.naming import k8s_name, unique
from wfexec.kfp.resolve import with_defaults
from wfexec.kfp.spec import ComponentSpec, GraphInputArg, GraphSpec, TaskOutputArg, TaskSpec


@dataclass(frozen=True)
class Const:
    """A value known before the run (an argument, a default, a constant in the graph)."""

    value: Any


@dataclass(frozen=True)
class Ref:
    """An output of another op, known only once that op has run."""

    op: str
    output: str


Binding = Const | Ref


@dataclass
class Op:
    """One container component to run, with what each of its inputs is bound to."""

    name: str
    spec: ComponentSpec
    bindings: dict[str, Binding]
    retry_limit: int | None = None
    where: str = ""
    dependencies: list[str] = field(default_factory=list)


@dataclass
class Plan:
    ops: list[Op]
    outputs: dict[str, Binding]


def flatten(spec: ComponentSpec, arguments: Mapping[str, Any], reserved: set[str] | None = None) -> Plan:
    """The ops of `spec` given `arguments` (its defaults applied), in an order that respects dependencies."""
    unknown = sorted(set(arguments) - {i.name for i in spec.inputs})
    if unknown:
        raise SpecError(f"no input named {unknown[0]!r} (inputs: {', '.join(i.name for i in spec.inputs) or 'none'})",
                        file=spec.file, field="arguments")
    taken = set(reserved or ())
    ops: list[Op] = []
    values = with_defaults(spec, arguments)
    outputs = _expand(spec, {k: Const(v) for k, v in values.items()}, ops, taken, "")
    return Plan(ops=ops, outputs=outputs)


def _expand(spec: ComponentSpec, bindings: dict[str, Binding], ops: list[Op], taken: set[str],
            where: str) -> dict[str, Binding]:
    if spec.container is not None:
        name = unique(k8s_name(spec.name or "") or "component", taken)
        deps = sorted({b.op for b in bindings.values() if isinstance(b, Ref)})
        ops.append(Op(name=name, spec=spec, bindings=bindings, where=where, dependencies=deps))
        return {o.name: Ref(name, o.name) for o in spec.outputs}
    if spec.graph is None:
        raise SpecError("the component has no implementation (neither container nor graph)", file=spec.file,
                        field=f"{where}implementation")
    return _expand_graph(spec, spec.graph, bindings, ops, taken, where)


def _expand_graph(spec: ComponentSpec, graph: GraphSpec, bindings: dict[str, Binding], ops: list[Op],
                  taken: set[str], where: str) -> dict[str, Binding]:
    base = f"{where}implementation.graph"
    produced: dict[str, dict[str, Binding]] = {}

    def bind(arg: Any, field_path: str) -> Binding | None:
        if isinstance(arg, GraphInputArg):
            return bindings.get(arg.input_name)
        if isinstance(arg, TaskOutputArg):
            outs = produced[arg.task_id]
            if arg.output_name not in outs:
                raise SpecError(f"task {arg.task_id!r} has no output {arg.output_name!r} "
                                f"(outputs: {', '.join(outs) or 'none'})", file=spec.file, field=field_path)
            return outs[arg.output_name]
        return Const(arg)

    for task_id in _task_order(graph.tasks):
        task = graph.tasks[task_id]
        here = f"{base}.tasks[{task_id!r}]"
        child = _child_spec(spec, task, here)
        names = {i.name for i in child.inputs}
        task_bindings: dict[str, Binding] = {}
        for input_name, arg in task.arguments.items():
            if input_name not in names:
                raise SpecError(f"component {child.name or task_id!r} has no input {input_name!r}",
                                file=spec.file, field=f"{here}.arguments[{input_name!r}]")
            bound = bind(arg, f"{here}.arguments[{input_name!r}]")
            if bound is not None:
                task_bindings[input_name] = bound
        if task.is_enabled is not None:
            raise SpecError("isEnabled is not supported (KFP 1.8 did not act on it either); remove it or use "
                            "an Argo `when` in a Workflow", file=spec.file, field=f"{here}.isEnabled")
        for default_name, value in with_defaults(child, {}).items():
            task_bindings.setdefault(default_name, Const(value))
        first = len(ops)
        produced[task_id] = _expand(child, task_bindings, ops, taken, f"{here}.componentRef.spec.")
        limit = _retry_limit(task, spec, here)
        for op in ops[first:]:
            if op.retry_limit is None:  # an inner task's own retryStrategy wins
                op.retry_limit = limit
    return {name: b for name, arg in graph.output_values.items()
            if (b := bind(arg, f"{base}.outputValues[{name!r}]")) is not None}


def _child_spec(spec: ComponentSpec, task: TaskSpec, here: str) -> ComponentSpec:
    ref = task.component_ref
    if ref.spec is not None:
        return ref.spec
    how = ", ".join(f"{k}={v}" for k, v in (("url", ref.url), ("digest", ref.digest), ("name", ref.name),
                                               ("tag", ref.tag)) if v)
    raise SpecError(f"the component ({how}) cannot be fetched here: inline it as componentRef.spec or "
                    "point componentRef.path at a local file", file=spec.file, field=f"{here}.componentRef")


def _retry_limit(task: TaskSpec, spec: ComponentSpec, here: str) -> int | None:
    retry = (task.execution_options or {}).get("retryStrategy")
    if retry is None:
        return None
    limit = retry.get("maxRetries") if isinstance(retry, dict) else None
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise SpecError("retryStrategy.maxRetries must be a non-negative integer", file=spec.file,
                        field=f"{here}.executionOptions.retryStrategy.maxRetries")
    return limit


def _task_order(tasks: dict[str, TaskSpec]) -> list[str]:
    """Dependency order, ties broken by the order tasks were written (the loader rejected cycles)."""
    deps = {tid: {a.task_id for a in t.arguments.values() if isinstance(a, TaskOutputArg)} for tid, t in tasks.items()}
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(tasks):
        ready = [tid for tid in tasks if tid not in done and deps[tid] <= done]
        order.append(ready[0])
        done.add(ready[0])
    return order
