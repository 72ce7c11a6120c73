"""The default schema check without jsonschema: unknown fields, wrong types, missing required fields.

Default lint applies six keywords of Argo's (closed) schema, what a strict Go decode would catch
(`schema.STRUCTURAL_KEYWORDS`). jsonschema answers the same, but costs a tenth of a second to import and
about 50 ms per 1,000 steps; this walks those keywords alone, in jsonschema's order, and gives the
same errors (tests/spec/test_structural.py compares the two on the corpus and on random documents).
`--strict`, which applies every keyword, still uses jsonschema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wfexec.spec.document import FieldPath

REF_PREFIX = "#/definitions/"
KEYWORDS = frozenset({"$ref", "properties", "additionalProperties", "items", "type", "required"})
#: Keywords whose presence changes what the six mean: the schema then needs jsonschema itself.
_BEYOND = frozenset({"patternProperties", "prefixItems"})


class Unsupported(Exception):
    """A schema this walker does not cover; validate with jsonschema instead."""


@dataclass(frozen=True)
class StructuralError:
    """The parts of a jsonschema ValidationError that `schema._issues` reads."""

    validator: str
    validator_value: Any
    instance: Any
    schema: dict[str, Any]
    absolute_path: FieldPath
    message: str = ""


#: JSON Schema's types (draft 2020-12: an integral float is an integer; a bool is no number).
TYPE_CHECKS = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: not isinstance(v, bool) and (isinstance(v, int) or isinstance(v, float) and v.is_integer()),
    "number": lambda v: not isinstance(v, bool) and isinstance(v, int | float),
    "null": lambda v: v is None,
}


class StructuralValidator:
    """Errors of one instance against a schema whose `$ref`s point into `definitions`."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema, self.definitions = schema, schema.get("definitions") or {}
        self.plans: dict[int, tuple[dict[str, Any], list[tuple[str, Any]]]] = {}

    def errors(self, instance: Any) -> list[StructuralError]:
        """Every error, as jsonschema's lenient validator yields them (null is "unset", as in Go)."""
        out: list[StructuralError] = []
        self._walk(instance, self.schema, (), out)
        return out

    def _plan(self, schema: Any) -> list[tuple[str, Any]]:
        """The keywords of `schema` this walker applies, in the schema's order (jsonschema's)."""
        found = self.plans.get(id(schema))
        if found is not None:
            return found[1]
        if not isinstance(schema, dict) or _BEYOND & schema.keys():
            raise Unsupported
        plan = []
        for key, value in schema.items():
            if key not in KEYWORDS:
                continue
            if key == "$ref":
                if not (isinstance(value, str) and value.startswith(REF_PREFIX)) or \
                        value[len(REF_PREFIX):] not in self.definitions:
                    raise Unsupported
                value = self.definitions[value[len(REF_PREFIX):]]
            elif key == "type":
                types = value if isinstance(value, list) else [value]
                if not all(t in TYPE_CHECKS for t in types):
                    raise Unsupported
                value = (value, [TYPE_CHECKS[t] for t in types])
            elif key in ("properties", "items") and not isinstance(value, dict) or \
                    key == "additionalProperties" and not isinstance(value, dict | bool):
                raise Unsupported
            plan.append((key, value))
        self.plans[id(schema)] = (schema, plan)  # the schema is kept, so its id stays its own
        return plan

    def _walk(self, instance: Any, schema: dict[str, Any], path: FieldPath, out: list[StructuralError]) -> None:
        for key, value in self._plan(schema):
            if key == "$ref":
                self._walk(instance, value, path, out)
            elif key == "type":
                if instance is not None and not any(check(instance) for check in value[1]):
                    out.append(StructuralError("type", value[0], instance, schema, path))
            elif not isinstance(instance, dict):
                if key == "items" and isinstance(instance, list):
                    for index, item in enumerate(instance):
                        self._walk(item, value, (*path, index), out)
            elif key == "properties":
                for name, sub in value.items():
                    if name in instance:
                        self._walk(instance[name], sub, (*path, name), out)
            elif key == "additionalProperties":
                known = schema.get("properties") or {}
                extras = [name for name in instance if name not in known]
                if isinstance(value, dict):
                    for name in extras:
                        self._walk(instance[name], value, (*path, name), out)
                elif not value and extras:
                    out.append(StructuralError("additionalProperties", value, instance, schema, path))
            elif key == "required":
                for name in value:
                    if name not in instance:
                        out.append(StructuralError("required", value, instance, schema, path))
