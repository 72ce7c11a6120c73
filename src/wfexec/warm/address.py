"""Where a home's warm engine listens, and the framing both ends speak.

Imported by every `wfexec` start (cli/entry.py), so it imports nothing: the whole cost of finding
no warm engine is one failed connect.

The socket is in Linux's abstract namespace: no file to go stale after a crash, and no path
length limit for a long home. Anyone on the machine could connect to such a name, so the engine
serves only its own user (checked with SO_PEERCRED on each connection).
"""

from __future__ import annotations

import os

#: Bumped whenever the request or the answers change shape: an engine and a client that differ
#: decline each other, and the command runs on its own.
PROTOCOL = "wfexec-warm-1"


def home_dir() -> str:
    """$WFEXEC_HOME (default ~/.wfexec) as an absolute, resolved path, the key of its engine."""
    return os.path.realpath(os.environ.get("WFEXEC_HOME") or os.path.join(os.path.expanduser("~"), ".wfexec"))


def socket_name(home: str) -> bytes:
    """The abstract socket name for `home` and this user: one engine per user and home. The
    checksum only spreads homes over names; the engine checks the home it was sent itself. It is
    FNV-1a, here in a few lines: `zlib` is a shared library, and loading it cost every start 0.7 ms."""
    h = 0x811C9DC5
    for byte in os.fsencode(home):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"\0wfexec-warm-{os.getuid()}-{h:08x}".encode()


def frame(fields: list[bytes]) -> bytes:
    """A request: its length, then NUL-separated fields (arguments and environment entries hold no NUL)."""
    body = b"\0".join(fields)
    return len(body).to_bytes(4, "big") + body
