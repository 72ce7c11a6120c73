"""The spec loader: what it keeps, and how it names what is wrong (file, line, field)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfexec.errors import SpecError
from wfexec.kfp import load_component, load_component_text
from wfexec.kfp import placeholders as P
from wfexec.kfp.spec import GraphInputArg, TaskOutputArg


def test_container_component_fields() -> None:
    s = load_component_text("""\
name: Demo
description: says hi
metadata: {annotations: {a: b}, labels: {l: v}}
inputs:
- {name: x, type: Integer, default: 3, optional: true, description: an x}
outputs:
- {name: y, type: String}
implementation:
  container:
    image: alpine
    command: [echo, {inputValue: x}]
    args: [{concat: [a, {if: {cond: {isPresent: x}, then: [b], else: c}}]}]
    env: {K: V}
    fileOutputs: {y: /y.txt}
""", "demo.yaml")
    assert (s.name, s.description, s.annotations, s.labels) == ("Demo", "says hi", {"a": "b"}, {"l": "v"})
    assert s.inputs[0].default == 3 and s.inputs[0].optional and s.inputs[0].type == "Integer"
    assert s.container is not None
    assert s.container.command == ("echo", P.InputValue("x"))
    assert s.container.args == (P.Concat(("a", P.If(P.IsPresent("x"), ("b",), "c"))),)
    assert s.container.env == {"K": "V"} and s.container.file_outputs == {"y": "/y.txt"}


@pytest.mark.parametrize(("text", "line", "field", "message"), [
    ("name: x\nimplementation:\n  container:\n    args: [a]\n", 3, "implementation.container.image",
     "missing required field 'image'"),
    ("inputs: [{name: a}]\nimplementation:\n  container:\n    image: i\n    args: [{inputValue: b}]\n", 5,
     "implementation.container.args[0].inputValue", "not an input"),
    ("implementation:\n  container:\n    image: i\n    args: [{outputPath: o}]\n", 4,
     "implementation.container.args[0].outputPath", "not an output"),
    ("implementation:\n  container:\n    image: i\n    args: [1]\n", 4, "implementation.container.args[0]",
     "expected a string or a placeholder"),
    ("implementation:\n  container:\n    image: i\n    args: [{inputValue: a, x: 1}]\n", 4,
     "implementation.container.args[0]", "exactly one key"),
    ("implementation:\n  container:\n    image: i\n    args: [{if: {then: a}}]\n", 4,
     "implementation.container.args[0].if.cond", "missing required field 'cond'"),
    ("implementation:\n  container:\n    image: i\n    args: [{if: {cond: [a], then: a}}]\n", 4,
     "implementation.container.args[0].if.cond", "a condition is"),
    ("implementation:\n  container:\n    image: i\n    args: [{executorInput: x}]\n", 4,
     "implementation.container.args[0].executorInput", "takes no value"),
    ("implementation:\n  container:\n    image: i\n    env: {A: 1}\n", 4, "implementation.container.env.A",
     "expected a string"),
    ("inputs:\n- {name: a}\n- {name: a}\n", 3, "inputs[1].name", "used twice"),
    ("inputs:\n- {name: a, default: {x: 1}}\n", 2, "inputs[0].default", "a default must be"),
    ("inputs:\n- {name: a, optional: 'yes'}\n", 2, "inputs[0].optional", "expected a boolean"),
    ("outputs: [{name: a}]\nimplementation:\n  container: {image: i, fileOutputs: {b: /b}}\n", 3,
     "implementation.container.fileOutputs.b", "not an output"),
    ("implementation: {container: {image: i}, graph: {tasks: {}}}\n", 1, "implementation", "exactly one of"),
    ("- a\n", 1, None, "must be a mapping"),
    ("name: [\n", None, None, "YAML syntax error"),
])
def test_malformed_specs_name_file_line_and_field(text: str, line: int | None, field: str | None,
                                                  message: str) -> None:
    with pytest.raises(SpecError) as info:
        load_component_text(text, "bad.yaml")
    exc = info.value
    assert exc.file == "bad.yaml"
    assert message in str(exc)
    if line is not None:
        assert exc.line == line
    assert exc.field == field


def test_graph_arguments_and_refs(data_dir: Path) -> None:
    s = load_component(data_dir / "pipeline.yaml")
    assert s.graph is not None
    tasks = s.graph.tasks
    assert list(tasks) == ["produce", "shout", "consume"]
    assert tasks["produce"].arguments == {"text": GraphInputArg("greeting")}
    assert tasks["consume"].arguments["val"] == TaskOutputArg("produce", "out")
    ref = tasks["shout"].component_ref
    assert ref.path == "transform.yaml" and ref.spec is not None and ref.spec.name == "Upper case"
    assert s.graph.output_values == {"final": TaskOutputArg("consume", "result")}


GRAPH = """\
inputs: [{name: g}]
outputs: [{name: o}]
implementation:
  graph:
    tasks:
      a:
        componentRef: {spec: {inputs: [{name: i}], outputs: [{name: o}], implementation: {container: {image: x}}}}
        arguments: {i: %s}
"""


@pytest.mark.parametrize(("argument", "field", "message"), [
    ("{graphInput: {inputName: nope}}", "implementation.graph.tasks.a.arguments.i.graphInput.inputName",
     "not an input of this graph"),
    ("{taskOutput: {taskId: zz, outputName: o}}", "implementation.graph.tasks.a.arguments.i.taskOutput.taskId",
     "not a task of this graph"),
    ("{taskOutput: {taskId: a, outputName: o}}", "implementation.graph.tasks.a", "a cycle"),
    ("[1, 2]", "implementation.graph.tasks.a.arguments.i", "an argument is a constant"),
])
def test_malformed_graphs(argument: str, field: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        load_component_text(GRAPH % argument, "g.yaml")
    assert info.value.field == field
    assert message in str(info.value)


def test_component_ref_needs_something() -> None:
    with pytest.raises(SpecError, match="needs one of"):
        load_component_text("implementation: {graph: {tasks: {a: {componentRef: {}}}}}", "g.yaml")


def test_path_ref_cycle_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("implementation: {graph: {tasks: {t: {componentRef: {path: b.yaml}}}}}")
    (tmp_path / "b.yaml").write_text("implementation: {graph: {tasks: {t: {componentRef: {path: a.yaml}}}}}")
    with pytest.raises(SpecError, match="a cycle"):
        load_component(tmp_path / "a.yaml")
    (tmp_path / "c.yaml").write_text("implementation: {graph: {tasks: {t: {componentRef: {path: gone.yaml}}}}}")
    with pytest.raises(SpecError, match="cannot load 'gone.yaml'.*no such file") as info:
        load_component(tmp_path / "c.yaml")
    assert info.value.field == "implementation.graph.tasks.t.componentRef.path"


def test_missing_file_and_two_documents(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        load_component(tmp_path / "none.yaml")
    with pytest.raises(SpecError, match="exactly one YAML document"):
        load_component_text("name: a\n---\nname: b\n", "two.yaml")


def test_repeated_key_keeps_the_last() -> None:
    s = load_component_text("name: a\nname: b\n", "dup.yaml")
    assert s.name == "b"
