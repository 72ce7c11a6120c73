"""Every one of the 365 corpus specs loads, except the two that KFP 1.8 itself could not load."""

from __future__ import annotations

import pytest

from tests.kfp.conftest import COMPONENTS
from wfexec.errors import SpecError
from wfexec.kfp import load_component

MALFORMED = {
    # `inputs`/`outputs` written as mappings (name → spec), the later v2 style; v1 wants lists.
    "sdk/python/kfp/components/test_data/simple_yaml.yaml": (2, "inputs", "expected a list, got a mapping"),
    # A top-level `metrics` field no spec version has; the file also repeats `container` (the second
    # one wins, as in KFP's loader) whose args use a non-existent `outputValue` placeholder.
    "contrib/samples/openvino/deployer/component.yaml": (28, "metrics", "unknown field 'metrics'"),
}


def _all_specs() -> list[str]:
    return sorted(str(p.relative_to(COMPONENTS)) for p in COMPONENTS.rglob("*.yaml"))


def test_corpus_has_365_specs() -> None:
    assert len(_all_specs()) == 365


def test_whole_corpus_loads_or_fails_cleanly() -> None:
    failed: dict[str, SpecError] = {}
    for rel in _all_specs():
        try:
            spec = load_component(COMPONENTS / rel)
        except SpecError as exc:
            failed[rel] = exc
            continue
        assert spec.container is not None or spec.graph is not None, rel
    assert sorted(failed) == sorted(MALFORMED)
    for rel, (line, field, message) in MALFORMED.items():
        exc = failed[rel]
        assert exc.file == str(COMPONENTS / rel)
        assert (exc.line, exc.field) == (line, field)
        assert message in str(exc)


def test_openvino_second_container_is_still_rejected_without_metrics() -> None:
    text = (COMPONENTS / "contrib/samples/openvino/deployer/component.yaml").read_text()
    text = text.replace("metrics:\n  - name: latency\n  - name: accuracy\n", "")
    from wfexec.kfp import load_component_text

    with pytest.raises(SpecError) as info:
        load_component_text(text, "openvino.yaml")
    assert info.value.field == "implementation.container.args[5].outputValue"
    assert "unknown placeholder 'outputValue'" in str(info.value)
    assert info.value.line == 47  # line 50 of the original, less the three removed
