"""A container's log under the docker executor, written while it runs, so `logs -f` and the server's follow show
lines as they come (the emissary writes its own; here Docker is the only one who sees the output).

A `LogFollower` streams Docker's log of one container (`follow`, `timestamps`) into the pod's
`ctr/<name>/combined` and its times index (`layout.TIMES_SUFFIX`), the record of a line before its bytes,
as the emissary does. At the pod's end `complete_log` adds what the stream had not yet written, or
rewrites the log when it is not the start of the whole one, so no line is lost or doubled.
"""

from __future__ import annotations

import datetime
import os
import threading
from typing import Any

from wfexec.emissary.layout import TIMES_SUFFIX
from wfexec.executors.base import cut_notice

JOIN_SECONDS = 2.0  # how long the end waits for the stream to reach the end of an exited container's log


def docker_time_ns(mark: bytes) -> int:
    """Unix nanoseconds of one of Docker's RFC 3339 timestamps (`2026-12-07T01:00:00.123456789Z`)."""
    whole, _, frac = mark.decode().rstrip("Z").partition(".")
    secs = int(datetime.datetime.fromisoformat(whole + "+00:00").timestamp())
    return secs * 1_000_000_000 + int(frac.ljust(9, "0")[:9])


def record(offset: int, time_ns: int) -> bytes:
    return offset.to_bytes(8, "little") + time_ns.to_bytes(8, "little")


class LogFollower:
    """One container's log streamed into `path` while it runs (on a daemon thread). What `path` already holds
    (written by the follower of an engine that died) is the stream's start: it is skipped, not written again."""

    def __init__(self, api: Any, container_id: str, path: str, limit: int | None) -> None:
        self.api, self.container_id, self.path, self.limit = api, container_id, path, limit
        self._lock = threading.Lock()
        self._stopped = False
        self._stream: Any = None
        self.thread = threading.Thread(target=self._run, name=f"docker-logs-{container_id[:12]}", daemon=True)

    def start(self) -> LogFollower:
        self.thread.start()
        return self

    def stop(self) -> None:
        """Wait a little for the stream's end (the container has exited), then cut it; nothing is written after."""
        self.thread.join(JOIN_SECONDS)
        with self._lock:
            self._stopped = True
            stream = self._stream
        if stream is not None and self.thread.is_alive():
            try:
                stream.close()
            except Exception:  # noqa: BLE001 - a socket already gone
                pass
        self.thread.join(JOIN_SECONDS)

    def _run(self) -> None:
        try:
            stream = self.api.logs(self.container_id, stdout=True, stderr=True, stream=True, follow=True,
                                   timestamps=True)
        except Exception:  # noqa: BLE001 - live lines are best effort: the end keeps the whole log
            return
        with self._lock:
            if self._stopped:
                stream.close()
                return
            self._stream = stream
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        written = skip = os.path.getsize(self.path) if os.path.exists(self.path) else 0
        line_start, cut = True, self.limit is not None and written > self.limit
        try:
            with open(self.path + TIMES_SUFFIX, "ab") as times, open(self.path, "ab") as log:
                for frame in stream:  # one frame per log message: "<time> <text>", a message ends a line or not
                    mark, _, text = frame.partition(b" ")
                    if skip:
                        dropped, text, skip = text[:skip], text[skip:], skip - min(skip, len(text))
                        line_start = dropped.endswith(b"\n") if dropped else line_start
                        if not text:
                            continue
                    with self._lock:
                        if self._stopped:
                            return
                        if self.limit is not None and written + len(text) > self.limit:
                            if not cut:
                                text, cut = text[:max(0, self.limit - written)], True
                                if text and line_start:
                                    times.write(record(written, docker_time_ns(mark)))
                                    times.flush()
                                log.write(text + cut_notice(self.limit))
                                log.flush()
                                written += len(text)
                            continue
                        if text and line_start:
                            times.write(record(written, docker_time_ns(mark)))
                            times.flush()
                        log.write(text)
                        log.flush()
                        written += len(text)
                        line_start = text.endswith(b"\n") if text else line_start
        except Exception:  # noqa: BLE001 - a closed stream or a mark not parsed: the end completes the log
            return


def complete_log(path: str, whole: bytes, records: bytes) -> None:
    """Make `path` hold `whole` (with `records` as its times index): only the rest is added when what is
    there already starts it (a follower wrote it, readers may have shown it); else it is written anew."""
    try:
        with open(path, "rb") as fh:
            shown = fh.read()
    except FileNotFoundError:
        shown = b""
    if shown and whole.startswith(shown):
        rest = b"".join(records[i:i + 16] for i in range(0, len(records) - len(records) % 16, 16)
                        if int.from_bytes(records[i:i + 8], "little") >= len(shown))
        if rest:
            with open(path + TIMES_SUFFIX, "ab") as out:
                out.write(rest)
        if len(whole) > len(shown):
            with open(path, "ab") as out:
                out.write(whole[len(shown):])
        return
    tmp = f"{path}.keeping"
    with open(tmp, "wb") as out:
        out.write(whole)
    if records:
        with open(path + TIMES_SUFFIX, "wb") as out:
            out.write(records)
    elif shown:
        try:
            os.unlink(path + TIMES_SUFFIX)  # the follower's records point into the log replaced
        except FileNotFoundError:
            pass
    os.replace(tmp, path)  # the index is in place before the log, so a reader never misses one
