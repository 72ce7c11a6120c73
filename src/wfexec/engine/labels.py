"""Kubernetes label selectors (`app=x,tier!=db,env in (a,b),!legacy,gen>2`), parsed once and matched many times.

The API's `listOptions.labelSelector` and the CLI's `-l` use the same grammar as kubectl's, so a
selector a user already has works unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wfexec.errors import WfexecError


class SelectorError(WfexecError):
    """A label selector that does not parse; the message quotes it."""


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return has
        if self.op == "!":
            return not has
        if self.op == "=":
            return has and value == self.values[0]
        if self.op == "!=":
            return not has or value != self.values[0]
        if self.op == "in":
            return has and value in self.values
        if self.op in ("gt", "lt"):  # a label whose value is no integer never matches, as in Kubernetes
            try:
                number = int(value or "")
            except ValueError:
                return False
            return number > int(self.values[0]) if self.op == "gt" else number < int(self.values[0])
        return not has or value not in self.values  # notin


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)


#: A structured selector's operators (matchExpressions), as the text form's.
_MATCH_OPS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def from_match(match_labels: dict[str, str],
               match_expressions: list[tuple[str, str, tuple[str, ...]]]) -> LabelSelector:
    """A structured selector (`matchLabels`, `matchExpressions` with operator In/NotIn/Exists/DoesNotExist)."""
    reqs = [Requirement(k, "=", (v,)) for k, v in match_labels.items()]
    reqs += [Requirement(key, _MATCH_OPS[op], values) for key, op, values in match_expressions]
    return LabelSelector(tuple(reqs))


_KEY = r"[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?"
_SET = re.compile(rf"^\s*({_KEY})\s+(in|notin)\s*\(([^)]*)\)\s*$")
_CMP = re.compile(rf"^\s*({_KEY})\s*(==|=|!=)\s*({_VALUE})\s*$")
_HAS = re.compile(rf"^\s*(!?)\s*({_KEY})\s*$")
_ORDER = re.compile(rf"^\s*({_KEY})\s*([<>])\s*(-?[0-9]+)\s*$")


def _split(text: str) -> list[str]:
    """Split on commas that are not inside a `( … )` value set."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def parse_selector(text: str | None) -> LabelSelector:
    """A selector from its text; empty text selects everything."""
    if not text or not text.strip():
        return LabelSelector()
    reqs: list[Requirement] = []
    for part in _split(text):
        if m := _SET.match(part):
            values = tuple(v.strip() for v in m.group(4).split(",") if v.strip())
            if not values or not all(re.fullmatch(_VALUE, v) for v in values):
                raise SelectorError(f"label selector {text!r}: {part.strip()!r} needs a list of label values")
            reqs.append(Requirement(m.group(1), m.group(3), values))
        elif m := _CMP.match(part):
            op = "=" if m.group(3) in ("=", "==") else "!="
            reqs.append(Requirement(m.group(1), op, (m.group(4),)))
        elif m := _ORDER.match(part):
            reqs.append(Requirement(m.group(1), "gt" if m.group(3) == ">" else "lt", (m.group(4),)))
        elif m := _HAS.match(part):
            reqs.append(Requirement(m.group(2), "!" if m.group(1) else "exists"))
        else:
            raise SelectorError(f"label selector {text!r}: cannot parse {part.strip()!r}; expected key, !key, "
                                "key=value, key!=value, key in (v1,v2), key notin (v1,v2), key>N or key<N")
    return LabelSelector(tuple(reqs))
