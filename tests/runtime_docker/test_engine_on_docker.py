"""The engine issue's corpus workflows on the docker runtime, under both executors.

Images named in the corpus cannot be pulled here: an executor config maps them to images the
tests build locally (busybox from Debian's busybox-static, python from the host's python3.11).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.support.docker_daemon import containers_labelled, ensure_dockerd
from tests.support.images import HELLO_MESSAGE, busybox_image, python_image, scratch_hello_image
from tests.support.runs import Finished, run_file, run_workflow

EX = CORPUS / "argo-examples"
EXECUTORS = ["emissary", "docker"]


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    ensure_dockerd()
    busybox, python = busybox_image(), python_image()
    scratch_hello_image()
    path = tmp_path_factory.mktemp("cfg") / "config.yaml"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "workflow-controller-configmap"}, "data": {"imageMap": {
        "busybox": busybox, "busybox:*": busybox, "alpine:*": busybox, "alpine": busybox,
        "python:*": python, "python": python}}}))
    return str(path)


def _run(name: str, executor: str, config: str, **kw: object) -> Finished:
    return run_file(EX / f"{name}.yaml", runtime="docker", executor=executor, config=config, **kw)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_hello_world_image_without_command(executor: str, config_file: str) -> None:
    """The seed's case: `image: hello-world` and no command, under both executors."""
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "seed-"},
          "spec": {"entrypoint": "hello", "templates": [{"name": "hello", "container": {"image": "hello-world"}}]}}
    run = run_workflow(wf, runtime="docker", executor=executor, config=config_file)
    assert run.phase == "Succeeded", run.message
    assert HELLO_MESSAGE.splitlines()[0] in run.log(run.pods()[0])
    assert not containers_labelled(f"wfexec.run={run.name}")


BASICS = ["hello-world", "steps", "arguments-parameters", "output-parameter", "scripts-bash", "scripts-python",
          "exit-code-output-variable", "dag-diamond", "dag-multiroot", "dag-nested", "dag-targets",
          "global-parameters", "pod-metadata", "title-and-description-with-markdown"]


def _summary(run: Finished) -> dict[str, object]:
    """What both executors must agree on: phases, exit codes, results, parameters and logs."""
    out: dict[str, object] = {"phase": run.phase}
    for n in sorted(run.pods(), key=lambda n: n["name"]):
        key = n["name"][len(run.name):] or "(root)"
        outputs = n.get("outputs") or {}
        params = {p["name"]: p.get("value") for p in outputs.get("parameters") or []}
        out[key] = (n["phase"], outputs.get("exitCode"), outputs.get("result"), params, run.log(n))
    return out


@pytest.mark.parametrize("name", BASICS)
def test_corpus_on_docker_same_results_under_both_executors(name: str, config_file: str) -> None:
    runs = {ex: _run(name, ex, config_file) for ex in EXECUTORS}
    for ex, run in runs.items():
        assert run.phase == "Succeeded", (ex, run.message, [(n["displayName"], n.get("message")) for n in run.pods()])
        assert not containers_labelled(f"wfexec.run={run.name}")
    if name in ("scripts-bash", "scripts-python"):
        for run in runs.values():
            value = run.by_display("generate")["outputs"]["result"]
            assert value in run.log(run.by_display("print"))
        return
    assert _summary(runs["emissary"]) == _summary(runs["docker"])


def test_colored_logs_under_both_executors_is_slow_so_one_line(config_file: str, tmp_path: Path) -> None:
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "color-"},
          "spec": {"entrypoint": "c", "templates": [{"name": "c", "script": {
              "image": "python:alpine3.23", "command": ["python"],
              "source": "print('\\x1b[32m%s\\x1b[0m' % 'FG Green')"}}]}}
    logs = []
    for ex in EXECUTORS:
        run = run_workflow(wf, runtime="docker", executor=ex, config=config_file)
        assert run.phase == "Succeeded", run.message
        logs.append(run.log(run.pods()[0]))
    assert logs[0] == logs[1] and "\x1b[32m" in logs[0]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wfexec.cli.main", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)


def test_missing_image_names_the_step(config_file: str, tmp_path: Path) -> None:
    wf = tmp_path / "missing.yaml"
    wf.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: missing-}\n"
                  "spec:\n  entrypoint: main\n  templates:\n  - name: main\n"
                  "    container: {image: 'no-such-image:1.0', command: ['true']}\n")
    res = _cli("submit", str(wf), "--runtime", "docker", "--config", config_file, "--wait")
    assert res.returncode == 1
    assert "no-such-image:1.0 is not present locally; build or load it" in res.stdout.replace("'", "")


def test_docker_executor_without_a_daemon_fails_up_front(tmp_path: Path) -> None:
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/dead.sock")
    res = subprocess.run([sys.executable, "-m", "wfexec.cli.main", "submit", str(EX / "hello-world.yaml"),
                          "--runtime", "docker", "--executor", "docker", "--wait"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode != 0
    assert "Docker daemon" in res.stderr and "root-equivalent" in res.stderr
    assert "No such container" not in res.stderr and "Traceback" not in res.stderr


def test_emissary_without_a_resolvable_command(config_file: str, tmp_path: Path) -> None:
    from tests.support.images import no_command_image

    image = no_command_image()
    wf = tmp_path / "nocmd.yaml"
    wf.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: nocmd-}\n"
                  f"spec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {{image: '{image}'}}\n")
    res = _cli("submit", str(wf), "--runtime", "docker", "--executor", "emissary", "--config", config_file,
               "--wait")
    text = res.stdout + res.stderr
    assert res.returncode == 1
    assert "emissary executor needs" in text and "main" in text and image in text and "migrate" in text
    assert "Traceback" not in text
