"""Where the emissary protocol keeps its files under an argo dir, and how they are written.

Stdlib only: the same module runs inside bare containers.
"""

from __future__ import annotations

import _thread  # builtin: the emissary avoids `threading` (its fork hooks)
import os

EMISSARY_FAILED = 64  # Argo's code for "the emissary itself failed", not the child
#: Beside a combined log: when its bytes came, as 16-byte records (byte offset in the log, Unix time in
#: nanoseconds; both unsigned 64-bit little-endian), one per chunk read, in offset order. A line's time is
#: that of the record at or before its first byte.
TIMES_SUFFIX = ".times"
#: An empty file beside `pid` when that pid is the host fork server's supervisor, which runs many
#: containers: a signal for one of them goes to its process group (`childpgid`), not to that pid.
SUPERVISED_MARK = "supervised"
TIME_RECORD = 16


def ctr_dir(argo_dir: str, name: str) -> str:
    return os.path.join(argo_dir, "ctr", name)


def ctr_file(argo_dir: str, name: str, leaf: str) -> str:
    """exitcode, stdout, combined (and combined.times), signal, pid (emissary's), childpgid (the child's group)."""
    return os.path.join(argo_dir, "ctr", name, leaf)


def parameter_copy(argo_dir: str, container_path: str) -> str:
    """outputs/parameters/<abs path>: the emissary's copy of an output parameter file."""
    return os.path.join(argo_dir, "outputs", "parameters", container_path.lstrip("/"))


def artifact_copy(argo_dir: str, container_path: str) -> str:
    """outputs/artifacts/<abs path>.tgz: the emissary's packed output artifact."""
    return os.path.join(argo_dir, "outputs", "artifacts", container_path.rstrip("/").lstrip("/") + ".tgz")


def write_atomic(path: str, text: str) -> None:
    """Write to a temp name then rename, so a reader sees nothing or everything. The temp name
    is the writer's own (process and thread): two engine threads may signal one container."""
    tmp = f"{path}.tmp{os.getpid()}-{_thread.get_ident()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def write_small(path: str, text: str) -> None:
    """For files only ever read as "a number or not yet" (pid, childpgid): one write, no rename."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def read_int(path: str) -> int | None:
    """The decimal number in `path`, or None when it is missing or not (yet) a number."""
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None
