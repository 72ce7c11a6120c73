"""The child's stdout and stderr, teed to `ctr/<name>/stdout` and `ctr/<name>/combined`.

stdout does not pass through Python when it can be helped: it is spliced into `stdout`, which
`combined` is a hard link to until the two must differ (the first stderr byte, or an emissary
message), and the kernel copies it on from there. Both are cut past `max_output_bytes`, with a
notice; a full disk cuts them and makes the step err, while the child runs on to its end.
Beside `combined`, `combined.times` records when each chunk came (layout.TIMES_SUFFIX): one
small write per chunk, none within a millisecond of the last, so `logs --timestamps` and
`--since` know when each line was printed.
"""

from __future__ import annotations

import errno
import os
import time

from wfexec.emissary.fdio import DEFAULT_PIPE_SIZE, READ_SIZE, copy_range, splice, widen_pipe, write_all
from wfexec.emissary.layout import TIMES_SUFFIX, ctr_file

TYPE_CHECKING = False  # typing costs ~2 ms of a container's start: for annotations only
if TYPE_CHECKING:
    from wfexec.emissary.run import Spec

STAMP_EVERY_NS = 1_000_000  # a chunk within 1 ms of the last record shares its time


class LogTee:
    """The log files of one container, and how much of each was written."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.out_fd = self.comb_fd = -1  # out_fd is read-write: the kernel copies ranges out of it
        self.shared = False  # combined is a hard link to stdout: a stdout chunk is written once
        self.fast = splice is not None  # splice the child's stdout into the file (no user-space copy)
        self.written = {"stdout": 0, "combined": 0}
        self.cut = {"stdout": False, "combined": False}
        self.fd1_widened = False  # our stdout, when a pipe, gets READ_SIZE room once a big chunk comes
        self.no_space: str | None = None  # the log could not be written (disk full): the step errs
        self.times_fd = -1  # combined.times, opened at the first chunk; -2: it cannot be written
        self.last_stamp = 0

    def _stamp(self, fd: int, off: int = -1) -> None:
        """Record that bytes written next to combined (through `fd`, at `off` or its position) come now.
        Best effort: without this record a line takes the time of the one before it."""
        now = time.time_ns()
        if now - self.last_stamp < STAMP_EVERY_NS or self.times_fd == -2:
            return
        self.last_stamp = now
        try:
            if off < 0:
                off = os.lseek(fd, 0, os.SEEK_CUR)
            if self.times_fd < 0:
                path = ctr_file(self.spec.argo_dir, self.spec.name, "combined" + TIMES_SUFFIX)
                self.times_fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
            os.write(self.times_fd, off.to_bytes(8, "little") + now.to_bytes(8, "little"))
        except OSError:
            self.times_fd = -2

    def _open_logs(self) -> None:
        """stdout, and combined as a hard link to it: until the child writes to stderr (or we say
        something), combined is stdout byte for byte, so each chunk is written once, not twice.
        Neither is O_APPEND (splice refuses that); we are the only writer, and
        a file left by an earlier try is appended to."""
        s = self.spec
        stdout = ctr_file(s.argo_dir, s.name, "stdout")
        combined = ctr_file(s.argo_dir, s.name, "combined")
        self.out_fd = os.open(stdout, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        os.lseek(self.out_fd, 0, os.SEEK_END)
        try:
            os.link(stdout, combined)
            self.shared = True
        except FileExistsError:
            try:
                self.shared = os.path.samestat(os.stat(combined), os.fstat(self.out_fd))
            except OSError:
                self.shared = False
        except OSError:  # no hard links here (EPERM, EXDEV, …): two files, as before
            self.shared = False
        if not self.shared:
            self.comb_fd = os.open(combined, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
            os.lseek(self.comb_fd, 0, os.SEEK_END)

    def _split(self) -> None:
        """combined is about to get bytes stdout must not have: make it a file of its own, starting
        as a copy of stdout (renamed into place, so `logs -f`, which reopens the path and seeks to
        where it was, reads on without a gap or a repeat). On failure combined is cut, and stays
        the stdout file; an OSError is raised."""
        s = self.spec
        path = ctr_file(s.argo_dir, s.name, "combined")
        tmp = f"{path}.split-{os.getpid()}"
        self.shared = False
        fd = -1
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
            copy_range(self.out_fd, fd, 0, os.fstat(self.out_fd).st_size)
            os.rename(tmp, path)
        except OSError:
            self.cut["combined"] = True
            if fd >= 0:
                os.close(fd)
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            raise
        self.comb_fd = fd

    def _say(self, msg: str) -> None:
        """An emissary message: to its stderr, and into the combined log the engine keeps."""
        line = f"emissary: {msg}\n".encode()
        if self.spec.passthrough:
            write_all(2, line)
        try:
            if self.shared:
                self._split()
            if self.comb_fd >= 0:
                self._stamp(self.comb_fd)
                write_all(self.comb_fd, line)
        except OSError:  # a full disk: the exit code still tells the engine
            pass

    def _splice_stdout(self, out_r: int) -> bool:
        """The fast path for a chunk of the child's stdout: spliced from the pipe into the stdout
        file, then copied from there by the kernel where else it goes (combined, once split, and
        fd 1), never through Python. False: take the slow path (read and tee) for this chunk —
        when a cut is near or done (the cut must fall on the exact byte), or splice cannot be used.
        True with the pipe at EOF is fine: the slow path's next read sees the EOF."""
        if not self.fast or self.cut["stdout"] or not self._room("stdout") or not self._room("combined"):
            return False
        off = os.lseek(self.out_fd, 0, os.SEEK_CUR)
        if self.shared:
            self._stamp(self.out_fd, off)
        elif not self.cut["combined"]:
            self._stamp(self.comb_fd)
        try:
            n = splice(out_r, self.out_fd, READ_SIZE)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):  # what was not spliced is read by the slow path
                self._no_space("stdout", exc)
                return False
            if exc.errno in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EBADF):
                self.fast = False  # e.g. a file system without splice_write: for good
                return False
            if exc.errno in (errno.EAGAIN, errno.EINTR):
                return True
            raise
        if n == 0:
            return False  # EOF: the slow path closes the pipe
        self.written["stdout"] += n
        if self.shared:
            self.written["combined"] += n
        elif not self.cut["combined"]:
            self.written["combined"] += n
            try:
                copy_range(self.out_fd, self.comb_fd, off, n)
            except OSError as exc:
                if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
                self._no_space("combined", exc)
        if self.spec.passthrough:
            self._send_stdout(off, n)
        return True

    def _send_stdout(self, off: int, n: int) -> None:
        """Passthrough of a spliced chunk: the stdout file's range to fd 1."""
        if not self.fd1_widened and n >= DEFAULT_PIPE_SIZE:
            # fd 1 a pipe (a container runtime's log FIFO): 64 KiB of it made every MiB of a big
            # stream 16 wake-ups of its reader; 500 MB went on in 0.86 s, in 0.50 s widened
            self.fd1_widened = True
            widen_pipe(1)
        try:
            copy_range(self.out_fd, 1, off, n)
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.EBADF):
                raise  # else, as _write_all: nobody reads our stdout any more

    def _room(self, sink: str) -> bool:
        """A whole READ_SIZE chunk can go to `sink` without passing max_output_bytes (or it is cut)."""
        limit = self.spec.max_output_bytes
        return self.cut[sink] or limit is None or self.written[sink] + READ_SIZE <= limit

    def _stderr_chunk(self, data: bytes | memoryview) -> None:
        """A chunk of the child's stderr: passed on, and to combined only (which so stops being
        stdout's twin)."""
        if self.spec.passthrough:
            write_all(2, data)
        if self.cut["combined"]:
            return
        if self.shared:
            try:
                self._split()
            except OSError as exc:
                if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
                self.no_space = os.strerror(exc.errno)
                return
        self._tee("combined", data)

    def _tee(self, sink: str, data: bytes | memoryview) -> None:
        """Write to stdout or combined; while they share a file, a write to stdout counts for both."""
        if self.cut[sink]:
            return
        fd = self.out_fd if sink == "stdout" else self.comb_fd
        limit = self.spec.max_output_bytes
        if limit is not None and self.written[sink] + len(data) > limit:
            write_all(fd, data[: max(0, limit - self.written[sink])])
            write_all(fd, f"\n[output cut: more than {limit} bytes; the rest was not kept]\n".encode())
            self.cut[sink] = True
            if self.shared:
                self.cut["combined"] = True
            return
        self.written[sink] += len(data)
        if self.shared:
            self.written["combined"] += len(data)
        if self.shared or sink == "combined":
            self._stamp(fd)
        try:
            write_all(fd, data)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            self._no_space(sink, exc)

    def _no_space(self, sink: str, exc: OSError) -> None:
        """The disk is full: `sink` (and combined, while it is stdout) is cut; the child's pipes are
        still drained, it runs to its end, and the step errs."""
        self.cut[sink] = True
        if self.shared:
            self.cut["combined"] = True
        self.no_space = os.strerror(exc.errno or errno.ENOSPC)
