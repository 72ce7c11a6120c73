"""The emissary executor over a real emissary's argo dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from wfexec.errors import ArtifactError
from wfexec.executors.emissary import EmissaryExecutor

MAIN = Path(__file__).resolve().parents[2] / "src" / "wfexec" / "emissary" / "main.py"
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def start(argo: Path, script: str, template: dict | None = None) -> subprocess.Popen[bytes]:
    argo.mkdir(parents=True, exist_ok=True)
    (argo / "template").write_text(json.dumps(template or {}))
    return subprocess.Popen([PY, "-S", str(MAIN), "--", "sh", "-c", script],
                            env={**os.environ, "ARGO_DIR": str(argo)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_outputs_streams_and_exit_code(tmp_path: Path) -> None:
    out = tmp_path / "out"
    template = {"outputs": {"parameters": [{"name": "p", "valueFrom": {"path": str(out / "p")}}],
                            "artifacts": [{"name": "a", "path": str(out / "a")}]}}
    proc = start(tmp_path / "argo", f"mkdir -p {out}/a; echo f > {out}/a/f; printf 42 > {out}/p; echo so; "
                                    "echo se >&2; exit 2", template)
    ex = EmissaryExecutor(tmp_path / "argo")
    assert ex.wait(["main"], timeout=10)
    proc.wait(5)
    assert ex.exit_code("main") == 2
    assert ex.get_file_contents("main", str(out / "p")) == "42"
    with pytest.raises(ArtifactError):
        ex.get_file_contents("main", str(out / "missing"))
    dest = tmp_path / "a.tgz"
    ex.copy_file("main", str(out / "a"), str(dest))
    with tarfile.open(dest) as tf:
        assert "a/f" in tf.getnames()
    with ex.get_output_stream("main", combined=False) as s:
        assert s.read() == b"so\n"
    with ex.get_output_stream("main", combined=True) as s:
        assert sorted(s.read().split()) == [b"se", b"so"]


def test_kill_with_grace_escalates(tmp_path: Path) -> None:
    proc = start(tmp_path / "argo", "trap '' TERM; sleep 30")
    ex = EmissaryExecutor(tmp_path / "argo", host_pids=True)
    assert not ex.wait(["main"], timeout=0.3)
    ex.kill(["main"], grace=0.3)
    proc.wait(5)
    assert ex.exit_code("main") == 137
