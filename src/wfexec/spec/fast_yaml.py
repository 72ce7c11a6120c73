"""YAML read through libyaml (PyYAML's C parser): plain data and line positions, several times
faster than the round-trip loader (`loader.parse_yaml_stream`), whose pure-Python parse was most of
a `wfexec lint` of a big file.

libyaml's events carry all the loader needs: values, quoting styles, tags, anchors and marks. This
module builds plain data from them, reading plain scalars the way the slow path does (YAML 1.2,
then Kubernetes' YAML 1.1 words and octals, `spec/yaml11.py`). It covers what workflows are written
with. Anything else raises `Unsupported` and the caller loads the text the slow way, which then
decides the value or the error: explicit tags, merge keys (`<<`), timestamps, `_` in numbers,
float or non-decimal keys, complex or anchored keys, a key written twice, directives, the line
breaks only YAML 1.1 has (NEL, LS, PS), a YAML error, a document too deep or too big. So the
results do not depend on the path taken (tests/spec/test_fast_yaml.py compares both on the
whole corpus). libyaml may accept a few texts ruamel refuses; go-yaml, which Argo uses, is a port
of libyaml, so those read as Argo reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wfexec.spec.document import FieldPath
from wfexec.spec.yaml11 import GO_YAML_FALSE, GO_YAML_TRUE, OCTAL_DIGITS, Reading

try:
    from yaml import YAMLError  # type: ignore[import-untyped]
    from yaml._yaml import CParser  # type: ignore[import-untyped]
    from yaml.events import (  # type: ignore[import-untyped]
        AliasEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
    )
except ImportError:  # PyYAML built without libyaml: every load takes the slow path
    CParser = None

#: YAML 1.2 (core schema) forms of plain scalars, as the slow path's resolver reads them.
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_DECIMAL = re.compile(r"[-+]?[0-9]+")
_PREFIXED = re.compile(r"([-+]?)0(?:x([0-9a-fA-F]+)|o([0-7]+)|b([01]+))")
_FLOAT = re.compile(r"""[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                       |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
                       |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?""", re.X)
_INF_NAN = {**{f"{sign}.{word}": float(f"{sign}inf") for sign in ("", "+", "-") for word in ("inf", "Inf", "INF")},
            **{f".{word}": float("nan") for word in ("nan", "NaN", "NAN")}}
#: Plain scalars the slow path reads otherwise than as text (ints with `_`, timestamps, `<<`, `=`).
_OTHER_TYPED = re.compile(r"[-+]?[0-9_]+|[-+]?0[box][0-9a-fA-F_]+|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*|<<|=")
_NUMBER_START = frozenset("-+.0123456789<=")
#: Line breaks to libyaml (YAML 1.1) only: its line numbers would differ.
_YAML11_BREAKS = ("\x85", "\u2028", "\u2029")


class Unsupported(Exception):
    """The text needs the slow path (see the module docstring)."""


@dataclass
class Loaded:
    """One document of a stream: plain data, each field's 1-based line, the YAML 1.1/1.2 readings."""

    data: Any
    lines: dict[FieldPath, int] = field(default_factory=dict)
    readings: list[Reading] = field(default_factory=list)


def available() -> bool:
    return CParser is not None


def load_stream(text: str, max_nodes: int, max_depth: int) -> list[Loaded]:
    """Every document of `text` (empty ones as None data); raises Unsupported for the slow path."""
    if CParser is None or text.startswith("%") or "\n%" in text or any(c in text for c in _YAML11_BREAKS):
        raise Unsupported
    try:
        return _Builder(_events(text), max_nodes, max_depth).stream()
    except (YAMLError, ValueError, IndexError):  # ValueError: a number Python will not convert
        raise Unsupported from None


def _events(text: str) -> list[Any]:
    parser = CParser(text)
    events: list[Any] = []
    append, get = events.append, parser.get_event
    while (event := get()) is not None:
        append(event)
    return events


def plain_scalar(text: str) -> tuple[Any, Any, str | None]:
    """(the value Kubernetes reads, the value YAML 1.2 reads, the text to name when the two differ)."""
    if text in _NULLS:
        return None, None, None
    first = text[0]
    if first in _NUMBER_START:
        if _DECIMAL.fullmatch(text):
            value = int(text)
            digits = text.lstrip("+-")
            if len(digits) > 1 and digits[0] == "0" and set(digits) <= OCTAL_DIGITS:
                # a leading zero: octal to go-yaml v2 when every digit can be
                return int(digits, 8) * (-1 if value < 0 else 1), value, ("-" if value < 0 else "") + digits
            return value, value, None
        if m := _PREFIXED.fullmatch(text):
            value = (-1 if m[1] == "-" else 1) * (int(m[2], 16) if m[2] else int(m[3], 8) if m[3] else int(m[4], 2))
            return value, value, None
        if _FLOAT.fullmatch(text):
            if "_" in text:
                raise Unsupported
            number = float(text)
            return number, number, None
        if text in _INF_NAN:
            return _INF_NAN[text], _INF_NAN[text], None
        if _OTHER_TYPED.fullmatch(text):
            raise Unsupported
        return text, text, None
    if text in _TRUE:
        return True, True, None
    if text in _FALSE:
        return False, False, None
    if text in GO_YAML_TRUE:
        return True, text, text
    if text in GO_YAML_FALSE:
        return False, text, text
    return text, text, None


class _Builder:
    """Plain data from one stream's events, recursively (depth is capped, so recursion is safe)."""

    def __init__(self, events: list[Any], max_nodes: int, max_depth: int) -> None:
        self.events, self.i = events, 0
        self.max_nodes, self.max_depth = max_nodes, max_depth
        self.anchors: dict[str, int] = {}
        self.active: set[str] = set()
        self.doc = Loaded(None)
        self.nodes = 0

    def stream(self) -> list[Loaded]:
        out: list[Loaded] = []
        events, i = self.events, 1  # after StreamStartEvent
        while type(events[i]) is DocumentStartEvent:
            if events[i].version or events[i].tags:
                raise Unsupported
            root = events[i + 1]
            if type(root) is ScalarEvent and root.style:
                raise Unsupported  # a quoted or block document: ruamel and libyaml end `|` before `---` apart
            self.i, self.anchors, self.nodes, self.doc = i + 1, {}, 0, Loaded(None)
            self.doc.data = self.node(())
            if type(root) is MappingStartEvent or type(root) is SequenceStartEvent:
                self.doc.lines[()] = root.start_mark.line + 1
            out.append(self.doc)
            i = self.i + 1  # after DocumentEndEvent
        return out

    def node(self, path: FieldPath) -> Any:
        self.nodes += 1
        if self.nodes > self.max_nodes or len(path) > self.max_depth:
            raise Unsupported  # the slow path words these errors
        event = self.events[self.i]
        self.i += 1
        kind = type(event)
        if kind is AliasEvent:
            return self._alias(event.anchor, path)
        if event.tag is not None:
            raise Unsupported
        if event.anchor is not None:
            self._anchor(event.anchor, self.i - 1)
        if kind is ScalarEvent:
            if event.style:  # quoted or block: always text
                return event.value
            value, yaml12, differs = plain_scalar(event.value)
            if differs is not None:
                self.doc.readings.append(Reading(path, differs, yaml12, value))
            return value
        if kind is MappingStartEvent:
            return self._mapping(path)
        return self._sequence(path)

    def _mapping(self, path: FieldPath) -> dict[str, Any]:
        events, lines = self.events, self.doc.lines
        out: dict[str, Any] = {}
        seen: set[Any] = set()
        while True:
            key = events[self.i]
            self.i += 1
            if type(key) is not ScalarEvent or key.tag is not None or key.anchor is not None:
                if type(key) is MappingEndEvent:
                    return out
                raise Unsupported  # complex, aliased, anchored or tagged keys
            skey, yaml12 = self._key(key, path)
            if yaml12 in seen:
                raise Unsupported  # the slow path keeps the first key's place and the last value
            seen.add(yaml12)
            child = (*path, skey)
            lines[child] = key.start_mark.line + 1
            out[skey] = self.node(child)

    def _key(self, key: Any, path: FieldPath) -> tuple[str, Any]:
        """(the key as Kubernetes reads it, as text; the key YAML 1.2 reads, to find repeated keys)."""
        text = key.value
        if key.style:
            return text, text
        value, yaml12, differs = plain_scalar(text)
        if type(value) is float or type(yaml12) is int and not _DECIMAL.fullmatch(text):
            raise Unsupported
        skey = _key_text(value)
        if differs is not None:
            self.doc.readings.append(Reading((*path, skey), differs, yaml12, value))
        return skey, yaml12

    def _sequence(self, path: FieldPath) -> list[Any]:
        events, lines = self.events, self.doc.lines
        out: list[Any] = []
        while True:
            item = events[self.i]
            if type(item) is SequenceEndEvent:
                self.i += 1
                return out
            child = (*path, len(out))
            if type(item) is AliasEvent and item.anchor in self.anchors:  # where the anchored node is
                item = events[self.anchors[item.anchor]]
            lines[child] = item.start_mark.line + 1
            out.append(self.node(child))

    def _anchor(self, name: str, index: int) -> None:
        if self.anchors.setdefault(name, index) != index:
            raise Unsupported  # a reused anchor name

    def _alias(self, name: str, path: FieldPath) -> Any:
        """The anchored node again, read anew at this path (its lines are where it was written)."""
        start = self.anchors.get(name)
        if start is None or name in self.active:
            raise Unsupported  # undefined or recursive: the slow path words the error
        resume, self.i = self.i, start
        self.active.add(name)
        try:
            return self.node(path)
        finally:
            self.active.discard(name)
            self.i = resume


def _key_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)
