"""List options as Argo Server takes them: field selectors, `limit`/`continue`, and the `fields=` projection.

`fields` is a comma-separated list of dotted paths (`items.metadata.name,items.status.phase`) to keep,
or, when it starts with `-`, to drop; a path through a list applies to each item, as Argo's does.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from wfexec.server.http import bad_request

FIELD_SELECTOR_KEYS = ("metadata.name", "metadata.namespace", "metadata.uid", "status.phase")
NAME_FILTERS = ("Exact", "Contains", "Prefix")  # Argo's `nameFilter`: how a name is matched
_FIELD_TERM = re.compile(r"^\s*([A-Za-z.]+)\s*(==|=|!=)\s*([^,]*?)\s*$")


@dataclass(frozen=True)
class FieldTerm:
    key: str
    equal: bool
    value: str

    def matches(self, values: dict[str, str]) -> bool:
        return (values.get(self.key) == self.value) == self.equal


def parse_field_selector(text: str | None, param: str = "listOptions.fieldSelector") -> list[FieldTerm]:
    terms: list[FieldTerm] = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        m = _FIELD_TERM.match(part)
        if not m:
            raise bad_request(f"query {param}: cannot parse {part.strip()!r}; expected FIELD=VALUE or FIELD!=VALUE")
        if m.group(1) not in FIELD_SELECTOR_KEYS:
            raise bad_request(f"query {param}: field {m.group(1)!r} is not supported;"
                              f" expected one of {', '.join(FIELD_SELECTOR_KEYS)}")
        terms.append(FieldTerm(m.group(1), m.group(2) != "!=", m.group(3)))
    return terms


def name_matches(name: str, pattern: str, how: str) -> bool:
    """`name` against `pattern` as `nameFilter` says (Exact, Contains or Prefix)."""
    if how == "Contains":
        return pattern in name
    if how == "Prefix":
        return name.startswith(pattern)
    return name == pattern


# -- limit / continue -------------------------------------------------------------------------
def encode_continue(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_continue(token: str | None, param: str = "listOptions.continue") -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise bad_request(f"query {param}: not a continue token this server gave") from None
    if offset < 0:
        raise bad_request(f"query {param}: not a continue token this server gave")
    return offset


# -- fields= projection -----------------------------------------------------------------------
Tree = dict[str, "Tree | None"]  # None: the whole subtree was named


@dataclass(frozen=True)
class Projection:
    tree: Tree
    exclude: bool

    def wants(self, path: str) -> bool:
        """Would the projected response contain (part of) `path`?"""
        node: Tree | None = self.tree
        for part in path.split("."):
            if node is None:
                return not self.exclude
            if part not in node:
                return self.exclude
            node = node[part]
        return node is not None or not self.exclude

    def apply(self, obj: Any) -> Any:
        return _drop(obj, self.tree) if self.exclude else _keep(obj, self.tree)


def parse_fields(text: str | None) -> Projection | None:
    if not text or not text.strip():
        return None
    text = text.strip()
    exclude = text.startswith("-")
    if exclude:
        text = text[1:]
    tree: Tree = {}
    for path in text.split(","):
        path = path.strip()
        if not path:
            continue
        parts = path.split(".")
        if not all(parts):
            raise bad_request(f"query fields: empty name in {path!r}")
        node = tree
        for part in parts[:-1]:
            child = node.get(part, {})
            if child is None:
                break  # a shorter path already named the whole subtree
            node = node.setdefault(part, child)
        else:
            node[parts[-1]] = None
    return Projection(tree, exclude)


def _keep(obj: Any, tree: Tree | None) -> Any:
    if tree is None:
        return obj
    if isinstance(obj, list):
        return [_keep(item, tree) for item in obj]
    if not isinstance(obj, dict):
        return obj
    return {k: _keep(v, tree[k]) for k, v in obj.items() if k in tree}


def _drop(obj: Any, tree: Tree) -> Any:
    if isinstance(obj, list):
        return [_drop(item, tree) for item in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for k, v in obj.items():
        sub = tree.get(k, {}) if k in tree else None
        if k in tree and sub is None:
            continue
        out[k] = _drop(v, sub) if sub else v
    return out
