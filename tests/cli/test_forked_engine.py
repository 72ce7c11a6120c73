"""`submit` forks its engine (engine/forked.py): detached as the daemon was, gone when no run comes."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.cli.helpers import one_step, wfexec
from tests.resilience.helpers import engine_pid, processes_under, wait_done


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()


def test_the_engine_is_detached_and_holds_nothing_of_the_command(tmp_path: Path) -> None:
    home = tmp_path / "home"
    wf = one_step(tmp_path, "held", "sleep 30")
    # Piped stdout and stderr: were the engine to keep either, this would wait for the step's 30 s.
    proc = wfexec("submit", str(wf), "-o", "name", home=home, timeout=20)
    assert proc.returncode == 0, proc.stderr
    name = proc.stdout.strip()
    pid = engine_pid(home, name)
    try:
        fields = _stat(pid)
        # A session of its own (no terminal's Ctrl-C or hang-up reaches it), with no controlling terminal.
        assert os.getsid(pid) != os.getsid(0)
        assert int(fields[4]) == 0  # tty_nr
        fds = {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        assert fds[0] == os.devnull
        assert fds[1] == fds[2] == str(home / "runs" / name / "engine.log")
    finally:
        assert wfexec("stop", name, home=home).returncode == 0
    assert wait_done(home, name, timeout=60)["status"]["phase"] in ("Failed", "Error")


def test_a_refused_file_leaves_no_engine_behind(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bad = one_step(tmp_path, "bad", "true", extra="  parallelism: many\n")
    proc = wfexec("submit", str(bad), "--wait", home=home)
    assert proc.returncode != 0 and "nothing was submitted" in proc.stderr
    end = time.monotonic() + 10
    while processes_under(home) and time.monotonic() < end:
        time.sleep(0.05)
    assert processes_under(home) == {}


def test_a_run_with_its_own_config_gets_its_own_backend(tmp_path: Path) -> None:
    """The forked engine starts the default (sandboxed) backend while it waits; a run with another
    config closes that one and runs on a backend made from its own: here unsandboxed, so the step sees
    the host's /tmp, which the sandbox replaces."""
    import tempfile

    home = tmp_path / "home"
    config = tmp_path / "config.yaml"
    config.write_text("sandbox: none\n")
    marker = Path(tempfile.mkdtemp(dir="/tmp")) / "marker"
    marker.write_text("x")
    try:
        wf = one_step(tmp_path, "own", f"test -e {marker} && echo unsandboxed || echo sandboxed")
        proc = wfexec("submit", str(wf), "--config", str(config), "--wait", "-o", "name", home=home, timeout=60)
        assert proc.returncode == 0, proc.stderr
        name = proc.stdout.strip().splitlines()[-1]
        assert wfexec("logs", name, home=home, check=True).stdout.strip() == f"{name}: unsandboxed"
        plain = wfexec("submit", str(wf), "--wait", "-o", "name", home=home, timeout=60)
        assert plain.returncode == 0, plain.stderr
        name = plain.stdout.strip().splitlines()[-1]
        assert wfexec("logs", name, home=home, check=True).stdout.strip() == f"{name}: sandboxed"
    finally:
        marker.unlink()
        marker.parent.rmdir()
    end = time.monotonic() + 10
    while processes_under(home) and time.monotonic() < end:
        time.sleep(0.05)
    assert processes_under(home) == {}  # the unused fork server ended with its engine
