"""A finished pod's container logs, kept in the run dir for the readers that come after the pod is gone.

A log that holds bytes is kept as `logs/<node>/<container>.log`, with its time index beside it
(`<container>.times`) when it has one. An empty log leaves no file: a line `<node>/<container>` in
`logs/.empty` says that the container ran and printed nothing. On a disk that has freed many inodes,
creating a file costs about as much as the rest of the engine's work for a step, and most steps of a
wide fan-out print nothing. (`.empty` cannot be a node's id: those are DNS names.)

Readers take a kept file first, then the live log, then `printed_nothing`, read as EMPTY (`/dev/null`).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wfexec.emissary.layout import TIMES_SUFFIX
from wfexec.engine.pod_dirs import live_pod_dir

EMPTY_LIST = ".empty"
EMPTY = Path(os.devnull)


def keep(logs_dir: Path, node_id: str, logs: Mapping[str, str | Path]) -> None:
    """Keep each container's log (`logs`: container -> its live file) of a pod that has ended."""
    empty: list[str] = []
    made = False
    for container, path in logs.items():
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            continue  # the container never started
        if size == 0:
            empty.append(container)
            continue
        dest = logs_dir / node_id
        if not made:
            dest.mkdir(parents=True, exist_ok=True)
            made = True
        times = Path(f"{path}{TIMES_SUFFIX}")
        if times.exists():  # first: a reader that finds the kept log finds its times
            _keep_file(times, dest / f"{container}{TIMES_SUFFIX}")
        _keep_file(Path(path), dest / f"{container}.log")
    if empty:
        _append(logs_dir / EMPTY_LIST, "".join(f"{node_id}/{c}\n" for c in empty).encode())


def _append(path: Path, lines: bytes) -> None:
    """One write of whole lines to a file opened for appending: engines' threads never interleave.
    The directory is made only by a run's first such line, not looked for at every step."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o644)
    try:
        os.write(fd, lines)
    finally:
        os.close(fd)


def kept_log(logs_dir: Path, node_id: str, container: str) -> Path | None:
    """The kept log file of a container that printed something, or None."""
    path = logs_dir / node_id / f"{container}.log"
    return path if path.exists() else None


def kept_files(logs_dir: Path, node_id: str) -> dict[str, Path]:
    """The kept log files of a pod: container -> file."""
    return {p.stem: p for p in (logs_dir / node_id).glob("*.log")}


def live_containers(run_dir: Path, node_id: str) -> Path:
    """A running pod's container directories (each with its `combined` log), wherever the engine put the
    pod (a tmpfs, or the run dir)."""
    pod_dir = live_pod_dir(run_dir, node_id)
    return (pod_dir if pod_dir is not None else run_dir / "pods" / node_id) / "ctr"


def pod_log_files(run_dir: Path, node_id: str) -> dict[str, Path]:
    """Each container's log of a pod as it is now, in the readers' order: kept, else live, else EMPTY."""
    found = dict.fromkeys(printed_nothing(run_dir / "logs", node_id), EMPTY)
    found.update({f.parent.name: f for f in sorted(live_containers(run_dir, node_id).glob("*/combined"))})
    found.update(kept_files(run_dir / "logs", node_id))
    return found


def _keep_file(src: Path, dest: Path) -> None:
    """A hard link (no second copy of a big log; the pod dir is deleted next), else a copy (another
    file system, links not allowed)."""
    dest.unlink(missing_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


@dataclass
class _EmptyList:
    """`logs/.empty` as last read: it only grows, so a reader reads what was added since. Its first
    bytes tell it from a list of the same name made since (a run deleted and submitted again)."""

    inode: int = 0
    size: int = 0
    mtime_ns: int = 0
    head: bytes = b""
    partial: bytes = b""
    by_node: dict[str, set[str]] = field(default_factory=dict)


HEAD = 64
_read: dict[Path, _EmptyList] = {}
_read_lock = threading.Lock()


def printed_nothing(logs_dir: Path, node_id: str) -> frozenset[str]:
    """The containers of a pod that ended with an empty log, as a copy made under the lock (another
    thread may be adding). A reader takes a live log over this (the list of a run deleted and
    submitted again under its name may be read late)."""
    path = logs_dir / EMPTY_LIST
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return frozenset()
    with _read_lock:
        known = _read.get(path)
        if known is None or (known.inode, known.size, known.mtime_ns) != (st.st_ino, st.st_size, st.st_mtime_ns):
            known = _load(path, st, known)
        return frozenset(known.by_node.get(node_id, ()))


def _load(path: Path, st: os.stat_result, known: _EmptyList | None) -> _EmptyList:
    """Read what was added to the list since `known` (all of it for a list new to this process)."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD)
        if known is None or known.inode != st.st_ino or st.st_size < known.size or \
                head[:len(known.head)] != known.head:
            known = _read[path] = _EmptyList(st.st_ino)
        fh.seek(known.size)
        data = known.partial + fh.read()
    known.size += len(data) - len(known.partial)
    known.mtime_ns = st.st_mtime_ns
    known.head = head
    *lines, known.partial = data.split(b"\n")
    for line in lines:
        node, _, container = line.decode(errors="replace").partition("/")
        if node and container and "/" not in container:
            known.by_node.setdefault(node, set()).add(container)
    return known
