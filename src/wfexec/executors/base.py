"""Argo's executor interface: how the engine watches and controls a running container."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import IO


class Executor(ABC):
    name: str

    @abstractmethod
    def get_file_contents(self, container: str, path: str) -> str:
        """An output parameter's value."""

    @abstractmethod
    def copy_file(self, container: str, src: str, dest: str, compression: int = 6) -> None:
        """An output artifact, written to `dest` as a .tgz rooted at basename(src)."""

    @abstractmethod
    def get_output_stream(self, container: str, combined: bool) -> IO[bytes]:
        """stdout, or stdout+stderr interleaved."""

    @abstractmethod
    def wait(self, containers: Iterable[str], timeout: float | None = None) -> bool:
        """Block until all have exited; False on timeout."""

    @abstractmethod
    def kill(self, containers: Iterable[str], grace: float) -> None:
        """SIGTERM, wait `grace`, then SIGKILL."""

    @abstractmethod
    def exit_code(self, container: str) -> int | None:
        """None while still running."""
