"""Argo's emissary executor over a pod's argo dir on the host.

Everything goes through the files the emissary writes (and the signal file it obeys), so it
works whatever runs the containers: host processes or Docker.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from wfexec.emissary.layout import artifact_copy, ctr_file, parameter_copy, read_int
from wfexec.errors import ArtifactError
from wfexec.executors.base import Executor

POLL = 0.01  # seconds between looks at exitcode files in wait()


class EmissaryExecutor(Executor):
    name = "emissary"

    def __init__(self, argo_dir: Path | str, host_pids: bool = False) -> None:
        """`host_pids`: the emissary's pid files name host processes (host runtime). Inside
        Docker they name processes of the container's pid namespace and must not be used."""
        self.argo_dir = str(argo_dir)
        self.host_pids = host_pids

    def get_file_contents(self, container: str, path: str) -> str:
        try:
            with open(parameter_copy(self.argo_dir, path), encoding="utf-8", errors="replace") as f:
                return f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ArtifactError(f"container {container!r}: output parameter file {path} was not saved "
                                "(the step did not write it)") from None

    def copy_file(self, container: str, src: str, dest: str, compression: int = 6) -> None:
        packed = artifact_copy(self.argo_dir, src)
        if not os.path.exists(packed):
            raise ArtifactError(f"container {container!r}: output artifact {src} was not saved "
                                "(the step did not write it)")
        if os.path.abspath(packed) != os.path.abspath(dest):
            if os.path.isdir(packed):  # archive: none of a directory
                shutil.copytree(packed, dest, symlinks=True, dirs_exist_ok=True)
            else:
                shutil.copyfile(packed, dest)

    def get_output_stream(self, container: str, combined: bool) -> IO[bytes]:
        try:
            return open(ctr_file(self.argo_dir, container, "combined" if combined else "stdout"), "rb")
        except FileNotFoundError:
            return io.BytesIO(b"")

    def wait(self, containers: Iterable[str], timeout: float | None = None) -> bool:
        names = list(containers)
        end = None if timeout is None else time.monotonic() + timeout
        while any(self.exit_code(n) is None for n in names):
            if end is not None and time.monotonic() >= end:
                return False
            time.sleep(POLL)
        return True

    def kill(self, containers: Iterable[str], grace: float) -> None:
        names = [n for n in containers if self.exit_code(n) is None]
        for name in names:
            self._signal_file(name, signal.SIGTERM)
        if names and not self.wait(names, timeout=grace):
            for name in names:
                if self.exit_code(name) is not None:
                    continue
                pgid = read_int(ctr_file(self.argo_dir, name, "childpgid"))
                if self.host_pids and pgid is not None and pgid > 1:
                    try:  # straight to the child's group: fast, and works if the emissary is wedged
                        os.killpg(pgid, signal.SIGKILL)
                        continue
                    except (ProcessLookupError, PermissionError):
                        pass
                self._signal_file(name, signal.SIGKILL)
            self.wait(names, timeout=10)

    def exit_code(self, container: str) -> int | None:
        return read_int(ctr_file(self.argo_dir, container, "exitcode"))

    def _signal_file(self, container: str, sig: int) -> None:
        path = ctr_file(self.argo_dir, container, "signal")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(str(int(sig)))
        os.replace(tmp, path)
