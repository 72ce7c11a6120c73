"""Whether a source file of wfexec may have changed since the warm engine loaded it.

The engine must not run a command with old code, so before each command it compared the change time
and size of every module it had loaded: some 200 `stat` calls, 1.5 ms on the path of every warm
command. Linux's inotify says the same for nothing: the directories of the loaded modules are
watched, and only when one of them saw a write, a rename or a new file (or when inotify is not
available) is the full comparison made. libc's calls are reached through ctypes, which the engine
loads anyway.
"""

from __future__ import annotations

import ctypes
import os
import sys

#: A file written, closed after a write, moved in or out, made, removed, or its times set (`touch`).
_MASK = 0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x100 | 0x200  # MODIFY ATTRIB CLOSE_WRITE MOVED_FROM MOVED_TO CREATE DELETE


class SourceWatch:
    """Watches the directories of `files`; `maybe_changed()` is True until proven otherwise."""

    def __init__(self, files: list[str]) -> None:
        self.fd = -1
        self.modules = len(sys.modules)
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd < 0:
                return
            for folder in sorted({os.path.dirname(f) for f in files}):
                if libc.inotify_add_watch(fd, os.fsencode(folder), _MASK) < 0:
                    os.close(fd)  # a directory not watched could change unseen: compare every time
                    return
            self.fd = fd
        except (OSError, AttributeError):
            self.fd = -1

    def close(self) -> None:
        """This process's watch (a forked command has no use for the engine's)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def maybe_changed(self) -> bool:
        """True when a watched directory saw a change since the last call, when a module was loaded
        since (its directory may not be watched), or when nothing is watched. Each call drains the
        events, so the caller compares the files themselves whenever this is True."""
        if self.fd < 0 or len(sys.modules) != self.modules:
            self.modules = len(sys.modules)
            return True
        seen = False
        while True:
            try:
                if not os.read(self.fd, 65536):
                    return seen
            except BlockingIOError:
                return seen
            except OSError:
                return True
            seen = True
