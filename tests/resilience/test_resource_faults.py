"""Resource faults: a full disk while saving an artifact or a log, and output over a size limit.

A small tmpfs stands in for a full disk (we run as root): mounted over $WFEXEC_HOME/artifacts
(the local artifact repository), over $WFEXEC_HOME/runs (where logs are kept), or over one step's
pod or log directory, and unmounted afterwards. The step that cannot save ends in Error with a
clear message, the run store (which lives elsewhere) stays intact, and the rest of the run goes on
as its policy says.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.resilience.helpers import DATA, wfexec
from wfexec.engine.nodes import node_id
from wfexec.engine.pod_dirs import PodDirs


@contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def _nodes(wf: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {n["displayName"]: n for n in wf["status"]["nodes"].values()}


def _store_ok(home: Path) -> None:
    db = sqlite3.connect(home / "runs.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()


def test_full_disk_while_saving_an_artifact(wfexec_home: Path) -> None:
    with small_disk(wfexec_home / "artifacts", "256k"):
        res = wfexec("submit", str(DATA / "full-disk.yaml"), "--wait", "-o", "json", home=wfexec_home)
        assert res.returncode == 1
        wf = json.loads(res.stdout)
        nodes = _nodes(wf)
        big = nodes["big"]
        assert big["phase"] == "Error"
        assert "saving output artifacts failed" in big["message"] and "No space left on device" in big["message"]
        # failFast: false, so the independent branch runs to its end; the dependent task is omitted
        assert nodes["small"]["phase"] == "Succeeded" and nodes["after-small"]["phase"] == "Succeeded"
        assert nodes["after-big"]["phase"] == "Omitted"
        assert wf["status"]["phase"] == "Error"
        leftovers = [p for p in (wfexec_home / "artifacts").rglob("*") if p.is_file()]
        assert leftovers == [], "a partly written artifact was left in the repository"
    _store_ok(wfexec_home)
    again = json.loads(wfexec("get", wf["metadata"]["name"], "-o", "json", home=wfexec_home, check=True).stdout)
    assert again["status"]["phase"] == "Error"


def test_a_log_is_kept_once_on_a_small_disk(wfexec_home: Path) -> None:
    """600 kB on a 1 MB disk: the pod's stdout and combined logs share one file, and the engine
    keeps a hard link of it, not a copy (each used to cost 600 kB more)."""
    with small_disk(wfexec_home / "runs", "1m"):
        res = wfexec("submit", str(DATA / "big-log.yaml"), "-p", "size=600000", "--wait", "-o", "json",
                     home=wfexec_home)
        assert res.returncode == 0, res.stderr
        wf = json.loads(res.stdout)
        assert _nodes(wf)["loud"]["phase"] == "Succeeded"
        log = wfexec("logs", wf["metadata"]["name"], "loud", home=wfexec_home, check=True).stdout
        assert log == "x" * 600000 + "\nend-of-output\n"
    _store_ok(wfexec_home)


@pytest.mark.parametrize(("size", "where", "disk"), [
    # the pod's logs fit; the engine's copy of them does not (on a disk of its own: a copy, not a link)
    ("400000", "saving logs failed", "logs"),
    ("1100000", "no space left on device", "pods"),  # the emissary cannot write the pod's logs
])
def test_full_disk_while_saving_a_log(size: str, where: str, disk: str, wfexec_home: Path) -> None:
    """Only the loud step's directory is on the small disk, so the rest of the run has room."""
    name = "big-log-full"
    loud_id = node_id(name, f"{name}[0].loud")
    run_dir = wfexec_home / "runs" / name
    disk_dir = PodDirs.for_run(run_dir).base if disk == "pods" else run_dir / disk
    with small_disk(disk_dir / loud_id, "1m" if disk == "pods" else "256k"):
        res = wfexec("submit", str(DATA / "big-log.yaml"), "-p", f"size={size}", "--name", name, "--wait",
                     "-o", "json", home=wfexec_home)
        wf = json.loads(res.stdout)
        nodes = _nodes(wf)
        loud = nodes["loud"]
        assert loud["phase"] == "Error", (loud.get("message"), wf["status"].get("message"))
        assert where in loud["message"].lower() or where in loud["message"], loud["message"]
        assert "No space left on device" in loud["message"] or "no space left on device" in loud["message"]
        # continueOn.error: the next step runs, and the run ends as Argo ends it (Succeeded)
        assert nodes["quiet"]["phase"] == "Succeeded"
        assert wf["status"]["phase"] == "Succeeded"
        assert res.returncode == 0
        log = wfexec("logs", wf["metadata"]["name"], "quiet", home=wfexec_home, check=True).stdout
        assert log.strip() == "quiet"
    _store_ok(wfexec_home)


def test_output_over_the_limit_is_cut_and_said(wfexec_home: Path) -> None:
    res = wfexec("submit", str(DATA / "big-log.yaml"), "--max-output-bytes", "1000", "--wait", "-o", "json",
                 home=wfexec_home)
    assert res.returncode == 0, res.stderr
    wf = json.loads(res.stdout)
    loud = _nodes(wf)["loud"]
    assert loud["phase"] == "Succeeded"
    log = wfexec("logs", wf["metadata"]["name"], "loud", home=wfexec_home, check=True).stdout
    assert log.startswith("x" * 1000)
    assert "[output cut: more than 1000 bytes; the rest was not kept]" in log
    assert "end-of-output" not in log
    assert len(loud["outputs"]["result"]) < 1200
    bad = wfexec("submit", str(DATA / "big-log.yaml"), "--max-output-bytes", "lots", home=wfexec_home)
    assert bad.returncode != 0 and "expected a whole number of bytes" in bad.stderr
