"""A fork server started before its engine exists, for the warm engine (wfexec/warm).

A cold `submit` starts its engine's fork server as the engine starts, and the server's own start
(an interpreter and its imports, some 20-30 ms) overlaps the command's linting. A warm command
lints in a few milliseconds, so that start would be most of its wait. The warm engine therefore
starts one server ahead (`prestart`), and the next `submit` it forks hands it to its run's engine,
whose ForkServer takes it (`take`) instead of starting one; every other process forgets it
(`forget`), so only one engine ever writes to a server.

The server is the warm engine's child, not the run engine's: the engine cannot learn its exit
status (a restart after its death says "exited with status 0"), and the warm engine reaps it.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from wfexec.runtimes.host.forkserver import _python, server_argv


@dataclass
class Prestarted:
    proc: subprocess.Popen[bytes]
    notify_r: int
    notify_w: int
    python: str

    def fds(self) -> tuple[int, ...]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        return (self.proc.stdin.fileno(), self.proc.stdout.fileno(), self.notify_r, self.notify_w)

    def close(self) -> None:
        """This process's copies, and nothing else: the server ends once no process holds its input."""
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        for fd in (self.notify_r, self.notify_w):
            os.close(fd)


_spare: Prestarted | None = None


def prestart(log_path: Path) -> Prestarted:
    """Start the spare server (the caller must not have one): its stderr goes to `log_path`."""
    global _spare
    notify_r, notify_w = os.pipe()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    python = _python()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(server_argv(python, notify_w, supervisor_now=True), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=log, pass_fds=(notify_w,), close_fds=True, bufsize=0)
    _spare = Prestarted(proc, notify_r, notify_w, python)
    return _spare


def spare() -> Prestarted | None:
    return _spare


def take() -> Prestarted | None:
    """The spare for this process's ForkServer, if there is one for the interpreter it would start."""
    global _spare
    taken, _spare = _spare, None
    if taken is not None and taken.python != _python():
        taken.close()
        return None
    return taken


def forget() -> None:
    """This process will not use the spare: its copies are closed."""
    taken = take()
    if taken is not None:
        taken.close()
