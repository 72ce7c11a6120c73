"""Host environments for images (the config's `hostEnvironments`): a step of a mapped image runs
with a virtualenv first on PATH (here one under /tmp, which stays visible in the sandbox), and hera's
runner-mode scripts find hera and their own module through the mapped venv and PYTHONPATH."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.support.runs import run_workflow

SCRIPT = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "henv-"},
          "spec": {"entrypoint": "main", "templates": [{"name": "main", "script": {
              "image": "python:3.11", "command": ["python"],
              "source": "import sys, j1_only_in_venv\nprint(j1_only_in_venv.WHERE, sys.prefix)"}}]}}


def _config(tmp: Path, entries: list[dict[str, Any]]) -> str:
    f = tmp / "config.yaml"
    f.write_text(json.dumps({"hostEnvironments": entries}))
    return str(f)


def test_a_python_image_step_imports_a_package_only_in_a_mapped_venv_under_tmp(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wfexec")
    assert str(tmp_path).startswith("/tmp/")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "j1_only_in_venv.py").write_text("WHERE = 'from the venv'\n")
    run = run_workflow(SCRIPT, config=_config(tmp_path, [{"image": "python:3.*", "venv": str(venv)}]))
    assert run.phase == "Succeeded", run.message
    (pod,) = run.pods()
    assert pod["outputs"]["result"] == f"from the venv {venv}"
    notes = [r.getMessage() for r in caplog.records if "image 'python:3.11'" in r.getMessage()]
    assert f"image 'python:3.11' runs in the host environment {venv}; python is {venv}/bin/python" in notes[0]
    # without the mapping the package is not there: the step fails on the import
    bare = run_workflow(SCRIPT, config=_config(tmp_path, [{"image": "other:*", "venv": str(venv)}]))
    assert bare.phase == "Failed"
    assert "j1_only_in_venv" in bare.log(bare.pods()[0])
    notes = [r.getMessage() for r in caplog.records if "image 'python:3.11'" in r.getMessage()]
    assert "is ignored; the step runs with the host's programs; python is /" in notes[-1]  # one line: which one


HERA_FLOW = '''
from hera.workflows import Steps, Workflow, script


@script(constructor="runner", image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b


with Workflow(generate_name="hera-runner-", entrypoint="main") as w:
    with Steps(name="main"):
        add(arguments={"a": 2, "b": 3})
'''


def test_a_hera_runner_workflow_succeeds(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "j1_hera_flow.py").write_text(textwrap.dedent(HERA_FLOW))
    out = subprocess.run([sys.executable, "-c", "import json, j1_hera_flow; print(json.dumps(j1_hera_flow.w.to_dict()))"],
                         cwd=code, env={"PYTHONPATH": str(code)}, capture_output=True, text=True, check=True)
    wf = json.loads(out.stdout)
    assert wf["spec"]["templates"][1]["script"]["args"][:2] == ["-m", "hera.workflows.runner"]
    config = _config(tmp_path, [{"image": "python:3.11", "venv": sys.prefix, "pythonPath": [str(code)]}])
    run = run_workflow(wf, config=config)
    assert run.phase == "Succeeded", run.message
    (pod,) = run.pods()
    assert pod["outputs"]["result"] == "5"
