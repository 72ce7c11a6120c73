"""Numbers and booleans in string fields, as Kubernetes decodes them: `sigs.k8s.io/yaml` turns a
YAML number or boolean into its text when the Go field it fills is a string (`labels: {x: y}` is
`"true"`, `name: 0644` is `"420"`), so a manifest means the same here as in the cluster."""

from __future__ import annotations

from typing import Any

from wfexec.spec.document import Document
from wfexec.spec.schema import DEF_PREFIX, closed_schema, known_kinds


def decode_strings(doc: Document) -> None:
    """Rewrite, in place, each number or boolean that sits in a string-typed field of `doc`."""
    if doc.kind not in known_kinds():
        return
    defs = closed_schema()["definitions"]
    doc.data = _walk(doc.data, defs.get(DEF_PREFIX + doc.kind) or {}, defs)


def go_text(value: bool | int | float) -> str:
    """The text Go's strconv gives a YAML scalar: `true`, `420`, `0.5`, `1e+21`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value).replace("e+0", "e+").replace("e-0", "e-")


def _walk(value: Any, schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    seen = 0
    while "$ref" in schema and seen < 50:  # follow references to the definition itself
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1]) or {}
        seen += 1
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for k, v in value.items():
            sub = props.get(k) if k in props else (extra if isinstance(extra, dict) else None)
            if sub:
                value[k] = _walk(v, sub, defs)
        return value
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            return [_walk(v, items, defs) for v in value]
        return value
    if schema.get("type") == "string" and isinstance(value, bool | int | float):
        return go_text(value)
    return value
