"""A real `wfexec server` subprocess per test module or test: own $WFEXEC_HOME, free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    """A running `wfexec server`: its URL, home, and how to stop or kill it."""

    url: str
    home: Path
    port: int
    args: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=Path)

    def start(self) -> ServerProcess:
        out = open(self.log, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wfexec.cli.main", "server", "--port", str(self.port), *self.args],
            env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"wfexec server exited with {self.proc.returncode}: {self.log.read_text()}")
            try:
                requests.get(self.url + "/api/v1/version", timeout=1, verify=False)
                return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"wfexec server did not answer within 30 s: {self.log.read_text()}")

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(5)

    def wfexec(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the wfexec CLI against the same home."""
        return subprocess.run([sys.executable, "-m", "wfexec.cli.main", *argv], env=self.env, text=True,
                              capture_output=True, check=check, timeout=120)

    def client(self, home: Path, *argv: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        """Run the wfexec CLI as a client of this server (ARGO_SERVER set, `env` added) from a home of its own."""
        env = {**os.environ, "WFEXEC_HOME": str(home), "ARGO_SERVER": self.url.split("://", 1)[1], **env}
        return subprocess.run([sys.executable, "-m", "wfexec.cli.main", *argv], env=env, text=True,
                              capture_output=True, timeout=timeout)


def make_server(home: Path, *args: str) -> ServerProcess:
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "WFEXEC_HOME": str(home)}
    scheme = "https" if "--tls-cert" in args else "http"
    return ServerProcess(url=f"{scheme}://127.0.0.1:{port}", home=home, port=port, args=list(args), env=env,
                         log=home / "server.log")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A `wfexec server` (auth mode server) shared by one test module; its URL is `server.url`."""
    with make_server(tmp_path_factory.mktemp("server-home")) as srv:
        yield srv


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator:
    """Start servers with chosen flags (`server_factory("--auth-mode", "client")`); all stopped after."""
    started: list[ServerProcess] = []

    def start(*args: str, home: Path | None = None) -> ServerProcess:
        srv = make_server(home or tmp_path / f"home{len(started)}", *args).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def swagger_checked(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """Every HTTP response the test receives (requests, hera, the argo SDK) is checked against the swagger."""
    from tests.server.swagger import SWAGGER

    real_send = requests.Session.send

    def send(self, request, **kwargs):  # noqa: ANN001, ANN202
        resp = real_send(self, request, **kwargs)
        if not kwargs.get("stream"):
            SWAGGER.check(request.method, request.url, resp.status_code, resp.content,
                          resp.headers.get("content-type", ""))
        return resp

    monkeypatch.setattr(requests.Session, "send", send)
    try:
        from argo_workflows import rest
    except ImportError:  # pragma: no cover - the SDK is in the dev extra
        rest = None
    if rest is not None:
        real_request = rest.RESTClientObject.request

        def request(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN202
            resp = real_request(self, method, url, *args, **kwargs)
            if kwargs.get("_preload_content", True):
                SWAGGER.check(method, url, resp.status, resp.data or b"", resp.getheader("content-type") or "")
            return resp

        monkeypatch.setattr(rest.RESTClientObject, "request", request)
    before = SWAGGER.checked
    yield SWAGGER
    assert SWAGGER.checked > before, "the test received no response to check against the swagger"
