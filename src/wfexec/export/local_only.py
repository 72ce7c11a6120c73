"""Settings that only mean something to wfexec here, removed before a document goes to a cluster.

wfexec keeps its own bookkeeping in annotations and labels under `wfexec.io/` (or `wfexec.`):
KFP output maps, output directories for the host runtime, run ids. A cluster does not read them,
and a stored run (`get -o json`) carries server fields and a status a new Workflow must not have.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import Any

from wfexec.kfp.compile import OUTPUT_DIRS_ANNOTATION

SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "selfLink")


def is_local_key(key: str) -> bool:
    """`wfexec.io/…`, `*.wfexec.io/…` and `wfexec.…` keys are ours."""
    domain = key.split("/", 1)[0] if "/" in key else ""
    return key.startswith("wfexec.") or domain == "wfexec.io" or domain.endswith(".wfexec.io")


def _strip_meta(meta: Any, where: str, note: Callable[[str], None]) -> None:
    if not isinstance(meta, dict):
        return
    for kind in ("annotations", "labels"):
        values = meta.get(kind)
        if not isinstance(values, dict):
            continue
        for key in [k for k in values if is_local_key(str(k))]:
            del values[key]
            note(f"removed local-only {kind[:-1]} {key} from {where}.{kind}")
        if not values:
            del meta[kind]


def strip_document(doc: dict[str, Any], note: Callable[[str], None]) -> None:
    """Remove local-only keys, server fields and status from a Workflow or WorkflowTemplate, in place."""
    meta = doc.get("metadata")
    if isinstance(meta, dict):
        for key in [k for k in SERVER_FIELDS if k in meta]:
            del meta[key]
            note(f"removed server field metadata.{key}")
    if "status" in doc:
        del doc["status"]
        note("removed status (a new Workflow starts without one)")
    _strip_meta(meta, "metadata", note)
    spec = doc.get("spec")
    if doc.get("kind") == "CronWorkflow" and isinstance(spec, dict):
        spec = spec.get("workflowSpec")
    if not isinstance(spec, dict):
        return
    for key in ("workflowMetadata", "podMetadata"):
        _strip_meta(spec.get(key), f"spec.{key}", note)
    for i, template in enumerate(spec.get("templates") or []):
        if not isinstance(template, dict):
            continue
        where = f"spec.templates[{i}] ({template.get('name')})"
        _output_dirs(template, where, note)
        _strip_meta(template.get("metadata"), f"{where}.metadata", note)
        if template.get("metadata") == {}:
            del template["metadata"]


def _output_dirs(template: dict[str, Any], where: str, note: Callable[[str], None]) -> None:
    """The host runtime creates a component's output directories; in a cluster the command must."""
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    raw = annotations.get(OUTPUT_DIRS_ANNOTATION)
    container = template.get("container")
    if not raw or not isinstance(container, dict):
        return
    try:
        dirs = [str(d) for d in json.loads(raw)]
    except (ValueError, TypeError):
        return
    if container.get("command"):
        script = f"mkdir -p -- {' '.join(shlex.quote(d) for d in dirs)} && exec \"$0\" \"$@\""
        container["command"] = ["sh", "-c", script, *container["command"]]
        note(f"{where}: output directories are now made by an sh wrapper around the command (the image needs sh)")
    else:
        note(f"{where}: without a command nothing creates the output directories {', '.join(dirs)}; "
             "the program must")
