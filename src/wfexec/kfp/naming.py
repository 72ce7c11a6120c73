"""Name sanitizers KFP 1.8 applied, so paths and Argo names look the way a KFP user knows them."""

from __future__ import annotations

import re


def file_name(name: str) -> str:
    """A port name as a path segment: every run of other characters becomes one underscore."""
    return re.sub(r"[^-_.0-9a-zA-Z]+", "_", name)


def k8s_name(name: str) -> str:
    """A name Argo and Kubernetes accept: lowercase, dashes, no leading/trailing dash."""
    return re.sub(r"-+", "-", re.sub(r"[^-0-9a-z]+", "-", name.lower())).strip("-")


def unique(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`… (the suffixing KFP used for repeated op names); records it."""
    candidate, index = name, 1
    while candidate in taken:
        index += 1
        candidate = f"{name}-{index}"
    taken.add(candidate)
    return candidate
