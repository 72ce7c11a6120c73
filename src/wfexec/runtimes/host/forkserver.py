"""The engine's side of the emissary fork server: start it, send it specs, hear who finished.

The server (wfexec/emissary/forkserver.py) runs on a bare `python -S` so it starts fast and
forks cheap; emissaries report completion by writing their key to one shared pipe, which a
thread here reads and hands to `on_key`.

Liveness: each request carries an id, and the server's stdout answers it: `+id` once its
emissary is forked (the emissary writes it itself, then lets go of stdout), `!id why` when none
will run (handed to `on_failed`). End of file on that stdout means the server (both its
processes) is gone *and* every emissary it forked has answered; a request still unanswered was
never forked. So when a server dies (OOM killer, `kill -9`), a warning is logged, a new server is
started and the unanswered requests are sent to it; emissaries already forked run on and report
to the completion pipe, which this object (not the server) owns. A server that keeps dying
(RESTART_LIMIT deaths within RESTART_WINDOW seconds) is given up: every unanswered request, and
every later one, fails with a message naming the server's exit status and log.

The server ends at the end of its input, i.e. when `close()` is called or the engine dies: its
emissaries are their own sessions and run on, to be re-attached by a new engine.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from wfexec.errors import RuntimeUnavailable

SERVER = Path(__file__).resolve().parents[2] / "emissary" / "forkserver.py"
PYTHON_ENV = "WFEXEC_FORKSERVER_PYTHON"  # the interpreter that runs the server (default: see _python)
RESTART_LIMIT = 3  # deaths within RESTART_WINDOW seconds: give up
RESTART_WINDOW = 30.0
RESTART_BACKOFF = 0.25  # seconds before the n-th restart within the window: (n - 1) * this
HEAVY_GONE = 3  # the server's exit status when its second (heavy) process died
SUPERVISOR_GONE = 4  # the server's exit status when its supervisor died

log = logging.getLogger("wfexec.runtimes.host")


def _python() -> str:
    """A Python for the server: $WFEXEC_FORKSERVER_PYTHON if set; else the system one, which
    starts fastest (no pyenv shim); else ours."""
    chosen = os.environ.get(PYTHON_ENV)
    if chosen:
        return chosen
    system = "/usr/bin/python3"
    return system if os.access(system, os.X_OK) else sys.executable


def server_argv(python: str, notify_w: int, supervisor_now: bool = False) -> list[str]:
    return [python, "-S", "-E", "-s", str(SERVER), "--notify-fd", str(notify_w),
            *(["--supervisor-now"] if supervisor_now else [])]


def describe_status(code: int | None) -> str:
    """An exit status as a person reads it."""
    if code is None:
        return "could not be started"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    if code == HEAVY_GONE:
        return f"exited with status {code} (its second process, which forks the heavy emissaries, died)"
    if code == SUPERVISOR_GONE:
        return f"exited with status {code} (its supervisor, which runs sandboxed containers, died)"
    return f"exited with status {code}"


class ForkServer:
    """The fork server of one backend, restarted when it dies.

    `on_key(notify_key)`: a container's emissary has ended. `on_failed(notify_key, message)`: the
    request for that container will never run. Both are called from threads of this object, with
    no lock of ours held.
    """

    def __init__(self, on_key: Callable[[str], None], log_path: Path,
                 on_failed: Callable[[str, str], None] | None = None) -> None:
        self._lock = threading.Lock()  # state; never held while writing to a pipe
        self._wlock = threading.Lock()  # one request written at a time
        self._on_key = on_key
        self._on_failed = on_failed
        self._log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[bytes, str]] = {}  # id -> (frame, notify key): sent, unanswered
        self._deaths: list[float] = []  # when servers died, within the window
        self._broken: str | None = None  # given up: why
        self._closing = False
        self._proc: subprocess.Popen[bytes] | None = None
        from wfexec.runtimes.host import prestart

        spare = prestart.take()
        if spare is not None:  # started by the warm engine before this engine existed
            self._notify_r, self._notify_w = spare.notify_r, spare.notify_w
            self._adopt(spare.proc)
            self._reader = threading.Thread(target=self._read_loop, name="wfexec-host-done", daemon=True)
            self._reader.start()
            return
        # the completion pipe outlives each server: emissaries of a dead server still report here
        self._notify_r, self._notify_w = os.pipe()
        try:
            self._spawn()
        except OSError as exc:
            for fd in (self._notify_r, self._notify_w):
                os.close(fd)
            self._log.close()
            raise RuntimeUnavailable(f"host runtime: cannot start the emissary fork server ({_python()}): "
                                     f"{exc}") from None
        self._reader = threading.Thread(target=self._read_loop, name="wfexec-host-done", daemon=True)
        self._reader.start()

    # -- the engine's calls ---------------------------------------------------------------------
    def submit(self, spec: dict[str, Any], heavy: bool = False, supervise: bool = False) -> None:
        """`heavy`: the emissary will pack artifacts or run its command unsandboxed, and is best
        forked from the server's second process, which has those modules already imported.
        `supervise`: no emissary is forked; the server's supervisor runs the container."""
        with self._lock:
            if self._broken is not None:
                raise RuntimeUnavailable(self._broken)
            if self._closing:
                raise RuntimeUnavailable("host runtime: the emissary fork server has been stopped")
            rid = next(self._ids)
            req: dict[str, Any] = {"id": rid, "spec": spec}
            if heavy:
                req["heavy"] = True
            elif supervise:
                req["supervise"] = True
            body = json.dumps(req).encode()
            frame = struct.pack(">I", len(body)) + body
            self._pending[rid] = (frame, str(spec.get("notify_key", "")))
            proc = self._proc
        self._send(proc, frame)  # should it fail, the server's death is noticed and this sent again

    def close(self) -> None:
        """Stop the server (end of input). Running emissaries go on and still report to the pipe."""
        with self._lock:
            self._closing = True
            proc = self._proc
            if proc is not None and proc.stdin is not None and not proc.stdin.closed:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        with self._lock:
            if self._notify_w >= 0:  # the reader ends once the last emissary has reported
                os.close(self._notify_w)
                self._notify_w = -1
            self._log.close()

    # -- one server process ---------------------------------------------------------------------
    def _spawn(self) -> subprocess.Popen[bytes]:
        """Start a server (with the lock held, or before any thread runs) and its answer reader."""
        proc = subprocess.Popen(
            server_argv(_python(), self._notify_w),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, pass_fds=(self._notify_w,),
            close_fds=True, bufsize=0,
        )
        return self._adopt(proc)

    def _adopt(self, proc: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        self._proc = proc
        threading.Thread(target=self._answers, args=(proc,), name="wfexec-host-forkserver", daemon=True).start()
        return proc

    def _send(self, proc: subprocess.Popen[bytes] | None, frame: bytes) -> None:
        stdin: IO[bytes] | None = proc.stdin if proc is not None else None
        if stdin is None:
            return
        view = memoryview(frame)
        with self._wlock:
            try:
                fd = stdin.fileno()
                while view:
                    view = view[os.write(fd, view):]
            except (ValueError, OSError):
                pass  # the server is dead or dying: its reader restarts it and sends the pending again

    def _answers(self, proc: subprocess.Popen[bytes]) -> None:
        """Read one server's answers until it (and every emissary it forked) has let go of them."""
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        buf = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except InterruptedError:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            failed: list[tuple[str, str]] = []
            with self._lock:
                for line in lines:
                    text = line.decode(errors="replace")
                    head, _, why = text.partition(" ")
                    try:
                        rid = int(head[1:])
                    except ValueError:
                        continue
                    entry = self._pending.pop(rid, None)
                    if head.startswith("!") and entry is not None:
                        failed.append((entry[1], f"host runtime: {why}"))
            self._fail(failed)
        proc.stdout.close()
        try:
            code: int | None = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # it closed its stdout but lives on: not a server we can use
            proc.kill()
            code = proc.wait()
        self._server_gone(proc, code)

    def _server_gone(self, proc: subprocess.Popen[bytes], code: int | None) -> None:
        """A server ended: unless we asked for it, start another and send it what was unanswered."""
        while True:
            with self._lock:
                if self._closing or proc is not self._proc:
                    return
                if proc.stdin is not None:
                    try:
                        proc.stdin.close()
                    except OSError:
                        pass
                now = time.monotonic()
                self._deaths = [t for t in self._deaths if now - t < RESTART_WINDOW] + [now]
                what = describe_status(code)
                if len(self._deaths) >= RESTART_LIMIT:
                    self._broken = (f"host runtime: the emissary fork server died {len(self._deaths)} times within "
                                    f"{RESTART_WINDOW:g}s (last: it {what}); giving up, see its log "
                                    f"{self._log_path}")
                    failed = [(key, self._broken) for _, key in self._pending.values()]
                    self._pending.clear()
                    self._proc = None
                    log.warning("%s", self._broken)
                    break
                delay = RESTART_BACKOFF * (len(self._deaths) - 1)
                log.warning("host runtime: the emissary fork server (pid %d) %s; starting a new one and "
                            "re-submitting %d request(s) not yet started (log: %s)",
                            proc.pid, what, len(self._pending), self._log_path)
            if delay:
                time.sleep(delay)
            with self._lock:
                if self._closing:
                    return
                try:
                    new = self._spawn()
                except OSError as exc:
                    self._log.write(f"wfexec: cannot start the emissary fork server: {exc}\n".encode())
                    self._log.flush()
                    code = None  # counts as one more death
                    continue
                # what was unanswered so far; requests submitted from now on go to `new` themselves
                frames = [self._pending[rid][0] for rid in sorted(self._pending)]
            for frame in frames:
                self._send(new, frame)
            return
        self._fail(failed)

    def _fail(self, failed: list[tuple[str, str]]) -> None:
        if self._on_failed is None:
            return
        for key, message in failed:
            self._on_failed(key, message)

    # -- completions ----------------------------------------------------------------------------
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
            if not chunk:  # every writer (we, the servers and emissaries) has closed it
                return
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                if line:
                    self._on_key(line.decode())
