"""Running `wfexec` as a user does: a real process, piped or in a pseudo-terminal of a given size."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

WFEXEC = [sys.executable, "-m", "wfexec.cli.main"]


def env_for(home: Path) -> dict[str, str]:
    env = dict(os.environ, WFEXEC_HOME=str(home))
    env.pop("COLUMNS", None)
    env.pop("NO_COLOR", None)
    return env


def wfexec(*args: str, home: Path, check: bool = False, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Piped: stdout and stderr captured."""
    proc = subprocess.run([*WFEXEC, *args], capture_output=True, text=True, env=env_for(home), timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class PtyRun:
    """A `wfexec` whose stdout and stderr are a terminal of `columns` × `rows`."""

    def __init__(self, *args: str, home: Path, columns: int = 200, rows: int = 50) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = env_for(home)
        env["TERM"] = "xterm"
        # a terminal's shell gives its commands Ctrl-C, whatever this test run was started under (a
        # background job of a script ignores SIGINT, and its children inherit that)
        self.proc = subprocess.Popen([*WFEXEC, *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, preexec_fn=_default_sigint)
        os.close(slave)
        self.output = b""

    def read_until(self, found: Callable[[str], bool], timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while not found(self.text) and time.monotonic() < deadline:
            if not self._read(0.2) and self.proc.poll() is not None:
                break
        assert found(self.text), f"not seen in time; output so far:\n{self.text}"
        return self.text

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the other side closed
            return False
        self.output += chunk
        return bool(chunk)

    def interrupt(self) -> None:
        """Ctrl-C, as the terminal sends it: SIGINT to the foreground process group."""
        os.killpg(self.proc.pid, signal.SIGINT)

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.05):
            pass
        os.close(self.master)
        rc = self.proc.wait(timeout=5)
        return rc, self.text

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace").replace("\r\n", "\n")


def in_pty(*args: str, home: Path, columns: int, rows: int = 50) -> str:
    run = PtyRun(*args, home=home, columns=columns, rows=rows)
    rc, text = run.finish()
    assert rc == 0, text
    return text


def strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def workflow(tmp: Path, name: str, body: str) -> Path:
    """A Workflow file under `tmp` from its `spec:` body (indented by two spaces)."""
    path = tmp / f"{name}.yaml"
    path.write_text(f"apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: {name}-\n"
                    f"spec:\n{body}")
    return path


def one_step(tmp: Path, name: str, script: str, extra: str = "") -> Path:
    """A Workflow of one container running `sh -c script`."""
    return workflow(tmp, name, f"  entrypoint: main\n{extra}  templates:\n  - name: main\n"
                               f"    container:\n      image: busybox\n      command: [sh, -c, {json.dumps(script)}]\n")
