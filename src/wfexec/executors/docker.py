"""Argo's docker executor: watch and control a pod's containers through the Docker Engine API.

It needs no `command` (Docker runs the image's own ENTRYPOINT/CMD) but it needs the daemon
that runs the containers, over a root-equivalent socket. Outputs are read from the stopped
container with `get_archive`, as Argo's docker executor did with `docker cp`.
"""

from __future__ import annotations

import io
import os
import signal
import tarfile
import tempfile
import threading
import time
import zlib
from collections.abc import Iterable
from typing import IO, Any

import docker
import docker.errors

from wfexec.artifacts.pack import DEFAULT_LEVEL
from wfexec.errors import ExecutorError, RuntimeUnavailable
from wfexec.executors.base import Executor
from wfexec.executors.docker_logs import LogFollower, complete_log, docker_time_ns

_STREAM_ERRORS = (docker.errors.DockerException, OSError)


class DockerExecutor(Executor):
    """Executor over the Docker API for the containers of one pod (container name -> id)."""

    name = "docker"

    def __init__(self, client: docker.DockerClient, containers: dict[str, str] | None = None) -> None:
        self.client = client
        self.ids: dict[str, str] = dict(containers or {})
        self._codes: dict[str, int] = {}
        self._followers: dict[str, LogFollower] = {}
        self._lock = threading.Lock()

    def _id(self, container: str) -> str:
        try:
            return self.ids[container]
        except KeyError:
            raise ExecutorError(f"the docker executor has no container named {container!r} in this pod") from None

    def _fail(self, container: str, what: str, exc: BaseException) -> RuntimeUnavailable:
        """A Docker failure as one plain sentence (never a bare 'No such container')."""
        explanation = str(getattr(exc, "explanation", "") or exc)
        if isinstance(exc, docker.errors.NotFound) or "marked for removal" in explanation:
            return RuntimeUnavailable(f"container {container!r}: {what}: the container was removed (by something "
                                      "other than wfexec) before its outputs were read")
        return RuntimeUnavailable(f"container {container!r}: {what}: {explanation}")

    def _archive(self, container: str, path: str) -> bytes | None:
        """The tar Docker makes of `path` (entries rooted at its basename); None when missing."""
        try:
            stream, _ = self.client.api.get_archive(self._id(container), path)
            return b"".join(stream)
        except docker.errors.NotFound:
            return None
        except _STREAM_ERRORS as exc:
            raise self._fail(container, f"reading {path}", exc) from None

    def file_contents_or_none(self, container: str, path: str) -> str | None:
        """The file's text, or None when the path is missing or not a regular file."""
        data = self._archive(container, path)
        if data is None:
            return None
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar:
                if member.isfile():
                    fh = tar.extractfile(member)
                    return fh.read().decode("utf-8", errors="replace") if fh else None
                if member.issym() or member.islnk():
                    return None
        return None

    def copy_file_if_exists(self, container: str, src: str, dest: str,
                            archive: dict[str, Any] | None = None) -> bool:
        """Write `src` to `dest` (.tgz rooted at basename(src) unless `archive` says otherwise)."""
        data = self._archive(container, src)
        if data is None:
            return False
        os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
        strategy = next(iter(archive), "tar") if archive else "tar"
        if strategy == "tar":
            level = int(((archive or {}).get("tar") or {}).get("compressionLevel", DEFAULT_LEVEL))
            comp = zlib.compressobj(level, zlib.DEFLATED, 31)  # gzip framing
            with open(dest, "wb") as out:
                out.write(comp.compress(data))
                out.write(comp.flush())
            return True
        from wfexec.artifacts.pack import pack_path  # none/zip: the same packer the emissary uses
        from wfexec.artifacts.unpack import safe_extract  # a container's archive is untrusted input

        with tempfile.TemporaryDirectory(prefix="wfexec-art-") as tmp:
            raw = os.path.join(tmp, "archive.tar")
            with open(raw, "wb") as fh:
                fh.write(_without_outward_links(data))
            os.makedirs(os.path.join(tmp, "x"))
            safe_extract(raw, os.path.join(tmp, "x"), artifact=os.path.basename(src.rstrip("/")) or src)
            tmp = os.path.join(tmp, "x")
            pack_path(os.path.join(tmp, os.path.basename(src.rstrip("/")) or "artifact"), dest, archive)
        return True

    def get_output_stream(self, container: str, combined: bool) -> IO[bytes]:
        try:
            data = self.client.api.logs(self._id(container), stdout=True, stderr=combined, stream=False)
        except _STREAM_ERRORS as exc:
            raise self._fail(container, "reading its logs", exc) from None
        return io.BytesIO(data)

    def follow_logs(self, container: str, combined_path: str, limit: int | None = None) -> None:
        """Write the container's combined log (and its times) at `combined_path` while it runs, for `logs -f`."""
        follower = LogFollower(self.client.api, self._id(container), combined_path, limit)
        with self._lock:
            self._followers[container] = follower
        follower.start()

    def keep_logs(self, container: str, stdout_path: str, combined_path: str, limit: int | None = None) -> None:
        """As every executor, plus the time of each line beside combined (`layout.TIMES_SUFFIX`), from the
        timestamps Docker keeps. What a follower wrote while the container ran stays: only the rest is added."""
        with self._lock:
            follower = self._followers.pop(container, None)
        if follower is not None:
            follower.stop()
        tmp = f"{combined_path}.whole"
        super().keep_logs(container, stdout_path, tmp, limit)
        with open(tmp, "rb") as fh:
            whole = fh.read()
        os.unlink(tmp)
        records = b""
        try:
            stamped = self.client.api.logs(self._id(container), stdout=True, stderr=True, stream=False,
                                           timestamps=True)
            records = line_times(whole, stamped)
        except (*_STREAM_ERRORS, ValueError):
            pass  # times are best effort: without them a line shows its step's start
        complete_log(combined_path, whole, records)

    def wait(self, containers: Iterable[str], timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for name in containers:
            if name in self._codes:
                continue
            left = None if deadline is None else max(0.05, deadline - time.monotonic())
            try:
                status = self.client.api.wait(self._id(name), timeout=left)
            except docker.errors.NotFound as exc:
                raise self._fail(name, "waiting for it", exc) from None
            except _STREAM_ERRORS:
                if deadline is not None and time.monotonic() >= deadline - 0.05:
                    return False
                raise
            with self._lock:
                self._codes[name] = int(status.get("StatusCode", -1))
        return True

    def kill(self, containers: Iterable[str], grace: float) -> None:
        names = list(containers)
        self.signal(names, signal.SIGTERM)
        if not self.wait(names, timeout=max(0.0, grace)):
            self.signal(names, signal.SIGKILL)

    def signal(self, containers: Iterable[str], sig: int) -> None:
        """Send `sig` to each container's PID 1; containers already stopped are skipped."""
        sig_name = signal.Signals(sig).name
        for name in containers:
            if name in self._codes:
                continue
            try:
                self.client.api.kill(self._id(name), signal=sig_name)
            except docker.errors.APIError as exc:
                if isinstance(exc, docker.errors.NotFound) or exc.status_code == 409:  # gone, or not running
                    continue
                raise self._fail(name, f"sending {sig_name}", exc) from None
            except _STREAM_ERRORS as exc:
                raise self._fail(name, f"sending {sig_name}", exc) from None

    def failure_text(self, container: str, code: int | None) -> str:
        """Argo's text, OOMKilled when the kernel's OOM killer ended the container."""
        try:
            if code is not None and self.client.api.inspect_container(self.ids[container])["State"].get("OOMKilled"):
                return f"OOMKilled (exit code {code})"
        except (docker.errors.DockerException, KeyError):
            pass
        return super().failure_text(container, code)

    def exit_code_cached(self, container: str) -> int | None:
        """The exit code wait() saw, without asking the daemon."""
        return self._codes.get(container)

    def exit_code(self, container: str) -> int | None:
        if container in self._codes:
            return self._codes[container]
        try:
            state = self.client.api.inspect_container(self._id(container))["State"]
        except _STREAM_ERRORS as exc:
            raise self._fail(container, "reading its state", exc) from None
        if state.get("Running") or state.get("Status") in ("created", "restarting"):
            return None
        return int(state.get("ExitCode", -1))


def _without_outward_links(data: bytes) -> bytes:
    """The container's tar minus symlinks that leave the copied tree (`/etc/mtab -> /proc/mounts`):
    stored as they are they would point into the host; the emissary drops them the same way."""
    src = tarfile.open(fileobj=io.BytesIO(data))
    out = io.BytesIO()
    with src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src:
            if member.issym():
                target = member.linkname
                resolved = os.path.normpath(os.path.join(os.path.dirname(member.name), target))
                if os.path.isabs(target) or resolved.startswith(".."):
                    continue
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    return out.getvalue()


def line_times(log: bytes, stamped: bytes) -> bytes:
    """The time records of a log (offset of each line, Docker's time of it), from the same log read with
    `timestamps=True`: its n-th line starts with the n-th line's time. Lines are counted on both sides,
    so a long line Docker stored in pieces (each piece stamped) still lines up."""
    out = bytearray()
    offset = 0
    for line, mark in zip(log.split(b"\n"), stamped.split(b"\n"), strict=False):
        if offset >= len(log):
            break
        out += offset.to_bytes(8, "little") + docker_time_ns(mark.split(b" ", 1)[0]).to_bytes(8, "little")
        offset += len(line) + 1
    return bytes(out)
