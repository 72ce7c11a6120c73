"""Plain scalars as Kubernetes reads them: `sigs.k8s.io/yaml` decodes with go-yaml v2, which
follows YAML 1.1 where the YAML 1.2 parser we use does not.

The differences that change a value: the words `y/Y/yes/Yes/YES/n/N/no/No/NO/on/On/ON/off/Off/OFF`
are booleans (1.2: text), and an integer written with a leading zero (`0644`, `-0755`, `0_7`) is
octal when all its digits are octal (1.2: decimal). Other forms agree: go-yaml v2 has no
sexagesimal numbers (`1:20` stays text), reads `0o`, `0x` and `0b` prefixes and `_` separators,
and keeps timestamps as text. Quoted scalars are always text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wfexec.spec.document import FieldPath

GO_YAML_TRUE = frozenset({"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"})
GO_YAML_FALSE = frozenset({"n", "N", "no", "No", "NO", "off", "Off", "OFF"})
OCTAL_DIGITS = frozenset("01234567")


@dataclass(frozen=True)
class Reading:
    """A scalar YAML 1.1 (Kubernetes) and YAML 1.2 read differently."""

    path: FieldPath
    text: str
    yaml12: Any
    kubernetes: Any


def as_kubernetes_reads(node: Any) -> tuple[Any, str | None]:
    """(the value Kubernetes reads, the source text when that differs from YAML 1.2's reading)."""
    from ruamel.yaml.scalarint import BinaryInt, HexCapsInt, HexInt, OctalInt, ScalarInt
    from ruamel.yaml.scalarstring import PlainScalarString

    # a plain scalar: quoted ones load as other str subclasses (preserve_quotes), anchored plain ones as
    # PlainScalarString (an anchor does not change how go-yaml reads a scalar)
    if type(node) is str or type(node) is PlainScalarString:
        if node in GO_YAML_TRUE:
            return True, node
        if node in GO_YAML_FALSE:
            return False, node
        return node, None
    if isinstance(node, ScalarInt) and not isinstance(node, OctalInt | HexInt | HexCapsInt | BinaryInt):
        width = getattr(node, "_width", None)
        digits = str(abs(int(node)))
        if width and width > len(digits):  # written with leading zeros
            padded = digits.zfill(width)
            if set(padded) <= OCTAL_DIGITS:
                value = int(padded, 8) * (-1 if int(node) < 0 else 1)
                return value, ("-" if int(node) < 0 else "") + padded
    return node, None
