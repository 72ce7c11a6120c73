"""The engine's side of the emissary fork server: start it, send it specs, hear who finished.

The server (wfexec/emissary/forkserver.py) runs on a bare `python -S` so it starts fast and
forks cheap; emissaries report completion by writing their key to one shared pipe, which a
thread here reads and hands to `on_key`.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wfexec.errors import RuntimeUnavailable

SERVER = Path(__file__).resolve().parents[1] / "emissary" / "forkserver.py"


def _python() -> str:
    """A Python for the server: the system one starts fastest (no pyenv shim), else ours."""
    for cand in ("/usr/bin/python3",):
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return sys.executable


class ForkServer:
    def __init__(self, on_key: Callable[[str], None], log_path: Path) -> None:
        self._lock = threading.Lock()
        notify_r, notify_w = os.pipe()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        try:
            self._proc = subprocess.Popen(
                [_python(), "-S", "-E", "-s", str(SERVER), "--notify-fd", str(notify_w)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log, pass_fds=(notify_w,),
                close_fds=True,
            )
        except OSError as exc:
            os.close(notify_r)
            os.close(notify_w)
            raise RuntimeUnavailable(f"host runtime: cannot start the emissary fork server: {exc}") from None
        os.close(notify_w)
        self._notify_r = notify_r
        self._on_key = on_key
        self._reader = threading.Thread(target=self._read_loop, name="wfexec-host-done", daemon=True)
        self._reader.start()

    def submit(self, spec: dict[str, Any], heavy: bool = False) -> None:
        """`heavy`: the emissary will pack artifacts or run its command unsandboxed, and is best
        forked from the server's second process, which has those modules already imported."""
        body = json.dumps({"spec": spec, "heavy": True} if heavy else {"spec": spec}).encode()
        with self._lock:
            stdin = self._proc.stdin
            try:
                if stdin is None:
                    raise BrokenPipeError
                stdin.write(struct.pack(">I", len(body)) + body)
                stdin.flush()
            except (BrokenPipeError, ValueError):
                raise RuntimeUnavailable("host runtime: the emissary fork server has stopped; see its log "
                                         f"{self._log.name}") from None

    def _read_loop(self) -> None:
        try:
            self._read_lines()
        finally:
            os.close(self._notify_r)

    def _read_lines(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._notify_r, 65536)
            except OSError:
                return
            if not chunk:  # every writer (server and emissaries) has closed it
                return
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                if line:
                    self._on_key(line.decode())

    def close(self) -> None:
        """Stop the server (end of input). Running emissaries go on and still report to the pipe."""
        with self._lock:
            if self._proc.stdin is not None and not self._proc.stdin.closed:
                try:
                    self._proc.stdin.close()
                except OSError:
                    pass
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._log.close()
