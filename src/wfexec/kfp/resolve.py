"""Expand a container component's placeholders into a concrete command line, as KFP 1.8 did.

Semantics follow `_resolve_command_line_and_paths` plus the v1 bridge's extra placeholders:
defaults are applied first, as written (a string default passes unchanged, a YAML-typed one is
serialized by type: `default: false` → `False`); an optional input without a value
drops its item; `if` picks a branch by strtobool of its condition; input files live at
`/tmp/inputs/<name>/data` and outputs at `/tmp/outputs/<name>/data`.
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wfexec.errors import SpecError
from wfexec.kfp import placeholders as P
from wfexec.kfp.naming import file_name
from wfexec.kfp.serialize import SerializeError, serialize
from wfexec.kfp.spec import ComponentSpec, InputSpec
from wfexec.spec.document import FieldPath, format_path

INPUTS_DIR = "/tmp/inputs"
OUTPUTS_DIR = "/tmp/outputs"
#: What the v1 bridge substituted for `outputMetadata`, and (see below) for `inputMetadata`.
OUTPUT_METADATA_PATH = "/tmp/outputs/executor_output.json"
EXECUTOR_INPUT = "{{$}}"
_PIPELINE_ROOT = "{{pipelineparam:op=;name=pipeline-root}}"
_RUN_ID = "{{kfp.run_uid}}"
_TRUE = ("y", "yes", "t", "true", "on", "1")
_FALSE = ("n", "no", "f", "false", "off", "0")


def input_path(name: str) -> str:
    return f"{INPUTS_DIR}/{file_name(name)}/data"


def output_path(name: str) -> str:
    return f"{OUTPUTS_DIR}/{file_name(name)}/data"


def input_uri(name: str) -> str:
    return f"{{{{$.inputs.artifacts['{name}'].uri}}}}"


def output_uri(name: str) -> str:
    return f"{{{{$.outputs.artifacts['{name}'].uri}}}}"


def input_metadata_path(name: str) -> str:
    # The bridge joined pipeline-root/run-id/producer-pod/<OUTPUT_METADATA_PATH> with PurePosixPath;
    # the last part is absolute, so the join collapses to it. Reproduced, not "fixed".
    return str(pathlib.PurePosixPath(_PIPELINE_ROOT, _RUN_ID,
                                     f"{{{{inputs.parameters.{name}-producer-pod-id-}}}}", OUTPUT_METADATA_PATH))


def input_output_port_name(name: str) -> str:
    return f"{{{{kfp.input-output-name.{name}}}}}"


@dataclass
class Resolved:
    """A concrete command line and the files it reads and writes (insertion order is KFP's)."""

    command: list[str]
    args: list[str]
    input_paths: dict[str, str] = field(default_factory=dict)
    output_paths: dict[str, str] = field(default_factory=dict)
    inputs_consumed_by_value: dict[str, str] = field(default_factory=dict)
    input_uri_paths: dict[str, str] = field(default_factory=dict)
    output_uri_paths: dict[str, str] = field(default_factory=dict)
    arguments: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The `resolve-component -o json` shape."""
        return {"command": self.command, "args": self.args, "input_paths": self.input_paths,
                "output_paths": self.output_paths}


def with_defaults(spec: ComponentSpec, arguments: Mapping[str, Any], *,
                  coerce_numbers: bool = False) -> dict[str, Any]:
    """`arguments` plus each missing input's default.

    KFP's resolver (and the oracle) used defaults as written. The v1 bridge, when a pipeline
    instantiated a component, first passed Integer/Float defaults through int()/float() (so a
    Float `default: '0'` became `0.0`); `coerce_numbers=True` reproduces that.
    """
    out = {k: v for k, v in arguments.items() if v is not None}
    for spec_in in spec.inputs:
        if spec_in.name in out or spec_in.default is None:
            continue
        value: Any = spec_in.default
        if not coerce_numbers:
            out[spec_in.name] = value
            continue
        try:
            if spec_in.type == "Integer":
                value = int(value)
            elif spec_in.type == "Float":
                value = float(value)
        except (TypeError, ValueError):
            raise SpecError(f"default {value!r} is not a valid {spec_in.type}", file=spec.file,
                            field=f"inputs[{spec.inputs.index(spec_in)}].default") from None
        out[spec_in.name] = value
    return out


def resolve(spec: ComponentSpec, arguments: Mapping[str, Any], *,
            deferred: frozenset[str] = frozenset(), coerce_numbers: bool = False) -> Resolved:
    """Resolve `spec`'s command and args for `arguments` (input name → value; defaults applied here).

    `deferred` names inputs whose value is only known at run time (an Argo `{{…}}` reference):
    they count as present, but an `if` cannot branch on them. `coerce_numbers`: see with_defaults.
    """
    if spec.container is None:
        raise SpecError("only a container component has a command line to resolve (this one is "
                        f"{'a graph' if spec.graph else 'without implementation'})", file=spec.file,
                        field="implementation")
    unknown = sorted(set(arguments) - {i.name for i in spec.inputs})
    if unknown:
        raise SpecError(f"no input named {unknown[0]!r} (inputs: {', '.join(i.name for i in spec.inputs) or 'none'})",
                        file=spec.file, field="arguments")
    return _Resolver(spec, with_defaults(spec, arguments, coerce_numbers=coerce_numbers), deferred).run()


class _Resolver:
    def __init__(self, spec: ComponentSpec, values: dict[str, Any], deferred: frozenset[str]) -> None:
        assert spec.container is not None
        self.spec, self.values, self.deferred = spec, values, deferred
        self.inputs: dict[str, InputSpec] = {i.name: i for i in spec.inputs}
        files = spec.container.file_outputs or {}
        self.out = Resolved(command=[], args=[], arguments=dict(values),
                            output_paths={o.name: files[o.name] for o in spec.outputs if o.name in files})

    def run(self) -> Resolved:
        base: FieldPath = ("implementation", "container")
        c = self.spec.container
        assert c is not None
        self.out.command = self.expand_list(c.command or (), (*base, "command"))
        self.out.args = self.expand_list(c.args or (), (*base, "args"))
        # As the bridge did: files behind inputUri/outputUri are staged like inputPath/outputPath ones.
        self.out.input_paths.update(self.out.input_uri_paths)
        self.out.output_paths.update(self.out.output_uri_paths)
        return self.out

    def fail(self, message: str, path: FieldPath) -> SpecError:
        return SpecError(message, file=self.spec.file, field=format_path(path))

    def expand_list(self, items: tuple[P.Arg, ...], path: FieldPath) -> list[str]:
        out: list[str] = []
        for index, item in enumerate(items):
            part = self.expand(item, (*path, index))
            if isinstance(part, list):
                out.extend(part)
            elif part is not None:
                out.append(part)
        return out

    def missing(self, name: str, path: FieldPath, *, final_status_ok: bool = False) -> None:
        """None for an optional input without a value; an error for a required one."""
        spec_in = self.inputs[name]
        if spec_in.optional or (final_status_ok and spec_in.type == "PipelineTaskFinalStatus"):
            return None
        raise self.fail(f"no value for required input {name!r}", path)

    def expand(self, arg: P.Arg | bool | None, path: FieldPath) -> str | list[str] | None:
        if arg is None:
            return None
        if isinstance(arg, bool):
            return str(arg)
        if isinstance(arg, str):
            return arg
        if isinstance(arg, P.InputValue):
            value = self.values.get(arg.input_name)
            if value is None:
                return self.missing(arg.input_name, path, final_status_ok=True)
            try:
                text = serialize(value, self.inputs[arg.input_name].type)
            except SerializeError as exc:
                raise self.fail(f"input {arg.input_name!r}: {exc}", path) from None
            self.out.inputs_consumed_by_value[arg.input_name] = text
            return text
        if isinstance(arg, P.InputPath):
            if self.values.get(arg.input_name) is None:
                return self.missing(arg.input_name, path)
            self.out.input_paths[arg.input_name] = input_path(arg.input_name)
            return input_path(arg.input_name)
        if isinstance(arg, P.OutputPath):
            wanted = output_path(arg.output_name)
            known = self.out.output_paths.setdefault(arg.output_name, wanted)
            if known != wanted:
                raise self.fail(f"output {arg.output_name!r} is both in fileOutputs ({known}) and an outputPath "
                                f"({wanted})", path)
            return wanted
        if isinstance(arg, P.Concat):
            return "".join(self.expand_list(arg.items, (*path, "concat")))
        if isinstance(arg, P.If):
            return self.expand_if(arg, (*path, "if"))
        if isinstance(arg, P.IsPresent):
            return str(self.values.get(arg.input_name) is not None)
        return self.expand_bridge(arg, path)

    def expand_if(self, arg: P.If, path: FieldPath) -> str | list[str] | None:
        cond = arg.cond
        if isinstance(cond, P.InputValue) and cond.input_name in self.deferred:
            raise self.fail(f"the condition reads input {cond.input_name!r}, whose value is only known at run "
                            "time; an `if` placeholder is decided before the run", (*path, "cond"))
        result = self.expand(cond, (*path, "cond"))
        if isinstance(result, list):
            raise self.fail("the condition expanded to a list, not a boolean", (*path, "cond"))
        chosen = False
        if result:
            lowered = result.lower()
            if lowered not in _TRUE + _FALSE:
                raise self.fail(f"the condition is {result!r}, not a boolean (true/false, yes/no, on/off, 1/0)",
                                (*path, "cond"))
            chosen = lowered in _TRUE
        node, key = (arg.then, "then") if chosen else (arg.else_, "else")
        if node is None:
            return []
        if isinstance(node, tuple):
            return self.expand_list(node, (*path, key))
        return self.expand(node, (*path, key))

    def expand_bridge(self, arg: P.Arg, path: FieldPath) -> str | None:
        """The placeholders the v1 bridge resolved into KFP v2 runtime references."""
        if isinstance(arg, P.InputUri | P.InputMetadata | P.InputOutputPortName):
            name = arg.input_name
            if name not in self.values:
                return self.missing(name, path)
            if isinstance(arg, P.InputUri):
                self.out.input_uri_paths[name] = input_path(name)
                return input_uri(name)
            if isinstance(arg, P.InputMetadata):
                return input_metadata_path(name)
            return input_output_port_name(name)
        if isinstance(arg, P.OutputUri):
            self.out.output_uri_paths[arg.output_name] = output_path(arg.output_name)
            return output_uri(arg.output_name)
        if isinstance(arg, P.OutputMetadata):
            return OUTPUT_METADATA_PATH
        if isinstance(arg, P.ExecutorInput):
            return EXECUTOR_INPUT
        raise self.fail(f"unknown placeholder {arg!r}", path)
