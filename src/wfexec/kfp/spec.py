"""The v1 component specification as plain dataclasses (what `component.yaml` says, nothing resolved)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from wfexec.kfp.placeholders import Arg

Primitive = Union[str, int, float, bool]  # noqa: UP007


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: Any = None
    description: str | None = None
    default: Primitive | None = None
    optional: bool = False
    annotations: dict[str, Any] | None = None


@dataclass(frozen=True)
class OutputSpec:
    name: str
    type: Any = None
    description: str | None = None
    annotations: dict[str, Any] | None = None


@dataclass(frozen=True)
class ContainerSpec:
    image: str
    command: tuple[Arg, ...] | None = None
    args: tuple[Arg, ...] | None = None
    env: dict[str, str] | None = None
    file_outputs: dict[str, str] | None = None


@dataclass(frozen=True)
class GraphInputArg:
    """`{graphInput: {inputName}}`: the value the enclosing graph got for one of its inputs."""

    input_name: str
    type: Any = None


@dataclass(frozen=True)
class TaskOutputArg:
    """`{taskOutput: {taskId, outputName}}`: an output of a sibling task."""

    task_id: str
    output_name: str
    type: Any = None


#: A task argument: a constant, a graph input or a task output.
Argument = Union[Primitive, GraphInputArg, TaskOutputArg]  # noqa: UP007


@dataclass(frozen=True)
class ComponentRef:
    """Where a task's component comes from; only `spec` and `path` can be followed here."""

    name: str | None = None
    digest: str | None = None
    tag: str | None = None
    url: str | None = None
    path: str | None = None
    spec: ComponentSpec | None = None


@dataclass(frozen=True)
class TaskSpec:
    component_ref: ComponentRef
    arguments: dict[str, Argument] = field(default_factory=dict)
    is_enabled: Any = None
    execution_options: dict[str, Any] | None = None
    annotations: dict[str, Any] | None = None


@dataclass(frozen=True)
class GraphSpec:
    tasks: dict[str, TaskSpec]
    output_values: dict[str, Argument] = field(default_factory=dict)


@dataclass(frozen=True)
class ComponentSpec:
    file: str
    name: str | None = None
    description: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    inputs: tuple[InputSpec, ...] = ()
    outputs: tuple[OutputSpec, ...] = ()
    container: ContainerSpec | None = None
    graph: GraphSpec | None = None
    version: str | None = None

    def input(self, name: str) -> InputSpec | None:
        return next((i for i in self.inputs if i.name == name), None)

    def output(self, name: str) -> OutputSpec | None:
        return next((o for o in self.outputs if o.name == name), None)
