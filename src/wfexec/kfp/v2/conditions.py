"""A KFP trigger condition (the CEL subset kfp.compiler writes) as an Argo `when` expression.

KFP writes conditions such as `int(inputs.parameter_values['x']) > 5` or
`!(inputs.parameter_values['a'] == 'heads')`, and its driver evaluates them on the typed values.
Here the whole condition becomes one Argo expression (`{{=…}}`) that reads each value as a
variable, so a value holding quotes, `{{…}}` or a newline is compared as it is: pasted into
govaluate text, it would break the expression or change it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from wfexec.errors import SpecError

_TOKEN = re.compile(r"""
    (?P<ref>inputs\.parameter_values\[\s*'(?P<key>[^']*)'\s*\])
  | (?P<cast>\b(?P<fn>int|double|string|bool)\s*\()
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()])
  | (?P<lit>\btrue\b|\bfalse\b)
  | (?P<ws>\s+)
""", re.VERBOSE)

NUMBER_TYPES = ("NUMBER_INTEGER", "NUMBER_DOUBLE")
_CASTS = {"int": "int(", "double": "float(", "string": "string(", "bool": "("}
_CEL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def to_when(condition: str, argument: Callable[[str], tuple[str, str]], where: str) -> str:
    """`argument(key)` gives (the expression that reads the value's text, its KFP type)."""
    out: list[str] = []
    casts: list[str | None] = []  # per open parenthesis: the cast it opened, if any
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
            variable, ptype = argument(m.group("key"))
            out.append(_typed(variable, ptype, casts[-1] if casts else None))
        elif m.group("cast"):
            casts.append(m.group("fn"))
            out.append(_CASTS[m.group("fn")])
        elif m.group("str"):
            out.append(json.dumps(_cel_string(m.group("str"))))
        elif m.group("op") == "(":
            casts.append(None)
            out.append("(")
        elif m.group("op") == ")":
            if casts:
                casts.pop()
            out.append(")")
        else:
            out.append(m.group(0))
    return "{{=" + " ".join(out) + "}}"


def _typed(var: str, ptype: str, cast: str | None) -> str:
    """An Argo parameter is text: read it as the value of its KFP type, or as the cast around it takes it."""
    if cast == "string":
        return var
    if cast == "bool" or (cast is None and ptype == "BOOLEAN"):
        return f"({var} == \"true\")"
    if ptype in NUMBER_TYPES:
        return f"float({var})"
    return var


def _cel_string(literal: str) -> str:
    return re.sub(r"\\(.)", lambda m: _CEL_ESCAPES.get(m.group(1), m.group(1)), literal[1:-1], flags=re.S)
