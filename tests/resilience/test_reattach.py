"""A step running when the engine dies: re-attached when its pod survives, run again (and said) when not."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

from tests.resilience.helpers import (
    DATA,
    engine_pid,
    fork_servers,
    processes_under,
    sigkill,
    store_at,
    wait_done,
    wait_no_fork_servers,
    wait_no_processes,
    wfexec,
)
from wfexec.engine.pod_dirs import PodDirs


def _start(home: Path, logdir: Path) -> tuple[str, dict]:  # type: ignore[type-arg]
    name = wfexec("submit", str(DATA / "one-slow-step.yaml"), "-p", f"logdir={logdir}", "-o", "name",
                  home=home, check=True).stdout.strip()
    store = store_at(home)
    try:
        end = time.monotonic() + 30
        while time.monotonic() < end:
            pods = [n for n in store.get_nodes(name).values() if n["type"] == "Pod"]
            if pods and pods[0].get("attached") and (logdir / "started.txt").exists():  # the command runs
                return name, pods[0]
            time.sleep(0.02)
    finally:
        store.close()
    raise AssertionError("the step did not start")


def crash(home: Path) -> None:
    """Everything under `home` ends at once, as in a machine crash: first stopped, until no new
    process appears (a process being started while others are killed one by one could outlive
    them), then killed. The step's command goes with its sandbox (bwrap's --die-with-parent)."""
    stopped: set[int] = set()
    while new := set(processes_under(home)) - stopped:
        for pid in new:
            _signal(pid, signal.SIGSTOP)
        stopped |= new
    for pid in stopped:
        _signal(pid, signal.SIGKILL)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def test_a_running_step_is_reattached_not_run_again(wfexec_home: Path, tmp_path: Path) -> None:
    logdir = tmp_path / "shared"
    logdir.mkdir()
    name, pod = _start(wfexec_home, logdir)
    assert fork_servers(wfexec_home), "no fork server to watch"
    pod_dir = PodDirs.for_run(wfexec_home / "runs" / name).existing(pod["id"])
    assert pod_dir is not None and pod_dir.parent == PodDirs.for_run(wfexec_home / "runs" / name).base
    emissary = int((pod_dir / "ctr" / "main" / "pid").read_text())
    sigkill(engine_pid(wfexec_home, name))
    # its fork server can get no more work: it ends (end of its input), its emissary does not
    wait_no_fork_servers(wfexec_home, timeout=1.5)
    assert os.path.exists(f"/proc/{emissary}"), "the emissary died with its fork server"
    emissaries = [c for c in processes_under(wfexec_home).values() if "sleep 2" in c]
    assert emissaries, "the step did not outlive its engine"
    wfexec("get", name, home=wfexec_home, check=True)  # heal
    wf = wait_done(wfexec_home, name)
    node = wf["status"]["nodes"][pod["id"]]
    assert wf["status"]["phase"] == "Succeeded" and node["phase"] == "Succeeded"
    assert node["startedAt"] == pod["startedAt"]
    assert (logdir / "log.txt").read_text() == "ran\n"
    wait_no_processes(wfexec_home)


def test_a_step_whose_pod_is_gone_is_run_again_with_a_message(wfexec_home: Path, tmp_path: Path) -> None:
    logdir = tmp_path / "shared"
    logdir.mkdir()
    name, pod = _start(wfexec_home, logdir)
    sigkill(engine_pid(wfexec_home, name))
    crash(wfexec_home)  # the pod dies with the machine, say: nothing of it is left
    shutil.rmtree(PodDirs.for_run(wfexec_home / "runs" / name).base / pod["id"])
    wfexec("get", name, home=wfexec_home, check=True)  # heal
    said = False
    end = time.monotonic() + 30
    while time.monotonic() < end and not said:
        got = json.loads(wfexec("get", name, "-o", "json", home=wfexec_home, check=True).stdout)
        said = "could not be re-attached" in (got["status"]["nodes"][pod["id"]].get("message") or "")
        if got["status"]["phase"] != "Running":
            break
    assert said, "the step was run again without saying so"
    wf = wait_done(wfexec_home, name)
    assert wf["status"]["phase"] == "Succeeded"
    assert (logdir / "log.txt").read_text() == "ran\n"  # the first run was killed before it wrote
    assert (logdir / "started.txt").read_text() == "started\n" * 2
    wait_no_processes(wfexec_home)
