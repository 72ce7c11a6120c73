"""Random placeholder structures, well-formed or not: loading and resolving end in a result or a SpecError."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wfexec.errors import SpecError
from wfexec.kfp import compile_component, load_component_text, resolve

NAMES = ["a", "b c", "d/e", "zz"]
OUTPUTS = ["o", "p q", "missing"]

name = st.sampled_from(NAMES)
junk = st.one_of(st.integers(-3, 3), st.none(), st.booleans(), st.floats(allow_nan=False, width=16),
                 st.dictionaries(st.sampled_from(["bogus", "inputValue", "if"]), st.integers(0, 2), max_size=2))
valid_leaf = st.one_of(
    st.text(max_size=4),
    st.builds(lambda k, n: {k: n}, st.sampled_from(["inputValue", "inputPath", "isPresent", "inputUri",
                                                     "inputMetadata", "inputOutputPortName"]), name),
    st.builds(lambda k, n: {k: n}, st.sampled_from(["outputPath", "outputUri"]), st.sampled_from(OUTPUTS)),
    st.sampled_from([{"outputMetadata": None}, {"executorInput": None}, {"executorInput": "x"}]),
)
leaf = st.one_of(valid_leaf, valid_leaf, valid_leaf, junk)  # mostly well-formed, so resolving gets exercised


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    branch = st.one_of(children, st.lists(children, max_size=3))
    cond = st.one_of(st.booleans(), st.sampled_from(["true", "no", "maybe", ""]),
                     st.builds(lambda n: {"isPresent": n}, name), st.builds(lambda n: {"inputValue": n}, name), children)
    return st.one_of(
        st.builds(lambda items: {"concat": items}, st.lists(children, max_size=3)),
        st.builds(lambda c, t, e: {"if": {"cond": c, "then": t, **({} if e is None else {"else": e})}},
                  cond, branch, st.one_of(st.none(), branch)),
        st.builds(lambda t: {"if": {"then": t}}, branch),
        st.lists(children, max_size=2),
    )


arg = st.recursive(leaf, _extend, max_leaves=12)
input_spec = st.fixed_dictionaries(
    {"name": name},
    optional={"optional": st.booleans(),
              "type": st.sampled_from(["String", "Integer", "Float", "Boolean", "JsonObject", "GCSPath",
                                       "PipelineTaskFinalStatus", "typing.List[int]"]),
              "default": st.one_of(st.text(max_size=3), st.integers(-2, 2), st.booleans(), st.floats(-1, 1))},
)
value = st.one_of(st.text(max_size=4), st.integers(-2, 2), st.booleans(), st.none(),
                  st.dictionaries(st.text(max_size=2), st.integers(0, 3), max_size=2), st.lists(st.integers(0, 3), max_size=2))


@settings(derandomize=True, max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs=st.lists(input_spec, max_size=4, unique_by=lambda i: i["name"]), outputs=st.lists(st.sampled_from(OUTPUTS[:2]), max_size=2, unique=True),
       command=st.lists(arg, max_size=4), args=st.one_of(st.none(), st.lists(arg, max_size=4)),
       arguments=st.dictionaries(name, value, max_size=4), stray=st.booleans())
def test_only_spec_errors_come_out(inputs: list[dict[str, Any]], outputs: list[str], command: list[Any],
                                   args: list[Any] | None, arguments: dict[str, Any], stray: bool) -> None:
    if not stray:  # usually only arguments for declared inputs
        arguments = {k: v for k, v in arguments.items() if any(i["name"] == k for i in inputs)}
    container: dict[str, Any] = {"image": "alpine", "command": command}
    if args is not None:
        container["args"] = args
    doc = {"name": "fuzz", "inputs": inputs, "outputs": [{"name": o} for o in outputs],
           "implementation": {"container": container}}
    try:
        spec = load_component_text(json.dumps(doc), "fuzz.json")
    except SpecError as exc:
        assert exc.file == "fuzz.json"
        return
    try:
        result = resolve(spec, arguments)
    except SpecError as exc:
        assert exc.file == "fuzz.json"
        return
    assert all(isinstance(part, str) for part in result.command + result.args)
    assert all(path.startswith("/tmp/inputs/") for path in result.input_paths.values())
    try:
        workflow = compile_component(spec, arguments)
    except SpecError:
        return
    assert workflow["spec"]["templates"][0]["name"] == "fuzz"
