"""Pod directories on a tmpfs: a run uses it (nothing of its pods stays under the home), and a full
tmpfs sends pods to the disk with one warning, the run unharmed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.resilience.helpers import wfexec
from wfexec.engine.pod_dirs import PodDirs, scratch_root

THREE_STEPS = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: three}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: echo}
    - - {name: b, template: echo}
    - - {name: c, template: echo}
  - name: echo
    container: {image: debian, command: [sh, -c, 'pwd > /dev/null; echo hi']}
"""


def _run(home: Path, tmp_path: Path, name: str) -> subprocess.CompletedProcess[str]:
    wf = tmp_path / "three.yaml"
    wf.write_text(THREE_STEPS)
    return wfexec("submit", str(wf), "--name", name, "--wait", home=home)


def test_pods_go_to_the_tmpfs_and_leave_nothing(wfexec_home: Path, tmp_path: Path) -> None:
    root = scratch_root(wfexec_home)
    assert root is not None and str(root).startswith(("/dev/shm/", os.environ.get("XDG_RUNTIME_DIR") or "/dev/shm/"))
    assert oct(root.stat().st_mode & 0o777) == oct(0o700)
    res = _run(wfexec_home, tmp_path, "on-tmpfs")
    assert res.returncode == 0, res.stderr
    assert not (wfexec_home / "runs" / "on-tmpfs" / "pods").exists(), "a pod went to disk"
    assert not PodDirs.for_run(wfexec_home / "runs" / "on-tmpfs").base.parent.exists(), "the run left its tmpfs dir"


def test_a_full_tmpfs_falls_back_to_disk_with_one_warning(wfexec_home: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    small = tmp_path / "small-tmpfs"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(small)], check=True)
    try:
        monkeypatch.setenv("WFEXEC_POD_DIRS", str(small))
        dirs = PodDirs.for_run(wfexec_home / "runs" / "full")
        assert dirs.fast is not None and dirs.fast.is_relative_to(small)
        res = _run(wfexec_home, tmp_path, "full")
        assert res.returncode == 0, res.stderr
        log = (wfexec_home / "runs" / "full" / "engine.log").read_text()
        assert log.count("is full: new pods of this run go to") == 1, log
    finally:
        subprocess.run(["umount", "-l", str(small)], check=True)
