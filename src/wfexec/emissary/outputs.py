"""Copy the main container's output parameters and pack its output artifacts into the argo dir.

Paths in the template are container paths. Inside a container they are real; on the host
runtime the emissary runs outside the sandbox, so a `PathMap` turns a container path into the
host path that backs it (the pod's private /tmp, a volume, a per-pod directory…).
Missing outputs are skipped: the engine decides about `optional` and `default`.
"""

from __future__ import annotations

import os
import sys

from wfexec.emissary.layout import artifact_copy, parameter_copy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    # (container prefix, host prefix), longest prefix first
    PathMap = Sequence[tuple[str, str]]


def to_host(path: str, path_map: PathMap) -> str:
    """The host path behind a container path (identity when nothing maps it)."""
    path = os.path.normpath(path)
    for inner, outer in path_map:
        if path == inner:
            return outer
        if path.startswith(inner.rstrip("/") + "/"):
            return os.path.join(outer, path[len(inner.rstrip("/")) + 1:])
    return path


def save_outputs(template: dict[str, Any], argo_dir: str, path_map: PathMap, log: Any) -> None:
    """Save every output parameter file and artifact the template declares; `log(msg)` reports."""
    outputs = template.get("outputs") or {}
    for param in outputs.get("parameters") or []:
        path = ((param or {}).get("valueFrom") or {}).get("path")
        if path:
            _save_parameter(path, argo_dir, path_map, log)
    for art in outputs.get("artifacts") or []:
        path = (art or {}).get("path")
        if path:
            _save_artifact(path, art.get("archive"), argo_dir, path_map, log)


def _save_parameter(path: str, argo_dir: str, path_map: PathMap, log: Any) -> None:
    src = to_host(path, path_map)
    dest = parameter_copy(argo_dir, path)
    import shutil  # here, not at the top: most steps have no outputs, and the emissary starts faster

    try:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src, dest)
    except FileNotFoundError:
        return
    except OSError as exc:
        log(f"cannot save output parameter {path}: {exc}")


def _save_artifact(path: str, archive: Any, argo_dir: str, path_map: PathMap, log: Any) -> None:
    src = to_host(path, path_map)
    if not os.path.lexists(src):
        return
    dest = artifact_copy(argo_dir, path)
    # imported only when needed: the packer pulls in zipfile, tarfile… (~15 ms of a container's start)
    from wfexec.artifacts.pack import pack_path  # stdlib only; in the emissary bundle beside us
    try:
        pack_path(src, dest, archive)
    except Exception as exc:  # noqa: BLE001 - one artifact failing must not lose the others
        log(f"cannot save output artifact {path}: {exc}")


def stderr_log(msg: str) -> None:
    print(f"emissary: {msg}", file=sys.stderr, flush=True)
