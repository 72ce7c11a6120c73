"""Compiling components to Argo Workflows: KFP's v1 shapes, and workflows our engine's linter accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.kfp.conftest import COMPONENTS, CORPUS
from wfexec.errors import SpecError
from wfexec.kfp import compile_component, component_outputs, load_component, load_component_text
from wfexec.spec.document import Document
from wfexec.spec.lint import lint_documents


def lint(workflow: dict[str, Any]) -> list[str]:
    return [str(i) for i in lint_documents([Document(data=workflow, file="compiled", index=0, kind="Workflow")])]


def templates(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in workflow["spec"]["templates"]}


CONTAINER = """\
name: Count words
inputs:
- {name: text}
- {name: mode, type: String, default: fast}
outputs:
- {name: count}
implementation:
  container:
    image: alpine
    command: [sh, -ec, 'wc -w < "$0" > "$1"', {inputPath: text}, {outputPath: count}]
    args: [--mode, {inputValue: mode}]
    env: {LANG: C}
"""


def test_container_component_with_constant_input_path_gets_a_raw_artifact() -> None:
    wf = compile_component(load_component_text(CONTAINER, "c.yaml"), {"text": "one two three"})
    assert wf["kind"] == "Workflow" and wf["metadata"]["generateName"] == "count-words-"
    assert wf["spec"]["entrypoint"] == "count-words"
    (t,) = wf["spec"]["templates"]
    assert t["inputs"] == {"artifacts": [{"name": "text", "path": "/tmp/inputs/text/data",
                                          "raw": {"data": "one two three"}}]}
    assert t["outputs"] == {"artifacts": [{"name": "count-words-count", "path": "/tmp/outputs/count/data"}]}
    c = t["container"]
    assert c["command"][:3] == ["sh", "-c", 'mkdir -p -- /tmp/outputs/count && exec "$0" "$@"']
    assert c["command"][3:] == ["sh", "-ec", 'wc -w < "$0" > "$1"', "/tmp/inputs/text/data", "/tmp/outputs/count/data"]
    assert c["args"] == ["--mode", "fast"]
    assert c["env"] == [{"name": "LANG", "value": "C"}]
    assert lint(wf) == []


def test_output_dirs_annotate_leaves_the_command_alone() -> None:
    wf = compile_component(load_component_text(CONTAINER, "c.yaml"), {"text": "x"}, name="My Run",
                           output_dirs="annotate")
    (t,) = wf["spec"]["templates"]
    assert t["container"]["command"][0:2] == ["sh", "-ec"]
    assert json.loads(t["metadata"]["annotations"]["wfexec.io/output-dirs"]) == ["/tmp/outputs/count"]
    assert wf["metadata"]["generateName"] == "my-run-"


def test_component_without_command_cannot_be_wrapped_and_is_annotated() -> None:
    s = load_component_text("outputs: [{name: o}]\nimplementation: {container: {image: i, args: [{outputPath: o}]}}",
                            "n.yaml")
    (t,) = compile_component(s)["spec"]["templates"]
    assert "command" not in t["container"] and t["container"]["args"] == ["/tmp/outputs/o/data"]
    assert t["metadata"]["annotations"]["wfexec.io/output-dirs"] == '["/tmp/outputs/o"]'
    assert t["name"] == "component"


def test_three_component_graph_is_a_dag_with_artifact_and_parameter_passing(data_dir: Path) -> None:
    wf = compile_component(load_component(data_dir / "pipeline.yaml"), {"greeting": "yo"})
    assert wf["spec"]["entrypoint"] == "three-steps"
    ts = templates(wf)
    assert list(ts) == ["three-steps", "produce-text", "upper-case", "consume"]
    dag = {t["name"]: t for t in ts["three-steps"]["dag"]["tasks"]}
    assert "dependencies" not in dag["produce-text"]
    assert dag["upper-case"] == {
        "name": "upper-case", "template": "upper-case", "dependencies": ["produce-text"],
        "arguments": {"artifacts": [{"name": "produce-text-blob",
                                     "from": "{{tasks.produce-text.outputs.artifacts.produce-text-blob}}"}]}}
    assert dag["consume"]["dependencies"] == ["produce-text", "upper-case"]
    assert dag["consume"]["arguments"] == {
        "parameters": [{"name": "produce-text-out",
                        "value": "{{tasks.produce-text.outputs.parameters.produce-text-out}}"}],
        "artifacts": [{"name": "upper-case-upper", "from": "{{tasks.upper-case.outputs.artifacts.upper-case-upper}}"}]}
    # The producer exports `out` as a parameter too, because `consume` reads it by value.
    assert ts["produce-text"]["outputs"]["parameters"] == [
        {"name": "produce-text-out", "valueFrom": {"path": "/tmp/outputs/out/data"}}]
    assert ts["produce-text"]["container"]["command"][6] == "yo"
    assert ts["consume"]["inputs"] == {"parameters": [{"name": "produce-text-out"}],
                                       "artifacts": [{"name": "upper-case-upper", "path": "/tmp/inputs/data/data"}]}
    assert "{{inputs.parameters.produce-text-out}}" in ts["consume"]["container"]["command"]
    assert ts["three-steps"]["outputs"] == {
        "artifacts": [{"name": "final", "from": "{{tasks.consume.outputs.artifacts.consume-result}}"}]}
    assert lint(wf) == []


def _kfp_produce_consume() -> tuple[dict[str, Any], str]:
    """KFP 1.8.22's compiled `produce_consume` pipeline, and a graph component built from its own specs."""
    compiled = YAML(typ="safe").load((CORPUS / "kfp-compiled-argo/kfp1.8-sdk-generated/produce_consume.yaml").read_text())
    specs = {t["name"]: json.loads(t["metadata"]["annotations"]["pipelines.kubeflow.org/component_spec"])
             for t in compiled["spec"]["templates"] if "container" in t}
    graph = {
        "name": "Pipe",
        "inputs": [{"name": "text", "type": "String", "default": "hi"}],
        "implementation": {"graph": {"tasks": {
            "produce": {"componentRef": {"spec": specs["produce"]},
                        "arguments": {"text": {"graphInput": {"inputName": "text"}}}},
            "consume": {"componentRef": {"spec": specs["consume"]},
                        "arguments": {"val": {"taskOutput": {"taskId": "produce", "outputName": "out"}},
                                      "data": {"taskOutput": {"taskId": "produce", "outputName": "blob"}}}},
        }}},
    }
    return compiled, json.dumps(graph)


def test_graph_matches_what_kfps_v1_compiler_emitted() -> None:
    compiled, graph = _kfp_produce_consume()
    ours = templates(compile_component(load_component_text(graph, "pipe.json")))
    theirs = templates(compiled)
    by_name = lambda items: {i["name"]: i for i in items}  # noqa: E731
    for name in ("produce", "consume"):
        for side in ("inputs", "outputs"):
            for kind in ("parameters", "artifacts"):
                if (name, side, kind) == ("produce", "inputs", "parameters"):
                    continue  # KFP passed the pipeline parameter `text`; we inline its known value
                assert by_name(ours[name].get(side, {}).get(kind, [])) == \
                    by_name(theirs[name].get(side, {}).get(kind, [])), (name, side, kind)
    # Same command once our mkdir wrapper is taken off (KFP's pipeline parameter became its value here).
    assert ours["consume"]["container"]["command"][3:] == theirs["consume"]["container"]["command"]
    expected = [c.replace("{{inputs.parameters.text}}", "hi") for c in theirs["produce"]["container"]["command"]]
    assert ours["produce"]["container"]["command"][3:] == expected
    ours_dag = {t["name"]: t for t in ours["pipe"]["dag"]["tasks"]}
    theirs_dag = {t["name"]: t for t in theirs["pipe"]["dag"]["tasks"]}
    assert ours_dag["consume"]["arguments"] == theirs_dag["consume"]["arguments"]
    assert ours_dag["consume"]["dependencies"] == theirs_dag["consume"]["dependencies"]


def test_repeated_component_gets_suffixed_names() -> None:
    child = {"name": "Echo", "inputs": [{"name": "m"}], "outputs": [{"name": "o"}],
             "implementation": {"container": {"image": "alpine",
                                               "command": ["sh", "-c", 'echo "$0" > "$1"', {"inputValue": "m"},
                                                           {"outputPath": "o"}]}}}
    graph = {"name": "Echo", "outputs": [{"name": "last"}], "implementation": {"graph": {"tasks": {
        "a": {"componentRef": {"spec": child}, "arguments": {"m": "x"}},
        "b": {"componentRef": {"spec": child}, "arguments": {"m": {"taskOutput": {"taskId": "a", "outputName": "o"}}}},
    }, "outputValues": {"last": {"taskOutput": {"taskId": "b", "outputName": "o"}}}}}}
    wf = compile_component(load_component_text(json.dumps(graph), "g.json"))
    assert [t["name"] for t in wf["spec"]["templates"]] == ["echo", "echo-2", "echo-3"]
    assert wf["spec"]["entrypoint"] == "echo"
    dag = wf["spec"]["templates"][0]["dag"]["tasks"]
    assert dag[1]["arguments"]["parameters"] == [{"name": "echo-2-o",
                                                  "value": "{{tasks.echo-2.outputs.parameters.echo-2-o}}"}]
    assert lint(wf) == []


def test_nested_graph_is_flattened_and_retry_is_carried() -> None:
    leaf = {"name": "Leaf", "inputs": [{"name": "i", "optional": True}], "outputs": [{"name": "o"}],
            "implementation": {"container": {"image": "a", "command": ["true", {"outputPath": "o"}]}}}
    inner = {"name": "Inner", "inputs": [{"name": "x"}], "outputs": [{"name": "y"}],
             "implementation": {"graph": {"tasks": {"l": {"componentRef": {"spec": leaf},
                                                          "arguments": {"i": {"graphInput": {"inputName": "x"}}}}},
                                          "outputValues": {"y": {"taskOutput": {"taskId": "l", "outputName": "o"}}}}}}
    outer = {"name": "Outer", "implementation": {"graph": {"tasks": {
        "in1": {"componentRef": {"spec": inner}, "arguments": {"x": "v"},
                "executionOptions": {"retryStrategy": {"maxRetries": 2}}},
        "use": {"componentRef": {"spec": leaf}, "arguments": {"i": {"taskOutput": {"taskId": "in1", "outputName": "y"}}}},
    }}}}
    wf = compile_component(load_component_text(json.dumps(outer), "o.json"))
    ts = templates(wf)
    assert list(ts) == ["outer", "leaf", "leaf-2"]
    assert ts["leaf"]["retryStrategy"] == {"limit": "2"} and "retryStrategy" not in ts["leaf-2"]
    # `use` never reads its input, so nothing flows, but the ordering is kept.
    assert ts["outer"]["dag"]["tasks"][1]["dependencies"] == ["leaf"]
    assert lint(wf) == []


@pytest.mark.parametrize(("task", "message"), [
    ({"componentRef": {"url": "https://example.com/c.yaml"}}, "cannot be fetched here"),
    ({"componentRef": {"spec": {"implementation": {"container": {"image": "a"}}}}, "isEnabled": {"==": ["a", "a"]}},
     "isEnabled is not supported"),
    ({"componentRef": {"spec": {"implementation": {"container": {"image": "a"}}}}, "arguments": {"nope": "1"}},
     "has no input 'nope'"),
])
def test_graph_compile_errors(task: dict[str, Any], message: str) -> None:
    spec = load_component_text(json.dumps({"implementation": {"graph": {"tasks": {"t": task}}}}), "g.json")
    with pytest.raises(SpecError, match=message) as info:
        compile_component(spec)
    assert info.value.file == "g.json" and info.value.field.startswith("implementation.graph.tasks['t']")


def test_empty_graph_is_refused() -> None:
    with pytest.raises(SpecError, match="no tasks") as info:
        compile_component(load_component_text("implementation: {graph: {tasks: {}}}", "e.yaml"))
    assert info.value.field == "implementation.graph.tasks"


def test_graph_output_from_a_graph_input_is_a_parameter() -> None:
    child = {"name": "C", "implementation": {"container": {"image": "a", "command": ["true"]}}}
    graph = {"name": "G", "inputs": [{"name": "x"}], "outputs": [{"name": "y"}], "implementation": {"graph": {
        "tasks": {"t": {"componentRef": {"spec": child}}},
        "outputValues": {"y": {"graphInput": {"inputName": "x"}}}}}}
    wf = compile_component(load_component_text(json.dumps(graph), "g.json"), {"x": "v"})
    assert wf["spec"]["templates"][0]["outputs"] == {"parameters": [{"name": "y", "value": "v"}]}
    assert json.loads(wf["metadata"]["annotations"]["wfexec.io/kfp-outputs"]) == {"y": {"parameter": "y"}}
    assert lint(wf) == []


def test_if_on_a_task_output_is_refused() -> None:
    producer = {"name": "P", "outputs": [{"name": "o"}],
                "implementation": {"container": {"image": "a", "command": ["x", {"outputPath": "o"}]}}}
    consumer = {"name": "C", "inputs": [{"name": "flag"}],
                "implementation": {"container": {"image": "a", "args": [{"if": {"cond": {"inputValue": "flag"},
                                                                               "then": ["yes"]}}]}}}
    graph = {"implementation": {"graph": {"tasks": {
        "p": {"componentRef": {"spec": producer}},
        "c": {"componentRef": {"spec": consumer}, "arguments": {"flag": {"taskOutput": {"taskId": "p", "outputName": "o"}}}},
    }}}}
    with pytest.raises(SpecError, match="only known at run time") as info:
        compile_component(load_component_text(json.dumps(graph), "g.json"))
    assert info.value.field == "implementation.graph.tasks['c'].componentRef.spec.implementation.container.args[0].if.cond"


def test_reading_an_output_the_producer_never_writes_is_refused() -> None:
    producer = {"name": "P", "outputs": [{"name": "o"}], "implementation": {"container": {"image": "a"}}}
    consumer = {"name": "C", "inputs": [{"name": "f"}],
                "implementation": {"container": {"image": "a", "args": [{"inputPath": "f"}]}}}
    graph = {"implementation": {"graph": {"tasks": {
        "p": {"componentRef": {"spec": producer}},
        "c": {"componentRef": {"spec": consumer}, "arguments": {"f": {"taskOutput": {"taskId": "p", "outputName": "o"}}}},
    }}}}
    with pytest.raises(SpecError, match="never writes it"):
        compile_component(load_component_text(json.dumps(graph), "g.json"))


def test_component_outputs_reads_the_root_node(data_dir: Path) -> None:
    wf = compile_component(load_component(data_dir / "pipeline.yaml"))
    artifact = {"name": "final", "path": "/tmp/outputs/result/data", "s3": {"key": "k", "bucket": "b"}}
    run = {**wf, "metadata": {**wf["metadata"], "name": "three-steps-abcde"},
           "status": {"nodes": {
               "three-steps-abcde": {"templateName": "three-steps", "outputs": {"artifacts": [artifact]}},
               "three-steps-abcde-1": {"templateName": "consume", "boundaryID": "three-steps-abcde",
                                       "outputs": {"artifacts": [{"name": "consume-result"}]}}}}}
    assert component_outputs(run) == {"final": {"artifact": artifact, "location": "s3://b/k"}}
    assert component_outputs({**run, "status": {"nodes": {}}}) == {}


def test_value_outputs_are_read_as_parameters_only_when_asked(data_dir: Path) -> None:
    """`run-component` reads typed outputs as values too; `compile-component` keeps KFP's shape."""
    plain = compile_component(load_component(data_dir / "producer.yaml"))
    assert "parameters" not in plain["spec"]["templates"][0]["outputs"]
    wf = compile_component(load_component(data_dir / "producer.yaml"), value_outputs=True)
    tmpl = wf["spec"]["templates"][0]
    assert tmpl["outputs"]["parameters"] == [{"name": "produce-text-out",
                                              "valueFrom": {"path": "/tmp/outputs/out/data"}}]
    exported = json.loads(wf["metadata"]["annotations"]["wfexec.io/kfp-outputs"])
    assert exported == {"out": {"artifact": "produce-text-out", "parameter": "produce-text-out"},
                        "blob": {"artifact": "produce-text-blob"}}


def test_graph_value_output_comes_up_through_the_dag(tmp_path: Path, data_dir: Path) -> None:
    graph = {"name": "G", "outputs": [{"name": "said", "type": "String"}, {"name": "file"}],
             "implementation": {"graph": {"tasks": {"p": {"componentRef": {"path": str(data_dir / "producer.yaml")},
                                                          "arguments": {"text": "x"}}},
                                          "outputValues": {"said": {"taskOutput": {"taskId": "p", "outputName": "out"}},
                                                           "file": {"taskOutput": {"taskId": "p",
                                                                                   "outputName": "blob"}}}}}}
    wf = compile_component(load_component_text(json.dumps(graph), str(tmp_path / "g.json")), value_outputs=True)
    dag = wf["spec"]["templates"][0]
    assert dag["outputs"]["parameters"] == [
        {"name": "said", "valueFrom": {"parameter": "{{tasks.produce-text.outputs.parameters.produce-text-out}}"}}]
    producer = wf["spec"]["templates"][1]
    assert [p["name"] for p in producer["outputs"]["parameters"]] == ["produce-text-out"]
    exported = json.loads(wf["metadata"]["annotations"]["wfexec.io/kfp-outputs"])
    assert exported == {"said": {"artifact": "said", "parameter": "said"}, "file": {"artifact": "file"}}


def test_every_loadable_corpus_spec_compiles_and_lints_clean() -> None:
    compiled = refused = 0
    for path in sorted(COMPONENTS.rglob("*.yaml")):
        try:
            spec = load_component(path)
        except SpecError:
            continue
        try:
            wf = compile_component(spec, {i.name: f"<{i.name}>" for i in spec.inputs})
        except SpecError as exc:
            # Only graphs whose components live behind a URL/digest, which cannot be fetched here.
            assert "cannot be fetched here" in str(exc), path
            refused += 1
            continue
        assert lint(wf) == [], path
        shown = compile_component(spec, {i.name: f"<{i.name}>" for i in spec.inputs}, value_outputs=True)
        assert lint(shown) == [], path  # as run-component compiles it
        compiled += 1
    assert (compiled, refused) == (359, 4)
