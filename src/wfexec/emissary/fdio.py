"""The emissary's file-descriptor moves: whole writes, kernel copies between files and pipes.

Stdlib only; `fcntl` is imported on first need (the fork server has it loaded already).
"""

from __future__ import annotations

import errno
import os

READ_SIZE = 1 << 20
DEFAULT_PIPE_SIZE = 1 << 16
F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ, spelled out to keep the import list short
splice = getattr(os, "splice", None)  # Python >= 3.10


def widen_pipe(fd: int) -> None:
    """A pipe's room to READ_SIZE (nothing for a file or a tty: EBADF)."""
    try:
        import fcntl

        fcntl.fcntl(fd, F_SETPIPE_SZ, READ_SIZE)
    except OSError:
        pass  # over /proc/sys/fs/pipe-max-size for an unprivileged user: the default pipe works


def copy_range(src: int, dst: int, off: int, n: int) -> None:
    """Bytes [off, off+n) of file `src` to `dst` (a file or a pipe) at its position: sendfile (in
    the kernel), else pread and write (dst opened O_APPEND, a tty, an old kernel, …)."""
    end = off + n
    while off < end:
        try:
            done = os.sendfile(dst, src, off, end - off)
        except InterruptedError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                raise
            break
        if done == 0:
            return  # src is shorter than said
        off += done
    while off < end:
        data = os.pread(src, min(end - off, READ_SIZE), off)
        if not data:
            return
        write_all(dst, data)
        off += len(data)


def write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:
            continue
        except OSError as exc:
            if exc.errno in (errno.EPIPE, errno.EBADF):
                return
            raise
        view = view[n:]


def drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except OSError:
        pass
