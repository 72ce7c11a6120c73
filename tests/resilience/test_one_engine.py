"""A run has one engine at a time, even when several commands find it without one at the same moment.

Every reader of the store (get, list, watch, the server) continues a run whose engine died. Two of
them that read before either had started an engine both saw it dead; each used to start one, and the
run was then driven twice: its steps ran twice, and one engine waited forever for pods the other had
taken. These tests hold such stale reads on purpose, so the race happens every time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tests.resilience.helpers import (
    processes_under,
    sigkill,
    store_at,
    wait_done,
    wait_no_fork_servers,
    wait_no_processes,
    wfexec,
)
from tests.resilience.test_reattach import _start
from wfexec.engine import api
from wfexec.engine.rerun import NotRetryable, retry_run
from wfexec.engine.store import Store, pid_alive

T = TypeVar("T")


def _engines(home: Path) -> list[int]:
    return [pid for pid, cmd in processes_under(home).items() if "wfexec.engine" in cmd]


def _orphan(home: Path, tmp_path: Path) -> tuple[str, Path]:
    """A run whose step is running and whose engine was just killed; the directory its step writes to."""
    logdir = tmp_path / "shared"
    logdir.mkdir()
    name, _pod = _start(home, logdir)
    store = store_at(home)
    try:
        sigkill(store.get_run(name).engine_pid)
    finally:
        store.close()
    wait_no_fork_servers(home)
    return name, logdir


def _at_once(n: int, home: Path, act: Callable[[Store], T]) -> list[T]:
    """`act` in `n` threads, each with its own store, let go at the same moment: what each returned."""
    results: list[T] = []
    go = threading.Barrier(n)

    def one() -> None:
        store = store_at(home)
        try:
            go.wait()
            results.append(act(store))
        finally:
            store.close()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _ends_once(home: Path, name: str, logdir: Path) -> None:
    """The run succeeds, its step re-attached once and not run again, and nothing is left running."""
    wf = wait_done(home, name)
    assert wf["status"]["phase"] == "Succeeded"
    assert (logdir / "log.txt").read_text() == "ran\n"
    wait_no_processes(home)


def test_two_stale_readers_start_one_engine(wfexec_home: Path, tmp_path: Path) -> None:
    name, logdir = _orphan(wfexec_home, tmp_path)
    store = store_at(wfexec_home)
    try:
        first, second = store.get_run(name), store.get_run(name)  # both read before either heals
        assert api.needs_resume(first) and api.needs_resume(second)
        assert api.heal(store, first) is True
        assert api.heal(store, second) is False, "a second engine was started for a run that has one"
        engine = store.get_run(name).engine_pid
        assert engine and pid_alive(engine)
        assert _engines(wfexec_home) == [engine]
    finally:
        store.close()
    _ends_once(wfexec_home, name, logdir)


def test_readers_at_once_start_one_engine(wfexec_home: Path, tmp_path: Path) -> None:
    name, logdir = _orphan(wfexec_home, tmp_path)
    stale = store_at(wfexec_home).get_run(name)
    started = _at_once(8, wfexec_home, lambda store: api.heal(store, stale))
    assert started.count(True) == 1, started
    _ends_once(wfexec_home, name, logdir)


def test_resume_of_a_run_another_command_healed_starts_no_engine(wfexec_home: Path, tmp_path: Path) -> None:
    name, logdir = _orphan(wfexec_home, tmp_path)
    store = store_at(wfexec_home)
    try:
        assert api.continue_lost(store, name) is True
        assert api.continue_lost(store, name) is False
    finally:
        store.close()
    res = wfexec("resume", name, home=wfexec_home, check=True)  # the engine lives: a resume request
    assert "continued" not in res.stdout, res.stdout
    assert len(_engines(wfexec_home)) == 1
    _ends_once(wfexec_home, name, logdir)


def test_retries_at_once_start_one_engine(wfexec_home: Path, tmp_path: Path) -> None:
    """Several `retry`s of one failed run at the same moment: one retries it, the others are told it
    changed, and the failed step runs once more, not once per retry."""
    tries = tmp_path / "tries"
    tries.mkdir()
    wf = tmp_path / "fails-once.yaml"
    wf.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: fails-once-\nspec:\n"
        "  entrypoint: main\n  templates:\n  - name: main\n    container:\n      image: busybox\n"
        "      command: [sh, -c, 'echo x >> /tries/count; [ $(wc -l < /tries/count) -gt 1 ]']\n"
        "      volumeMounts: [{name: tries, mountPath: /tries}]\n"
        f"    volumes:\n    - name: tries\n      hostPath: {{path: {tries}}}\n")
    name = wfexec("submit", str(wf), "--wait", "-o", "name", home=wfexec_home).stdout.strip().splitlines()[-1]
    assert wait_done(wfexec_home, name)["status"]["phase"] == "Failed"
    wait_no_processes(wfexec_home)
    def retry(store: Store) -> str:
        try:
            retry_run(store, name)
        except NotRetryable as exc:
            return str(exc)
        return "retried"

    outcomes = _at_once(4, wfexec_home, retry)
    assert outcomes.count("retried") == 1, outcomes
    assert wait_done(wfexec_home, name)["status"]["phase"] == "Succeeded"
    wait_no_processes(wfexec_home)
    assert (tries / "count").read_text() == "x\nx\n"
