"""KFP v2 control flow, each on a small pipeline of its own: exit handlers with PipelineTaskFinalStatus,
ParallelFor with a parallelism limit and nested, and node names as KFP shows the tasks."""

from __future__ import annotations

import json
from pathlib import Path

from tests.kfp_v2.helpers import param, pods, submit
from tests.kfp_v2.ir_builder import container, pipeline, task, write
from tests.kfp_v2.test_task_settings import WS, out_file

EXIT_NODE = "exit-handler-1.onExit"  # the exit task runs as the group's exit hook


def _exit_handler_pipeline(tmp_path: Path, inner_exit_code: int) -> Path:
    work = container(f"echo working; exit {inner_exit_code}")
    echo_state = container('printf "%s" "$0" > "$1"', "{{$.inputs.parameters['status']}}", out_file("seen"),
                           inputs={"status": "TASK_FINAL_STATUS"}, outputs={"seen": "STRUCT"})
    handler = {"dag": {"tasks": {"work": task("work")}}}
    tasks = {
        "exit-handler-1": {"componentRef": {"name": "comp-exit-handler-1"}, "taskInfo": {"name": "exit-handler-1"}},
        "echo-state": task("echo-state", dependentTasks=["exit-handler-1"],
                           triggerPolicy={"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"},
                           inputs={"parameters": {"status": {"taskFinalStatus": {"producerTask": "exit-handler-1"}}}}),
    }
    doc = pipeline("status-pipeline", tasks, {"work": work, "echo-state": echo_state, "exit-handler-1": handler})
    return write(tmp_path / f"exit-{inner_exit_code}.yaml", doc)


def test_exit_handler_runs_after_a_failure_and_sees_it(tmp_path: Path) -> None:
    wf = submit(tmp_path / "home", _exit_handler_pipeline(tmp_path, 1))
    assert [n["phase"] for n in pods(wf, "work")] == ["Failed"]
    assert [n["phase"] for n in pods(wf, EXIT_NODE)] == ["Succeeded"]
    seen = json.loads(param(wf, EXIT_NODE, "seen")[0])
    assert seen["state"] == "FAILED" and seen["pipelineTaskName"] == "exit-handler-1"
    assert seen["pipelineJobResourceName"] == wf["metadata"]["name"] and seen["error"]["message"]
    assert wf["status"]["phase"] == "Failed"  # as in KFP: the exit task ran, the pipeline still failed


def test_exit_handler_after_success_sees_complete(tmp_path: Path) -> None:
    wf = submit(tmp_path / "home", _exit_handler_pipeline(tmp_path, 0))
    assert wf["status"]["phase"] == "Succeeded"
    seen = json.loads(param(wf, EXIT_NODE, "seen")[0])
    assert seen["state"] == "COMPLETE" and "error" not in seen


def test_parallel_for_keeps_to_its_parallelism_and_collects_outputs(tmp_path: Path) -> None:
    step = container('echo "start $(date +%s.%N)" >> "$0/log-$1"; sleep 0.6; echo "end $(date +%s.%N)" >> "$0/log-$1";'
                     ' printf "%s" "$(($1 * 10))" > "$2"', WS, "{{$.inputs.parameters['item']}}", out_file("Output"),
                     inputs={"item": "NUMBER_INTEGER"}, outputs={"Output": "NUMBER_INTEGER"})
    total = container('printf "%s" "$0" > "$1"', "{{$.inputs.parameters['values']}}", out_file("Output"),
                      inputs={"values": "LIST"}, outputs={"Output": "STRING"})
    loop = {"dag": {"tasks": {"step": task("step", inputs={"parameters": {"item": {
                "componentInputParameter": "pipelinechannel--loop-item-param-1"}}})},
                    "outputs": {"parameters": {"pipelinechannel--step-Output": {"valueFromParameter": {
                        "producerSubtask": "step", "outputParameterKey": "Output"}}}}},
            "inputDefinitions": {"parameters": {"pipelinechannel--loop-item-param-1": {"parameterType": "STRING"}}},
            "outputDefinitions": {"parameters": {"pipelinechannel--step-Output": {"parameterType": "LIST"}}}}
    tasks = {
        "for-loop-1": {"componentRef": {"name": "comp-for-loop-1"}, "taskInfo": {"name": "for-loop-1"},
                       "parameterIterator": {"itemInput": "pipelinechannel--loop-item-param-1",
                                             "items": {"raw": "[1, 2, 3, 4, 5, 6]"}},
                       "iteratorPolicy": {"parallelismLimit": 2}},
        "total": task("total", dependentTasks=["for-loop-1"], inputs={"parameters": {"values": {
            "taskOutputParameter": {"producerTask": "for-loop-1", "outputParameterKey": "pipelinechannel--step-Output"}}}}),
    }
    doc = pipeline("loop", tasks, {"step": step, "total": total, "for-loop-1": loop})
    home = tmp_path / "home"
    wf = submit(home, write(tmp_path / "loop.yaml", doc))
    assert wf["status"]["phase"] == "Succeeded"
    assert sorted(json.loads(param(wf, "total")[0])) == [10, 20, 30, 40, 50, 60]  # Collected, typed
    workspace = next((home / "kfp" / "runs").glob("*/workspace"))
    spans = []
    for log in workspace.glob("log-*"):
        lines = dict(line.split() for line in log.read_text().splitlines())
        spans.append((float(lines["start"]), float(lines["end"])))
    assert len(spans) == 6
    most = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert most <= 2, spans


def test_nested_parallel_for_over_a_literal_and_a_pipeline_parameter(tmp_path: Path) -> None:
    step = container('printf "%s-%s" "$0" "$1" > "$2"', "{{$.inputs.parameters['n']}}",
                     "{{$.inputs.parameters['letter']}}", out_file("Output"),
                     inputs={"n": "NUMBER_INTEGER", "letter": "STRING"}, outputs={"Output": "STRING"})
    item, letter = "pipelinechannel--loop-item-param-1", "pipelinechannel--letters-loop-item"
    inner = {"dag": {"tasks": {"step": task("step", inputs={"parameters": {
                "n": {"componentInputParameter": item}, "letter": {"componentInputParameter": letter}}})}},
             "inputDefinitions": {"parameters": {item: {"parameterType": "NUMBER_INTEGER"},
                                                 letter: {"parameterType": "STRING"},
                                                 "pipelinechannel--letters": {"parameterType": "LIST"}}}}
    outer = {"dag": {"tasks": {"for-loop-4": {
                "componentRef": {"name": "comp-for-loop-4"}, "taskInfo": {"name": "for-loop-4"},
                "inputs": {"parameters": {"pipelinechannel--letters": {"componentInputParameter":
                                                                       "pipelinechannel--letters"},
                                          item: {"componentInputParameter": item}}},
                "parameterIterator": {"itemInput": letter, "items": {"inputParameter": "pipelinechannel--letters"}},
                "iteratorPolicy": {"parallelismLimit": 1}}}},
             "inputDefinitions": {"parameters": {item: {"parameterType": "NUMBER_INTEGER"},
                                                 "pipelinechannel--letters": {"parameterType": "LIST"}}}}
    tasks = {"for-loop-2": {"componentRef": {"name": "comp-for-loop-2"}, "taskInfo": {"name": "for-loop-2"},
                            "inputs": {"parameters": {"pipelinechannel--letters": {
                                "componentInputParameter": "letters"}}},
                            "parameterIterator": {"itemInput": item, "items": {"raw": "[1, 2]"}}}}
    doc = pipeline("nested", tasks, {"step": step, "for-loop-4": inner, "for-loop-2": outer},
                   inputs={"letters": {"parameterType": "LIST", "defaultValue": ["a", "b"]}})
    file = write(tmp_path / "nested.yaml", doc)
    wf = submit(tmp_path / "home", file)
    assert wf["status"]["phase"] == "Succeeded"
    assert sorted(param(wf, "step")) == ["1-a", "1-b", "2-a", "2-b"]
    wf = submit(tmp_path / "home", file, 'letters=["x"]')
    assert sorted(param(wf, "step")) == ["1-x", "2-x"]


def test_nodes_are_named_as_kfp_shows_the_tasks(tmp_path: Path) -> None:
    make = container('printf hello > "$0"', out_file("Output"), outputs={"Output": "STRING"})
    echo = container('printf "%s!" "$0" > "$1"', "{{$.inputs.parameters['text']}}", out_file("Output"),
                     inputs={"text": "STRING"}, outputs={"Output": "STRING"})
    tasks = {"make": dict(task("make"), taskInfo={"name": "make-greeting"}),
             "echo": dict(task("echo", after=["make"]), taskInfo={"name": "Shout it"}, inputs={"parameters": {
                 "text": {"taskOutputParameter": {"producerTask": "make", "outputParameterKey": "Output"}}}})}
    wf = submit(tmp_path / "home", write(tmp_path / "names.yaml", pipeline("names", tasks, {"make": make,
                                                                                              "echo": echo})))
    assert wf["status"]["phase"] == "Succeeded"
    assert param(wf, "make-greeting") == ["hello"]  # set_display_name("make-greeting")
    assert param(wf, "echo") == ["hello!"]  # "Shout it" is no Argo task name: the task keeps its own


def test_ignore_upstream_failure_runs_the_task_after_a_failed_one(tmp_path: Path) -> None:
    fail = container("echo failing; exit 2")
    done = container('printf ran > "$0"', out_file("Output"), outputs={"Output": "STRING"})
    tasks = {"fail": task("fail"),
             # .ignore_upstream_failure(): runs once its upstream ended, however it ended
             "cleanup": task("cleanup", after=["fail"], triggerPolicy={"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"}),
             "next": task("next", after=["fail"])}
    doc = pipeline("ignore-failure", tasks, {"fail": fail, "cleanup": done, "next": done})
    wf = submit(tmp_path / "home", write(tmp_path / "ignore.yaml", doc))
    assert [n["phase"] for n in pods(wf, "fail")] == ["Failed"]
    assert param(wf, "cleanup") == ["ran"]
    assert pods(wf, "next") == []  # without it, a failed upstream stops the task
