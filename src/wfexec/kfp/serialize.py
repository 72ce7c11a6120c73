"""Turn an argument into the string a command line gets, by the input's type, as KFP 1.8 did.

Strings pass through untouched (they count as already serialized); only typed values, such as a
default written `default: 0` or `default: false`, are converted: booleans become `True`/`False`
(Python's spelling) and JSON values are dumped with sorted keys.
"""

from __future__ import annotations

import base64
import json
import pickle
import re
from collections.abc import Callable
from typing import Any


class SerializeError(ValueError):
    """A typed value does not fit its input's type; the resolver turns it into a SpecError."""


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise SerializeError(f"expected a string, got {type(value).__name__} {value!r}")
    return value


def _as_int(value: Any) -> str:
    if not isinstance(value, int):  # bool is an int here too, as in Python
        raise SerializeError(f"expected an integer, got {type(value).__name__} {value!r}")
    return str(value)


def _as_float(value: Any) -> str:
    if not isinstance(value, int | float):
        raise SerializeError(f"expected a number, got {type(value).__name__} {value!r}")
    return str(value)


def _as_bool(value: Any) -> str:
    if not isinstance(value, bool):
        raise SerializeError(f"expected a boolean, got {type(value).__name__} {value!r}")
    return str(value)


def _as_json(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise SerializeError(f"not JSON-serializable: {exc}") from None


def _as_pickle(value: Any) -> str:
    return base64.b64encode(pickle.dumps(value)).decode("ascii")


_SERIALIZERS: dict[str, Callable[[Any], str]] = {
    **dict.fromkeys(("String", "str"), _as_str),
    **dict.fromkeys(("Integer", "int"), _as_int),
    **dict.fromkeys(("Float", "float"), _as_float),
    **dict.fromkeys(("Boolean", "Bool", "bool"), _as_bool),
    **dict.fromkeys(("JsonArray", "List", "list", "JsonObject", "Dictionary", "Dict", "dict", "Json"), _as_json),
    "Base64Pickle": _as_pickle,
}

#: The type name KFP inferred for an untyped input from the Python type of its value.
_INFERRED = {str: "String", int: "Integer", float: "Float", bool: "Boolean", list: "JsonArray", dict: "JsonObject"}


def short_type_name(type_spec: Any) -> str | None:
    """`typing.List[int]` → `List`; a structured (mapping) type has no short name."""
    if not isinstance(type_spec, str):
        return None
    match = re.match(r"(typing\.)?(?P<type>\w+)(?:\[.+\])?", type_spec)
    return match.group("type") if match else type_spec


def serialize(value: Any, type_spec: Any) -> str:
    """The command-line string for `value` given to an input of type `type_spec`."""
    if isinstance(value, str):
        return value
    if type_spec is None:
        type_spec = _INFERRED.get(type(value), type(value).__name__)
    name = short_type_name(type_spec)
    serializer = _SERIALIZERS.get(name or "")
    if serializer is None:
        raise SerializeError(f"no serializer for type {json.dumps(type_spec)} (value {value!r}); "
                             "pass the argument as a string")
    return serializer(value)
