"""Argo's emissary executor: everything through the pod's argo dir, whatever runs the containers.

The emissary writes exit codes, logs and outputs there, and obeys the signal file. That is
all the host runtime needs, plus the pid files that name host processes (`host_pids`). On the
docker runtime the emissary is each container's PID 1, so the container engine (`engine`, an
executor over Docker) adds what files cannot give: the exit of a container whose emissary died
without writing its code, and a SIGKILL that works even when the emissary cannot obey.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from wfexec.emissary.layout import (
    EMISSARY_FAILED,
    SUPERVISED_MARK,
    artifact_copy,
    ctr_file,
    parameter_copy,
    read_int,
    write_atomic,
)
from wfexec.executors.base import Executor

POLL = 0.01  # seconds between looks at exitcode files in wait()
SIGKILL_WAIT = 2.0  # containers: how long the emissary gets to obey a SIGKILL file before Docker's
LOG_TAIL = 4096  # bytes of a combined log searched for the emissary's last complaint


class EmissaryExecutor(Executor):
    name = "emissary"

    def __init__(self, argo_dir: Path | str, host_pids: bool = False, engine: Executor | None = None) -> None:
        """`host_pids`: the emissary's pid files name host processes (host runtime). Inside
        containers they name processes of another pid namespace and are never used."""
        self.argo_dir = str(argo_dir)
        self.host_pids = host_pids
        self.engine = engine
        self._killed: set[str] = set()

    # -- outputs --------------------------------------------------------------------------
    def file_contents_or_none(self, container: str, path: str) -> str | None:
        try:
            with open(parameter_copy(self.argo_dir, path), encoding="utf-8", errors="replace") as f:
                return f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def copy_file_if_exists(self, container: str, src: str, dest: str,
                            archive: dict[str, Any] | None = None) -> bool:
        """The emissary already packed it as the template's `archive` says: copy it, unless
        `dest` is where it already is."""
        packed = artifact_copy(self.argo_dir, src)
        if not os.path.lexists(packed):
            return False
        if os.path.abspath(packed) != os.path.abspath(dest):
            if os.path.isdir(packed):  # archive: none of a directory
                shutil.copytree(packed, dest, symlinks=True, dirs_exist_ok=True)
            else:
                shutil.copyfile(packed, dest)
        return True

    def get_output_stream(self, container: str, combined: bool) -> IO[bytes]:
        try:
            return open(ctr_file(self.argo_dir, container, "combined" if combined else "stdout"), "rb")
        except FileNotFoundError:
            return io.BytesIO(b"")

    def keep_logs(self, container: str, stdout_path: str, combined_path: str, limit: int | None = None) -> None:
        """The emissary wrote them; when it never started, keep what the container engine saw."""
        if self.engine is not None and not os.path.exists(combined_path):
            self.engine.keep_logs(container, stdout_path + ".docker", combined_path)

    # -- exits ----------------------------------------------------------------------------
    def emissary_exit_code(self, container: str) -> int | None:
        """The code the emissary wrote; None while it runs, or when it died without writing one."""
        return read_int(ctr_file(self.argo_dir, container, "exitcode"))

    def exit_code(self, container: str) -> int | None:
        code = self.emissary_exit_code(container)
        if code is None and self.engine is not None:
            return self.engine.exit_code(container)
        return code

    def wait(self, containers: Iterable[str], timeout: float | None = None) -> bool:
        names = list(containers)
        if self.engine is not None:  # the emissary is PID 1: its container ends when it does
            return self.engine.wait(names, timeout)
        end = None if timeout is None else time.monotonic() + timeout
        while any(self.exit_code(n) is None for n in names):
            if end is not None and time.monotonic() >= end:
                return False
            time.sleep(POLL)
        return True

    def failure_text(self, container: str, code: int | None) -> str:
        if (self.engine is not None and code is not None and code < 128 and container not in self._killed
                and self.emissary_exit_code(container) is None):
            return (f"Error (exit code {code}): the emissary of container {container!r} ended without an exit "
                    "code; see its log")
        text = self.engine.failure_text(container, code) if self.engine is not None \
            else super().failure_text(container, code)
        if code == EMISSARY_FAILED:  # the emissary's own failure: say why
            why = last_emissary_line(ctr_file(self.argo_dir, container, "combined"))
            if why:
                text += f": {why}"
        return text

    # -- stopping -------------------------------------------------------------------------
    def signal(self, containers: Iterable[str], sig: int) -> None:
        """Through the emissary, which signals its child's process group. SIGKILL on the host
        goes straight to that group: it works even if the emissary is wedged."""
        for name in containers:
            if self.emissary_exit_code(name) is not None:
                continue
            if self.engine is not None:
                if self._emissary_up(name):
                    self._signal_file(name, sig)
                else:  # still starting: the emissary (PID 1) forwards it, or SIGKILL ends it
                    self.engine.signal([name], sig)
            elif self.host_pids:
                self._signal_host(name, sig)
            else:
                self._signal_file(name, sig)

    def kill(self, containers: Iterable[str], grace: float) -> None:
        names = [n for n in containers if self.exit_code(n) is None]
        self._killed.update(names)
        self.signal(names, signal.SIGTERM)
        if not names or self.wait(names, timeout=max(0.05, grace)):
            return
        left = [n for n in names if self.exit_code(n) is None]
        self.signal(left, signal.SIGKILL)
        if self.engine is not None:  # the emissary records 137 and the outputs, then Docker's SIGKILL
            end = time.monotonic() + SIGKILL_WAIT
            while time.monotonic() < end and any(self.emissary_exit_code(n) is None for n in left):
                time.sleep(POLL)
            self.engine.signal(left, signal.SIGKILL)
        else:
            self.wait(left, timeout=10)

    def supervised(self, container: str) -> bool:
        """Run by the host fork server's supervisor: its `pid` file names that shared process."""
        return os.path.exists(ctr_file(self.argo_dir, container, SUPERVISED_MARK))

    def _emissary_up(self, container: str) -> bool:
        return os.path.exists(ctr_file(self.argo_dir, container, "combined"))

    def _signal_host(self, name: str, sig: int) -> None:
        if sig == signal.SIGKILL or self.supervised(name):  # no emissary of its own to forward it
            pgid = read_int(ctr_file(self.argo_dir, name, "childpgid"))
            if pgid is not None and pgid > 1 and pgid != os.getpgrp():
                try:
                    os.killpg(pgid, sig)
                    return
                except (ProcessLookupError, PermissionError):
                    pass
            self._signal_file(name, sig)  # no child group yet: the emissary obeys it when it has one
            return
        pid = read_int(ctr_file(self.argo_dir, name, "pid"))
        if pid is None:  # not started yet: the emissary looks at the signal file before it runs the child
            self._signal_file(name, sig)
            return
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _signal_file(self, container: str, sig: int) -> None:
        path = ctr_file(self.argo_dir, container, "signal")
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomic(path, str(int(sig)))
        except OSError:  # a full disk or a removed pod: the runtime escalates
            pass


def last_emissary_line(path: str) -> str | None:
    """The emissary's last `emissary: …` complaint in a combined log."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - LOG_TAIL))
            tail = f.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    lines = [ln[len("emissary: "):] for ln in tail.splitlines() if ln.startswith("emissary: ")]
    return lines[-1] if lines else None
