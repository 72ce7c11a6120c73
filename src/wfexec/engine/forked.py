"""The engine forked from the command that submits, made before the run exists.

`python -m wfexec.engine.daemon` costs a second interpreter start and a second import of what
the command already has. Instead `submit` forks itself as its first act, and the child leaves the
terminal's session (`setsid`: Ctrl-C and a closed terminal reach the command alone). It stays the
command's child until the command exits (one fork, not the two of a classic daemon: the second cost
the command some 2 ms on each warm submit), and a zombie it may leave meanwhile is no live engine to
`pid_alive`. The engine imports its modules and opens the store while the command reads, lints and
creates the run; then the command writes the run's name into a pipe and the engine drives it, as the
daemon would. End of that pipe with no name (a bad file, Ctrl-C, the command killed) ends the engine
at once.

What the daemon's start gave is kept: stdin is /dev/null, stdout and stderr go to the run's
`engine.log` (what the warm-up wrote too), no other descriptor of the command stays open in it (a pipe reader waiting for the
command's end must not wait for the engine's), and `engine/handoff.py`'s pipe says when the run
ended.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wfexec.engine.store import Store, pid_alive
from wfexec.home import wfexec_home

if TYPE_CHECKING:
    from wfexec.engine.daemon import EarlyBackend


@dataclass
class ForkedEngine:
    """A detached engine waiting for its run: its pid, and the command's ends of its two pipes."""

    pid: int
    name_w: int  # the run's name goes here; closing it unsent tells the engine to exit
    done_r: int  # readable once the engine has ended the run (or died): engine/handoff.py
    handed: bool = False

    def hand(self, name: str, follow: bool) -> tuple[int, int | None] | None:
        """Give the engine its run: (its pid, the end-of-run pipe when `follow`, else None); None
        when the engine is gone (the caller starts one the usual way)."""
        self.handed = True
        try:
            # A dead engine's pipe can still take the name: a child it was starting (its fork server,
            # between fork and exec) may hold a copy of the read end for a moment.
            if not pid_alive(self.pid):
                raise BrokenPipeError
            os.write(self.name_w, name.encode())  # far below a pipe's atomic size: one write or none
        except OSError:
            os.close(self.done_r)
            return None
        finally:
            os.close(self.name_w)
        if follow:
            return self.pid, self.done_r
        os.close(self.done_r)
        return self.pid, None

    def discard(self) -> None:
        """No run for it: the engine exits at the end of its pipe."""
        if self.handed:
            return
        self.handed = True
        for fd in (self.name_w, self.done_r):
            try:
                os.close(fd)
            except OSError:
                pass


#: What the command (its config and runtime check) and the engine both load: loaded once, before the fork.
SHARED = ("uuid", "wfexec.config", "wfexec.runtimes.backends", "wfexec.runtimes.host.backend")
#: What only the engine loads, after the fork, while the command lints.
ENGINE = ("wfexec.engine.workflow", "wfexec.engine.daemon")
#: The runtime, executor and config file of a run submitted without flags or config: its backend is
#: started while the engine waits for its run.
DEFAULT_BACKEND: tuple[str, str, str | None] = ("host", "emissary", None)


def prepare() -> ForkedEngine | None:
    """Fork the engine to be; None where this process cannot fork safely (threads are running).
    Call it only in a process that has opened no run store: SQLite's locks and shared memory are
    per process, and a child that opens a database its parent has open meets "disk I/O error"."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    for module in SHARED:
        importlib.import_module(module)
    from wfexec.runtimes.host import prestart

    try:
        return _fork()
    except OSError:  # no process to spare: the caller starts a daemon the usual way, or says why not
        return None
    finally:
        prestart.forget()  # a fork server the warm engine started ahead is the engine's alone


def _fork() -> ForkedEngine:
    name_r, name_w = os.pipe()
    done_r, done_w = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered here is written twice
        if stream is not None:
            stream.flush()
    engine = os.fork()
    if engine == 0:  # never returns into the command's code
        try:
            os.setsid()  # out of the terminal's session: its Ctrl-C and hang-up are the command's alone
        finally:
            _engine(name_r, done_w)
    for fd in (name_r, done_w):
        os.close(fd)
    return ForkedEngine(engine, name_w, done_r)


def _read_all(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 4096):
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def _engine(name_r: int, done_w: int) -> None:
    """The engine's side: detach, warm up, wait for the run's name, drive the run, exit."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.close(null)
        from wfexec.runtimes.host import prestart

        spare = prestart.spare()
        _close_all_but(name_r, done_w, *(spare.fds() if spare is not None else ()))
        said = os.memfd_create("wfexec-engine-warm-up")  # what the warm-up writes (a warning), for the run's log
        os.dup2(said, 1)
        os.dup2(said, 2)
        # Python's streams on those descriptors, whatever the command had made of its own (a caller
        # that captured them, as a test does, would otherwise swallow the engine's every word).
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own, for its whole life
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        store, early = _warm()
        name = _read_all(name_r)
        os.close(name_r)
        if not name:  # refused, or Ctrl-C: the fork server started for it goes too, now, not at its next read
            if early is not None:
                early.backend.close()
            code = 0
            return
        log = wfexec_home() / "runs" / name / "engine.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        _flush_std()
        os.lseek(said, 0, os.SEEK_SET)
        while chunk := os.read(said, 65536):
            os.write(out, chunk)
        os.close(said)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        from wfexec.engine.daemon import drive

        code = drive(name, done_w, store, early)
    except BaseException:  # noqa: BLE001 - the engine's log is the only place left to say it
        import traceback

        traceback.print_exc()
    finally:
        _flush_std()
        os._exit(code)


def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


def _close_all_but(*keep: int) -> None:
    """Close every descriptor above stderr except `keep`, as a fresh daemon process has them (those
    open, from /proc: a loop up to the descriptor limit may be a million closes)."""
    try:
        open_fds = [int(fd) for fd in os.listdir("/proc/self/fd")]
    except OSError:
        open_fds = list(range(3, 1024))
    for fd in open_fds:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the listing's own descriptor, already gone


def _warm() -> tuple[Store | None, EarlyBackend | None]:
    """What the run's engine needs, made before the run exists: its modules, the store, and the
    backend of the default runtime and executor (the host's fork server starts now, not when the
    first pod does). Any failure here is met again, and reported, when the run is driven.
    The backend comes first: the fork server's own start (an interpreter and its imports) then
    overlaps the engine's imports instead of following them."""
    backend = None
    try:
        from wfexec.runtimes.backends import make_backend

        backend = make_backend(*DEFAULT_BACKEND)
    except Exception:  # noqa: BLE001 - see above
        pass
    try:
        for module in ENGINE:
            importlib.import_module(module)
        store = Store()
    except Exception:  # noqa: BLE001 - see above
        if backend is not None:
            backend.close()
        return None, None
    if backend is None:
        return store, None
    from wfexec.engine.daemon import EarlyBackend

    return store, EarlyBackend(DEFAULT_BACKEND, backend)
