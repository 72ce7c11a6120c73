"""Read a v1 `component.yaml` into a ComponentSpec, checking it as strictly as KFP 1.8's parser did.

Every problem becomes a SpecError naming the file, the line (from ruamel) and the field path.
`componentRef.path` (a wfexec extension; KFP resolved only name/digest/url through its store) is
loaded eagerly, relative to the referring file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from wfexec.errors import SpecError
from wfexec.kfp import placeholders as P
from wfexec.kfp.spec import (
    Argument,
    ComponentRef,
    ComponentSpec,
    ContainerSpec,
    GraphInputArg,
    GraphSpec,
    InputSpec,
    OutputSpec,
    TaskOutputArg,
    TaskSpec,
)
from wfexec.spec.document import FieldPath, format_path
from wfexec.spec.loader import YamlConverter, parse_yaml_stream

TOP_KEYS = {"name", "description", "metadata", "inputs", "outputs", "implementation", "version"}


def load_component(path: str | Path) -> ComponentSpec:
    """Load the component spec file at `path`."""
    return _load_file(Path(path), ())


def load_component_text(text: str, file: str = "<text>") -> ComponentSpec:
    """Load a component spec from YAML/JSON text; `file` names it in errors and anchors `path` refs."""
    return _load_text(text, file, ())


def _load_file(path: Path, stack: tuple[str, ...]) -> ComponentSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("no such file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read: {exc}", file=str(path)) from None
    return _load_text(text, str(path), stack)


def _load_text(text: str, file: str, stack: tuple[str, ...]) -> ComponentSpec:
    nodes = [n for n in parse_yaml_stream(text, file) if n is not None]
    if len(nodes) != 1:
        raise SpecError(f"expected exactly one YAML document, found {len(nodes)}", file=file)
    lines: dict[FieldPath, int] = {}
    data = YamlConverter(file, lines, kubernetes=False).convert(nodes[0], ())
    return _Reader(file, lines, (*stack, _identity(file))).component(data, ())


def _identity(file: str) -> str:
    try:
        return str(Path(file).resolve())
    except OSError:
        return file


_KINDS = {dict: "a mapping", list: "a list", str: "a string", int: "an integer", float: "a number",
          bool: "a boolean", type(None): "null"}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), type(value).__name__)


class _Reader:
    """Walks the plain data of one file; `path` arguments are field paths for messages and lines."""

    def __init__(self, file: str, lines: dict[FieldPath, int], stack: tuple[str, ...]) -> None:
        self.file, self.lines, self.stack = file, lines, stack

    # -- helpers ---------------------------------------------------------------------------------
    def fail(self, message: str, path: FieldPath) -> NoReturn:
        line, p = None, tuple(path)
        while line is None and p:
            line, p = self.lines.get(p), p[:-1]
        raise SpecError(message, file=self.file, line=line or self.lines.get(()),
                        field=format_path(path) or None)

    def mapping(self, value: Any, path: FieldPath, allowed: set[str], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            self.fail(f"expected a mapping, got {_kind(value)}", path)
        unknown = sorted(set(value) - allowed)
        if unknown:
            self.fail(f"unknown field {unknown[0]!r} (expected one of: {', '.join(sorted(allowed))})",
                      (*path, unknown[0]))
        for key in required:
            if key not in value:
                self.fail(f"missing required field {key!r}", (*path, key))
        return value

    def string(self, value: Any, path: FieldPath, *, optional: bool = True) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            self.fail(f"expected a string, got {_kind(value)}", path)
        return value

    def str_map(self, value: Any, path: FieldPath) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(f"expected a mapping of strings, got {_kind(value)}", path)
        for key, item in value.items():
            self.string(item, (*path, key), optional=False)
        return dict(value)

    def seq(self, value: Any, path: FieldPath) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"expected a list, got {_kind(value)}", path)
        return value

    # -- the component ----------------------------------------------------------------------------
    def component(self, data: Any, path: FieldPath) -> ComponentSpec:
        if not isinstance(data, dict):
            self.fail(f"a component spec must be a mapping, got {_kind(data)}", path)
        self.mapping(data, path, TOP_KEYS)
        meta = self.mapping(data.get("metadata") or {}, (*path, "metadata"), {"annotations", "labels"})
        inputs = tuple(self.input(v, (*path, "inputs", i)) for i, v in enumerate(self.seq(data.get("inputs"), (*path, "inputs"))))
        outputs = tuple(self.output(v, (*path, "outputs", i))
                        for i, v in enumerate(self.seq(data.get("outputs"), (*path, "outputs"))))
        self.unique([i.name for i in inputs], (*path, "inputs"), "input")
        self.unique([o.name for o in outputs], (*path, "outputs"), "output")
        container, graph = self.implementation(data.get("implementation"), (*path, "implementation"),
                                               {i.name for i in inputs}, {o.name for o in outputs})
        return ComponentSpec(
            file=self.file,
            name=self.string(data.get("name"), (*path, "name")),
            description=self.string(data.get("description"), (*path, "description")),
            annotations=self.str_map(meta.get("annotations"), (*path, "metadata", "annotations")),
            labels=self.str_map(meta.get("labels"), (*path, "metadata", "labels")),
            inputs=inputs, outputs=outputs, container=container, graph=graph,
            version=self.string(data.get("version"), (*path, "version")),
        )

    def unique(self, names: list[str], path: FieldPath, what: str) -> None:
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                self.fail(f"{what} name {name!r} is used twice", (*path, index, "name"))
            seen.add(name)

    def input(self, value: Any, path: FieldPath) -> InputSpec:
        v = self.mapping(value, path, {"name", "type", "description", "default", "optional", "annotations"}, ("name",))
        default = v.get("default")
        if default is not None and not isinstance(default, str | int | float | bool):
            self.fail(f"a default must be a string, number or boolean, got {_kind(default)}", (*path, "default"))
        optional = v.get("optional", False)
        if not isinstance(optional, bool):
            self.fail(f"expected a boolean, got {_kind(optional)}", (*path, "optional"))
        return InputSpec(name=self.string(v["name"], (*path, "name"), optional=False),
                         type=self.type_spec(v.get("type"), (*path, "type")),
                         description=self.string(v.get("description"), (*path, "description")),
                         default=default, optional=optional,
                         annotations=self.annotations(v.get("annotations"), (*path, "annotations")))

    def output(self, value: Any, path: FieldPath) -> OutputSpec:
        v = self.mapping(value, path, {"name", "type", "description", "annotations"}, ("name",))
        return OutputSpec(name=self.string(v["name"], (*path, "name"), optional=False),
                          type=self.type_spec(v.get("type"), (*path, "type")),
                          description=self.string(v.get("description"), (*path, "description")),
                          annotations=self.annotations(v.get("annotations"), (*path, "annotations")))

    def type_spec(self, value: Any, path: FieldPath) -> Any:
        if value is not None and not isinstance(value, str | dict | list):
            self.fail(f"a type must be a name, mapping or list, got {_kind(value)}", path)
        return value

    def annotations(self, value: Any, path: FieldPath) -> dict | None:
        if value is not None and not isinstance(value, dict):
            self.fail(f"expected a mapping, got {_kind(value)}", path)
        return value

    def implementation(self, value: Any, path: FieldPath, inputs: set[str],
                       outputs: set[str]) -> tuple[ContainerSpec | None, GraphSpec | None]:
        if value is None:
            return None, None
        v = self.mapping(value, path, {"container", "graph"})
        if len(v) != 1:
            self.fail("expected exactly one of 'container' or 'graph'", path)
        if "container" in v:
            return self.container(v["container"], (*path, "container"), inputs, outputs), None
        return None, self.graph(v["graph"], (*path, "graph"), inputs, outputs)

    # -- container ---------------------------------------------------------------------------------
    def container(self, value: Any, path: FieldPath, inputs: set[str], outputs: set[str]) -> ContainerSpec:
        v = self.mapping(value, path, {"image", "command", "args", "env", "fileOutputs"}, ("image",))
        ports = {"input": inputs, "output": outputs}
        command = v.get("command")
        args = v.get("args")
        file_outputs = self.str_map(v.get("fileOutputs"), (*path, "fileOutputs"))
        for name in file_outputs:
            if name not in outputs:
                self.fail(f"fileOutputs names {name!r}, which is not an output", (*path, "fileOutputs", name))
        return ContainerSpec(
            image=self.string(v["image"], (*path, "image"), optional=False),
            command=None if command is None else self.arg_list(command, (*path, "command"), ports),
            args=None if args is None else self.arg_list(args, (*path, "args"), ports),
            env=self.str_map(v.get("env"), (*path, "env")) or None,
            file_outputs=file_outputs or None,
        )

    def arg_list(self, value: Any, path: FieldPath, ports: dict[str, set[str]]) -> tuple[P.Arg, ...]:
        if not isinstance(value, list):
            self.fail(f"expected a list of strings and placeholders, got {_kind(value)}", path)
        return tuple(self.arg(item, (*path, i), ports) for i, item in enumerate(value))

    def arg(self, value: Any, path: FieldPath, ports: dict[str, set[str]]) -> P.Arg:
        if isinstance(value, str):
            return value
        if not isinstance(value, dict):
            self.fail(f"expected a string or a placeholder mapping, got {_kind(value)}", path)
        if len(value) != 1:
            self.fail(f"a placeholder has exactly one key, got {', '.join(map(repr, value)) or 'none'}", path)
        key, inner = next(iter(value.items()))
        here = (*path, key)
        if key in P.SIMPLE:
            cls, port = P.SIMPLE[key]
            if port is None:
                if inner is not None:
                    self.fail(f"{key} takes no value (write `{key}: null`)", here)
                return cls()
            name = self.string(inner, here, optional=False)
            if name not in ports[port]:
                self.fail(f"{key} refers to {name!r}, which is not an {port} of this component", here)
            return cls(name)
        if key == "concat":
            return P.Concat(self.arg_list(inner, here, ports))
        if key == "if":
            v = self.mapping(inner, here, {"cond", "then", "else"}, ("cond", "then"))
            return P.If(self.cond(v["cond"], (*here, "cond"), ports),
                        self.branch(v["then"], (*here, "then"), ports),
                        None if v.get("else") is None else self.branch(v["else"], (*here, "else"), ports))
        self.fail(f"unknown placeholder {key!r} (expected one of: "
                  f"{', '.join(sorted([*P.SIMPLE, 'concat', 'if']))})", here)

    def cond(self, value: Any, path: FieldPath, ports: dict[str, set[str]]) -> bool | str | P.IsPresent | P.InputValue:
        if isinstance(value, bool | str):
            return value
        if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("isPresent", "inputValue"):
            result = self.arg(value, path, ports)
            assert isinstance(result, P.IsPresent | P.InputValue)
            return result
        self.fail(f"a condition is a boolean, a string, {{isPresent: …}} or {{inputValue: …}}, got {_kind(value)}",
                  path)

    def branch(self, value: Any, path: FieldPath, ports: dict[str, set[str]]) -> P.Arg | tuple[P.Arg, ...]:
        if isinstance(value, list):
            return self.arg_list(value, path, ports)
        return self.arg(value, path, ports)

    # -- graph -------------------------------------------------------------------------------------
    def graph(self, value: Any, path: FieldPath, inputs: set[str], outputs: set[str]) -> GraphSpec:
        v = self.mapping(value, path, {"tasks", "outputValues"}, ("tasks",))
        if not isinstance(v["tasks"], dict):
            self.fail(f"expected a mapping of task id to task, got {_kind(v['tasks'])}", (*path, "tasks"))
        task_ids = set(v["tasks"])
        tasks = {tid: self.task(t, (*path, "tasks", tid), inputs, task_ids) for tid, t in v["tasks"].items()}
        out_values: dict[str, Argument] = {}
        raw_outs = v.get("outputValues") or {}
        if not isinstance(raw_outs, dict):
            self.fail(f"expected a mapping, got {_kind(raw_outs)}", (*path, "outputValues"))
        for name, arg in raw_outs.items():
            if name not in outputs:
                self.fail(f"{name!r} is not an output of this component", (*path, "outputValues", name))
            out_values[name] = self.argument(arg, (*path, "outputValues", name), inputs, task_ids)
        self.acyclic(tasks, (*path, "tasks"))
        return GraphSpec(tasks=tasks, output_values=out_values)

    def task(self, value: Any, path: FieldPath, inputs: set[str], task_ids: set[str]) -> TaskSpec:
        v = self.mapping(value, path, {"componentRef", "arguments", "isEnabled", "executionOptions", "annotations"},
                         ("componentRef",))
        raw_args = v.get("arguments") or {}
        if not isinstance(raw_args, dict):
            self.fail(f"expected a mapping of input name to argument, got {_kind(raw_args)}", (*path, "arguments"))
        arguments = {name: self.argument(a, (*path, "arguments", name), inputs, task_ids)
                     for name, a in raw_args.items()}
        options = v.get("executionOptions")
        if options is not None and not isinstance(options, dict):
            self.fail(f"expected a mapping, got {_kind(options)}", (*path, "executionOptions"))
        return TaskSpec(component_ref=self.component_ref(v["componentRef"], (*path, "componentRef")),
                        arguments=arguments, is_enabled=v.get("isEnabled"), execution_options=options,
                        annotations=self.annotations(v.get("annotations"), (*path, "annotations")))

    def component_ref(self, value: Any, path: FieldPath) -> ComponentRef:
        v = self.mapping(value, path, {"name", "digest", "tag", "url", "spec", "path"})
        if not any(v.get(k) for k in ("name", "digest", "tag", "url", "spec", "path")):
            self.fail("a componentRef needs one of spec, path, url, digest, name or tag", path)
        strings = {k: self.string(v.get(k), (*path, k)) for k in ("name", "digest", "tag", "url", "path")}
        spec = None
        if v.get("spec") is not None:
            spec = self.component(v["spec"], (*path, "spec"))
        elif strings["path"]:
            target = Path(self.file).parent / strings["path"]
            if _identity(str(target)) in self.stack:
                self.fail(f"{strings['path']!r} refers back to a component that is being loaded (a cycle)",
                          (*path, "path"))
            try:
                spec = _load_file(target, self.stack)
            except SpecError as exc:
                self.fail(f"cannot load {strings['path']!r}: {exc}", (*path, "path"))
        return ComponentRef(spec=spec, **strings)

    def argument(self, value: Any, path: FieldPath, inputs: set[str], task_ids: set[str]) -> Argument:
        if isinstance(value, str | int | float | bool):
            return value
        if isinstance(value, dict) and len(value) == 1 and "graphInput" in value:
            here = (*path, "graphInput")
            v = self.mapping(value["graphInput"], here, {"inputName", "type"}, ("inputName",))
            name = self.string(v["inputName"], (*here, "inputName"), optional=False)
            if name not in inputs:
                self.fail(f"{name!r} is not an input of this graph component", (*here, "inputName"))
            return GraphInputArg(name, v.get("type"))
        if isinstance(value, dict) and len(value) == 1 and "taskOutput" in value:
            here = (*path, "taskOutput")
            v = self.mapping(value["taskOutput"], here, {"taskId", "outputName", "type"}, ("taskId", "outputName"))
            task_id = self.string(v["taskId"], (*here, "taskId"), optional=False)
            if task_id not in task_ids:
                self.fail(f"{task_id!r} is not a task of this graph", (*here, "taskId"))
            return TaskOutputArg(task_id, self.string(v["outputName"], (*here, "outputName"), optional=False),
                                 v.get("type"))
        self.fail("an argument is a constant, {graphInput: {inputName}} or {taskOutput: {taskId, outputName}}, "
                  f"got {_kind(value)}", path)

    def acyclic(self, tasks: dict[str, TaskSpec], path: FieldPath) -> None:
        state: dict[str, int] = {}

        def visit(tid: str) -> None:
            if state.get(tid) == 2:
                return
            if state.get(tid) == 1:
                self.fail(f"task {tid!r} depends on itself through its arguments (a cycle)", (*path, tid))
            state[tid] = 1
            for arg in tasks[tid].arguments.values():
                if isinstance(arg, TaskOutputArg):
                    visit(arg.task_id)
            state[tid] = 2

        for tid in tasks:
            visit(tid)
