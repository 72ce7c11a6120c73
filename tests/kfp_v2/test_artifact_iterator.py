"""ParallelFor over a list of artifacts (`artifactIterator`), as KFP's driver runs it: one iteration per
artifact of the list, each given that one artifact; here the list is a sub-pipeline's input, filled by
`dsl.Collected` of a loop's artifacts (the IR kfp 2.17 writes for it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.kfp_v2.helpers import param, submit, wfexec
from tests.kfp_v2.ir_builder import container, pipeline, task, write
from tests.kfp_v2.test_task_settings import out_file

DATASET = {"artifactType": {"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"}}
ITEM = "pipelinechannel--dss-loop-item"


def _iterating_pipeline(tmp_path: Path, inputs_artifact: str = "pipelinechannel--dss") -> Path:
    make = container('printf "%s" "$0" > "$1"', "{{$.inputs.parameters['text']}}",
                     "{{$.outputs.artifacts['out'].path}}", inputs={"text": "STRING"})
    make["outputDefinitions"] = {"artifacts": {"out": DATASET}}
    read = container('printf "%s:%s" "$(cat "$0")" "$(basename "$1")" > "$2"', "{{$.inputs.artifacts['ds'].path}}",
                     "{{$.inputs.artifacts['ds'].uri}}", out_file("Output"), outputs={"Output": "STRING"})
    read["inputDefinitions"] = {"artifacts": {"ds": DATASET}}
    join = container('printf "%s" "$0" > "$1"', "{{$.inputs.parameters['texts']}}", out_file("Output"),
                     inputs={"texts": "LIST"}, outputs={"Output": "STRING"})
    make_loop = {
        "dag": {"tasks": {"make": task("make", inputs={"parameters": {"text": {
                    "componentInputParameter": "pipelinechannel--loop-item-param-1"}}})},
                "outputs": {"artifacts": {"pipelinechannel--make-out": {"artifactSelectors": [
                    {"outputArtifactKey": "out", "producerSubtask": "make"}]}}}},
        "inputDefinitions": {"parameters": {"pipelinechannel--loop-item-param-1": {"parameterType": "STRING"}}},
        "outputDefinitions": {"artifacts": {"pipelinechannel--make-out": {**DATASET, "isArtifactList": True}}}}
    read_loop = {
        "dag": {"tasks": {"read": task("read", inputs={"artifacts": {"ds": {"componentInputArtifact": ITEM}}})},
                "outputs": {"parameters": {"pipelinechannel--read-Output": {"valueFromParameter": {
                    "producerSubtask": "read", "outputParameterKey": "Output"}}}}},
        "inputDefinitions": {"artifacts": {"pipelinechannel--dss": {**DATASET, "isArtifactList": True},
                                           ITEM: DATASET}},
        "outputDefinitions": {"parameters": {"pipelinechannel--read-Output": {"parameterType": "LIST"}}}}
    inner = {
        "dag": {"tasks": {"for-loop-1": {
                    "componentRef": {"name": "comp-for-loop-1"}, "taskInfo": {"name": "for-loop-1"},
                    "artifactIterator": {"itemInput": ITEM, "items": {"inputArtifact": inputs_artifact}},
                    "iteratorPolicy": {"parallelismLimit": 2},
                    "inputs": {"artifacts": {"pipelinechannel--dss": {"componentInputArtifact": "dss"}}}}},
                "outputs": {"parameters": {"Output": {"valueFromParameter": {
                    "producerSubtask": "for-loop-1", "outputParameterKey": "pipelinechannel--read-Output"}}}}},
        "inputDefinitions": {"artifacts": {"dss": {**DATASET, "isArtifactList": True}}},
        "outputDefinitions": {"parameters": {"Output": {"parameterType": "LIST"}}}}
    tasks: dict[str, Any] = {
        "for-loop-2": {"componentRef": {"name": "comp-for-loop-2"}, "taskInfo": {"name": "for-loop-2"},
                       "parameterIterator": {"itemInput": "pipelinechannel--loop-item-param-1",
                                             "items": {"raw": '["a", "b", "c"]'}}},
        "inner": task("inner", after=["for-loop-2"], inputs={"artifacts": {"dss": {"taskOutputArtifact": {
            "producerTask": "for-loop-2", "outputArtifactKey": "pipelinechannel--make-out"}}}}),
        "join": task("join", after=["inner"], inputs={"parameters": {"texts": {"taskOutputParameter": {
            "producerTask": "inner", "outputParameterKey": "Output"}}}}),
    }
    doc = pipeline("artifact-iterator", tasks, {"make": make, "read": read, "join": join, "for-loop-2": make_loop,
                                                "for-loop-1": read_loop, "inner": inner})
    return write(tmp_path / "iterate.yaml", doc)


def test_parallel_for_over_collected_artifacts_gives_each_iteration_one(tmp_path: Path) -> None:
    wf = submit(tmp_path / "home", _iterating_pipeline(tmp_path))
    assert wf["status"]["phase"] == "Succeeded"
    # each iteration read one artifact, its own file (the URI's last part is the output's name)
    assert sorted(param(wf, "read")) == ["a:out", "b:out", "c:out"]
    assert sorted(json.loads(param(wf, "join")[0])) == ["a:out", "b:out", "c:out"]


def test_an_artifact_iterator_over_no_input_artifact_is_refused(tmp_path: Path) -> None:
    path = _iterating_pipeline(tmp_path, inputs_artifact="pipelinechannel--nothing")
    proc = wfexec(tmp_path / "home", "lint", "-o", "simple", str(path))
    field = "components.comp-inner.dag.tasks.for-loop-1.artifactIterator.items.inputArtifact"
    assert proc.returncode == 1 and f"{path}: {field}: " in proc.stdout, proc.stdout
    assert "expected one of the task's input artifacts, not 'pipelinechannel--nothing'" in proc.stdout
