"""The emissary protocol, through the real wrapper run as Argo runs it: a separate process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

MAIN = Path(__file__).resolve().parents[2] / "src" / "wfexec" / "emissary" / "main.py"
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def emissary(argo: Path, *cmd: str, name: str = "main", env: dict[str, str] | None = None,
             template: dict | None = None) -> subprocess.Popen[bytes]:
    argo.mkdir(parents=True, exist_ok=True)
    if not (argo / "template").exists():
        (argo / "template").write_text(json.dumps(template or {}))
    full = {**os.environ, "ARGO_DIR": str(argo), "ARGO_CONTAINER_NAME": name, **(env or {})}
    return subprocess.Popen([PY, "-S", str(MAIN), "--", *cmd], env=full, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def ctr(argo: Path, name: str = "main") -> Path:
    return argo / "ctr" / name


def wait_for(path: Path, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < end, f"{path} did not appear"
        time.sleep(0.01)


def test_exit_code_and_tee(tmp_path: Path) -> None:
    p = emissary(tmp_path, "sh", "-c", "echo out1; echo err1 >&2; echo out2; exit 3")
    out, err = p.communicate(timeout=10)
    assert p.returncode == 3
    assert out == b"out1\nout2\n" and err == b"err1\n"  # passed through
    assert (ctr(tmp_path) / "exitcode").read_text() == "3"
    assert (ctr(tmp_path) / "stdout").read_bytes() == b"out1\nout2\n"
    assert sorted((ctr(tmp_path) / "combined").read_bytes().splitlines()) == [b"err1", b"out1", b"out2"]


def test_missing_command_is_64_with_argos_message(tmp_path: Path) -> None:
    p = emissary(tmp_path, "no-such-command-xyz")
    _, err = p.communicate(timeout=10)
    assert p.returncode == 64
    assert b'failed to find name in PATH: exec: "no-such-command-xyz": executable file not found' in err
    assert (ctr(tmp_path) / "exitcode").read_text() == "64"


def test_killed_child_is_128_plus_signal(tmp_path: Path) -> None:
    p = emissary(tmp_path, "sh", "-c", "kill -KILL $$")
    p.communicate(timeout=10)
    assert p.returncode == 137 and (ctr(tmp_path) / "exitcode").read_text() == "137"


def test_signal_reaches_child_and_grandchild(tmp_path: Path) -> None:
    mark = tmp_path / "marks"
    mark.mkdir()
    grand = f"trap 'touch {mark}/grand; exit 0' TERM; touch {mark}/grand-ready; while :; do sleep 0.05; done"
    child = (f"trap 'touch {mark}/child; wait; exit 7' TERM; sh -c \"{grand}\" & "
             "while :; do sleep 0.05; done")
    p = emissary(tmp_path / "argo", "sh", "-c", child)
    wait_for(mark / "grand-ready")
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=10)
    assert (mark / "child").exists() and (mark / "grand").exists()
    assert p.returncode == 7


def test_signal_file_is_obeyed_and_deleted(tmp_path: Path) -> None:
    p = emissary(tmp_path, "sleep", "30")
    wait_for(ctr(tmp_path) / "childpgid")
    (ctr(tmp_path) / "signal").write_text("15")
    p.communicate(timeout=10)
    assert p.returncode == 143
    assert not (ctr(tmp_path) / "signal").exists()


def test_outputs_saved_and_exitcode_last(tmp_path: Path) -> None:
    work = tmp_path / "work"
    template = {"outputs": {
        "parameters": [{"name": "p", "valueFrom": {"path": str(work / "p.txt")}},
                       {"name": "missing", "valueFrom": {"path": str(work / "nope")}}],
        "artifacts": [{"name": "d", "path": str(work / "dir")}, {"name": "gone", "path": str(work / "gone")},
                      {"name": "raw", "path": str(work / "raw.txt"), "archive": {"none": {}}}]}}
    script = f"mkdir -p {work}/dir/sub; echo hi > {work}/dir/sub/f; printf v > {work}/p.txt; echo r > {work}/raw.txt"
    argo = tmp_path / "argo"
    p = emissary(argo, "sh", "-c", script, template=template)
    p.communicate(timeout=20)
    assert p.returncode == 0
    param = argo / "outputs" / "parameters" / str(work / "p.txt").lstrip("/")
    assert param.read_text() == "v"
    assert not (argo / "outputs" / "parameters" / str(work / "nope").lstrip("/")).exists()
    tgz = argo / "outputs" / "artifacts" / (str(work / "dir").lstrip("/") + ".tgz")
    with tarfile.open(tgz) as tf:
        names = tf.getnames()
    assert "dir/sub/f" in names and all(n.startswith("dir") for n in names)
    assert not (argo / "outputs" / "artifacts" / (str(work / "gone").lstrip("/") + ".tgz")).exists()
    raw = argo / "outputs" / "artifacts" / (str(work / "raw.txt").lstrip("/") + ".tgz")
    assert raw.read_text() == "r\n"
    exitcode = ctr(argo) / "exitcode"
    assert exitcode.stat().st_mtime_ns >= max(tgz.stat().st_mtime_ns, param.stat().st_mtime_ns)
    leftovers = [f for f in ctr(argo).iterdir() if ".tmp" in f.name]
    assert not leftovers, "exitcode must be written through a temp file and renamed"


def test_dependencies_wait_then_run(tmp_path: Path) -> None:
    argo = tmp_path / "argo"
    p = emissary(argo, "sh", "-c", "echo b-ran", name="b", env={"ARGO_DEPENDENCIES": "a"})
    time.sleep(0.3)
    assert p.poll() is None, "b must wait for a"
    assert not (ctr(argo, "b") / "exitcode").exists()
    ctr(argo, "a").mkdir(parents=True, exist_ok=True)
    (ctr(argo, "a") / "exitcode").write_text("0")
    out, _ = p.communicate(timeout=10)
    assert p.returncode == 0 and out == b"b-ran\n"


def test_failed_dependency_does_not_run(tmp_path: Path) -> None:
    argo = tmp_path / "argo"
    ctr(argo, "a").mkdir(parents=True)
    (ctr(argo, "a") / "exitcode").write_text("2")
    p = emissary(argo, "sh", "-c", "echo b-ran", name="b", env={"ARGO_DEPENDENCIES": "a"})
    out, err = p.communicate(timeout=10)
    assert p.returncode == 64 and out == b""
    assert b"dependency 'a' exited with non-zero code: 2" in err


@pytest.mark.parametrize("limit", [10])
def test_output_is_cut_past_the_limit(tmp_path: Path, limit: int) -> None:
    p = emissary(tmp_path, "sh", "-c", "echo 0123456789abcdef", env={"ARGO_MAX_OUTPUT_BYTES": str(limit)})
    p.communicate(timeout=10)
    data = (ctr(tmp_path) / "stdout").read_bytes()
    assert data.startswith(b"0123456789") and b"abcdef" not in data and b"output cut" in data


def test_runs_as_module_and_via_cli_entry(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "ARGO_DIR": str(tmp_path), "PYTHONPATH": str(src)}
    (tmp_path / "template").write_text("{}")
    r = subprocess.run([sys.executable, "-S", "-m", "wfexec.emissary", "--", "sh", "-c", "exit 4"], env=env)
    assert r.returncode == 4
    from wfexec.cli.main import main

    r2 = subprocess.run([sys.executable, "-c", "import sys; from wfexec.cli.main import main; "
                         "sys.exit(main(['emissary', '--', 'true']))"], env=env)
    assert r2.returncode == 0 and callable(main)
