"""A pipeline's values are its data: KFP's driver hands them on as they are. Text that looks like Argo's
`{{…}}` is never expanded, and quotes or newlines in a string never break a condition that compares it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.kfp_v2.helpers import param, pods, submit
from tests.kfp_v2.ir_builder import container, pipeline, task, write
from tests.kfp_v2.test_task_settings import out_file

TRICKY = "{{workflow.name}} {{inputs.parameters.v}} {{=1+1}}"


def _echo() -> dict[str, object]:
    return container('printf "%s" "$0" > "$1"', "{{$.inputs.parameters['v']}}", out_file("Output"),
                     inputs={"v": "STRING"}, outputs={"Output": "STRING"})


def test_braces_in_parameters_outputs_and_loop_items_are_passed_on_as_they_are(tmp_path: Path) -> None:
    make = container('printf "%s" "$0" > "$1"', TRICKY, out_file("Output"), outputs={"Output": "STRING"})
    items = container("printf '%s' \"$0\" > \"$1\"", '["{{workflow.uid}}", "plain"]', out_file("Output"),
                      outputs={"Output": "LIST"})
    loop = {"dag": {"tasks": {"each": task("echo", inputs={"parameters": {"v": {
                "componentInputParameter": "pipelinechannel--items-Output-loop-item"}}}, taskInfo={"name": "each"})}},
            "inputDefinitions": {"parameters": {"pipelinechannel--items-Output": {"parameterType": "LIST"},
                                                "pipelinechannel--items-Output-loop-item": {"parameterType": "STRING"}}}}
    tasks = {
        "make": task("make"),
        "from-output": task("echo", inputs={"parameters": {"v": {"taskOutputParameter": {
            "producerTask": "make", "outputParameterKey": "Output"}}}}, taskInfo={"name": "from-output"}),
        "from-parameter": task("echo", inputs={"parameters": {"v": {"componentInputParameter": "sv"}}},
                               taskInfo={"name": "from-parameter"}),
        "items": task("items"),
        "for-loop-1": {"componentRef": {"name": "comp-for-loop-1"}, "taskInfo": {"name": "for-loop-1"},
                       "dependentTasks": ["items"],
                       "inputs": {"parameters": {"pipelinechannel--items-Output": {"taskOutputParameter": {
                           "producerTask": "items", "outputParameterKey": "Output"}}}},
                       "parameterIterator": {"itemInput": "pipelinechannel--items-Output-loop-item",
                                             "items": {"inputParameter": "pipelinechannel--items-Output"}}},
    }
    doc = pipeline("braces", tasks, {"make": make, "echo": _echo(), "items": items, "for-loop-1": loop},
                   inputs={"sv": {"parameterType": "STRING", "defaultValue": "{{workflow.uid}}"}})
    file = write(tmp_path / "braces.yaml", doc)
    wf = submit(tmp_path / "home", file)
    assert wf["status"]["phase"] == "Succeeded"
    assert param(wf, "from-output") == [TRICKY]
    assert param(wf, "from-parameter") == ["{{workflow.uid}}"]
    assert sorted(param(wf, "each")) == ["plain", "{{workflow.uid}}"]
    given = submit(tmp_path / "home", file, "sv={{workflow.name}}")
    assert param(given, "from-parameter") == ["{{workflow.name}}"]


@pytest.mark.parametrize(("value", "literal", "branch"), [
    ("expected", "'expected'", "then"), ("it's", "'expected'", "else"), ('say "hi"', "'expected'", "else"),
    ("{{workflow.name}}", "'expected'", "else"), ("line\nbreak", "'expected'", "else"),
    ('a "b" c', "'a \"b\" c'", "then"), ("it's", "\"it\\'s\"", "then"),
])
def test_a_condition_compares_any_string(tmp_path: Path, value: str, literal: str, branch: str) -> None:
    """`literal` is the CEL text of the pipeline's own string, quotes and escapes as kfp writes them."""
    cond = "inputs.parameter_values['pipelinechannel--sv'] == " + literal
    then = {"dag": {"tasks": {"then": task("echo", inputs={"parameters": {"v": {"runtimeValue": {
        "constant": "then"}}}}, taskInfo={"name": "then"})}},
            "inputDefinitions": {"parameters": {"pipelinechannel--sv": {"parameterType": "STRING"}}}}
    other = {"dag": {"tasks": {"else": task("echo", inputs={"parameters": {"v": {"runtimeValue": {
        "constant": "else"}}}}, taskInfo={"name": "else"})}},
             "inputDefinitions": {"parameters": {"pipelinechannel--sv": {"parameterType": "STRING"}}}}
    passed = {"parameters": {"pipelinechannel--sv": {"componentInputParameter": "sv"}}}
    tasks = {
        "condition-1": {"componentRef": {"name": "comp-condition-1"}, "taskInfo": {"name": "condition-1"},
                        "inputs": passed, "triggerPolicy": {"condition": cond}},
        "condition-2": {"componentRef": {"name": "comp-condition-2"}, "taskInfo": {"name": "condition-2"},
                        "inputs": passed, "triggerPolicy": {"condition": f"!({cond})"}},
    }
    doc = pipeline("cond", tasks, {"echo": _echo(), "condition-1": then, "condition-2": other},
                   inputs={"sv": {"parameterType": "STRING"}})
    wf = submit(tmp_path / "home", write(tmp_path / "cond.yaml", doc), f"sv={value}")
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    ran = [name for name in ("then", "else") if [n["phase"] for n in pods(wf, name)] == ["Succeeded"]]
    assert ran == [branch]


def test_whole_numbers_in_a_struct_default_arrive_as_integers_and_job_times_are_filled(tmp_path: Path) -> None:
    """kfp.compiler writes every number of the IR as a double (`epochs: 2.0`); KFP's backend hands a
    struct on through protojson, which writes 2.0 as 2, so `range(cfg["epochs"])` works. The job's
    create and schedule time placeholders are the run's creation time (RFC 3339), as KFP's driver sets."""
    show = container('printf "%s|%s|%s" "$0" "$1" "$2" > "$3"', "{{$.inputs.parameters['cfg']}}",
                     "{{$.pipeline_job_create_time_utc}}", "{{$.pipeline_job_schedule_time_utc}}",
                     out_file("Output"), inputs={"cfg": "STRUCT"}, outputs={"Output": "STRING"})
    doc = pipeline("whole", {"show": task("show", inputs={"parameters": {"cfg": {"componentInputParameter": "cfg"}}})},
                   {"show": show}, inputs={"cfg": {"parameterType": "STRUCT", "defaultValue": {
                       "epochs": 2.0, "rate": 0.5, "layers": [1.0, 2.0]}}})
    wf = submit(tmp_path / "home", write(tmp_path / "whole.yaml", doc))
    assert wf["status"]["phase"] == "Succeeded"
    cfg, created, scheduled = param(wf, "show")[0].split("|")
    assert json.loads(cfg) == {"epochs": 2, "rate": 0.5, "layers": [1, 2]}
    assert all(isinstance(v, int) for v in (json.loads(cfg)["epochs"], *json.loads(cfg)["layers"]))
    assert created == scheduled == wf["metadata"]["creationTimestamp"]
