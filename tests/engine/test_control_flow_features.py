"""Control-flow features beyond the corpus list: template references, suspend/resume, retry,
resubmit, deadlines, parallelism, and clear errors for bad expressions and variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import CORPUS
from tests.support.runs import run_file, run_workflow

EX = CORPUS / "argo-examples"
WT = EX / "workflow-template"


def _wf(templates: list[dict], entry: str = "main", **spec: object) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "t-"},
            "spec": {"entrypoint": entry, "templates": templates, **spec}}


def _shared(wf: dict, host_dir: Path) -> dict:
    """Give every container a hostPath volume at /shared: the sandbox hides the host's /tmp."""
    wf["spec"]["volumes"] = [{"name": "shared", "hostPath": {"path": str(host_dir)}}]
    for t in wf["spec"]["templates"]:
        if "container" in t:
            t["container"]["volumeMounts"] = [{"name": "shared", "mountPath": "/shared"}]
    return wf


def _c(name: str, script: str, **extra: object) -> dict:
    return {"name": name, "container": {"image": "busybox", "command": ["sh", "-c", script]}, **extra}


@pytest.mark.parametrize("name", ["workflow-template-ref", "dag", "steps", "hello-world"])
def test_template_references_resolve_from_loaded_workflow_templates(name: str) -> None:
    path = WT / f"{name}.yaml"
    run = run_file(path, templates=[WT / "templates.yaml"])
    assert run.phase == "Succeeded", run.message
    assert run.pods()


def test_workflow_template_ref_with_entrypoint_and_arguments() -> None:
    run = run_file(WT / "workflow-template-ref-with-entrypoint-arg-passing.yaml", templates=[WT / "templates.yaml"])
    assert run.phase == "Succeeded", run.message


def test_unknown_template_ref_is_a_clear_error(tmp_path: Path) -> None:
    wf = _wf([{"name": "main", "steps": [[{"name": "a", "templateRef": {"name": "nope", "template": "x"}}]]}])
    run = run_workflow(wf)
    assert run.phase in ("Failed", "Error")
    assert any("WorkflowTemplate 'nope' not found" in (n.get("message") or "") for n in run.nodes.values())


def test_suspend_with_duration_resumes_by_itself() -> None:
    wf = _wf([{"name": "main", "steps": [[{"name": "wait", "template": "pause"}], [{"name": "after", "template": "hi"}]]},
              {"name": "pause", "suspend": {"duration": "1s"}}, _c("hi", "echo after")])
    t0 = time.monotonic()
    run = run_workflow(wf)
    assert run.phase == "Succeeded", run.message
    assert time.monotonic() - t0 >= 1
    assert run.by_display("wait")["type"] == "Suspend"


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wfexec.cli.main", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=timeout)


def _get(name: str) -> dict:
    return json.loads(_cli("get", name, "-o", "json").stdout)


def test_suspend_without_duration_waits_for_resume(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(_wf([{"name": "main", "steps": [[{"name": "approve", "template": "pause"}],
                                                               [{"name": "go", "template": "hi"}]]},
                                    {"name": "pause", "suspend": {}}, _c("hi", "echo approved")])))
    name = _cli("submit", str(path), "-o", "name").stdout.strip()
    deadline = time.time() + 30
    while time.time() < deadline:
        nodes = _get(name)["status"]["nodes"].values()
        if any(n["type"] == "Suspend" and n["phase"] == "Running" for n in nodes):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the suspend node never started")
    assert _cli("resume", name).returncode == 0
    assert _cli("wait", name, timeout=60).returncode == 0
    assert _get(name)["status"]["phase"] == "Succeeded"


def test_retry_runs_only_the_failed_nodes_again(tmp_path: Path) -> None:
    marker = tmp_path / "second-time"
    counter = tmp_path / "count"
    path = tmp_path / "r.yaml"
    path.write_text(json.dumps(_shared(_wf([
        {"name": "main", "steps": [[{"name": "ok", "template": "ok"}], [{"name": "flaky", "template": "flaky"}]]},
        _c("ok", "echo x >> /shared/count"),
        _c("flaky", "if [ -e /shared/second-time ]; then echo fixed; else exit 1; fi")]), tmp_path)))
    res = _cli("submit", str(path), "--wait", "-o", "name")
    assert res.returncode == 1
    name = res.stdout.strip().splitlines()[-1]
    marker.write_text("")
    assert _cli("retry", name, "--wait").returncode == 0
    wf = _get(name)
    assert wf["status"]["phase"] == "Succeeded"
    assert counter.read_text().count("x") == 1  # the step that had succeeded did not run again


def test_resubmit_makes_a_new_run() -> None:
    run = run_file(EX / "hello-world.yaml")
    res = _cli("resubmit", run.name, "--wait")
    assert res.returncode == 0, res.stderr
    names = _cli("list", "-o", "name").stdout.split()
    assert run.name in names and any(n != run.name and n.startswith("hello-world-") for n in names)


def test_workflow_active_deadline_fails_the_run() -> None:
    wf = _wf([_c("main", "sleep 30")], activeDeadlineSeconds=1)
    t0 = time.monotonic()
    run = run_workflow(wf, grace=1)
    assert time.monotonic() - t0 < 20
    assert run.phase == "Failed"
    assert "deadline" in (run.pods()[0].get("message") or "")


def test_template_parallelism_limits_concurrent_children(tmp_path: Path) -> None:
    log = tmp_path / "log"
    wf = _shared(_wf([{"name": "main", "parallelism": 2, "steps": [[{"name": "s", "template": "w",
                                                                    "withSequence": {"count": "6"}}]]},
                      _c("w", "echo start $(date +%s%N) >> /shared/log; sleep 0.5; "
                              "echo end $(date +%s%N) >> /shared/log")]), tmp_path)
    run = run_workflow(wf)
    assert run.phase == "Succeeded", run.message
    events = sorted((int(t), kind) for kind, t in (line.split() for line in log.read_text().splitlines()))
    running = peak = 0
    for _, kind in events:
        running += 1 if kind == "start" else -1
        peak = max(peak, running)
    assert peak == 2


@pytest.mark.parametrize(("when", "needle"), [
    ("a ==", "a =="),
])
def test_unparsable_when_is_a_clear_error(when: str, needle: str) -> None:
    wf = _wf([{"name": "main", "steps": [[{"name": "s", "template": "hi", "when": when}]]}, _c("hi", "echo hi")])
    run = run_workflow(wf)
    assert run.phase in ("Failed", "Error")
    node = run.by_display("s")
    assert node["phase"] == "Error" and needle in node["message"] and "when" in node["message"]


def test_unresolvable_variable_uses_argos_words() -> None:
    wf = _wf([{"name": "main", "steps": [[{"name": "s", "template": "echo", "arguments": {"parameters": [
        {"name": "m", "value": "{{steps.nope.outputs.result}}"}]}}]]},
        {"name": "echo", "inputs": {"parameters": [{"name": "m"}]},
         "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters.m}}"]}}])
    run = run_workflow(wf)
    assert run.phase in ("Failed", "Error")
    msg = run.by_display("s")["message"]
    assert "failed to resolve {{steps.nope.outputs.result}}" in msg and "main" in msg


def test_broken_expression_is_a_clear_error() -> None:
    wf = _wf([{"name": "main", "container": {"image": "busybox", "command": ["echo", "{{=asInt(}}"]}}])
    run = run_workflow(wf)
    assert run.phase == "Error"
    assert "asInt(" in run.message and "Traceback" not in run.message
