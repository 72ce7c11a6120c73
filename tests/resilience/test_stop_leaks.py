"""`wfexec stop` and `wfexec terminate` follow Argo and leave nothing behind.

Argo: stop kills the running steps (after their grace period), starts nothing new and still
runs the exit handler; terminate does the same without the exit handler; either way the run
ends Failed with "Stopped with strategy 'Stop'" / "'Terminate'". Here we also count processes
(engine, fork server, emissaries, bwrap, the steps and their children, even one that left the
process group with setsid) before and after, and look for temporary files left behind.

On the docker runtime (images mapped to local ones) the same holds, and no container of the run
is left either.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from tests.resilience.helpers import DATA, processes_under, wait_done, wfexec
from tests.support.docker_config import docker_image_config
from tests.support.docker_daemon import containers_labelled
from wfexec.engine.pod_dirs import PodDirs

RUNTIMES = ["host", "docker"]
GRACE = "1"


def _wait_for(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("verb", ["stop", "terminate"])
def test_stop_and_terminate_leave_no_process_or_temp_dir(verb: str, runtime: str, wfexec_home: Path,
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mark = f"leak-{uuid.uuid4().hex}"
    outdir = tmp_path / "out"
    outdir.mkdir()
    tmpdir = tmp_path / "tmp"  # the wfexec processes' TMPDIR: must be empty at the end
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    assert processes_under(wfexec_home, mark) == {}
    extra = ["--config", docker_image_config()] if runtime == "docker" else []
    name = wfexec("submit", str(DATA / "stop-leak.yaml"), "--runtime", runtime, "--grace", GRACE, *extra,
                  "-p", f"mark={mark}", "-p", f"outdir={outdir}", "-o", "name",
                  home=wfexec_home, check=True).stdout.strip()
    # both pods up: 2 x (main sh + 3 sleeps + subshell + side sh + sleep), found by their marker
    _wait_for(lambda: sum("sleep 300" in c for c in processes_under(wfexec_home, mark).values()) >= 8,
              60, "the busy steps' processes")
    out = wfexec(verb, name, "--wait", home=wfexec_home, check=True, timeout=120)
    assert name in out.stdout
    wf = wait_done(wfexec_home, name)
    status = wf["status"]
    strategy = verb.capitalize()
    assert status["phase"] == "Failed"
    assert status.get("message") == f"Stopped with strategy '{strategy}'"
    nodes = {n["displayName"]: n for n in status["nodes"].values()}
    for step in ("busy-a", "busy-b"):
        assert nodes[step]["phase"] == "Failed", nodes[step]
        assert nodes[step].get("message") == f"Stopped with strategy '{strategy}'"
    assert "never" not in nodes or nodes["never"]["phase"] != "Succeeded"
    ran = outdir / "exit-handler-ran"
    if verb == "stop":  # Argo runs exit handlers on stop, not on terminate
        assert ran.read_text().strip() == "Failed"
    else:
        assert not ran.exists()
        assert not any(n["displayName"].endswith(".onExit") for n in status["nodes"].values())

    # nothing left running: no engine, fork server, emissary, bwrap, step or step child
    try:
        _wait_for(lambda: processes_under(wfexec_home, mark) == {}, 10, "every process to go")
    except AssertionError:
        left = processes_under(wfexec_home, mark)
        for pid in left:  # do not leave them behind for the next test
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        raise AssertionError(f"processes left after {verb}: {left}") from None
    if runtime == "docker":
        assert containers_labelled(f"wfexec.run={name}") == []
    # nothing left in TMPDIR, and of the run's directory only what it keeps
    assert sorted(os.listdir(tmpdir)) == []
    run_dir = wfexec_home / "runs" / name
    kept = sorted(p.name for p in run_dir.iterdir())
    assert not (run_dir / "pods").exists() or list((run_dir / "pods").iterdir()) == [], "a pod directory was left"
    assert not PodDirs.for_run(run_dir).base.exists(), "a pod directory was left on the tmpfs"
    kept = [k for k in kept if k != "pods"]
    assert set(kept) <= {"engine.log", "logs"}, [str(p.relative_to(run_dir)) for p in run_dir.rglob("*")]
