"""A command that finds no warm engine starts one behind it: at a terminal by default
(`WFEXEC_WARM` unset or `auto`), from anywhere with `WFEXEC_WARM=on`, never with `off`.

The commands run as the `wfexec` program does (`wfexec.cli.entry`), in a pseudo-terminal where a
user's would be; `engine status` tells whether an engine answers and how many commands it served.
Every engine a test causes is stopped at its end.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import env_for
from tests.cli.test_warm_engine import ENTRY, run, served

NOTICE = "starting a warm engine for this home in the background"


def at_terminal(*args: str, home: Path, warm: str | None = None) -> tuple[int, str]:
    """`wfexec ARGS` with a terminal as its stdin, stdout and stderr: its status and what it printed."""
    env = env_for(home)
    env.pop("WFEXEC_WARM", None)
    if warm is not None:
        env["WFEXEC_WARM"] = warm
    master, slave = pty.openpty()
    proc = subprocess.Popen([*ENTRY, *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    out = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            try:
                chunk = os.read(master, 65536) if ready else b""
            except OSError:  # the command has ended and closed the terminal
                chunk = b""
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    return proc.wait(timeout=30), out.decode(errors="replace")


def engine_answers(home: Path, within: float) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if served(home) is not None:
            return True
        time.sleep(0.1)
    return False


def residents(home: Path) -> list[int]:
    """The warm-engine processes started for `home` (listening or not)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if b"wfexec.warm.resident" in cmdline and f"WFEXEC_HOME={home}".encode() in environ.split(b"\0"):
            found.append(int(pid))
    return found


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "home"
    path.mkdir()
    try:
        yield path
    finally:
        run("engine", "stop", home=path)


def test_a_command_at_a_terminal_starts_the_engine_behind_it(home: Path) -> None:
    rc, text = at_terminal("list", home=home)
    assert rc == 0 and "No workflows found" in text, text
    assert NOTICE in text and "wfexec engine stop" in text, text
    assert engine_answers(home, within=30)
    assert served(home) == 0
    again = run("list", home=home)  # a script's command is served too, once an engine runs
    assert again.returncode == 0 and "No workflows found" in again.stdout, again.stderr
    assert served(home) == 1
    log = home / "logs" / "warm-engine.log"
    assert not log.exists() or "Traceback" not in log.read_text()


def test_a_script_starts_none_unless_asked(home: Path) -> None:
    quiet = run("list", home=home)
    assert quiet.returncode == 0 and NOTICE not in quiet.stderr
    assert not engine_answers(home, within=3)
    assert residents(home) == []
    asked = run("list", home=home, env={"WFEXEC_WARM": "on"})
    assert asked.returncode == 0 and NOTICE not in asked.stderr  # asked for: nothing to announce
    assert engine_answers(home, within=30)


def test_off_at_a_terminal_starts_none(home: Path) -> None:
    rc, text = at_terminal("list", home=home, warm="off")
    assert rc == 0 and NOTICE not in text, text
    assert not engine_answers(home, within=3)
    assert residents(home) == []


def test_help_and_the_engine_verbs_start_none(home: Path) -> None:
    for argv in (("--help",), ("engine", "status")):
        at_terminal(*argv, home=home)
    assert not engine_answers(home, within=3)
    assert residents(home) == []


def test_commands_started_together_leave_one_engine(home: Path) -> None:
    env = {**env_for(home), "WFEXEC_WARM": "on"}
    procs = [subprocess.Popen([*ENTRY, "list"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert engine_answers(home, within=30)
    end = time.monotonic() + 30  # the ones that lost the race exit once they find the name taken
    while len(residents(home)) > 1 and time.monotonic() < end:
        time.sleep(0.1)
    assert len(residents(home)) == 1
    log = home / "logs" / "warm-engine.log"
    assert not log.exists() or "cannot listen" not in log.read_text()


def test_the_engine_waits_for_the_command_that_started_it(home: Path, tmp_path: Path) -> None:
    """It loads only once the command has ended (or a second has passed), not while the command runs."""
    started = tmp_path / "started"
    env = {**env_for(home), "WFEXEC_WARM": "on"}
    code = ("from wfexec.warm import client; client.BEHIND_WAIT_MS = 60_000; client.forward(['list']); "
            f"open({str(started)!r}, 'w').close(); import time; time.sleep(2)")
    proc = subprocess.Popen([*ENTRY[:1], "-c", code], env=env)
    end = time.monotonic() + 30
    while not started.exists() and time.monotonic() < end:
        time.sleep(0.05)
    assert started.exists() and residents(home)
    time.sleep(1)
    assert served(home) is None  # its command still runs
    assert proc.wait(timeout=30) == 0
    assert engine_answers(home, within=30)
