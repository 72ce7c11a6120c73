"""Argo's executor interface: how a runtime watches and controls a pod's running containers.

Both runtimes go through it: the host runtime with the emissary executor over the pod's argo
dir, the docker runtime with either executor. What the interface reads (exit codes, output
parameters, packed artifacts, logs) is turned into the pod's result by `executors.result`.
"""

from __future__ import annotations

import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import IO, Any

from wfexec.errors import ArtifactError


class Executor(ABC):
    name: str

    @abstractmethod
    def file_contents_or_none(self, container: str, path: str) -> str | None:
        """An output parameter's value; None when the step did not write the file."""

    @abstractmethod
    def copy_file_if_exists(self, container: str, src: str, dest: str,
                            archive: dict[str, Any] | None = None) -> bool:
        """Save output artifact `src` to `dest` as Argo's `archive` says (default .tgz rooted at
        basename(src)); False when the step did not write it."""

    @abstractmethod
    def get_output_stream(self, container: str, combined: bool) -> IO[bytes]:
        """stdout, or stdout+stderr interleaved."""

    @abstractmethod
    def wait(self, containers: Iterable[str], timeout: float | None = None) -> bool:
        """Block until all have exited; False on timeout."""

    @abstractmethod
    def signal(self, containers: Iterable[str], sig: int) -> None:
        """Send `sig` to each running container's processes, without waiting."""

    @abstractmethod
    def kill(self, containers: Iterable[str], grace: float) -> None:
        """SIGTERM, wait `grace`, then SIGKILL."""

    @abstractmethod
    def exit_code(self, container: str) -> int | None:
        """None while still running (or when it ended without a code)."""

    def get_file_contents(self, container: str, path: str) -> str:
        value = self.file_contents_or_none(container, path)
        if value is None:
            raise ArtifactError(f"container {container!r}: output parameter file {path} was not saved "
                                "(the step did not write it)")
        return value

    def copy_file(self, container: str, src: str, dest: str, compression: int = 6) -> None:
        if not self.copy_file_if_exists(container, src, dest, {"tar": {"compressionLevel": compression}}):
            raise ArtifactError(f"container {container!r}: output artifact {src} was not saved "
                                "(the step did not write it)")

    def failure_text(self, container: str, code: int | None) -> str:
        """Argo's message for a container that failed with `code`."""
        if code is None:
            return f"Error (exit code unknown): the emissary of container {container!r} ended without an exit code"
        return f"Error (exit code {code})"

    def keep_logs(self, container: str, stdout_path: str, combined_path: str, limit: int | None = None) -> None:
        """Make sure the container's stdout and combined logs are at these paths (where the
        emissary writes them), cut past `limit` bytes with the notice the emissary writes."""
        os.makedirs(os.path.dirname(stdout_path), exist_ok=True)
        for path, combined in ((stdout_path, False), (combined_path, True)):
            with self.get_output_stream(container, combined) as src, open(path, "wb") as dst:
                if limit is None:
                    shutil.copyfileobj(src, dst)
                    continue
                data = src.read(limit + 1)
                dst.write(data[:limit])
                if len(data) > limit:
                    dst.write(cut_notice(limit))


def cut_notice(limit: int) -> bytes:
    """The line written where a kept log passes its limit (the emissary writes the same)."""
    return f"\n[output cut: more than {limit} bytes; the rest was not kept]\n".encode()
