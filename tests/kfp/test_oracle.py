"""The resolver against what kfp==1.8.22 resolved for 47 corpus specs, two argument sets each."""

from __future__ import annotations

import json

import pytest

from tests.kfp.conftest import COMPONENTS, GOLDEN
from wfexec.errors import SpecError
from wfexec.kfp import load_component, resolve

_RESOLVED = json.loads(GOLDEN.read_text())["resolved"]
CASES = [(path, name) for path, sets in sorted(_RESOLVED.items()) for name in sorted(sets)]


def _arguments(spec, argument_set: str) -> dict[str, str]:
    """The golden file's argument sets: every input, or only the required ones (defaults do the rest)."""
    if argument_set == "all_inputs":
        return {i.name: f"<{i.name}>" for i in spec.inputs}
    assert argument_set == "required_plus_defaults"
    return {i.name: f"<{i.name}>" for i in spec.inputs if i.default is None and not i.optional}


def test_oracle_covers_47_specs() -> None:
    assert len(_RESOLVED) == 47
    container_sets = [c for c in CASES if isinstance(_RESOLVED[c[0]][c[1]], dict)]
    assert len(container_sets) == 90  # 45 container specs × 2; the other two specs are graphs


@pytest.mark.parametrize(("path", "argument_set"), CASES, ids=[f"{p}:{n}" for p, n in CASES])
def test_matches_kfp_1_8(path: str, argument_set: str) -> None:
    expected = _RESOLVED[path][argument_set]
    spec = load_component(COMPONENTS / path)
    if not isinstance(expected, dict):
        # KFP has no command line for a graph component; neither do we.
        assert argument_set == "graph" and spec.graph is not None
        with pytest.raises(SpecError, match="only a container component"):
            resolve(spec, {})
        return
    got = resolve(spec, _arguments(spec, argument_set))
    assert got.command == expected["command"]
    assert got.args == expected["args"]
    assert got.input_paths == expected["input_paths"]
    assert got.output_paths == expected["output_paths"]
    assert got.inputs_consumed_by_value == expected["inputs_consumed_by_value"]
    # The golden file records the arguments after defaults; ours must agree, typed defaults included.
    assert got.arguments == expected["arguments"]
