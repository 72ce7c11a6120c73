"""The host runtime's fork server dies (OOM killer, `kill -9`) or cannot start: never a hang.

Real engines (`wfexec submit`, in the background), real fork servers, real emissaries. Every step
of crash-30.yaml appends a line to a shared host directory (a hostPath volume: the sandbox's /tmp
is private), so a step run twice, or never, shows.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.resilience.helpers import DATA, engine_pid, fork_servers, wait_done, wait_no_processes, wfexec
from wfexec.engine.pod_dirs import PodDirs

STEPS = 30  # crash-30.yaml: 20 step groups, a parallel pair every other group
RESTARTED = re.compile(r"the emissary fork server \(pid (\d+)\) (.+?); starting a new one and re-submitting "
                       r"(\d+) request\(s\) not yet started")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _wait_for(what: str, cond, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("which", ["server", "heavy"])
def test_a_killed_fork_server_is_restarted_and_every_step_runs_once(which: str, wfexec_home: Path,
                                                                    tmp_path: Path) -> None:
    logdir = tmp_path / "shared"
    logdir.mkdir()
    log = logdir / "log.txt"
    name = wfexec("submit", str(DATA / "crash-30.yaml"), "-p", f"logdir={logdir}", "-o", "name",
                  home=wfexec_home, check=True).stdout.strip()
    engine = engine_pid(wfexec_home, name)
    assert engine, "the run ended before the test could look at it"
    _wait_for("a few steps to run", lambda: len(_lines(log)) >= 4)

    def target() -> int | None:
        servers = fork_servers(wfexec_home)
        light = [pid for pid, ppid in servers.items() if ppid == engine]
        if which == "server":
            return light[0] if light else None
        heavy = [pid for pid, ppid in servers.items() if light and ppid == light[0]]  # every step packs an artifact
        return heavy[0] if heavy else None

    victim = _wait_for(f"the {which} fork server", target, 10)
    before = set(fork_servers(wfexec_home))
    # stopped first, so that requests queue up unanswered (sent to it, or to the heavy process
    # through it) and must be sent again to the new server; then killed
    os.kill(victim, signal.SIGSTOP)
    pods = PodDirs.for_run(wfexec_home / "runs" / name).base
    _wait_for("a pod to wait for its emissary",
              lambda: any((d / "template").exists() and not (d / "ctr").exists() for d in pods.iterdir()), 30)
    time.sleep(0.3)  # its request is written just after its directory is made
    ran_before = len(_lines(log))
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    restarted = _wait_for("a new fork server", lambda: [p for p, pp in fork_servers(wfexec_home).items()
                                                       if pp == engine and p not in before], 15)
    restart_seconds = time.monotonic() - killed_at
    _wait_for("a step to run after the restart", lambda: len(_lines(log)) > ran_before, 15)
    resumed_seconds = time.monotonic() - killed_at
    print(f"killed the {which} process: new server {restarted} after {restart_seconds:.3f}s, "
          f"next step ran after {resumed_seconds:.3f}s")

    wf = wait_done(wfexec_home, name, timeout=120)
    status = wf["status"]
    assert status["phase"] == "Succeeded", status.get("message")
    pods = [n for n in status["nodes"].values() if n["type"] == "Pod"]
    assert len(pods) == STEPS and all(p["phase"] == "Succeeded" for p in pods), \
        [(p["displayName"], p["phase"], p.get("message")) for p in pods]
    counts = Counter(_lines(log))
    assert sorted(counts) == sorted(f"step {i}" for i in range(STEPS)), counts
    assert [line for line, c in counts.items() if c != 1] == [], f"steps run more than once: {counts}"

    # one warning, naming the server and how it died; something was waiting for it
    engine_log = (wfexec_home / "runs" / name / "engine.log").read_text()
    warnings = [ln for ln in engine_log.splitlines() if "fork server" in ln]
    assert len(warnings) == 1, engine_log
    m = RESTARTED.search(warnings[0])
    assert m, warnings[0]
    if which == "server":
        assert (int(m.group(1)), m.group(2)) == (victim, "was killed by SIGKILL"), warnings[0]
    else:
        assert m.group(2).startswith("exited with status 3 (its second process"), warnings[0]
    assert int(m.group(3)) >= 1, f"nothing was pending when the server died: the test proves little: {warnings[0]}"
    wait_no_processes(wfexec_home)


def test_a_fork_server_that_never_starts_fails_the_run(wfexec_home: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    logdir = tmp_path / "shared"
    logdir.mkdir()
    monkeypatch.setenv("WFEXEC_FORKSERVER_PYTHON", "/bin/false")  # exits at once, whatever it is given
    start = time.monotonic()
    res = wfexec("submit", str(DATA / "one-slow-step.yaml"), "-p", f"logdir={logdir}", "--wait", "-o", "name",
                 home=wfexec_home, timeout=60)
    elapsed = time.monotonic() - start
    assert res.returncode != 0, res.stdout + res.stderr
    assert elapsed < 30, f"took {elapsed:.1f}s to fail"
    names = wfexec("list", "-o", "name", home=wfexec_home, check=True).stdout.split()
    assert len(names) == 1, names
    wf = json.loads(wfexec("get", names[0], "-o", "json", home=wfexec_home, check=True).stdout)
    assert wf["status"]["phase"] in ("Error", "Failed")
    pod = next(n for n in wf["status"]["nodes"].values() if n["type"] == "Pod")
    message = pod.get("message") or ""
    assert pod["phase"] == "Error", pod
    assert "fork server died 3 times" in message and "exited with status 1" in message, message
    assert str(wfexec_home / "logs") in message, message  # where to look
    assert not (logdir / "log.txt").exists()
    wait_no_processes(wfexec_home)
