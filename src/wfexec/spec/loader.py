"""Read Workflow / WorkflowTemplate / CronWorkflow documents from YAML or JSON, keeping line numbers.

The fast path reads libyaml's events (`spec/fast_yaml.py`). The slow path, for what that one leaves
out and where libyaml is missing: ruamel's round-trip loader records where every key and item was
written; we convert its objects to plain Python at once (so no ruamel type leaks into the engine).
Either way the positions go in a side table on the Document. ruamel is imported only when used.
"""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from functools import cache
from pathlib import Path
from typing import Any

from wfexec.errors import SpecError
from wfexec.spec import fast_yaml
from wfexec.spec.document import Document, FieldPath
from wfexec.spec.k8s_strings import decode_strings
from wfexec.spec.yaml11 import Reading, as_kubernetes_reads

SPEC_SUFFIXES = (".yaml", ".yml", ".json")
#: Deeper nesting than this is no workflow; refusing it keeps every walker far from Python's stack limit.
MAX_DEPTH = 100
#: Aliases can multiply a small file into a huge tree ("billion laughs"); stop well before memory does.
MAX_NODES = 250_000


class MissingKindError(SpecError):
    """A mapping without `kind`: not a Kubernetes object at all (directory walks skip these)."""


def load_file(path: str | Path) -> list[Document]:
    """All non-empty documents of one YAML or JSON file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise SpecError("no such file", file=str(path)) from None
    except IsADirectoryError:
        raise SpecError("is a directory: expected one YAML or JSON file", file=str(path)) from None
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    return load_bytes(raw, str(path))


def load_bytes(raw: bytes, file: str) -> list[Document]:
    """Decode (UTF-8, or UTF-16 with a byte-order mark) and load."""
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = raw.decode("utf-16")
        elif raw.startswith(b"\xef\xbb\xbf"):
            text = raw[3:].decode("utf-8")
        else:
            text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SpecError(f"not UTF-8 text (byte {exc.start})", file=file, line=line) from None
    return load_text(text, file)


def load_text(text: str, file: str) -> list[Document]:
    """All non-empty documents of a YAML/JSON stream; `file` is only used in messages."""
    try:
        loaded = fast_yaml.load_stream(text, MAX_NODES, MAX_DEPTH)
    except fast_yaml.Unsupported:
        loaded = _load_slowly(text, file)
    docs: list[Document] = []
    for index, one in enumerate(loaded):
        if one.data is None or one.data == "":
            continue
        doc = _as_document(one.data, file, index, one.lines)
        doc.readings.extend(one.readings)
        decode_strings(doc)
        docs.append(doc)
    return docs


def _load_slowly(text: str, file: str) -> list[fast_yaml.Loaded]:
    """Through ruamel: every YAML feature, and the error messages."""
    loaded: list[fast_yaml.Loaded] = []
    for node in parse_yaml_stream(text, file):
        one = fast_yaml.Loaded(None)
        if node is not None:
            converter = YamlConverter(file, one.lines)
            one.data = converter.convert(node, ())
            one.readings = converter.readings
        loaded.append(one)
    return loaded


def find_documents(path: str | Path) -> list[Document]:
    """Every document of a file, or of every *.yaml/*.yml/*.json below a directory (sorted)."""
    docs: list[Document] = []
    for spec_file in spec_files(path):
        docs.extend(load_file(spec_file))
    return docs


def spec_files(path: str | Path) -> list[Path]:
    """The file itself, or the spec files below a directory in a stable order."""
    p = Path(path)
    if p.is_dir():
        return sorted(f for f in p.rglob("*") if f.suffix in SPEC_SUFFIXES and f.is_file())
    if not p.exists():
        raise SpecError("no such file or directory", file=str(path))
    return [p]


@cache
def _last_key_wins() -> type:
    from ruamel.yaml.constructor import RoundTripConstructor

    class LastKeyWins(RoundTripConstructor):
        """A repeated mapping key keeps its last value, as Kubernetes' YAML decoding (and so Argo) does."""

        def check_mapping_key(self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any) -> bool:
            return True

    return LastKeyWins


def parse_yaml_stream(text: str, file: str) -> list[Any]:
    """ruamel's round-trip objects of every document (the slow path, and KFP component files)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    yaml.Constructor = _last_key_wins()
    yaml.preserve_quotes = True  # quoted scalars stay text; plain ones are read as Kubernetes reads them
    try:
        return list(yaml.load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        fallback = _json_fallback(text, file)
        if fallback is not None:
            return fallback
        raise SpecError(f"YAML syntax error: {problem}", file=file,
                        line=mark.line + 1 if mark else None) from None
    except YAMLError as exc:
        fallback = _json_fallback(text, file)
        if fallback is not None:
            return fallback
        line = getattr(exc, "line", None)
        position = getattr(exc, "position", None)
        if not isinstance(line, int) and isinstance(position, int):
            line = text.count("\n", 0, position)
        raise SpecError(f"YAML syntax error: {_one_line(exc)}", file=file,
                        line=line + 1 if isinstance(line, int) else None) from None
    except RecursionError:
        raise SpecError("nesting too deep to be a workflow", file=file) from None
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, OverflowError) as exc:
        # ruamel occasionally fails outside its own error types on hostile input; say so plainly.
        raise SpecError(f"cannot parse as YAML: {_one_line(exc)}", file=file) from None


def _json_fallback(text: str, file: str) -> list[Any] | None:
    """JSON that YAML rejects (e.g. tab indentation): accept it, without line numbers."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return [json.loads(text)]
    except (ValueError, RecursionError):
        return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class YamlConverter:
    """Turns ruamel nodes into plain Python, recording each field's 1-based line."""

    def __init__(self, file: str, lines: dict[FieldPath, int], kubernetes: bool = True) -> None:
        """`kubernetes`: scalars read as Kubernetes reads them (YAML 1.1); False keeps YAML 1.2's
        reading, as for KFP component files, which KFP's own SDK never read as Kubernetes objects."""
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        self.commented_map, self.commented_seq = CommentedMap, CommentedSeq
        self.file, self.lines, self.nodes = file, lines, 0
        self.reads = as_kubernetes_reads if kubernetes else _as_written
        self.active: set[int] = set()
        self.readings: list[Reading] = []  # values YAML 1.1 (Kubernetes) and 1.2 read differently

    def convert(self, node: Any, path: FieldPath) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise SpecError(f"document expands to more than {MAX_NODES} values (alias bomb?)",
                            file=self.file, line=self.lines.get(path))
        if len(path) > MAX_DEPTH:
            raise SpecError(f"nesting deeper than {MAX_DEPTH} levels", file=self.file,
                            line=self._nearest_line(path))
        if isinstance(node, dict):
            if isinstance(node, self.commented_map) and not path:
                self.lines[path] = node.lc.line + 1
            return self._guard(node, path, self._mapping)
        if isinstance(node, list):
            if isinstance(node, self.commented_seq) and not path:
                self.lines[path] = node.lc.line + 1
            return self._guard(node, path, self._sequence)
        value, text = self.reads(node)
        if text is not None:
            self.readings.append(Reading(path, text, _scalar(node, self.file, None), value))
        return _scalar(value, self.file, self._nearest_line(path))

    def _guard(self, node: Any, path: FieldPath, fn: Any) -> Any:
        if id(node) in self.active:
            raise SpecError("recursive alias: a node contains itself", file=self.file,
                            line=self._nearest_line(path))
        self.active.add(id(node))
        try:
            return fn(node, path)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: dict[Any, Any], path: FieldPath) -> dict[str, Any]:
        positions = node.lc.data if isinstance(node, self.commented_map) else {}
        out: dict[str, Any] = {}
        for key, value in node.items():
            kkey, text = self.reads(key)
            skey = _key(kkey, self.file, self._nearest_line(path))
            child = (*path, skey)
            if text is not None:
                self.readings.append(Reading(child, text, key, kkey))
            pos = positions.get(key)
            if pos:
                self.lines[child] = pos[0] + 1
            out[skey] = self.convert(value, child)
        return out

    def _sequence(self, node: list[Any], path: FieldPath) -> list[Any]:
        positions = node.lc.data if isinstance(node, self.commented_seq) else {}
        out: list[Any] = []
        for i, value in enumerate(node):
            child = (*path, i)
            pos = positions.get(i) if isinstance(positions, dict) else None
            if pos:
                self.lines[child] = pos[0] + 1
            out.append(self.convert(value, child))
        return out

    def _nearest_line(self, path: FieldPath) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def _key(key: Any, file: str, line: int | None) -> str:
    """Mapping keys become strings, as Kubernetes' YAML-to-JSON step does for scalars."""
    import datetime  # the slow path's types: not imported by the fast one

    if isinstance(key, str):
        return str(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int | float):
        return str(key)
    if isinstance(key, _tagged_scalar()):
        return str(key.value)
    if isinstance(key, datetime.date):
        return key.isoformat()
    raise SpecError("a mapping key must be a plain value, not a list or mapping", file=file, line=line)


def _tagged_scalar() -> type:
    from ruamel.yaml.comments import TaggedScalar  # reached only on the slow path

    return TaggedScalar


def _as_written(node: Any) -> tuple[Any, str | None]:
    return node, None


def _scalar(node: Any, file: str, line: int | None) -> Any:
    import base64
    import datetime

    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        # ruamel's ScalarBoolean subclasses int; keep it a bool.
        return bool(node) if type(node).__name__ == "ScalarBoolean" else int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, datetime.datetime | datetime.date):
        return node.isoformat()
    if isinstance(node, _tagged_scalar()):
        return str(node.value) if node.value is not None else None
    if isinstance(node, bytes):
        return base64.b64encode(node).decode("ascii")
    if isinstance(node, AbstractSet):
        return {_key(k, file, line): None for k in node}
    raise SpecError(f"unsupported YAML value of type {type(node).__name__}", file=file, line=line)


def _as_document(data: Any, file: str, index: int, lines: dict[FieldPath, int]) -> Document:
    where = f"document {index + 1}"
    line = lines.get(())
    if not isinstance(data, dict):
        raise SpecError(f"{where} is a {_kind_of(data)}, expected a mapping with apiVersion, kind and spec",
                        file=file, line=line)
    kind = data.get("kind")
    if kind is None:
        raise MissingKindError(f"{where} has no kind (expected Workflow, WorkflowTemplate, "
                        "ClusterWorkflowTemplate or CronWorkflow)", file=file, line=line, field="kind")
    if not isinstance(kind, str) or not kind:
        raise SpecError(f"{where}: kind must be a non-empty string, got {_kind_of(kind)}",
                        file=file, line=lines.get(("kind",), line), field="kind")
    return Document(data=data, file=file, index=index, kind=kind, lines=lines)


def _kind_of(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string", int: "integer", float: "number",
            bool: "boolean", type(None): "null"}.get(type(value), type(value).__name__)

