"""Collect every `when`, `depends`, `expression` and `{{=…}}` from the shared corpora."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
FOLDERS = ("argo-examples", "kfp-compiled-argo")
_TAG_RE = re.compile(r"\{\{=(.*?)\}\}", re.S)


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}"
            if key in ("when", "depends", "expression") and isinstance(value, str):
                yield key, value, here
            yield from _walk(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")
    elif isinstance(node, str):
        for m in _TAG_RE.finditer(node):
            yield "tag", m.group(1), path


def collect() -> list[tuple[str, str, str]]:
    """(kind, text, location) for every expression, kind in when/depends/expression/tag."""
    found: list[tuple[str, str, str]] = []
    for folder in FOLDERS:
        for file in sorted((CORPUS / folder).rglob("*.y*ml")):
            rel = file.relative_to(CORPUS)
            for doc in yaml.safe_load_all(file.read_text()):
                found.extend((k, t, f"{rel}:{p}") for k, t, p in _walk(doc, ""))
    return found
