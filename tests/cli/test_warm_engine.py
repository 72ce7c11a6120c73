"""The warm engine (`wfexec engine start`): commands run in a fork of it, as the caller would have run them.

Each test starts its own engine for its own home and stops it at the end; the commands run as the
`wfexec` program does (`wfexec.cli.entry`), and `engine status` counts what the engine served, so a test
knows the command did not quietly run cold.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import env_for, one_step

REPO = Path(__file__).resolve().parents[2]
ENTRY = [sys.executable, "-m", "wfexec.cli.entry"]


def run(*args: str, home: Path, cold: bool = False, cwd: Path | None = None, env: dict[str, str] | None = None,
        stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full = {**env_for(home), **(env or {})}
    if cold:
        full["WFEXEC_WARM"] = "off"
    return subprocess.run([*ENTRY, *args], capture_output=True, text=True, env=full, cwd=cwd, input=stdin,
                          timeout=timeout)


def served(home: Path, env: dict[str, str] | None = None) -> int | None:
    """How many commands the home's warm engine has run; None when none runs."""
    proc = run("engine", "status", home=home, env=env)
    if proc.returncode != 0:
        return None
    return int(proc.stdout.split(" command(s) run")[0].rsplit(" ", 1)[1])


@pytest.fixture
def warm(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    started = run("engine", "start", "--idle", "5m", home=home)
    assert started.returncode == 0 and "warm engine started" in started.stdout, started.stderr + started.stdout
    try:
        yield home
    finally:
        run("engine", "stop", home=home)


def test_a_command_runs_in_the_warm_engine_as_it_would_cold(warm: Path, tmp_path: Path) -> None:
    wf = one_step(tmp_path, "hi", "echo warm hello")
    done = run("submit", str(wf), "--wait", "-o", "name", home=warm)
    assert done.returncode == 0, done.stderr
    assert served(warm) == 1
    name = done.stdout.strip()
    logs_warm, logs_cold = run("logs", name, home=warm), run("logs", name, home=warm, cold=True)
    assert logs_warm.returncode == logs_cold.returncode == 0
    assert logs_warm.stdout == logs_cold.stdout and "warm hello" in logs_warm.stdout
    listed_warm, listed_cold = run("list", "-o", "name", home=warm), run("list", "-o", "name", home=warm, cold=True)
    assert listed_warm.stdout == listed_cold.stdout == f"{name}\n"
    assert served(warm) == 3  # the status requests themselves are not commands


def test_exit_status_and_errors_come_back_as_they_would_cold(warm: Path, tmp_path: Path) -> None:
    failing = one_step(tmp_path, "fails", "exit 3")
    for args in (("submit", str(failing), "--wait"), ("submit", str(tmp_path / "missing.yaml")),
                 ("get", "no-such-run"), ("submit", "--no-such-flag")):
        w, c = run(*args, home=warm), run(*args, home=warm, cold=True)
        assert w.returncode == c.returncode != 0, (args, w.stderr, c.stderr)
        assert w.stderr.splitlines()[-1:] == c.stderr.splitlines()[-1:], (args, w.stderr, c.stderr)
    assert served(warm) == 4  # each warm call above; the cold ones did not reach it


def test_the_callers_directory_environment_and_stdin(warm: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    one_step(work, "rel", "echo from a relative path")
    # a relative file, read from the caller's directory (the engine's own is elsewhere)
    rel = run("submit", "rel.yaml", "--wait", "-o", "name", home=warm, cwd=work)
    assert rel.returncode == 0, rel.stderr
    # the workflow from stdin
    text = (work / "rel.yaml").read_text()
    piped = run("submit", "-", "--wait", "-o", "name", home=warm, stdin=text)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.strip().startswith("rel-")
    # the caller's environment: the executor config the caller names, not the one the engine started with
    config = tmp_path / "executor.yaml"
    config.write_text("containerRuntimeExecutor: docker\n")
    shown = run("executor", "show", home=warm, env={"WFEXEC_CONFIG": str(config)})
    assert shown.returncode == 0 and "executor: docker" in shown.stdout and str(config) in shown.stdout
    assert "executor: emissary" in run("executor", "show", home=warm).stdout
    assert served(warm) == 4


def test_ctrl_c_reaches_the_command(warm: Path, tmp_path: Path) -> None:
    wf = one_step(tmp_path, "long", "sleep 60")
    name = run("submit", str(wf), "-o", "name", home=warm).stdout.strip()
    waiting = subprocess.Popen([*ENTRY, "wait", name], env=env_for(warm), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,  # Ctrl-C as a terminal's shell leaves it
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        end = time.monotonic() + 30
        while served(warm) != 2 and time.monotonic() < end:  # the wait has reached the engine
            time.sleep(0.05)
        time.sleep(0.3)
        waiting.send_signal(signal.SIGINT)
        out, err = waiting.communicate(timeout=30)
        assert waiting.returncode == 130, err
        assert "interrupted" in err
    finally:
        waiting.kill()
        run("stop", name, home=warm)


def test_a_signal_the_caller_ignores_stays_ignored(warm: Path, tmp_path: Path) -> None:
    """A script's background job ignores SIGINT; the command it runs through the warm engine does too,
    as a command run in the caller's own process would."""
    wf = one_step(tmp_path, "long", "sleep 60")
    name = run("submit", str(wf), "-o", "name", home=warm).stdout.strip()
    waiting = subprocess.Popen([*ENTRY, "wait", name], env=env_for(warm), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        end = time.monotonic() + 30
        while served(warm) != 2 and time.monotonic() < end:
            time.sleep(0.05)
        time.sleep(0.3)
        waiting.send_signal(signal.SIGINT)
        time.sleep(1.0)
        assert waiting.poll() is None, waiting.communicate()
        waiting.send_signal(signal.SIGTERM)  # what it does not ignore still reaches the command
        out, err = waiting.communicate(timeout=30)
        assert waiting.returncode != 0
    finally:
        waiting.kill()
        run("stop", name, home=warm)


def test_a_run_outlives_the_engine_that_submitted_it(warm: Path, tmp_path: Path) -> None:
    wf = one_step(tmp_path, "outlives", "sleep 2; echo still here")
    name = run("submit", str(wf), "-o", "name", home=warm).stdout.strip()
    stopped = run("engine", "stop", home=warm)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert served(warm) is None
    waited = run("wait", name, home=warm, cold=True)
    assert waited.returncode == 0, waited.stderr + waited.stdout
    assert "still here" in run("logs", name, home=warm).stdout


def test_an_idle_engine_exits(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run("engine", "start", "--idle", "1s", home=home).returncode == 0
    assert served(home) == 0
    end = time.monotonic() + 20
    while served(home) is not None and time.monotonic() < end:
        time.sleep(0.2)
    assert served(home) is None
    assert run("engine", "status", home=home).returncode == 1


def test_a_second_start_keeps_the_first(warm: Path) -> None:
    again = run("engine", "start", home=warm)
    assert again.returncode == 0 and "already runs" in again.stdout
    assert served(warm) == 0


@pytest.mark.parametrize("how", ["written in place", "replaced by a rename"])
def test_changed_code_is_not_served_stale(tmp_path: Path, how: str) -> None:
    """An engine whose loaded sources changed declines the command (it runs cold, correctly) and stops,
    whether the file was written over or, as many editors save, replaced by another."""
    src = tmp_path / "src"
    shutil.copytree(REPO / "src" / "wfexec", src / "wfexec", ignore=shutil.ignore_patterns("__pycache__"))
    code_env = {"PYTHONPATH": str(src)}
    home = tmp_path / "home"
    assert run("engine", "start", home=home, env=code_env).returncode == 0
    try:
        assert run("list", home=home, env=code_env).returncode == 0
        assert served(home, code_env) == 1
        # a caller with other code on its path is not served either, and the engine stays
        assert run("list", home=home).returncode == 0
        assert served(home, code_env) == 1
        # a file the engine never loaded is no change to its code
        (src / "wfexec" / "cli" / "notes.txt").write_text("not code\n")
        assert run("list", home=home, env=code_env).returncode == 0
        assert served(home, code_env) == 2
        changed = src / "wfexec" / "cli" / "cmd_runs.py"
        text = changed.read_text() + "\n# changed\n"
        if how == "written in place":
            changed.write_text(text)
        else:
            saved = tmp_path / "cmd_runs.py"  # made elsewhere: what the directory sees is the move alone
            saved.write_text(text)
            os.replace(saved, changed)
        after = run("list", home=home, env=code_env)
        assert after.returncode == 0, after.stderr
        assert "ran older code and has stopped" in after.stderr
        end = time.monotonic() + 10
        while served(home, code_env) is not None and time.monotonic() < end:
            time.sleep(0.1)
        assert served(home, code_env) is None
    finally:
        run("engine", "stop", home=home, env=code_env)


def test_only_its_own_home(warm: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert run("engine", "status", home=other).returncode == 1
    assert run("list", home=other).returncode == 0
    assert served(warm) == 0
    assert not (other / "logs" / "warm-engine.log").exists()
    assert os.path.exists(warm / "logs" / "warm-engine.log")


def _spares(home: Path) -> set[int]:
    """The fork servers the home's warm engine started ahead (its children with --supervisor-now)."""
    status = run("engine", "status", home=home).stdout
    daemon = int(status.split("pid ", 1)[1].split(",", 1)[0])
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if b"--supervisor-now" in argv and ppid == daemon:
            found.add(int(pid))
    return found


def test_a_submit_takes_the_fork_server_started_ahead(warm: Path, tmp_path: Path) -> None:
    """The fork server (and supervisor) the warm engine started runs the next submit's containers; other
    commands leave it, and the next submit gets a new one."""
    from wfexec.engine.pod_dirs import scratch_root

    end = time.monotonic() + 20
    while len(_spares(warm)) != 1 and time.monotonic() < end:
        time.sleep(0.05)
    first = _spares(warm)
    assert len(first) == 1
    assert run("list", home=warm).returncode == 0
    assert _spares(warm) == first
    name = run("submit", str(one_step(tmp_path, "spare", "sleep 2; echo ran")), "-o", "name", home=warm).stdout.strip()
    root = scratch_root(warm) or warm
    end, supervisor = time.monotonic() + 20, None
    while supervisor is None and time.monotonic() < end:
        pid_files = list(root.glob(f"runs/{name}/pods/*/ctr/main/pid")) + list(warm.glob(f"runs/{name}/pods/*/ctr/main/pid"))
        if pid_files and pid_files[0].read_text().strip():
            supervisor = int(pid_files[0].read_text())
        time.sleep(0.02)
    assert supervisor is not None
    with open(f"/proc/{supervisor}/stat") as fh:  # the container's supervisor is the spare's child
        assert int(fh.read().rsplit(")", 1)[1].split()[1]) in first
    assert run("wait", name, home=warm).returncode == 0
    assert "ran" in run("logs", name, home=warm).stdout
    end = time.monotonic() + 20
    while (_spares(warm) & first or len(_spares(warm)) != 1) and time.monotonic() < end:
        time.sleep(0.05)
    second = _spares(warm)
    assert len(second) == 1 and not second & first  # the first ended with its engine; a new one waits


def test_a_caller_in_another_mount_namespace_runs_cold(warm: Path) -> None:
    """A step's sandbox reaching the engine (same user, same network namespace) is not served: its
    directory and files are not the host's."""
    bwrap = shutil.which("bwrap")
    assert bwrap, "bubblewrap is a test dependency (make test-deps)"
    sandboxed = subprocess.run([bwrap, "--bind", "/", "/", "--proc", "/proc", "--dev", "/dev", *ENTRY, "list"],
                               capture_output=True, text=True, env=env_for(warm), timeout=60)
    assert sandboxed.returncode == 0, sandboxed.stderr
    assert served(warm) == 0
    assert run("list", home=warm).returncode == 0
    assert served(warm) == 1


def _running(home: Path) -> int:
    status = run("engine", "status", home=home).stdout
    return int(status.split(" running,")[0].rsplit(" ", 1)[1])


def test_a_command_whose_caller_is_killed_is_hung_up(warm: Path, tmp_path: Path) -> None:
    """`logs -f` of a long step, its caller killed: the command gets SIGHUP, as it would from a closed
    terminal, and does not follow on for nobody."""
    name = run("submit", str(one_step(tmp_path, "follow", "sleep 60")), "-o", "name", home=warm).stdout.strip()
    follower = subprocess.Popen([*ENTRY, "logs", "-f", name], env=env_for(warm), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 30
        while _running(warm) != 1 and time.monotonic() < end:
            time.sleep(0.05)
        assert _running(warm) == 1
        follower.kill()
        follower.wait()
        end = time.monotonic() + 10
        while _running(warm) != 0 and time.monotonic() < end:
            time.sleep(0.05)
        assert _running(warm) == 0
    finally:
        follower.kill()
        run("stop", name, home=warm)


def test_a_command_killed_by_a_signal_ends_its_caller_as_a_shell_reports_it(warm: Path, tmp_path: Path) -> None:
    """SIGTERM to the caller goes to the command, which dies of it: the warm engine reaps it and the caller
    exits 128 + 15, as a shell reports a process killed by SIGTERM."""
    name = run("submit", str(one_step(tmp_path, "term", "sleep 60")), "-o", "name", home=warm).stdout.strip()
    waiting = subprocess.Popen([*ENTRY, "wait", name], env=env_for(warm), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 30
        while _running(warm) != 1 and time.monotonic() < end:
            time.sleep(0.05)
        waiting.send_signal(signal.SIGTERM)
        waiting.communicate(timeout=30)
        assert waiting.returncode == 128 + signal.SIGTERM
        assert _running(warm) == 0
    finally:
        waiting.kill()
        run("stop", name, home=warm)
