"""Where a run's pod directories live: on a tmpfs when there is one, else under $WFEXEC_HOME.

A pod's directory (its template, scripts, the emissary's files) only has to outlive an engine
crash, never a reboot (its pod is gone then anyway), and each one is created and removed within
seconds: on a disk that is the costliest file work of a step (docs/scale.md). So pods go to
`/dev/shm` (or `$XDG_RUNTIME_DIR`), under a directory per `$WFEXEC_HOME`, at a path a restarted
engine computes again to re-attach. What must last (journal, logs, outputs) stays in the home.
`WFEXEC_POD_DIRS=home` keeps pods on disk; any other value names the directory to use.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

from wfexec.home import wfexec_home

log = logging.getLogger(__name__)

TMPFS_CANDIDATES = ("/dev/shm", "$XDG_RUNTIME_DIR")
MIN_FREE_BYTES = 64 << 20  # below this a tmpfs counts as full: new pods go to disk
ROOM_CHECK_SECONDS = 1.0  # how long one look at the tmpfs' free space holds


def _tmpfs_mounts() -> set[str]:
    try:
        with open("/proc/self/mounts", encoding="utf-8") as f:
            return {parts[1] for parts in (line.split() for line in f) if len(parts) > 2 and parts[2] == "tmpfs"}
    except OSError:
        return set()


def _private_dir(path: Path) -> bool:
    """Made (0700) or found as this user's own real directory: a shared /dev/shm must not let
    another user plant a symlink or a directory where our pods go."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def scratch_root(home: Path | None = None) -> Path | None:
    """The tmpfs directory for this home's pods, or None (pods stay under the home)."""
    home = (home or wfexec_home()).resolve()
    choice = os.environ.get("WFEXEC_POD_DIRS", "")
    tag = hashlib.sha256(str(home).encode()).hexdigest()[:16]
    if choice == "home":
        return None
    if choice:
        root = Path(choice) / tag
        return root if _private_dir(root) else None
    mounts = _tmpfs_mounts()
    for cand in TMPFS_CANDIDATES:
        base = os.path.expandvars(cand)
        if not base or base.startswith("$") or base not in mounts or not os.access(base, os.W_OK | os.X_OK):
            continue
        root = Path(base) / f"wfexec-{os.getuid()}" / tag
        if _private_dir(root.parent) and _private_dir(root):
            return root
    return None


class PodDirs:
    """One run's pod directories: where a new pod goes, where an existing one is, removing them."""

    def __init__(self, run_dir: Path, root: Path | None) -> None:
        self.disk = run_dir / "pods"
        self.fast = root / "runs" / run_dir.name / "pods" if root is not None else None
        self._full_warned = False
        self._room_checked = 0.0
        self._room = True
        self._disk_used = self.fast is None or self.disk.exists()  # else a disk miss needs no look
        self._removing: set[str] = set()  # node ids whose directory goes after a commit
        self._removing_lock = threading.Lock()

    @property
    def base(self) -> Path:
        """Where new pods of this run go while the tmpfs has room."""
        return self.fast if self.fast is not None else self.disk

    @classmethod
    def for_run(cls, run_dir: Path) -> PodDirs:
        return cls(run_dir, scratch_root(run_dir.parent.parent))

    def existing(self, node_id: str) -> Path | None:
        """The directory a pod of this node already has (an earlier engine made it), if any."""
        if self.fast is not None and (self.fast / node_id).exists():
            return self.fast / node_id
        if self._disk_used and (self.disk / node_id).exists():
            return self.disk / node_id
        return None

    def place(self, node_id: str) -> Path:
        """Where this node's pod directory is or goes: the one it has, else the tmpfs while it has room."""
        found = self.existing(node_id)
        if found is not None:
            return found
        if self.fast is not None and self._has_room():
            return self.fast / node_id
        self._disk_used = True
        return self.disk / node_id

    def full(self, path: Path, exc: OSError) -> Path | None:
        """Writing a pod's files to the tmpfs failed for want of room: the disk path to use instead
        (the partial directory removed), or None when this was not that."""
        if self.fast is None or exc.errno != errno.ENOSPC or path.parent != self.fast:
            return None
        shutil.rmtree(path, ignore_errors=True)
        self._room, self._room_checked = False, time.monotonic()
        self._warn_full()
        self._disk_used = True
        return self.disk / path.name

    def remove(self, node_id: str) -> None:
        for base in (self.fast, self.disk if self._disk_used else None):
            if base is not None:
                shutil.rmtree(base / node_id, ignore_errors=True)

    def remove_after(self, node_id: str, after: Callable[[Callable[[], None]], None]) -> None:
        """Remove the node's directory through `after` (the journal's `after_commit`)."""
        with self._removing_lock:
            self._removing.add(node_id)

        def remove() -> None:
            self.remove(node_id)
            with self._removing_lock:
                self._removing.discard(node_id)
        after(remove)

    def removing(self, node_id: str) -> bool:
        """The node's directory is to be removed once a commit is in (see `remove_after`)."""
        with self._removing_lock:
            return node_id in self._removing

    def remove_all(self) -> None:
        shutil.rmtree(self.disk, ignore_errors=True)
        if self.fast is not None:
            shutil.rmtree(self.fast.parent, ignore_errors=True)  # the run's own directory on the tmpfs

    def _has_room(self) -> bool:
        now = time.monotonic()
        if now - self._room_checked >= ROOM_CHECK_SECONDS:
            self._room_checked = now
            try:
                st = os.statvfs(self.fast.parent.parent.parent)  # type: ignore[union-attr]
                self._room = st.f_bavail * st.f_frsize >= MIN_FREE_BYTES
            except OSError:
                self._room = False
            if not self._room:
                self._warn_full()
        return self._room

    def _warn_full(self) -> None:
        if not self._full_warned:
            self._full_warned = True
            log.warning("the tmpfs for pod directories (%s) is full: new pods of this run go to %s",
                        self.fast, self.disk)


def live_pod_dir(run_dir: Path, node_id: str) -> Path | None:
    """A running pod's directory as another wfexec process finds it (`wfexec logs`), or None."""
    return PodDirs(run_dir, scratch_root(run_dir.parent.parent)).existing(node_id) if run_dir.is_dir() else None
