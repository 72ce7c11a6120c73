"""`wfexec logs --timestamps / --since / --since-time`: each line has the time it was printed."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.cli.helpers import WFEXEC, env_for, wfexec, workflow
from wfexec.engine.log_lines import parse_rfc3339, rfc3339nano

TWO = ("  entrypoint: main\n  templates:\n  - name: main\n    steps:\n    - - {name: talk, template: talk}\n"
       "  - name: talk\n    container:\n      image: busybox\n"
       "      command: [sh, -c, 'echo one; sleep 1.5; echo two >&2; sleep 0.2; echo three']\n")
SLOW = ("  entrypoint: main\n  templates:\n  - name: main\n    container:\n      image: busybox\n"
        "      command: [sh, -c, 'echo a; sleep 2.5; echo b; sleep 0.5; echo c']\n")


def _stamped(line: str) -> tuple[str, int]:
    """`TIME text` (after any `pod: ` prefix) as (text, Unix ns)."""
    stamp, text = line.split(": ", 1)[-1].split(" ", 1)
    return text, parse_rfc3339(stamp)


def test_timestamps_since_and_since_time_on_a_finished_run(tmp_path: Path) -> None:
    home = tmp_path / "home"
    before = time.time_ns()
    name = wfexec("submit", str(workflow(tmp_path, "two", TWO)), "--wait", "-o", "name",
                  home=home, check=True).stdout.strip()
    lines = wfexec("logs", name, "--timestamps", home=home, check=True).stdout.splitlines()
    assert all(line.startswith(f"{name}-talk-") for line in lines)  # per run: pod-name prefixes
    stamped = [_stamped(line) for line in lines]
    assert [text for text, _ in stamped] == ["one", "two", "three"]
    t_one, t_two, t_three = (t for _, t in stamped)
    assert before < t_one and t_two - t_one >= 1_200_000_000 and t_two <= t_three <= time.time_ns()

    # per step, from the time "two" was printed: the lines before it are left out
    out = wfexec("logs", name, "talk", "--since-time", rfc3339nano(t_two), home=home, check=True).stdout
    assert out.splitlines() == ["two", "three"]
    assert wfexec("logs", name, "talk", "--since-time", "2999-01-01T00:00:00+02:00", home=home,
                  check=True).stdout == ""
    assert wfexec("logs", name, "talk", "--since", "1h", home=home, check=True).stdout.splitlines() == [
        "one", "two", "three"]
    assert wfexec("logs", name, "talk", "--since", "1ms", home=home, check=True).stdout == ""
    tail = wfexec("logs", name, "talk", "--since", "1h", "--tail", "1", "--timestamps", home=home, check=True)
    assert tail.stdout == f"{rfc3339nano(t_three)} three\n"
    grep = wfexec("logs", name, "--grep", "^o", "--timestamps", home=home, check=True).stdout.splitlines()
    assert [_stamped(line) for line in grep] == [("one", t_one)]

    for bad, says in ((["--since", "10x"], "--since"), (["--since=-5s"], "positive"),
                      (["--since-time", "yesterday"], "RFC 3339"),
                      (["--since", "1s", "--since-time", "2026-01-01T00:00:00Z"], "at most one")):
        r = wfexec("logs", name, *bad, home=home)
        assert r.returncode == 1 and says in r.stderr and "Traceback" not in r.stderr, r.stderr

    # a run from before lines had times: its lines show the step's start time
    for index in (home / "runs" / name / "logs").glob("*/*.times"):
        index.unlink()
    wf = json.loads(wfexec("get", name, "-o", "json", home=home, check=True).stdout)
    started = next(n["startedAt"] for n in wf["status"]["nodes"].values() if n["type"] == "Pod")
    old = wfexec("logs", name, "talk", "--timestamps", home=home, check=True).stdout.splitlines()
    assert old == [f"{started} one", f"{started} two", f"{started} three"]


def test_follow_since_time_prints_only_what_comes_after(tmp_path: Path) -> None:
    home = tmp_path / "home"
    name = wfexec("submit", str(workflow(tmp_path, "slow", SLOW)), "-o", "name", home=home, check=True).stdout.strip()
    end = time.monotonic() + 60
    while "a" not in wfexec("logs", name, home=home).stdout.split(": ")[-1].split():
        assert time.monotonic() < end, "the step never printed its first line"
        time.sleep(0.1)
    cutoff = rfc3339nano(time.time_ns())
    stamped = subprocess.run([*WFEXEC, "logs", "-f", name, "--timestamps", "--no-color"], capture_output=True,
                             text=True, env=env_for(home), timeout=60)
    after = subprocess.run([*WFEXEC, "logs", "-f", name, "--since-time", cutoff], capture_output=True, text=True,
                           env=env_for(home), timeout=60)
    assert after.returncode == 0, after.stderr
    assert [line.split(": ", 1)[1] for line in after.stdout.splitlines()] == ["b", "c"]
    lines = [_stamped(line) for line in stamped.stdout.splitlines()]
    assert [text for text, _ in lines] == ["a", "b", "c"]
    assert lines[0][1] < parse_rfc3339(cutoff) < lines[1][1] < lines[2][1]
