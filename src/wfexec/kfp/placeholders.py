"""The command-line placeholders of the v1 component spec, as small immutable values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class InputValue:
    input_name: str


@dataclass(frozen=True)
class InputPath:
    input_name: str


@dataclass(frozen=True)
class OutputPath:
    output_name: str


@dataclass(frozen=True)
class InputUri:
    input_name: str


@dataclass(frozen=True)
class OutputUri:
    output_name: str


@dataclass(frozen=True)
class InputMetadata:
    input_name: str


@dataclass(frozen=True)
class InputOutputPortName:
    input_name: str


@dataclass(frozen=True)
class OutputMetadata:
    pass


@dataclass(frozen=True)
class ExecutorInput:
    pass


@dataclass(frozen=True)
class IsPresent:
    input_name: str


@dataclass(frozen=True)
class Concat:
    items: tuple[Arg, ...]


@dataclass(frozen=True)
class If:
    cond: bool | str | IsPresent | InputValue
    then: Arg | tuple[Arg, ...]
    else_: Arg | tuple[Arg, ...] | None = None


#: One item of `command` or `args`.
Arg = Union[str, InputValue, InputPath, OutputPath, InputUri, OutputUri, InputMetadata,  # noqa: UP007
            InputOutputPortName, OutputMetadata, ExecutorInput, IsPresent, Concat, If]

#: Placeholder key → (class, what its value names: "input", "output" or None for no value).
SIMPLE: dict[str, tuple[type, str | None]] = {
    "inputValue": (InputValue, "input"),
    "inputPath": (InputPath, "input"),
    "outputPath": (OutputPath, "output"),
    "inputUri": (InputUri, "input"),
    "outputUri": (OutputUri, "output"),
    "inputMetadata": (InputMetadata, "input"),
    "inputOutputPortName": (InputOutputPortName, "input"),
    "isPresent": (IsPresent, "input"),
    "outputMetadata": (OutputMetadata, None),
    "executorInput": (ExecutorInput, None),
}
