"""`wfexec doctor` on this machine: the Docker daemon decides whether the docker executor can work,
and specs without `command` decide whether the emissary can."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.docker_daemon import ensure_dockerd
from wfexec.cli.main import main

ARGO = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: t
spec:
  templates:
  - name: a
    container:
      image: busybox
  - name: b
    container:
      image: busybox
      command: [echo]
  - name: c
    script:
      image: python:3.11
      source: print(1)
"""


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_with_a_daemon_docker_works_and_prefer_stable_chooses_it(tmp_path: Path, wfexec_home: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    ensure_dockerd()
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("containerRuntimeExecutor: docker\n")
    assert main(["doctor", "--config", str(cfg), "-o", "json"]) == 0
    report = _json(capsys)
    assert (report["recommended"], report["configured_executor"], report["blockers"]) == ("emissary", "docker", [])
    assert main(["doctor", "--config", str(cfg), "--prefer-stable", "-o", "json"]) == 0
    assert _json(capsys)["recommended"] == "docker"
    assert main(["doctor", "--config", str(cfg), "--prefer-stable"]) == 0
    out = capsys.readouterr().out
    assert "recommended for this machine: docker" in out and "Docker daemon: reachable" in out


def test_without_a_daemon_docker_fails(tmp_path: Path, wfexec_home: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("containerRuntimeExecutor: docker\n")
    assert main(["doctor", "--config", str(cfg), "--prefer-stable"]) == 1
    out = capsys.readouterr().out
    assert "recommended for this machine: emissary" in out and "no Docker daemon answers" in out
    assert "fix: wfexec executor set emissary" in out


def test_emissary_and_specs_without_command(tmp_path: Path, wfexec_home: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    wf = tmp_path / "specs" / "t.yaml"
    wf.parent.mkdir()
    wf.write_text(ARGO)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("containerRuntimeExecutor: emissary\n")
    assert main(["doctor", "--config", str(cfg), "-o", "json", str(tmp_path / "specs")]) == 1
    report = _json(capsys)
    assert [(m["path"], m["image"]) for m in report["missing_command"]] == [
        ("spec.templates[0] (a).container", "busybox"), ("spec.templates[2] (c).script", "python:3.11")]
    assert report["missing_command"][0]["line"] == 9
    cfg.write_text("containerRuntimeExecutor: emissary\nimages:\n  busybox:\n    cmd: [sh]\n"
                   "  python:3.11:\n    cmd: [python3]\n")
    assert main(["doctor", "--config", str(cfg), str(wf)]) == 0
    out = capsys.readouterr().out
    assert "containers without command (2)" in out and "(in images: index)" in out
