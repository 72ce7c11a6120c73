"""A fault in the engine itself ends its run in Error, once, instead of an engine started again and again.

An engine killed from outside (`kill -9`, a reboot) leaves its run Running, and the next command that
reads the store starts another one, which takes the run over (test_crash_safety.py). An engine that
stopped on an exception of its own used to leave the run just as it was, so the next engine met the
same exception, and `wfexec wait` started engines every two seconds for ever. Here the run store holds
a Workflow that never passed the linter (as a row written by another tool or an older wfexec would):
its second step group is a list of names, not of steps, which the engine does not expect.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.resilience.helpers import processes_under, store_at, wait_no_processes, wfexec
from wfexec.engine import api

NOOP = {"name": "noop", "container": {"image": "busybox", "command": ["true"]}}


def _stored(home: Path, spec: dict[str, object]) -> str:
    """A run stored as it is, without the linter's checks; its engine started as `submit` starts one."""
    store = store_at(home)
    try:
        wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "fault-"},
              "spec": spec}
        rec = api.create_run(store, wf, api.SubmitOptions())
    finally:
        store.close()
    api.start_background(rec.name)
    return rec.name


def test_an_engine_fault_ends_the_run_in_error_with_its_name(wfexec_home: Path) -> None:
    name = _stored(wfexec_home, {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [[{"name": "first", "template": "noop"}], ["second"]]}, NOOP]})
    try:
        waited = wfexec("wait", name, home=wfexec_home, timeout=30)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"`wfexec wait {name}` had not returned after 30 s") from exc
    assert waited.returncode != 0
    wf = json.loads(wfexec("get", name, "-o", "json", home=wfexec_home, check=True).stdout)
    status = wf["status"]
    log = wfexec_home / "runs" / name / "engine.log"
    assert status["phase"] == "Error"
    assert "AttributeError" in status["message"] and str(log) in status["message"], status["message"]
    nodes = {n["displayName"]: n for n in status["nodes"].values()}
    assert nodes["first"]["phase"] == "Succeeded"  # what ran before the fault keeps its result
    assert nodes[name]["phase"] == "Error" and nodes[name].get("finishedAt")
    assert all(n["phase"] not in ("Running", "Pending") for n in nodes.values()), nodes
    text = log.read_text()
    assert text.count("Traceback") == 1, text  # one engine met the fault; none was started after it
    assert "lost its engine" not in text
    wait_no_processes(wfexec_home)
    assert not processes_under(wfexec_home)


def test_a_fault_before_the_run_starts_ends_it_too(wfexec_home: Path) -> None:
    """The stored spec's templates are not a list: the engine fails while it reads them, before the run
    has started, where no reader would continue the run and `wait` would wait for ever."""
    name = _stored(wfexec_home, {"entrypoint": "main", "templates": "main"})
    try:
        waited = wfexec("wait", name, home=wfexec_home, timeout=30)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"`wfexec wait {name}` had not returned after 30 s") from exc
    assert waited.returncode != 0
    rec = store_at(wfexec_home).get_run(name)
    assert rec.phase == "Error" and rec.finished_at and rec.engine_pid is None
    assert rec.message and "TypeError" in rec.message, rec.message
