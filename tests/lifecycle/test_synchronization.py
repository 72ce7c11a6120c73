"""The synchronization-* examples: mutexes and semaphores across separate wfexec processes that
share one $WFEXEC_HOME, checked from node start and finish times; a killed holder frees its lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import CORPUS
from wfexec.engine.store import Store
from wfexec.engine.sync import LockRef, LockTable

EX = CORPUS / "argo-examples"
WFEXEC = [str(Path(sys.executable).parent / "wfexec")]


def _example(name: str, dest: Path, sleep: str, **replace: str) -> Path:
    """The corpus example with its sleeps shortened (the locks are the example's own)."""
    text = (EX / name).read_text()
    for old, new in {"sleep 10": sleep, "sleep 20": sleep, "sleep 50": sleep, **replace}.items():
        text = text.replace(old, new)
    out = dest / name
    out.write_text(text)
    return out


def _submit(path: Path, run: str) -> None:
    subprocess.run([*WFEXEC, "submit", str(path), "--name", run], check=True, capture_output=True, timeout=60)


def _wait(*runs: str, timeout: float = 90) -> dict[str, Any]:
    store = Store()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recs = {r: store.get_run(r) for r in runs}
        if all(rec.finished_at for rec in recs.values()):
            return recs
        time.sleep(0.2)
    raise AssertionError(f"runs did not end: {[(r, store.get_run(r).phase) for r in runs]}")


def _pods(run: str, template: str) -> list[tuple[str, str]]:
    nodes = Store().get_nodes(run).values()
    return sorted((n["startedAt"], n["finishedAt"]) for n in nodes
                  if n.get("type") == "Pod" and n.get("templateName") == template)


def _max_overlap(spans: list[tuple[str, str]]) -> int:
    """How many spans run at once, at most (a span ending when another starts does not overlap it)."""
    events = sorted([(s, 1) for s, _ in spans] + [(f, -1) for _, f in spans], key=lambda e: (e[0], e[1]))
    most = now = 0
    for _, d in events:
        now += d
        most = max(most, now)
    return most


def test_workflow_mutex_two_runs_never_overlap(wfexec_home: Path, tmp_path: Path) -> None:
    """The first run holds the mutex until the second is seen waiting; then it is stopped, and the
    second runs only after the first's pod has ended."""
    path = _example("synchronization-mutex-wf-level.yaml", tmp_path, "",
                    **{"command: [echo]": "command: [sh, -c]", 'args: ["hello world"]': 'args: ["sleep 60"]'})
    (tmp_path / "as-is").mkdir()
    quick = _example("synchronization-mutex-wf-level.yaml", tmp_path / "as-is", "")
    store = Store()
    _submit(path, "sync-a")
    _running(store, "sync-a")  # it holds the mutex now: the next run must wait
    held = store.get_run("sync-a").status["synchronization"]["mutex"]["holding"]
    assert held == [{"mutex": "default/Mutex/test", "holder": "sync-a"}]
    _submit(quick, "sync-b")
    deadline = time.monotonic() + 60
    while not (store.get_run("sync-b").message or "").startswith("Waiting for") and time.monotonic() < deadline:
        time.sleep(0.05)
    rec = store.get_run("sync-b")
    assert rec.phase == "Pending" and rec.message == "Waiting for default/Mutex/test lock. Lock status: 0/1"
    assert rec.status["synchronization"]["mutex"]["waiting"] == [{"mutex": "default/Mutex/test", "holder": "sync-b"}]
    store.set_control("sync-a", "stop")
    recs = _wait("sync-a", "sync-b")
    assert [r.phase for r in recs.values()] == ["Failed", "Succeeded"]
    (a_span,) = _pods("sync-a", "hello-world")
    (b_span,) = _pods("sync-b", "hello-world")
    assert a_span[1] <= b_span[0]
    assert "synchronization" not in store.get_run("sync-a").status  # released at the end
    assert LockTable(store).rows() == []


def _running(store: Store, run: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(
            n.get("phase") == "Running" for n in store.get_nodes(run).values() if n.get("type") == "Pod"):
        time.sleep(0.05)


def test_template_mutexes_serialise_across_two_runs(wfexec_home: Path, tmp_path: Path) -> None:
    path = _example("synchronization-mutex-tmpl-level.yaml", tmp_path, "sleep 1")
    _submit(path, "tm-a")
    _submit(path, "tm-b")
    recs = _wait("tm-a", "tm-b", timeout=120)
    assert [r.phase for r in recs.values()] == ["Succeeded", "Succeeded"], [r.message for r in recs.values()]
    for template in ("acquire-lock", "acquire-lock-1"):  # mutexes "welcome" and "test"
        spans = _pods("tm-a", template) + _pods("tm-b", template)
        assert len(spans) == 10 and _max_overlap(spans) == 1, spans
    # the two mutexes are distinct: their sections did overlap each other
    assert _max_overlap(_pods("tm-a", "acquire-lock") + _pods("tm-a", "acquire-lock-1")) == 2


def test_configmap_semaphore_of_two_admits_exactly_two(wfexec_home: Path, tmp_path: Path) -> None:
    (wfexec_home / "configmaps").mkdir()
    (wfexec_home / "configmaps" / "my-config.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: my-config}\ndata: {template: \"2\", workflow: \"1\"}\n")
    path = _example("synchronization-tmpl-level.yaml", tmp_path, "sleep 2")
    _submit(path, "sem-a")
    recs = _wait("sem-a")
    assert recs["sem-a"].phase == "Succeeded", recs["sem-a"].message
    spans = _pods("sem-a", "acquire-lock")
    assert len(spans) == 5 and _max_overlap(spans) == 2, spans
    waited = [n for n in Store().get_nodes("sem-a").values() if n.get("templateName") == "acquire-lock"]
    assert all("synchronizationStatus" not in n for n in waited)


def test_killed_holder_frees_the_mutex(wfexec_home: Path, tmp_path: Path) -> None:
    hold = _example("synchronization-mutex-wf-level.yaml", tmp_path, "",
                    **{"command: [echo]": "command: [sh, -c]", 'args: ["hello world"]': 'args: ["sleep 15"]'})
    _submit(hold, "holder")
    store = Store()
    _running(store, "holder")
    deadline = time.monotonic() + 30
    (tmp_path / "quick").mkdir()
    quick = _example("synchronization-mutex-wf-level.yaml", tmp_path / "quick", "")
    _submit(quick, "next")
    while time.monotonic() < deadline and not store.get_run("next").message:
        time.sleep(0.1)
    assert (store.get_run("next").message or "").startswith("Waiting for default/Mutex/test lock")
    pid = store.get_run("holder").engine_pid
    assert pid
    os.kill(pid, signal.SIGKILL)
    killed_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    recs = _wait("next", timeout=60)
    assert recs["next"].phase == "Succeeded", recs["next"].message
    (span,) = _pods("next", "hello-world")
    assert span[0] >= killed_at  # it ran once the holder's engine was gone (its pod may still run: no lock)


def test_waiters_are_served_by_priority_then_arrival(wfexec_home: Path) -> None:
    table = LockTable(Store())
    ref = LockRef("argo/Mutex/m", 1, True)
    assert table.try_acquire(ref, "h0", "r0", 0).acquired
    low = table.try_acquire(ref, "low", "r1", 0)
    assert not low.acquired and low.message == "Waiting for argo/Mutex/m lock. Lock status: 0/1"
    assert not table.try_acquire(ref, "high", "r2", 5).acquired
    assert not table.try_acquire(ref, "high2", "r3", 5).acquired
    table.release(ref, "h0")
    queued = table.try_acquire(ref, "low", "r1", 0)
    assert not queued.acquired and queued.message == "Waiting for argo/Mutex/m lock. Available queue status: 1/1"
    assert not table.try_acquire(ref, "high2", "r3", 5).acquired  # arrived after "high"
    assert table.try_acquire(ref, "high", "r2", 5).acquired
    table.release(ref, "high")
    assert table.try_acquire(ref, "high2", "r3", 5).acquired
    table.release_run("r3")
    assert table.try_acquire(ref, "low", "r1", 0).acquired
    assert [(r[0], r[1], r[3]) for r in table.rows()] == [("argo/Mutex/m", "low", "holding")]


def test_stopping_a_run_that_waits_for_a_lock(wfexec_home: Path) -> None:
    import threading

    from tests.support.runs import run_workflow

    store = Store()
    table = LockTable(store)
    ref = LockRef("default/Mutex/test", 1, True)
    assert table.try_acquire(ref, "someone-else", "other-run", 0).acquired  # held by this (live) process
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "stop-me"},
          "spec": {"entrypoint": "main", "synchronization": {"mutex": {"name": "test"}},  # the v3 spelling
                   "templates": [{"name": "main", "container": {"image": "busybox", "command": ["true"]}}]}}
    done: list[Any] = []
    worker = threading.Thread(target=lambda: done.append(run_workflow(wf)))
    worker.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if (store.get_run("stop-me").message or "").startswith("Waiting for default/Mutex/test lock"):
                break
        except Exception:  # noqa: BLE001 - not created yet
            pass
        time.sleep(0.05)
    store.set_control("stop-me", "stop")
    worker.join(30)
    (run,) = done
    assert run.phase == "Failed" and run.message == "Stopped with strategy 'Stop'"
    assert not run.pods()  # it never ran
    assert [r[1] for r in table.rows()] == ["someone-else"]
