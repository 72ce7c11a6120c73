"""Kubernetes object names (lowercase RFC 1123 subdomains), which every run and stored object has.

A run's name is also the name of its directory under the home, so this check is also what keeps a
name such as `../x` or `..` (and one too long for the file system) from reaching a path.
"""

from __future__ import annotations

import re
from typing import Any

from wfexec.errors import SpecError

NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
MAX_LENGTH = 253
#: What a generated name adds to its prefix (engine/api.py).
SUFFIX_LENGTH = 5
EXPECTED = ("lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, "
            f"at most {MAX_LENGTH} characters (RFC 1123)")


def valid_name(name: Any) -> bool:
    return isinstance(name, str) and len(name) <= MAX_LENGTH and NAME_RE.fullmatch(name) is not None


def check_name(name: Any, kind: str, field: str = "metadata.name", file: str | None = None) -> str:
    if not isinstance(name, str) or not name:
        raise SpecError(f"a {kind} needs a name", file=file, field=field)
    if not valid_name(name):
        raise SpecError(f"{kind} name {name[:80]!r} is not valid: expected {EXPECTED}", file=file, field=field)
    return name


def check_generate_name(prefix: Any, kind: str, field: str = "metadata.generateName",
                        file: str | None = None) -> str:
    """A prefix is valid when a name made from it is: it may end in '-' or '.', as `steps-` does."""
    if not isinstance(prefix, str) or not valid_name(prefix + "x" * SUFFIX_LENGTH) or len(prefix) + SUFFIX_LENGTH \
            > MAX_LENGTH:
        shown = prefix[:80] if isinstance(prefix, str) else prefix
        raise SpecError(f"{kind} generateName {shown!r} is not valid: expected {EXPECTED} once "
                        f"{SUFFIX_LENGTH} random characters are added", file=file, field=field)
    return prefix
