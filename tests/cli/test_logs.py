"""`wfexec logs`: pod names as `get` shows them, no line twice with -f, waiting for a step, retries' attempts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli.helpers import WFEXEC, env_for, wfexec, workflow

SLOW = ("  entrypoint: main\n  templates:\n  - name: main\n    steps:\n"
        "    - - {name: count, template: count}\n    - - {name: final, template: final}\n"
        "  - name: count\n    container:\n      image: busybox\n"
        "      command: [sh, -c, 'for i in 1 2 3 4 5 6 7 8; do echo start $i; sleep 0.25; done']\n"
        "  - name: final\n    container: {image: busybox, command: [echo, final-out]}\n")
RETRIED = ("  entrypoint: main\n  templates:\n  - name: main\n    steps:\n    - - {name: flaky, template: flaky}\n"
           "  - name: flaky\n    retryStrategy: {limit: 2}\n"
           "    container: {image: busybox, command: [sh, -c, 'echo attempt; exit 1']}\n")


def _submit(path: Path, home: Path) -> str:
    return wfexec("submit", str(path), "-o", "name", home=home, check=True).stdout.strip()


def test_follow_prints_each_line_once_and_waits_for_a_later_step(tmp_path: Path) -> None:
    home = tmp_path / "home"
    name = _submit(workflow(tmp_path, "slow", SLOW), home)
    env = env_for(home)
    later = subprocess.Popen([*WFEXEC, "logs", "-f", name, "final"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
    everything = wfexec("logs", "-f", name, home=home, check=True, timeout=120).stdout.splitlines()
    out, errors = later.communicate(timeout=60)
    assert later.returncode == 0, errors
    assert out.splitlines() == ["final-out"]  # the step had not started when -f began
    texts = [line.split(": ", 1)[1] for line in everything]
    assert texts == [f"start {i}" for i in range(1, 9)] + ["final-out"]
    wf = json.loads(wfexec("get", name, "-o", "json", home=home, check=True).stdout)
    assert wf["status"]["phase"] == "Succeeded"


def test_lines_are_prefixed_with_the_pod_names_get_shows(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = workflow(tmp_path, "two", "  entrypoint: main\n  templates:\n  - name: main\n    steps:\n"
                                     "    - - {name: a, template: say}\n      - {name: b, template: say}\n"
                                     "  - name: say\n    container: {image: busybox, command: [echo, hi]}\n")
    name = wfexec("submit", str(path), "--wait", "-o", "name", home=home, check=True).stdout.strip()
    shown = wfexec("get", name, home=home, check=True).stdout
    pods = {w for w in shown.split() if w.startswith(f"{name}-say-")}
    assert len(pods) == 2
    lines = wfexec("logs", name, home=home, check=True).stdout.splitlines()
    assert {line.split(": ", 1)[0] for line in lines} == pods
    for pod in pods:
        assert wfexec("logs", name, pod, home=home, check=True).stdout == "hi\n"
    gone = wfexec("logs", name, "nope", home=home)
    assert gone.returncode == 1 and "no step 'nope'" in gone.stderr


def test_a_retry_node_prints_its_attempts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = workflow(tmp_path, "retried", RETRIED)
    name = wfexec("submit", str(path), "--wait", "-o", "name", home=home).stdout.strip()
    lines = wfexec("logs", name, "flaky", home=home, check=True).stdout.splitlines()
    assert len(lines) == 3 and all(line.endswith(": attempt") for line in lines)
    assert len({line.split(": ")[0] for line in lines}) == 3  # one pod per attempt


def test_tail_and_grep(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = workflow(tmp_path, "lines", "  entrypoint: main\n  templates:\n  - name: main\n    container:\n"
                                       "      image: busybox\n      command: [sh, -c, 'for i in 1 2 3 4 5; do echo line $i; done']\n")
    name = wfexec("submit", str(path), "--wait", "-o", "name", home=home, check=True).stdout.strip()
    assert wfexec("logs", name, "--tail", "2", home=home, check=True).stdout.splitlines() == [
        f"{name}: line 4", f"{name}: line 5"]
    assert wfexec("logs", name, "--tail", "0", home=home, check=True).stdout == ""
    assert wfexec("logs", name, "--grep", "[24]$", home=home, check=True).stdout.splitlines() == [
        f"{name}: line 2", f"{name}: line 4"]
    bad = wfexec("logs", name, "--grep", "(", home=home)
    assert bad.returncode == 1 and "--grep" in bad.stderr and "Traceback" not in bad.stderr


def test_container_help_names_only_real_flags(tmp_path: Path) -> None:
    text = wfexec("logs", "--help", home=tmp_path).stdout
    assert "--all-containers" not in text
    assert "--no-color" in text and "--tail" in text


QUIET = ("  entrypoint: main\n  templates:\n  - name: main\n    steps:\n"
         "    - - {name: quiet, template: quiet}\n      - {name: loud, template: loud}\n"
         "  - name: quiet\n    container: {image: busybox, command: ['true']}\n"
         "  - name: loud\n    container: {image: busybox, command: [echo, said]}\n")


def test_a_step_that_printed_nothing_has_an_empty_log(tmp_path: Path) -> None:
    """Its log is kept as a line in the run's list of empty ones, not as a file: every reader still
    knows the container, and reads nothing from it."""
    home = tmp_path / "home"
    name = _submit(workflow(tmp_path, "quiet", QUIET), home)
    assert wfexec("wait", name, home=home).returncode == 0
    assert wfexec("logs", name, "quiet", home=home, check=True).stdout == ""
    assert wfexec("logs", name, "quiet", "-c", "main", home=home, check=True).stdout == ""
    missing = wfexec("logs", name, "quiet", "-c", "sidecar", home=home)
    assert missing.returncode != 0 and "containers: main" in missing.stderr, missing.stderr
    lines = wfexec("logs", name, home=home, check=True).stdout.splitlines()
    assert len(lines) == 1 and lines[0].endswith("-loud-" + _node(home, name, "loud").rsplit("-", 1)[1] + ": said")
    logs = home / "runs" / name / "logs"
    assert sorted(p.name for p in logs.iterdir()) == sorted([".empty", _node(home, name, "loud")])


def _node(home: Path, run: str, display: str) -> str:
    wf = json.loads(wfexec("get", run, "-o", "json", home=home, check=True).stdout)
    return next(n["id"] for n in wf["status"]["nodes"].values() if n["displayName"] == display)

