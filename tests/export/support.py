"""Shared pieces of the export tests: the corpus, an executor config with an `images:` index, and
checks every exported document must pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wfexec.export.build import as_documents
from wfexec.export.local_only import is_local_key
from wfexec.spec.schema import validate

#: What the corpus images run (from their Dockerfiles), as an operator lists them in Argo's
#: workflow-controller-configmap `images:` index so the emissary knows their commands.
IMAGES_CONFIG = """\
containerRuntimeExecutor: emissary
images: |
  argoproj/argosay:v2:
    entrypoint: [/argosay]
  alpine:3.23:
    cmd: [/bin/sh]
  influxdb:1.2:
    entrypoint: [/entrypoint.sh]
    cmd: [influxd]
  nginx:1.13:
    cmd: [nginx, -g, daemon off;]
"""

#: Tallies the terminal summary prints (tests/export/conftest.py).
COUNTS: dict[str, int] = {}


def write_config(directory: Path) -> Path:
    path = directory / "wfexec-config.yaml"
    path.write_text(IMAGES_CONFIG)
    return path


def assert_cluster_ready(docs: list[dict[str, Any]], label: str) -> None:
    """Strict schema validation of each document, and nothing of wfexec's left in metadata."""
    for doc in as_documents(docs, label):
        issues = validate(doc, strict=True)
        assert not issues, f"{label}: " + "; ".join(map(str, issues))
        for meta in _metadata(doc.data):
            for kind in ("annotations", "labels"):
                leaked = [k for k in (meta.get(kind) or {}) if is_local_key(k)]
                assert not leaked, f"{label}: local-only {kind} {leaked} were exported"


def _metadata(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec") or {}
    out = [doc.get("metadata") or {}, spec.get("workflowMetadata") or {}, spec.get("podMetadata") or {}]
    out += [t.get("metadata") or {} for t in spec.get("templates") or []]
    return [m for m in out if isinstance(m, dict)]
