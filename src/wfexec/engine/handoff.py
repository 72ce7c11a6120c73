"""How a following command learns, at once, that the engine it started has ended the run.

`submit --wait` hands the run to a detached engine and waits. Instead of reading the store on a
timer, it gives the engine the write end of a pipe: the engine closes it once the run's end is
committed (or dies, which closes it too), and the command's read end turns readable that instant.
The store stays the only source of truth: the pipe only says when to look.
"""

from __future__ import annotations

import os
import select

DONE_FD_ENV = "WFEXEC_ENGINE_DONE_FD"


def take_done_fd() -> int | None:
    """The engine's end of the pipe, if its follower gave one; kept from the engine's own children
    (a pod that held it would keep the follower waiting)."""
    text = os.environ.pop(DONE_FD_ENV, "")
    if not text.isdigit():
        return None
    fd = int(text)
    try:
        os.set_inheritable(fd, False)
    except OSError:
        return None
    return fd


def signal_done(fd: int | None) -> None:
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass


def wait_ended(fd: int, timeout: float) -> bool:
    """Wait up to `timeout` seconds; True once the engine has closed its end (the run ended or the
    engine died)."""
    readable, _, _ = select.select([fd], [], [], timeout)
    if not readable:
        return False
    try:
        return os.read(fd, 1) == b""
    except OSError:
        return True
