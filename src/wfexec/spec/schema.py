"""Check documents against Argo's published JSON schema, "closed" so unknown fields are caught.

Argo's schema lets any object carry extra keys, so a misspelt `contianer:` passes it; the
controller, which decodes strictly, then ignores or rejects it. We close every object that
lists its properties, and mend the places where the schema is narrower than what Argo's Go
types accept (int-or-string, quantities, parameter values), so that the corpus of real
workflows validates.

Two validators are built once per process: the default one checks only unknown fields,
types and required fields (what a strict Go decode would catch), treating `null` as "unset"
the way Go does (`spec/structural.py`, which gives jsonschema's answers without importing it);
the strict one applies every keyword of the schema, with jsonschema.

A document is validated once: one that passed leaves its digest in $WFEXEC_HOME/cache, and the
same document again (a second submit of a file) skips the check altogether, imports included.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wfexec.spec.document import Document, FieldPath, format_path
from wfexec.spec.issue import LintIssue

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "argo-workflows-v4.1-jsonschema.json"
DEF_PREFIX = "io.argoproj.workflow.v1alpha1."
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
#: Fields whose Go type is AnyString: YAML numbers and booleans are read as their text.
ANY_STRING_FIELDS = (("Parameter", "default"), ("Parameter", "value"), ("ValueFrom", "default"))
#: Keywords the default mode keeps; the rest (const, enum, minimum, …) only apply with strict.
STRUCTURAL_KEYWORDS = ("$ref", "properties", "additionalProperties", "items", "type", "required")

_TYPE_NAMES = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
               float: "a number", type(None): "null"}


def validate(doc: Document, *, strict: bool = False) -> list[LintIssue]:
    """Schema problems of one document; empty for kinds the schema does not describe."""
    passed = _passed_mark(doc, strict)
    if passed is not None and passed.exists():
        return []
    issues: list[LintIssue] = []
    for error in _errors(doc, strict):
        issues.extend(_issues(doc, error))
    issues.sort(key=lambda i: (i.line or 0, i.path))
    if not issues and passed is not None:
        try:
            passed.parent.mkdir(parents=True, exist_ok=True)
            passed.touch()
        except OSError:
            pass  # a read-only home: validated again next time
    return issues


def _passed_mark(doc: Document, strict: bool) -> Path | None:
    """Where a pass of this exact document (and this schema and checker) is remembered."""
    from wfexec import __version__
    from wfexec.home import wfexec_home

    try:
        body = json.dumps(doc.data, sort_keys=True, separators=(",", ":"), default=str)
        home = wfexec_home()
    except (TypeError, ValueError, OSError):
        return None
    checker = [Path(__file__).stat(), (Path(__file__).parent / "structural.py").stat()]
    st = "|".join(f"{s.st_mtime_ns}|{s.st_size}" for s in checker)  # a changed checker invalidates every mark
    digest = hashlib.sha256(f"{__version__}|{SCHEMA_FILE}|{st}|{strict}|{doc.kind}|"
                            .encode() + body.encode()).hexdigest()
    return home / "cache" / "schema-passed" / digest[:2] / digest[2:]


def known_kinds() -> tuple[str, ...]:
    """The top-level kinds the schema describes."""
    return tuple(ref["$ref"].rsplit(".", 1)[1] for ref in closed_schema()["oneOf"])


@cache
def closed_schema() -> dict[str, Any]:
    """The packaged schema, closed and mended (see module docstring); built once."""
    packaged = Path(__file__).resolve().parents[1] / "data" / SCHEMA_FILE
    if packaged.is_file():
        text = packaged.read_text(encoding="utf-8")
    else:  # installed as a zip: importlib.resources reads it there (and costs a few ms to import)
        from importlib import resources

        text = resources.files("wfexec").joinpath("data", SCHEMA_FILE).read_text(encoding="utf-8")
    schema = json.loads(text)
    defs = schema["definitions"]
    defs[INT_OR_STRING] = {**defs[INT_OR_STRING], "type": ["integer", "string"]}
    defs[QUANTITY] = {**defs[QUANTITY], "type": ["string", "number"]}
    for definition, prop in ANY_STRING_FIELDS:
        defs[DEF_PREFIX + definition]["properties"][prop]["type"] = ["string", "number", "boolean"]
    defs[DEF_PREFIX + "Parameter"]["properties"]["enum"]["items"]["type"] = ["string", "number", "boolean"]
    _accept_v3_spellings(defs)
    script = defs[DEF_PREFIX + "ScriptTemplate"]  # Argo runs a script without `source` (its command alone)
    script["required"] = [r for r in script.get("required") or [] if r != "source"]
    for sub in defs.values():
        _close(sub)
    return schema


def _accept_v3_spellings(defs: dict[str, Any]) -> None:
    """Argo 3.x's `schedule`, `mutex` and `semaphore` beside 4.x's lists (one of `schedule(s)` is checked
    in lint)."""
    cron = defs[DEF_PREFIX + "CronWorkflowSpec"]
    cron["properties"]["schedule"] = {"type": "string", "description": "Argo 3.x: one cron schedule"}
    cron["required"] = [r for r in cron.get("required") or [] if r != "schedules"]
    sync = defs[DEF_PREFIX + "Synchronization"]["properties"]
    sync["mutex"] = {"$ref": f"#/definitions/{DEF_PREFIX}Mutex", "description": "Argo 3.x: one mutex"}
    sync["semaphore"] = {"$ref": f"#/definitions/{DEF_PREFIX}SemaphoreRef", "description": "Argo 3.x: one semaphore"}


def _close(schema: Any) -> None:
    if not isinstance(schema, dict):
        return
    props = schema.get("properties")
    if isinstance(props, dict):
        for sub in props.values():
            _close(sub)
        schema.setdefault("additionalProperties", False)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        _close(extra)
    items = schema.get("items")
    for sub in items if isinstance(items, list) else [items]:
        _close(sub)


def _errors(doc: Document, strict: bool) -> list[Any]:
    """jsonschema's errors (ValidationError, or StructuralError alike) for one document."""
    if not strict:
        from wfexec.spec.structural import Unsupported

        structural = _structural_validator(doc.kind)
        try:
            return structural.errors(doc.data) if structural is not None else []
        except Unsupported:
            pass  # a schema beyond the six keywords: jsonschema decides
    validator = _validator(doc.kind, strict)
    return list(validator.iter_errors(doc.data)) if validator is not None else []


@cache
def _kind_schema(kind: str) -> dict[str, Any] | None:
    """The closed schema with its root pointing at `kind`'s definition; None for kinds it lacks."""
    root = closed_schema()
    if f"{DEF_PREFIX}{kind}" not in root["definitions"] or kind not in known_kinds():
        return None
    schema = {k: v for k, v in root.items() if k != "oneOf"}
    schema["$ref"] = f"#/definitions/{DEF_PREFIX}{kind}"
    return schema


@cache
def _structural_validator(kind: str) -> Any:
    from wfexec.spec.structural import StructuralValidator

    schema = _kind_schema(kind)
    return StructuralValidator(schema) if schema is not None else None


@cache
def _validator(kind: str, strict: bool) -> jsonschema.protocols.Validator | None:
    schema = _kind_schema(kind)
    if schema is None:
        return None
    return (_strict_class() if strict else _lenient_class())(schema)


@cache
def _strict_class() -> type:
    import jsonschema  # a tenth of a second: only when a document is validated

    return jsonschema.validators.validator_for(closed_schema())


@cache
def _lenient_class() -> type:
    base = _strict_class()
    type_check = base.VALIDATORS["type"]

    def go_type(validator: Any, types: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        if instance is not None:  # Go decodes null into any field as "unset"
            yield from type_check(validator, types, instance, schema)

    dropped = {k: _ignore for k in base.VALIDATORS if k not in STRUCTURAL_KEYWORDS}
    import jsonschema

    return jsonschema.validators.extend(base, validators={**dropped, "type": go_type})


def _ignore(*_args: Any) -> Iterator[ValidationError]:
    return iter(())


def _issues(doc: Document, error: ValidationError) -> Iterator[LintIssue]:
    path: FieldPath = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted((error.schema.get("properties") or {}).keys())
        for key in error.instance:
            if key in known:
                continue
            child = (*path, key)
            yield LintIssue(doc.file, doc.line_of(child), format_path(child), _unknown_field(key, known))
        return
    line = doc.line_of(path)
    where = format_path(path)
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        got = _TYPE_NAMES.get(type(error.instance), type(error.instance).__name__)
        message = f"expected {_article(expected)}, got {got} {_short(error.instance)}".rstrip()
    elif error.validator == "required":
        missing = [r for r in error.validator_value if isinstance(error.instance, dict) and r not in error.instance]
        message = "missing required field " + ", ".join(f'"{m}"' for m in missing)
    elif error.validator == "const":
        message = f"expected {json.dumps(error.validator_value)}, got {_shown(error.instance)}"
    elif error.validator == "enum":
        choices = ", ".join(json.dumps(v) for v in error.validator_value)
        message = f"expected one of {choices}, got {_shown(error.instance)}"
    else:
        message = " ".join(error.message.split())
    yield LintIssue(doc.file, line, where, message)


def _unknown_field(key: str, known: list[str]) -> str:
    message = f'unknown field "{key}"'
    import difflib

    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in known}
        close = [lowered[key.lower()]] if key.lower() in lowered else []
    if close:
        return f'{message} (did you mean "{close[0]}"?)'
    if len(known) <= 12:
        return f"{message} (expected one of: {', '.join(known)})"
    return message


def _article(type_name: str) -> str:
    names = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
             "number": "a number", "boolean": "a boolean"}
    return " or ".join(names.get(t, t) for t in type_name.split(" or "))


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, dict | list) else _TYPE_NAMES[type(value)]
    return text if len(text) <= 60 else text[:60] + "…"


def _short(value: Any) -> str:
    if isinstance(value, dict | list) or value is None:
        return ""
    text = json.dumps(value)
    return f"({text[:40]}…)" if len(text) > 40 else f"({text})"
