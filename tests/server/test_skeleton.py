"""The server skeleton: it starts, answers Argo's error shape, refuses what it must."""

from __future__ import annotations

import subprocess
import sys

import requests


def test_version_and_error_shape(server) -> None:
    r = requests.get(server.url + "/api/v1/version", timeout=5)
    assert r.status_code == 200 and r.json()["version"].startswith("v")
    r = requests.get(server.url + "/api/v1/no-such-thing", timeout=5)
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == 5 and "no such path" in body["message"]


def test_non_loopback_bind_refused_without_auth(tmp_path) -> None:
    res = subprocess.run([sys.executable, "-m", "wfexec.cli.main", "server", "--host", "0.0.0.0", "--port", "0"],
                         capture_output=True, text=True, timeout=60, env={"WFEXEC_HOME": str(tmp_path),
                                                                           "PATH": "/usr/bin:/bin"})
    assert res.returncode != 0
    assert "refusing to listen beyond loopback" in res.stderr and "Traceback" not in res.stderr


def test_lone_tls_flag_and_bad_port_are_refused(tmp_path) -> None:
    for argv, words in ((["--tls-cert", "x.pem"], "go together"), (["--port", "70000"], "--port")):
        res = subprocess.run([sys.executable, "-m", "wfexec.cli.main", "server", *argv], capture_output=True,
                             text=True, timeout=60, env={"WFEXEC_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
        assert res.returncode != 0 and words in res.stderr and "Traceback" not in res.stderr
