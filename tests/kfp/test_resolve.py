"""Placeholder resolution, one behaviour of KFP 1.8 per test."""

from __future__ import annotations

import json

import pytest

from wfexec.errors import SpecError
from wfexec.kfp import load_component_text, resolve


def spec(inputs: str, args: str, outputs: str = "[]", extra: str = ""):
    return load_component_text(
        f"name: t\ninputs: {inputs}\noutputs: {outputs}\n"
        f"implementation:\n  container:\n    image: alpine\n    args: {args}\n{extra}", "t.yaml")


def test_input_value_path_and_output_path() -> None:
    s = spec("[{name: a}, {name: my file/x}]", "[{inputValue: a}, {inputPath: my file/x}, {outputPath: Out put}]",
             "[{name: Out put}]")
    r = resolve(s, {"a": "1", "my file/x": "data"})
    assert r.args == ["1", "/tmp/inputs/my_file_x/data", "/tmp/outputs/Out_put/data"]
    assert r.input_paths == {"my file/x": "/tmp/inputs/my_file_x/data"}
    assert r.output_paths == {"Out put": "/tmp/outputs/Out_put/data"}
    assert r.inputs_consumed_by_value == {"a": "1"}


def test_command_and_args_are_separate() -> None:
    s = load_component_text("inputs: [{name: a}]\nimplementation: {container: {image: x, command: [echo, "
                            "{inputValue: a}], args: [--b, {inputValue: a}]}}", "t.yaml")
    r = resolve(s, {"a": "v"})
    assert (r.command, r.args) == (["echo", "v"], ["--b", "v"])


def test_defaults_applied_before_resolving() -> None:
    s = spec("[{name: a, default: dflt}, {name: n, type: Integer, default: 3}, {name: f, type: Float, default: '0'}]",
             "[{inputValue: a}, {inputValue: n}, {inputValue: f}]")
    assert resolve(s, {}).args == ["dflt", "3", "0"]
    assert resolve(s, {"a": "given"}).args == ["given", "3", "0"]
    # The v1 bridge's int()/float() of numeric defaults, on request.
    assert resolve(s, {}, coerce_numbers=True).args == ["dflt", "3", "0.0"]


def test_boolean_serialization() -> None:
    s = spec("[{name: b, type: Boolean, default: true}, {name: c, type: Boolean}]", "[{inputValue: b}, {inputValue: c}]")
    # A typed default is serialized by Python's str(); a string argument passes through as given.
    assert resolve(s, {"c": "false"}).args == ["True", "false"]
    assert resolve(s, {"b": False, "c": True}).args == ["False", "True"]


def test_json_serialization_sorts_keys_and_strings_pass_through() -> None:
    s = spec("[{name: o, type: JsonObject}, {name: l, type: JsonArray}, {name: s, type: String}]",
             "[{inputValue: o}, {inputValue: l}, {inputValue: s}]")
    r = resolve(s, {"o": {"z": 1, "a": [2, 1]}, "l": [{"b": 1, "a": 2}], "s": ' {"z": 1, "a": 2} '})
    assert r.args == ['{"a": [2, 1], "z": 1}', '[{"a": 2, "b": 1}]', ' {"z": 1, "a": 2} ']
    assert json.loads(r.args[0]) == {"z": 1, "a": [2, 1]}


def test_typed_value_that_does_not_fit_its_type_is_a_spec_error() -> None:
    s = spec("[{name: s, type: String, default: 5}]", "[{inputValue: s}]")
    with pytest.raises(SpecError, match=r"input 's': expected a string") as info:
        resolve(s, {})
    assert info.value.field == "implementation.container.args[0]"
    s = spec("[{name: g, type: GCSPath, default: 5}]", "[{inputValue: g}]")
    with pytest.raises(SpecError, match="no serializer for type"):
        resolve(s, {})


def test_optional_input_without_value_drops_its_item() -> None:
    s = spec("[{name: a, optional: true}, {name: p, optional: true}]",
             "[--a, {inputValue: a}, --p, {inputPath: p}, end]")
    r = resolve(s, {})
    assert r.args == ["--a", "--p", "end"]
    assert r.input_paths == {} and r.inputs_consumed_by_value == {}


def test_required_input_without_value_is_an_error() -> None:
    s = spec("[{name: a}]", "[{inputValue: a}]")
    with pytest.raises(SpecError, match="no value for required input 'a'") as info:
        resolve(s, {})
    assert info.value.file == "t.yaml"


def test_unknown_argument_is_an_error() -> None:
    with pytest.raises(SpecError, match="no input named 'zz'"):
        resolve(spec("[{name: a}]", "[]"), {"zz": "1"})


def test_if_with_list_then_and_else() -> None:
    s = spec("[{name: a, optional: true}]",
             "[{if: {cond: {isPresent: a}, then: [--a, {inputValue: a}], else: [--no-a, x]}}]")
    assert resolve(s, {"a": "1"}).args == ["--a", "1"]
    assert resolve(s, {}).args == ["--no-a", "x"]


def test_if_single_items_and_missing_else() -> None:
    s = spec("[{name: a, optional: true}]", "[{if: {cond: {isPresent: a}, then: {inputValue: a}}}, after]")
    assert resolve(s, {"a": "v"}).args == ["v", "after"]
    assert resolve(s, {}).args == ["after"]


@pytest.mark.parametrize(("value", "branch"), [("true", "T"), ("True", "T"), ("yes", "T"), ("1", "T"), ("on", "T"),
                                               ("false", "F"), ("0", "F"), ("No", "F"), ("", "F")])
def test_if_condition_uses_strtobool(value: str, branch: str) -> None:
    s = spec("[{name: c}]", "[{if: {cond: {inputValue: c}, then: T, else: F}}]")
    assert resolve(s, {"c": value}).args == [branch]


def test_if_condition_constant_and_invalid() -> None:
    s = spec("[]", "[{if: {cond: true, then: T, else: F}}, {if: {cond: 'off', then: T, else: F}}]")
    assert resolve(s, {}).args == ["T", "F"]
    s = spec("[{name: c}]", "[{if: {cond: {inputValue: c}, then: T}}]")
    with pytest.raises(SpecError, match="not a boolean") as info:
        resolve(s, {"c": "maybe"})
    assert info.value.field == "implementation.container.args[0].if.cond"


def test_concat_nested_with_if_and_missing_optional() -> None:
    s = spec("[{name: a}, {name: b, optional: true}]",
             "[{concat: [x-, {inputValue: a}, {concat: [-, {inputValue: b}]}, "
             "{if: {cond: {isPresent: b}, then: [+, {inputValue: b}], else: [-none]}}]}]")
    assert resolve(s, {"a": "A", "b": "B"}).args == ["x-A-B+B"]
    assert resolve(s, {"a": "A"}).args == ["x-A--none"]


def test_is_present_standalone() -> None:
    s = spec("[{name: a, optional: true}]", "[{isPresent: a}]")
    assert resolve(s, {"a": "x"}).args == ["True"]
    assert resolve(s, {}).args == ["False"]


def test_v1_bridge_placeholders() -> None:
    s = spec("[{name: in 1}]", "[{inputUri: in 1}, {outputUri: out 1}, {inputMetadata: in 1}, {outputMetadata: null}, "
             "{executorInput: null}, {inputOutputPortName: in 1}]", "[{name: out 1}]")
    r = resolve(s, {"in 1": "v"})
    assert r.args == ["{{$.inputs.artifacts['in 1'].uri}}", "{{$.outputs.artifacts['out 1'].uri}}",
                      # The bridge joined pipeline-root/run/pod/<absolute path>: only the last part survives.
                      "/tmp/outputs/executor_output.json", "/tmp/outputs/executor_output.json",
                      "{{$}}", "{{kfp.input-output-name.in 1}}"]
    assert r.input_paths == {"in 1": "/tmp/inputs/in_1/data"}
    assert r.output_paths == {"out 1": "/tmp/outputs/out_1/data"}


def test_bridge_placeholders_of_missing_optional_input_drop() -> None:
    s = spec("[{name: a, optional: true}]", "[{inputUri: a}, {inputMetadata: a}, {inputOutputPortName: a}, z]")
    assert resolve(s, {}).args == ["z"]


def test_file_outputs_come_first_and_conflict_with_output_path() -> None:
    extra = "    fileOutputs: {b: /out/b.txt}\n"
    s = spec("[]", "[{outputPath: a}]", "[{name: a}, {name: b}]", extra)
    assert list(resolve(s, {}).output_paths.items()) == [("b", "/out/b.txt"), ("a", "/tmp/outputs/a/data")]
    s = spec("[]", "[{outputPath: b}]", "[{name: b}]", extra)
    with pytest.raises(SpecError, match="both in fileOutputs"):
        resolve(s, {})


def test_task_final_status_input_may_be_missing() -> None:
    s = spec("[{name: status, type: PipelineTaskFinalStatus}]", "[{inputValue: status}, x]")
    assert resolve(s, {}).args == ["x"]


def test_deferred_value_cannot_drive_an_if() -> None:
    s = spec("[{name: a}]", "[{if: {cond: {inputValue: a}, then: T}}]")
    with pytest.raises(SpecError, match="only known at run time"):
        resolve(s, {"a": "{{inputs.parameters.x}}"}, deferred=frozenset({"a"}))
