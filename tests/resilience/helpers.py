"""Shared pieces of the resilience tests: run the real `wfexec` CLI, read the run store, count processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from wfexec.engine.pod_dirs import scratch_root
from wfexec.engine.store import Store, pid_alive

WFEXEC = [sys.executable, "-m", "wfexec.cli.main"]
DATA = Path(__file__).resolve().parent / "data"
DONE = ("Succeeded", "Failed", "Error")


def wfexec(*args: str, home: Path, check: bool = False, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WFEXEC_HOME=str(home), COLUMNS="200")
    proc = subprocess.run([*WFEXEC, *args], capture_output=True, text=True, env=env, timeout=timeout)
    if check:
        assert proc.returncode == 0, f"wfexec {' '.join(args)}: {proc.stderr}{proc.stdout}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def store_at(home: Path) -> Store:
    return Store(home / "runs.db")


def engine_pid(home: Path, run: str, timeout: float = 30) -> int:
    """The pid of the live engine driving `run` (waits for one to claim it)."""
    store = store_at(home)
    try:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            rec = store.get_run(run)
            if rec.phase in DONE:
                return 0
            if rec.engine_pid and pid_alive(rec.engine_pid):
                return rec.engine_pid
            time.sleep(0.02)
        raise AssertionError(f"no engine claimed run {run} within {timeout}s")
    finally:
        store.close()


def wait_done(home: Path, run: str, timeout: float = 180) -> dict[str, Any]:
    """Wait for the run to end (healing it through `wfexec get`); return `get -o json`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        wf = json.loads(wfexec("get", run, "-o", "json", home=home, check=True).stdout)
        if wf["status"]["phase"] in DONE:
            return wf
        time.sleep(0.3)
    raise AssertionError(f"run {run} did not end within {timeout}s")


def sigkill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    end = time.monotonic() + 10
    while pid_alive(pid) and time.monotonic() < end:
        time.sleep(0.01)


def processes_under(home: Path, marker: str | None = None) -> dict[int, str]:
    """Live processes whose command line or environment names this $WFEXEC_HOME (engines, fork
    servers, emissaries, bwrap) or `marker` (put in a step's env: the step's own children)."""
    scratch = scratch_root(home)  # pod directories on the tmpfs: the emissaries name them
    marks = [str(home)] + ([str(scratch)] if scratch else []) + ([marker] if marker else [])
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
            continue
        if any(m in cmd or m in env for m in marks):
            found[int(entry)] = cmd
    return found


def fork_servers(home: Path) -> dict[int, int]:
    """The host runtime's fork server processes under `home` (the server and its heavy second
    process), as {pid: parent pid}. The emissaries they fork share their command line but are
    session leaders (setsid); the servers are not."""
    found: dict[int, int] = {}
    for pid, cmd in processes_under(home).items():
        if "emissary/forkserver.py" not in cmd:
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ppid, sid = int(fields[1]), int(fields[3])
        if sid != pid:
            found[pid] = ppid
    return found


def wait_no_fork_servers(home: Path, timeout: float = 5.0) -> float:
    """Wait until no fork server is left under `home`; return how long that took."""
    start = time.monotonic()
    while fork_servers(home):
        if time.monotonic() - start > timeout:
            raise AssertionError(f"fork servers still alive {timeout}s after their engine died: {fork_servers(home)}")
        time.sleep(0.02)
    return time.monotonic() - start


def wait_no_processes(home: Path, timeout: float = 10.0) -> None:
    """Assert that nothing is left running under `home`: an engine may take a moment to exit
    after its run has ended (the store says so before the process is gone)."""
    end = time.monotonic() + timeout
    while processes_under(home) and time.monotonic() < end:
        time.sleep(0.05)
    left = {pid: (cmd, _state(pid)) for pid, cmd in processes_under(home).items()}
    assert not left, f"left running {timeout}s after the run ended: {left}"


def _state(pid: int) -> str:
    """A process's state and parent, for a message."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return f"state {fields[0].decode()}, parent {int(fields[1])}"
    except (OSError, IndexError):
        return "gone"
