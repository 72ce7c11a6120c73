"""Secrets for artifact repositories, read from files as Kubernetes mounts them.

A reference `{name: my-s3, key: accessKey}` (Argo's `accessKeySecret`) is read from
`$WFEXEC_HOME/secrets/<name>/<key>`: one directory per Secret, one file per key, the value
being the file's content (a single trailing newline is dropped). Values never leave this
module except to the caller; error messages name the file, never its content.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wfexec.errors import ArtifactError
from wfexec.home import wfexec_home

SecretResolver = Callable[[str, str], str]
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def secrets_dir() -> Path:
    return wfexec_home() / "secrets"


def file_secret_resolver(root: Path | None = None) -> SecretResolver:
    """A resolver reading `<root>/<name>/<key>` (root defaults to $WFEXEC_HOME/secrets)."""

    def resolve(name: str, key: str) -> str:
        for part, what in ((name, "name"), (key, "key")):
            if not isinstance(part, str) or not _SAFE.match(part):
                raise ArtifactError(f"secret {what} {part!r} is not a valid Kubernetes name")
        path = (root or secrets_dir()) / name / key
        try:
            value = path.read_text()
        except FileNotFoundError:
            raise ArtifactError(f"secret {name}/{key} not found: expected the file {path}") from None
        except OSError as e:
            raise ArtifactError(f"secret {name}/{key}: cannot read {path}: {e.strerror}") from None
        return value[:-1] if value.endswith("\n") else value

    return resolve


def secret_ref(block: dict[str, Any], field: str) -> tuple[str, str] | None:
    """(name, key) of a `{name, key}` secret selector in block[field], or None."""
    ref = block.get(field)
    if not ref:
        return None
    if not isinstance(ref, dict) or not ref.get("name") or not ref.get("key"):
        raise ArtifactError(f"{field} must be {{name: <secret>, key: <key>}}")
    return str(ref["name"]), str(ref["key"])
