"""The host fork server's pipes: length-prefixed requests in, one-line answers out, a last word on stderr.

Shared by the server and its supervisor, which read the same frames and answer on the same stdout.
Stdlib only."""

from __future__ import annotations

import os
import struct


def read_exact(fd: int, n: int) -> bytes:
    """`n` bytes, or b"" at the end of the pipe."""
    buf = b""
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return b""
        buf += chunk
    return buf


def read_frame(fd: int) -> bytes | None:
    """One request (a 4-byte big-endian length, then its body), or None at the end of the pipe."""
    head = read_exact(fd, 4)
    if not head:
        return None
    return read_exact(fd, struct.unpack(">I", head)[0]) or None


def answer(line: str) -> None:
    """One line to the engine on stdout (short: one atomic write). Lost if the engine is gone."""
    try:
        os.write(1, f"{line}\n".encode())
    except OSError:
        pass


def report(message: str) -> None:
    """A word for the server's log (stderr), whatever happened."""
    try:
        os.write(2, f"{message}\n".encode())
    except OSError:
        pass
