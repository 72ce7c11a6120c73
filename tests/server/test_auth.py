"""Security of `wfexec server`: tokens by namespace and role, hashed at rest, never echoed; TLS; CORS."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
import requests

from tests.server.swagger import check_response
from tests.server.workflows import container_wf
from tests.support.waiting import wait_for

pytestmark = pytest.mark.usefixtures("swagger_checked")


def _token(srv, ns: str, role: str) -> str:
    return srv.wfexec("server", "token", "create", "--namespace", ns, "--role", role).stdout.strip()


def test_tokens_by_namespace_and_role(server_factory) -> None:
    srv = server_factory("--auth-mode", "client")
    view, edit, other, admin = (_token(srv, "default", "view"), _token(srv, "default", "edit"),
                                _token(srv, "team-b", "edit"), _token(srv, "*", "admin"))
    base = f"{srv.url}/api/v1/workflows"

    def call(method: str, url: str, token: str | None, **kw) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return check_response(requests.request(method, url, headers=headers, timeout=30, **kw))

    body = {"workflow": container_wf("echo hi")}
    r = call("GET", f"{base}/default", None)
    assert r.status_code == 401 and r.json()["code"] == 16
    r = call("GET", f"{base}/default", "wfx_not-a-token")
    assert r.status_code == 401 and "wfx_not-a-token" not in r.text
    assert call("GET", f"{base}/default", view).status_code == 200
    r = call("POST", f"{base}/default", view, json=body)
    assert r.status_code == 403 and r.json()["code"] == 7 and view not in r.text
    r = call("POST", f"{base}/default", other, json=body)
    assert r.status_code == 403 and "team-b" in r.json()["message"]
    assert call("GET", f"{base}/default", other).status_code == 403
    r = call("POST", f"{base}/default", edit, json=body)
    assert r.status_code == 200
    name = r.json()["metadata"]["name"]
    wait_phase_auth = lambda: requests.get(f"{base}/default/{name}", timeout=10,  # noqa: E731
                                           headers={"Authorization": f"Bearer {edit}"}).json()
    wait_for(lambda: wait_phase_auth()["status"]["phase"] == "Succeeded", 60, f"{name} Succeeded")
    assert call("GET", f"{base}/default/{name}/log", view).status_code == 200
    assert call("GET", f"{base}/default/{name}/log", other).status_code == 403
    assert call("PUT", f"{base}/default/{name}/retry", view, json={}).status_code == 403
    assert call("DELETE", f"{base}/default/{name}", view).status_code == 403
    # admin reaches every namespace; a namespaced token listing "all" sees only its own
    assert call("POST", f"{base}/team-b", admin, json=body).status_code == 200
    mine = call("GET", f"{base}/", other).json()["items"]
    assert mine and {i["metadata"]["namespace"] for i in mine} == {"team-b"}
    everyone = call("GET", f"{base}/", admin).json()["items"]
    assert {i["metadata"]["namespace"] for i in everyone} == {"default", "team-b"}
    assert call("GET", f"{srv.url}/api/v1/userinfo", view).json()["serviceAccountNamespace"] == "default"
    assert call("DELETE", f"{base}/default/{name}", edit).status_code == 200
    # at rest only hashes; in the log nothing
    stored = (srv.home / "runs.db").read_bytes() + b"".join(
        p.read_bytes() for p in srv.home.glob("runs.db-*") if p.is_file())
    log = (srv.home / "server.log").read_text()
    for tok in (view, edit, other, admin):
        assert tok.encode() not in stored and tok not in log


def test_server_mode_is_open_on_loopback(server) -> None:
    r = check_response(requests.get(f"{server.url}/api/v1/userinfo", timeout=10))
    assert r.status_code == 200
    # CORS is off unless asked for
    pre = requests.options(f"{server.url}/api/v1/workflows/default", timeout=10, headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in {k.lower() for k in pre.headers}


def test_cors_when_asked_and_tls(server_factory, tmp_path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srv = server_factory("--tls-cert", str(cert_file), "--tls-key", str(key_file),
                             "--cors-origin", "http://ui.example")
    assert srv.url.startswith("https://")
    r = check_response(requests.get(f"{srv.url}/api/v1/version", timeout=10, verify=str(cert_file)))
    assert r.status_code == 200
    pre = requests.options(f"{srv.url}/api/v1/workflows/default", timeout=10, verify=str(cert_file), headers={
        "Origin": "http://ui.example", "Access-Control-Request-Method": "POST"})
    assert pre.headers.get("access-control-allow-origin") == "http://ui.example"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{srv.url}/api/v1/version", timeout=10)  # not trusted without the cert
