"""Artifact keys in a repository, laid out the way Argo lays them out.

Argo renders the repository's `keyFormat` (default `{{workflow.name}}/{{pod.name}}`) once
per pod, then appends the staged file's name: `<artifact>.tgz` for the tar strategy,
`<artifact>.zip` for zip, and the path's own base name for `archive: none`.
"""

from __future__ import annotations

import posixpath
import re
from datetime import datetime
from typing import Any

from wfexec.errors import ArtifactError

DEFAULT_KEY_FORMAT = "{{workflow.name}}/{{pod.name}}"
_VAR = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
_TS = "workflow.creationTimestamp"


def render_key(key_format: str, variables: dict[str, Any]) -> str:
    """Substitute `{{…}}` in key_format; `{{workflow.creationTimestamp.X}}` is strftime `%X`."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in variables and not isinstance(variables[name], datetime):
            return str(variables[name])
        if name.startswith(_TS + ".") and len(name) == len(_TS) + 2:
            ts = _timestamp(variables.get(_TS))
            if ts is not None:
                return ts.strftime("%" + name[-1])
        if name == _TS and variables.get(_TS) is not None:
            ts = _timestamp(variables[_TS])
            return ts.strftime("%Y-%m-%dT%H:%M:%SZ") if ts else str(variables[_TS])
        raise ArtifactError(f"keyFormat {key_format!r}: failed to resolve {{{{{name}}}}}")

    key = _VAR.sub(one, key_format)
    return check_key(key)


def check_key(key: str) -> str:
    """A key must be relative and stay inside the repository (no `..`)."""
    clean = posixpath.normpath(key.strip("/")) if key.strip("/") else ""
    if not clean or clean == "." or clean.startswith("../") or clean == ".." or "/../" in f"/{key}/":
        raise ArtifactError(f"artifact key {key!r} is empty or leaves the repository")
    return clean


def artifact_file_name(name: str, path: str | None, archive: dict[str, Any] | None) -> str:
    """The file name Argo appends to the rendered keyFormat for an output artifact."""
    if archive and "none" in archive:
        return posixpath.basename((path or name).rstrip("/")) or name
    if archive and "zip" in archive:
        return f"{name}.zip"
    return f"{name}.tgz"


def output_key(key_format: str | None, variables: dict[str, Any], file_name: str) -> str:
    """The full key of an output artifact: rendered keyFormat + '/' + file name."""
    return check_key(posixpath.join(render_key(key_format or DEFAULT_KEY_FORMAT, variables), file_name))


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None
