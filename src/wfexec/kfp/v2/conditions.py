"""A KFP trigger condition (the CEL subset kfp.compiler writes) as an Argo `when` expression.

KFP writes conditions such as `int(inputs.parameter_values['x']) > 5` or
`!(inputs.parameter_values['a'] == 'heads')`; Argo's `when` is govaluate text after `{{…}}`
substitution. Each `inputs.parameter_values['k']` becomes the task's own argument for `k`,
quoted unless it sits in `int()`/`double()` or its type is a number or a boolean.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from wfexec.errors import SpecError

_TOKEN = re.compile(r"""
    (?P<ref>inputs\.parameter_values\[\s*'(?P<key>[^']*)'\s*\])
  | (?P<cast>\b(?:int|double|string|bool)\s*\()
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()])
  | (?P<lit>\btrue\b|\bfalse\b)
  | (?P<ws>\s+)
""", re.VERBOSE)

UNQUOTED_TYPES = ("NUMBER_INTEGER", "NUMBER_DOUBLE", "BOOLEAN")


def to_when(condition: str, argument: Callable[[str], tuple[str, str]], where: str) -> str:
    """`argument(key)` gives (Argo expression of the value, KFP parameter type)."""
    out: list[str] = []
    casts: list[bool] = []  # per open parenthesis: was it a cast?
    pos = 0
    while pos < len(condition):
        m = _TOKEN.match(condition, pos)
        if not m:
            raise SpecError(f"condition {condition!r}: cannot translate {condition[pos:pos + 20]!r} "
                            "(supported: parameter comparisons with ==, !=, <, >, &&, ||, !, int(), double())",
                            field=where)
        pos = m.end()
        if m.group("ws"):
            continue
        if m.group("ref"):
            expr, ptype = argument(m.group("key"))
            in_cast = bool(casts and casts[-1])
            out.append(expr if in_cast or ptype in UNQUOTED_TYPES else "'" + expr + "'")
        elif m.group("cast"):
            casts.append(True)
            out.append("(")
        elif m.group("str"):
            out.append("'" + m.group("str")[1:-1].replace("'", "\\'") + "'")
        elif m.group("op") == "(":
            casts.append(False)
            out.append("(")
        elif m.group("op") == ")":
            if casts:
                casts.pop()
            out.append(")")
        else:
            out.append(m.group(0))
    return " ".join(out)
