"""The argo-like CLI end to end, as a user runs it: a real `wfexec` process each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import CORPUS

EX = CORPUS / "argo-examples"
WFEXEC = [sys.executable, "-m", "wfexec.cli.main"]


def wfexec(*args: str, home: Path, check: bool = False, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WFEXEC_HOME=str(home), COLUMNS="200")
    proc = subprocess.run([*WFEXEC, *args], capture_output=True, text=True, env=env, timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


def test_submit_wait_exit_status_follows_the_phase(wfexec_home: Path, tmp_path: Path) -> None:
    ok = wfexec("submit", str(EX / "hello-world.yaml"), "--wait", "-o", "name", home=wfexec_home)
    assert ok.returncode == 0, ok.stderr
    name = ok.stdout.strip()
    failing = tmp_path / "fail.yaml"
    failing.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: fail-}\n"
        "spec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {image: busybox, command: [sh, -c, 'exit 3']}\n")
    bad = wfexec("submit", str(failing), "--wait", home=wfexec_home)
    assert bad.returncode == 1
    assert "Failed" in bad.stdout and "exit code 3" in bad.stdout
    got = json.loads(wfexec("get", name, "-o", "json", home=wfexec_home, check=True).stdout)
    assert got["status"]["phase"] == "Succeeded"
    assert got["status"]["nodes"][name]["outputs"]["exitCode"] == "0"
    listing = wfexec("list", home=wfexec_home, check=True).stdout
    assert name in listing and "Succeeded" in listing and "Failed" in listing


def test_submit_in_background_then_wait_get_and_logs(wfexec_home: Path) -> None:
    out = wfexec("submit", str(EX / "steps.yaml"), "-o", "name", home=wfexec_home, check=True)
    name = out.stdout.strip()
    assert wfexec("wait", name, home=wfexec_home, timeout=120).returncode == 0
    text = wfexec("get", name, home=wfexec_home, check=True).stdout
    for step in ("hello1", "hello2a", "hello2b"):
        assert step in text
    logs = wfexec("logs", name, home=wfexec_home, check=True).stdout
    assert {line.split(": ", 1)[1] for line in logs.splitlines()} == {"hello1", "hello2a", "hello2b"}
    one = wfexec("logs", name, "hello2a", home=wfexec_home, check=True).stdout
    assert one.strip() == "hello2a"
    assert wfexec("delete", name, home=wfexec_home, check=True).returncode == 0
    gone = wfexec("get", name, home=wfexec_home)
    assert gone.returncode != 0 and "no run named" in gone.stderr and "Traceback" not in gone.stderr


def test_lint_names_a_misspelled_field_and_its_line(wfexec_home: Path, tmp_path: Path) -> None:
    wf = tmp_path / "typo.yaml"
    wf.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: typo-\nspec:\n"
        "  entrypoint: main\n  templates:\n  - name: main\n    contianer:\n      image: busybox\n")
    res = wfexec("lint", str(wf), home=wfexec_home)
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert "contianer" in text and ":9" in text
    assert "Traceback" not in text
    sub = wfexec("submit", str(wf), "--wait", home=wfexec_home)
    assert sub.returncode != 0 and "contianer" in sub.stdout + sub.stderr and "Traceback" not in sub.stderr


def test_parameters_from_the_command_line_and_unknown_ones(wfexec_home: Path) -> None:
    res = wfexec("submit", str(EX / "arguments-parameters.yaml"), "-p", "message=from cli", "--wait", "-o", "json",
                 home=wfexec_home, check=True)
    wf = json.loads(res.stdout)
    pod = next(n for n in wf["status"]["nodes"].values() if n["type"] == "Pod")
    assert pod["inputs"]["parameters"][0]["value"] == "from cli"
    # one the Workflow does not declare is taken, as argo submit takes it
    extra = json.loads(wfexec("submit", str(EX / "arguments-parameters.yaml"), "-p", "extra=1", "--wait", "-o",
                              "json", home=wfexec_home, check=True).stdout)
    assert {"name": "extra", "value": "1"} in extra["spec"]["arguments"]["parameters"]
    bad = wfexec("submit", str(EX / "arguments-parameters.yaml"), "-p", "nope", "--wait", home=wfexec_home)
    assert bad.returncode != 0 and "nope" in bad.stderr and "Traceback" not in bad.stderr


def test_docker_executor_on_the_host_runtime_is_refused_up_front(wfexec_home: Path) -> None:
    res = wfexec("submit", str(EX / "hello-world.yaml"), "--executor", "docker", "--wait", home=wfexec_home)
    assert res.returncode != 0
    assert "docker executor" in res.stderr and "Docker daemon" in res.stderr
    assert "No such container" not in res.stderr
    assert wfexec("list", "-o", "name", home=wfexec_home, check=True).stdout.strip() == ""


def test_stop_runs_exit_handlers_and_terminate_does_not(wfexec_home: Path, tmp_path: Path) -> None:
    wf = tmp_path / "long.yaml"
    wf.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: long-}\n"
        "spec:\n  entrypoint: main\n  onExit: bye\n  templates:\n"
        "  - name: main\n    container: {image: busybox, command: [sleep, '271']}\n"
        "  - name: bye\n    container: {image: busybox, command: [echo, bye]}\n")
    for verb, handler_runs in (("stop", True), ("terminate", False)):
        name = wfexec("submit", str(wf), "-o", "name", "--grace", "2", home=wfexec_home, check=True).stdout.strip()
        deadline = time.time() + 30
        while time.time() < deadline:
            got = json.loads(wfexec("get", name, "-o", "json", home=wfexec_home, check=True).stdout)
            if any(n["phase"] == "Running" and n["type"] == "Pod" for n in got["status"]["nodes"].values()):
                break
            time.sleep(0.2)
        wfexec(verb, name, "--wait", home=wfexec_home, check=True, timeout=60)
        got = json.loads(wfexec("get", name, "-o", "json", home=wfexec_home, check=True).stdout)
        assert got["status"]["phase"] == "Failed"
        assert got["status"]["message"] == f"Stopped with strategy '{verb.capitalize()}'"
        ran = [n for n in got["status"]["nodes"].values() if n["name"].endswith(".onExit")]
        assert bool(ran) == handler_runs, (verb, ran)
        assert not _processes_matching("sleep 271")


def _processes_matching(text: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip() == text]
