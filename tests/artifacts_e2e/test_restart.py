"""A global artifact published before the engine was SIGKILLed is still there for later steps."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.resilience.helpers import engine_pid, sigkill, wait_done, wfexec

WF = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: global-restart-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: make, template: make}
    - - {name: pause, template: pause}
    - - name: use
        template: use
        arguments:
          artifacts: [{name: g, from: "{{workflow.outputs.artifacts.shared}}"}]
  - name: make
    container: {image: busybox, command: [sh, -c, "echo published > /tmp/g"]}
    outputs:
      artifacts: [{name: g, path: /tmp/g, globalName: shared}]
  - name: pause
    container: {image: busybox, command: [sleep, "2"]}
  - name: use
    inputs:
      artifacts: [{name: g, path: /tmp/g}]
    container: {image: busybox, command: [cat, /tmp/g]}
"""


def test_global_artifact_survives_an_engine_kill(wfexec_home: Path, tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(WF)
    name = wfexec("submit", str(tmp_path / "wf.yaml"), "-o", "name", home=wfexec_home, check=True).stdout.strip()
    pid = engine_pid(wfexec_home, name)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill the engine while `pause` runs, after `make` published
        nodes = json.loads(wfexec("get", name, "-o", "json", home=wfexec_home, check=True).stdout)["status"]["nodes"]
        if any(n["displayName"] == "pause" and n["phase"] == "Running" for n in nodes.values()):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("step 'pause' never ran")
    sigkill(pid)
    wfexec("resume", name, home=wfexec_home, check=True)
    wf = wait_done(wfexec_home, name)
    assert engine_pid(wfexec_home, name) == 0
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    use = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == "use")
    assert (wfexec_home / "runs" / name / "logs" / use["id"] / "main.log").read_text() == "published\n"
    assert [a["name"] for a in wf["status"]["outputs"]["artifacts"]] == ["shared"]
