"""The CLI's selectors: `-l` label selectors and `--node-field-selector`, parsed by the engine's
one implementation of each (`engine.labels`, `engine.node_selector`), which the API uses too."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

from wfexec.engine.labels import SelectorError, parse_selector
from wfexec.engine.node_selector import node_field_selector
from wfexec.errors import WfexecError

__all__ = ["label_selector", "labels_match", "node_field_selector"]

Test = Callable[[Mapping[str, str]], bool]


@lru_cache(maxsize=32)
def label_selector(text: str, flag: str = "-l") -> Test:
    """A Kubernetes label selector; every comma-separated term must hold. Parsed once per text (`list -l`
    tests it against every run)."""
    try:
        selector = parse_selector(text)
    except SelectorError as exc:
        raise WfexecError(f"{flag}: {exc}") from None
    return lambda labels: selector.matches(dict(labels))


def labels_match(selectors: list[str] | None, labels: Mapping[str, str]) -> bool:
    return all(label_selector(s)(labels) for s in selectors or [])
