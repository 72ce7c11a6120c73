"""The engine issue's corpus workflows, on the host runtime with the emissary executor.

colored-logs (99 s of output) runs once, in test_control_flow_corpus.py, which checks its log.

Each asserts the phase Argo gives the example and the outputs Argo would record.
"""

from __future__ import annotations

import json

from tests.conftest import CORPUS
from tests.support.runs import run_file

EX = CORPUS / "argo-examples"


def test_hello_world() -> None:
    run = run_file(EX / "hello-world.yaml")
    assert run.phase == "Succeeded", run.message
    (pod,) = run.pods()
    assert run.log(pod).strip() == "hello world"
    assert pod["outputs"]["exitCode"] == "0"
    assert pod["type"] == "Pod" and pod["templateName"] == "hello-world"
    status = run.workflow["status"]
    assert status["phase"] == "Succeeded" and status["startedAt"] and status["finishedAt"]
    assert status["progress"] == "1/1"


def test_steps_run_groups_in_order_and_items_in_parallel() -> None:
    run = run_file(EX / "steps.yaml")
    assert run.phase == "Succeeded", run.message
    h1, h2a, h2b = (run.by_display(n) for n in ("hello1", "hello2a", "hello2b"))
    assert [run.log(n).strip() for n in (h1, h2a, h2b)] == ["hello1", "hello2a", "hello2b"]
    assert h1["finishedAt"] <= h2a["startedAt"] and h1["finishedAt"] <= h2b["startedAt"]
    groups = [n for n in run.nodes.values() if n["type"] == "StepGroup"]
    assert sorted(g["displayName"] for g in groups) == ["[0]", "[1]"]
    root = run.nodes[run.name]
    g0, g1 = sorted(groups, key=lambda g: g["displayName"])
    # Argo's chain: the Steps node holds the first group; each step holds the next group
    assert root["type"] == "Steps" and root["children"] == [g0["id"]]
    assert g0["children"] == [h1["id"]] and h1["children"] == [g1["id"]]
    assert sorted(g1["children"]) == sorted([h2a["id"], h2b["id"]])
    assert sorted(root["outboundNodes"]) == sorted([h2a["id"], h2b["id"]])


def test_arguments_parameters_with_override() -> None:
    run = run_file(EX / "arguments-parameters.yaml")
    assert run.phase == "Succeeded"
    assert run.log(run.pods()[0]).strip() == "hello world"
    run = run_file(EX / "arguments-parameters.yaml", parameters={"message": "goodbye world"})
    assert run.log(run.pods()[0]).strip() == "goodbye world"
    assert run.pods()[0]["inputs"]["parameters"] == [{"name": "message", "value": "goodbye world"}]


def test_output_parameter_passes_between_steps() -> None:
    run = run_file(EX / "output-parameter.yaml")
    assert run.phase == "Succeeded", run.message
    assert run.param("generate-parameter", "hello-param") == "hello world"
    assert run.log(run.by_display("consume-parameter")).strip() == "hello world"


def test_scripts_bash_result() -> None:
    run = run_file(EX / "scripts-bash.yaml")
    assert run.phase == "Succeeded", run.message
    gen = run.by_display("generate")
    value = int(gen["outputs"]["result"])
    assert 0 <= value <= 100
    assert str(value) in run.log(run.by_display("print"))


def test_scripts_python_result() -> None:
    run = run_file(EX / "scripts-python.yaml")
    assert run.phase == "Succeeded", run.message
    value = int(run.by_display("generate")["outputs"]["result"])
    assert 1 <= value <= 100
    assert run.log(run.by_display("print")).strip() == f"result was: {value}"


def test_exit_code_output_variable() -> None:
    run = run_file(EX / "exit-code-output-variable.yaml")
    assert run.phase == "Succeeded", run.message
    failing = run.by_display("failing-container")
    assert failing["phase"] == "Failed" and failing["outputs"]["exitCode"] == "123"
    assert run.log(run.by_display("echo-container")).strip() == "Exit code was: 123"


def test_dag_diamond() -> None:
    run = run_file(EX / "dag-diamond.yaml")
    assert run.phase == "Succeeded", run.message
    a, b, c, d = (run.by_display(n) for n in "ABCD")
    assert a["finishedAt"] <= b["startedAt"] and a["finishedAt"] <= c["startedAt"]
    assert max(b["finishedAt"], c["finishedAt"]) <= d["startedAt"]
    assert [run.log(n).strip() for n in (a, b, c, d)] == ["A", "B", "C", "D"]
    assert run.nodes[run.name]["type"] == "DAG"


def test_dag_multiroot() -> None:
    run = run_file(EX / "dag-multiroot.yaml")
    assert run.phase == "Succeeded", run.message
    assert {n["displayName"] for n in run.pods()} == {"A", "B", "C", "D"}


def test_dag_nested() -> None:
    run = run_file(EX / "dag-nested.yaml")
    assert run.phase == "Succeeded", run.message
    dags = [n for n in run.nodes.values() if n["type"] == "DAG"]
    assert len(dags) >= 2
    assert len(run.pods()) == 16
    logs = sorted(run.log(n).strip() for n in run.pods())
    assert logs == sorted(a + b for a in "ABCD" for b in "ABCD")


def test_dag_targets_runs_only_targets_and_their_dependencies() -> None:
    run = run_file(EX / "dag-targets.yaml")
    assert run.phase == "Succeeded", run.message
    wf_target = next(p["value"] for p in run.workflow["spec"]["arguments"]["parameters"] if p["name"] == "target")
    ran = {n["displayName"] for n in run.pods()}
    assert set(wf_target.split()) <= ran
    run2 = run_file(EX / "dag-targets.yaml", parameters={"target": "A"})
    assert {n["displayName"] for n in run2.pods()} == {"A"}


def test_global_parameters() -> None:
    run = run_file(EX / "global-parameters.yaml", parameters={"message": "from the command line"})
    assert run.phase == "Succeeded"
    assert run.log(run.pods()[0]).strip() == "from the command line"


def test_pod_metadata_is_stored_with_the_run() -> None:
    run = run_file(EX / "pod-metadata.yaml")
    assert run.phase == "Succeeded"
    pod = run.pods()[0]
    assert pod["podMetadata"]["labels"]["app"] == "print-message"
    assert pod["podMetadata"]["annotations"]["iam.amazonaws.com/role"] == "role-arn"


def test_title_and_description_with_markdown() -> None:
    run = run_file(EX / "title-and-description-with-markdown.yaml")
    assert run.phase == "Succeeded", run.message
    ann = run.workflow["metadata"].get("annotations") or {}
    assert "workflows.argoproj.io/title" in ann


def test_get_json_is_an_argo_workflow_object() -> None:
    run = run_file(EX / "output-parameter.yaml")
    wf = json.loads(json.dumps(run.workflow))
    assert wf["kind"] == "Workflow" and wf["metadata"]["name"] == run.name
    for nid, node in wf["status"]["nodes"].items():
        assert node["id"] == nid
        assert {"displayName", "type", "phase", "startedAt"} <= node.keys()
