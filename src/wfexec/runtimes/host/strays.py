"""A sandbox's processes, found when its emissary died before it could say which they are.

bwrap's `--die-with-parent` has a gap: its sandbox process sets its parent-death signal only just
before it runs the command, after all the mounts. An emissary killed outright (OOM, kill -9) in
those few milliseconds takes bwrap's outer process with it, yet the command still starts, in a
session of its own, and the emissary never wrote its group to `childpgid`. What still ties those
processes to the pod is their mount namespace: it binds the pod's directory at /var/run/argo.
"""

from __future__ import annotations

import os
from pathlib import Path

from wfexec.pod import ARGO_DIR_IN_CONTAINER


def sandbox_processes(argo_dir: Path, container: str) -> list[int]:
    """Processes in a mount namespace where /var/run/argo is `argo_dir` and where one process
    started as `container` (a pod's containers share that directory, not their namespaces)."""
    try:
        want = os.stat(argo_dir)
    except OSError:
        return []
    try:
        own = os.readlink("/proc/self/ns/mnt")
    except OSError:
        return []
    by_ns: dict[str, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                by_ns.setdefault(os.readlink(f"/proc/{entry}/ns/mnt"), []).append(int(entry))
            except OSError:
                continue
    by_ns.pop(own, None)
    bound = os.path.realpath(ARGO_DIR_IN_CONTAINER)  # where bwrap put it: /var/run is a host symlink
    found: list[int] = []
    marker = f"ARGO_CONTAINER_NAME={container}".encode()
    for pids in by_ns.values():
        if _binds(pids[0], bound, want) and any(marker in _environ(pid) for pid in pids):
            found += pids
    return found


def _binds(pid: int, bound: str, want: os.stat_result) -> bool:
    try:
        st = os.stat(f"/proc/{pid}/root{bound}")
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (want.st_dev, want.st_ino)


def _environ(pid: int) -> list[bytes]:
    """The environment the process started with (what it changed later is not here)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return fh.read().split(b"\0")
    except OSError:
        return []
