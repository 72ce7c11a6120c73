"""A real Docker registry (Debian's `docker-registry`, distribution 2.8) on loopback, for tests.

`serve_registry()` runs one on a free port over a storage directory, optionally behind basic auth
(an htpasswd file made with `htpasswd -B`) or token auth (a tiny token server in this process that
signs RS256 JWTs with a throwaway certificate the registry trusts). Several registries may share
one storage directory: push through an open one, read through a protected one. The process is
stopped when the context exits.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

REGISTRY_BIN = "/usr/bin/docker-registry"
SERVICE = "wfexec-test-registry"
ISSUER = "wfexec-test-token-issuer"


@dataclass
class Registry:
    host: str  # 127.0.0.1:PORT, as used in image references
    storage: Path
    user: str | None = None
    password: str | None = None
    token_requests: list[dict[str, Any]] | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _TokenIssuer:
    """Signs registry bearer tokens; the registry trusts its self-signed certificate."""

    def __init__(self, workdir: Path) -> None:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(minutes=5))
                     .not_valid_after(now + datetime.timedelta(days=1))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.bundle = workdir / "token-root.pem"
        self.bundle.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self._der = self.cert.public_bytes(serialization.Encoding.DER)

    def token(self, subject: str, scope: str | None) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        access = []
        if scope:
            kind, name, actions = scope.split(":", 2)
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self._der).decode()]}
        claims = {"iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": secrets.token_hex(8), "access": access}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"


@contextmanager
def _token_server(issuer: _TokenIssuer, user: str, password: str, log: list[dict[str, Any]]) -> Iterator[str]:
    """GET /token?service=…&scope=… with basic auth → {"token": …}; wrong credentials → 401."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            authorised = self.headers.get("Authorization") == expected
            log.append({"query": query, "authorised": authorised})
            if not authorised:
                body, status = b'{"details":"unauthorized"}', 401
            else:
                body, status = json.dumps({"token": issuer.token(user, query.get("scope"))}).encode(), 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/token"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            if requests.get(url, timeout=1).status_code in (200, 401):
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"docker-registry did not answer on {url}: {log.read_text()[-2000:]}")


@contextmanager
def serve_registry(storage: Path | None = None, *, auth: str | None = None, user: str = "wfexec",
                   password: str = "s3cret-pass") -> Iterator[Registry]:
    """A registry on 127.0.0.1; auth is None, "basic" or "token"."""
    with tempfile.TemporaryDirectory(prefix="wfexec-registry-") as tmp:
        work = Path(tmp)
        store = storage or work / "storage"
        store.mkdir(parents=True, exist_ok=True)
        port = free_port()
        lines = ["version: 0.1", "log:", "  level: error", "storage:", "  filesystem:",
                 f"    rootdirectory: {store}", "  delete:", "    enabled: true", "http:",
                 f"  addr: 127.0.0.1:{port}"]
        token_log: list[dict[str, Any]] | None = None
        token_ctx = None
        if auth == "basic":
            htpasswd = work / "htpasswd"
            subprocess.run(["htpasswd", "-Bbc", str(htpasswd), user, password], check=True, capture_output=True)
            lines += ["auth:", "  htpasswd:", "    realm: wfexec-test", f"    path: {htpasswd}"]
        elif auth == "token":
            issuer = _TokenIssuer(work)
            token_log = []
            token_ctx = _token_server(issuer, user, password, token_log)
            realm = token_ctx.__enter__()
            lines += ["auth:", "  token:", f"    realm: {realm}", f"    service: {SERVICE}",
                      f"    issuer: {ISSUER}", f"    rootcertbundle: {issuer.bundle}"]
        elif auth is not None:
            raise ValueError(f"auth must be None, 'basic' or 'token', not {auth!r}")
        config = work / "config.yml"
        config.write_text("\n".join(lines) + "\n")
        log = work / "registry.log"
        with open(log, "wb") as fh:
            proc = subprocess.Popen([REGISTRY_BIN, "serve", str(config)], stdout=fh, stderr=subprocess.STDOUT,
                                    env={**os.environ, "OTEL_TRACES_EXPORTER": "none"})
        try:
            _wait_ready(f"http://127.0.0.1:{port}/v2/", proc, log)
            yield Registry(f"127.0.0.1:{port}", store, user if auth else None, password if auth else None,
                           token_log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if token_ctx is not None:
                token_ctx.__exit__(None, None, None)


def push(local_tag: str, remote: str) -> None:
    """Tag a local image as `remote` (HOST/REPO:TAG) and push it (the daemon treats 127.0.0.0/8 as insecure)."""
    subprocess.run(["docker", "tag", local_tag, remote], check=True, capture_output=True)
    proc = subprocess.run(["docker", "push", remote], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"docker push {remote} failed: {proc.stderr.strip() or proc.stdout.strip()}")


def remove_local(*tags: str) -> None:
    """Untag images locally, so a lookup has to go to the registry."""
    subprocess.run(["docker", "image", "rm", *tags], capture_output=True)
