"""`submit --watch` in a real terminal: Ctrl-C ends the watching, never the run; `watch` follows it again."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from tests.cli.helpers import PtyRun, one_step, strip_ansi, wfexec, workflow


def _secs(node: dict[str, str]) -> float:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (dt.datetime.strptime(node["finishedAt"], fmt) - dt.datetime.strptime(node["startedAt"], fmt)).total_seconds()


def test_ctrl_c_in_submit_watch_leaves_the_run_going(tmp_path: Path) -> None:
    home = tmp_path / "home"
    wf = one_step(tmp_path, "sleepy", "sleep 4; echo woke")
    term = PtyRun("submit", str(wf), "--watch", home=home, columns=100)
    text = term.read_until(lambda t: "Running" in t and "sleepy-" in t)
    term.interrupt()
    rc, text = term.finish()
    assert rc == 130, text
    assert "goes on" in text and "wfexec watch" in text and "wfexec logs -f" in text
    name = next(w for w in strip_ansi(text).split() if w.startswith("sleepy-"))
    assert wfexec("wait", name, home=home, timeout=60).returncode == 0  # it finished on its own
    got = json.loads(wfexec("get", name, "-o", "json", home=home, check=True).stdout)
    assert got["status"]["phase"] == "Succeeded"
    pod = got["status"]["nodes"][name]
    assert 3 <= _secs(pod) <= 7  # the step's own time, not inflated by the interruption
    assert wfexec("logs", name, home=home, check=True).stdout.strip().endswith("woke")


def test_watch_redraws_in_a_terminal_and_prints_each_change_piped(tmp_path: Path) -> None:
    home = tmp_path / "home"
    wf = one_step(tmp_path, "quick", "sleep 1")
    name = wfexec("submit", str(wf), "-o", "name", home=home, check=True).stdout.strip()
    term = PtyRun("watch", name, home=home, columns=100)
    rc, text = term.finish()
    assert rc == 0, text
    assert "\x1b[2J" in text and "Succeeded" in text
    two = workflow(tmp_path, "two", "  entrypoint: main\n  templates:\n  - name: main\n    steps:\n"
                                    "    - - {name: first, template: nap}\n    - - {name: second, template: nap}\n"
                                    "  - name: nap\n    container: {image: busybox, command: [sleep, '1']}\n")
    for piped in (wfexec("submit", str(two), "--watch", home=home, check=True).stdout,
                  wfexec("watch", wfexec("submit", str(two), "-o", "name", home=home, check=True).stdout.strip(),
                         home=home, check=True).stdout):
        assert piped.endswith("\n") and not piped.endswith("\n\n") and "\x1b" not in piped
        views = re.split(r"\n\n(?=Name:)", piped)  # a blank line between two views (and one inside each)
        assert piped.startswith("Name:") and len(views) >= 3, piped  # each change, as it came
        assert all(a != b for a, b in zip(views, views[1:], strict=False))
        status = [next(line.split()[1] for line in v.splitlines() if line.startswith("Status:")) for v in views]
        assert status[0] in ("Pending", "Running") and status[-1] == "Succeeded" and "Running" in status, status
        assert "second" not in views[0] and "second" in views[-1]
        assert not any(line != line.rstrip() for line in piped.splitlines())  # no padding


def test_submit_wait_outlives_a_killed_engine(tmp_path: Path) -> None:
    """The engine is killed outright mid-step; `submit --wait` starts another, which finishes the run."""
    import os
    import signal
    import sqlite3
    import subprocess
    import time

    from tests.cli.helpers import WFEXEC, env_for

    home = tmp_path / "home"
    wf = one_step(tmp_path, "killed", "sleep 3; echo done")
    waiting = subprocess.Popen([*WFEXEC, "submit", str(wf), "--wait", "-o", "name"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env_for(home))
    deadline = time.monotonic() + 60
    pid = None
    while pid is None and time.monotonic() < deadline:
        time.sleep(0.3)
        if (home / "runs.db").exists():
            with sqlite3.connect(home / "runs.db") as con:
                row = con.execute("SELECT engine_pid FROM runs WHERE started_at IS NOT NULL").fetchone()
            pid = row[0] if row else None
    assert pid, "the engine never took the run"
    os.kill(pid, signal.SIGKILL)
    out, errors = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, errors
    name = out.strip()
    assert wfexec("logs", name, home=home, check=True).stdout.strip() == f"{name}: done"
