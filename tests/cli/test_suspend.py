"""Suspended runs and steps: stop, terminate, activeDeadlineSeconds, resume, `suspend`, `node set`,
and `{{workflow.duration}}` in the exit handler."""

from __future__ import annotations

import calendar
import json
import time
from pathlib import Path

from tests.cli.helpers import wfexec, workflow
from tests.support.waiting import wait_for

APPROVE = """\
  entrypoint: main
  onExit: bye
{extra}  templates:
  - name: main
    steps:
    - - {{name: approve, template: approve}}
    - - name: use
        template: use
        arguments: {{parameters: [{{name: answer, value: "{{{{steps.approve.outputs.parameters.answer}}}}"}}]}}
  - name: approve
    suspend: {{}}
    outputs:
      parameters:
      - name: answer
        valueFrom: {{supplied: {{}}}}
  - name: use
    inputs: {{parameters: [{{name: answer}}]}}
    container: {{image: busybox, command: [echo, "answer={{{{inputs.parameters.answer}}}}"]}}
  - name: bye
    container: {{image: busybox, command: [echo, "took {{{{workflow.duration}}}}"]}}
"""


def _suspended(tmp: Path, home: Path, extra: str = "") -> str:
    name = wfexec("submit", str(workflow(tmp, "approve", APPROVE.format(extra=extra))), "-o", "name", home=home,
                  check=True).stdout.strip()
    deadline = time.monotonic() + 60
    while "Running (Suspended)" not in wfexec("list", "--prefix", name, home=home, check=True).stdout:
        assert time.monotonic() < deadline, "the run never reached its suspend step"
        time.sleep(0.3)
    return name


def _nodes(home: Path, name: str) -> dict[str, dict[str, object]]:
    wf = json.loads(wfexec("get", name, "-o", "json", home=home, check=True).stdout)
    return {n["displayName"]: n for n in wf["status"]["nodes"].values()}


def test_node_set_supplies_the_output_and_resume_continues(tmp_path: Path) -> None:
    home = tmp_path / "home"
    name = _suspended(tmp_path, home)
    wrong = wfexec("node", "set", name, "--node-field-selector", "displayName=approve", "--output-parameter", "x=1",
                   home=home)
    assert wrong.returncode == 1 and "no output parameter 'x' with valueFrom.supplied" in wrong.stderr
    wfexec("node", "set", name, "--node-field-selector", "displayName=approve", "--output-parameter", "answer=yes",
           "--message", "ok by me", home=home, check=True)
    wfexec("resume", name, "--node-field-selector", "displayName=approve", home=home, check=True)
    assert wfexec("wait", name, home=home, timeout=60).returncode == 0
    logs = wfexec("logs", name, home=home, check=True).stdout
    assert "answer=yes" in logs
    took = next(line for line in logs.splitlines() if "took " in line).split("took ")[1]
    assert float(took) > 0  # {{workflow.duration}} resolved in the exit handler
    approve = _nodes(home, name)["approve"]
    assert approve["phase"] == "Succeeded" and approve["message"] == "ok by me"
    assert approve["outputs"] == {"parameters": [{"name": "answer", "value": "yes"}]}


def test_a_suspended_run_can_be_stopped_and_terminated(tmp_path: Path) -> None:
    home = tmp_path / "home"
    stopped, terminated = _suspended(tmp_path, home), _suspended(tmp_path, home)
    assert wfexec("stop", stopped, "--wait", home=home, timeout=60).returncode == 0
    assert wfexec("terminate", terminated, "--wait", home=home, timeout=60).returncode == 0
    for name, strategy, exit_ran in ((stopped, "Stop", True), (terminated, "Terminate", False)):
        nodes = _nodes(home, name)
        assert nodes[name]["phase"] == "Failed"
        assert nodes["approve"]["message"] == f"Stopped with strategy '{strategy}'"
        assert (f"{name}.onExit" in nodes) == exit_ran


def test_stop_one_suspended_step_with_a_message(tmp_path: Path) -> None:
    home = tmp_path / "home"
    name = _suspended(tmp_path, home)
    res = wfexec("stop", name, "--node-field-selector", "displayName=approve", "--message", "no way", home=home)
    assert res.returncode == 0, res.stderr
    assert wfexec("wait", name, home=home, timeout=60).returncode == 1
    assert _nodes(home, name)["approve"]["message"] == "no way"
    again = wfexec("stop", name, "--node-field-selector", "displayName=approve", home=home)
    assert again.returncode == 1 and "already ended" in again.stderr


def test_active_deadline_fires_while_suspended(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = workflow(tmp_path, "late", APPROVE.format(extra="  activeDeadlineSeconds: 2\n"))
    res = wfexec("submit", str(path), "--wait", "-o", "name", home=home, timeout=60)
    assert res.returncode == 1
    assert _nodes(home, res.stdout.strip())["approve"]["message"] == "Step exceeded its deadline"


def test_suspend_holds_new_steps_until_resume_and_queue_time_is_not_duration(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = workflow(tmp_path, "seq", "  entrypoint: main\n  templates:\n  - name: main\n    steps:\n"
                                     "    - - {name: one, template: nap}\n    - - {name: two, template: nap}\n"
                                     "  - name: nap\n    container: {image: busybox, command: [sh, -c, 'sleep 1']}\n")
    name = wfexec("submit", str(path), "-o", "name", home=home, check=True).stdout.strip()
    phase = lambda step: (_nodes(home, name).get(step) or {}).get("phase")  # noqa: E731
    wfexec("suspend", name, home=home, check=True)
    wait_for(lambda: phase("one") in (None, "Pending", "Succeeded"), 60, "no step running")  # one may not start
    time.sleep(2)  # held: while suspended no new step starts, however long
    assert phase("two") in (None, "Pending")
    assert "Running (Suspended)" in wfexec("get", name, home=home, check=True).stdout
    resumed = int(time.time())  # store times are whole seconds
    wfexec("resume", name, home=home, check=True)
    assert wfexec("wait", name, home=home, timeout=60).returncode == 0
    two = _nodes(home, name)["two"]
    started = calendar.timegm(time.strptime(two["startedAt"], "%Y-%m-%dT%H:%M:%SZ"))
    assert started >= resumed  # the time held by `suspend` is not the step's: it starts once resumed


BACKOFF = """\
  entrypoint: main
  templates:
  - name: main
    retryStrategy: {{limit: 3, backoff: {{duration: "{duration}", factor: {factor}}}}}
    container: {{image: busybox, command: [sh, -c, "exit 1"]}}
"""


def test_stop_and_terminate_end_a_run_waiting_out_a_retry_backoff(tmp_path: Path) -> None:
    """Argo ends the run at once: a backoff of minutes (or of 2^31 s, after a first one of 1 s) is not
    waited out. `--wait` is given 60 s against backoffs of 10 minutes and more."""
    home = tmp_path / "home"
    runs = []
    for verb, duration, factor, attempts in (("stop", "10m", 2, 1), ("terminate", "10m", 2, 1),
                                             ("terminate", "1s", 2147483647, 2)):
        name = wfexec("submit", str(workflow(tmp_path, f"backoff-{len(runs)}", BACKOFF.format(
            duration=duration, factor=factor))), "-o", "name", home=home, check=True).stdout.strip()

        def failed(name: str = name, attempts: int = attempts) -> bool:
            return len([n for n in _nodes(home, name).values() if n.get("type") == "Pod"]) >= attempts

        wait_for(failed, timeout=60, what="the attempts before the long backoff")
        runs.append((verb, name))
    for verb, name in runs:
        done = wfexec(verb, name, "--wait", home=home, timeout=60)
        assert done.returncode == 0, done.stderr
        nodes = _nodes(home, name)
        assert nodes[name]["phase"] == "Failed"
        assert all(n["phase"] not in ("Pending", "Running") for n in nodes.values())
