"""Read an image's config from a registry over the Docker Registry HTTP API v2, with no daemon.

Anonymous first; on 401 the registry's `WWW-Authenticate` challenge says what it wants: `Basic`
(credentials sent as they are) or `Bearer realm=…,service=…,scope=…` (a token fetched from the
realm, with the credentials if we have any). Credentials come from `$WFEXEC_REGISTRY_USERNAME` /
`$WFEXEC_REGISTRY_PASSWORD` (for `$WFEXEC_REGISTRY_HOST` only, when set), else the `auths` of
`~/.docker/config.json` (`$DOCKER_CONFIG`). They are never logged or put in messages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from wfexec.errors import MigrateError
from wfexec.migrate.reference import DOCKER_HUB, ImageRef

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
INDEX_TYPES = MANIFEST_TYPES[:2]
PLATFORM = ("linux", "amd64")
_LOOPBACK = ("localhost", "127.", "[::1]")


@dataclass
class RegistryOptions:
    """How to reach registries: which speak plain HTTP, time limits, where credentials live."""

    insecure: bool = False
    insecure_registries: list[str] = field(default_factory=list)
    timeout: float = 15.0
    docker_config: Path | None = None

    def scheme(self, host: str) -> str:
        """HTTP for loopback hosts (as Docker does), listed hosts, or everything with --registry-insecure."""
        if self.insecure or host in self.insecure_registries or host.startswith(_LOOPBACK):
            return "http"
        return "https"


def credentials(host: str, options: RegistryOptions) -> tuple[str, str] | None:
    """(user, password) for `host` from the environment or the Docker client config, if any."""
    user, password = os.environ.get("WFEXEC_REGISTRY_USERNAME"), os.environ.get("WFEXEC_REGISTRY_PASSWORD")
    only = os.environ.get("WFEXEC_REGISTRY_HOST")
    if user and password is not None and (not only or only == host):
        return user, password
    cfg_dir = options.docker_config or Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    try:
        auths = json.loads((cfg_dir / "config.json").read_text()).get("auths") or {}
    except (OSError, ValueError):
        return None
    keys = [host, f"https://{host}", f"http://{host}", f"https://{host}/v1/", f"https://{host}/v2/"]
    if host == DOCKER_HUB:
        keys.append("https://index.docker.io/v1/")
    for key in keys:
        entry = auths.get(key)
        if not isinstance(entry, dict):
            continue
        if entry.get("auth"):
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
            return user, password
        if entry.get("username") and entry.get("password") is not None:
            return entry["username"], entry["password"]
    return None


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    params = {k.lower(): v for k, v in re.findall(r'(\w+)="([^"]*)"', rest)}
    return scheme.lower(), params


class RegistryClient:
    """One repository on one registry: resolve a tag to a digest, fetch the image config."""

    def __init__(self, ref: ImageRef, options: RegistryOptions) -> None:
        self.ref, self.options = ref, options
        self.host = ref.api_host
        self.base = f"{options.scheme(ref.api_host)}://{ref.api_host}/v2/{ref.repository}"
        self.session = requests.Session()
        self._auth: dict[str, str] = {}

    def close(self) -> None:
        self.session.close()

    def _fail(self, what: str) -> MigrateError:
        return MigrateError(f"registry {self.ref.registry}: {self.ref.repository}: {what}")

    def _send(self, method: str, url: str, headers: dict[str, str]) -> requests.Response:
        try:
            return self.session.request(method, url, headers={**headers, **self._auth},
                                        timeout=self.options.timeout, allow_redirects=True)
        except requests.RequestException as exc:
            raise self._fail(f"unreachable ({type(exc).__name__}: {_short(exc)})") from None

    def _request(self, method: str, url: str, headers: dict[str, str] | None = None) -> requests.Response:
        headers = headers or {}
        resp = self._send(method, url, headers)
        if resp.status_code == 401 and not self._auth:
            self._authenticate(resp.headers.get("WWW-Authenticate", ""))
            resp = self._send(method, url, headers)
        if resp.status_code in (401, 403):
            creds = "with the credentials found" if credentials(self.ref.registry, self.options) else \
                "anonymously (no credentials found for it)"
            raise self._fail(f"access denied {creds} (HTTP {resp.status_code})")
        return resp

    def _authenticate(self, header: str) -> None:
        scheme, params = _challenge(header)
        creds = credentials(self.ref.registry, self.options)
        if scheme == "basic":
            if creds is None:
                raise self._fail("needs a user name and password (basic auth); set $WFEXEC_REGISTRY_USERNAME "
                                 "and $WFEXEC_REGISTRY_PASSWORD, or `docker login`")
            token = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            self._auth = {"Authorization": f"Basic {token}"}
        elif scheme == "bearer" and params.get("realm"):
            query = {"scope": params.get("scope") or f"repository:{self.ref.repository}:pull"}
            if params.get("service"):
                query["service"] = params["service"]
            try:
                resp = self.session.get(params["realm"], params=query, auth=creds, timeout=self.options.timeout)
            except requests.RequestException as exc:
                raise self._fail(f"token server {params['realm']} unreachable ({type(exc).__name__})") from None
            if resp.status_code != 200:
                raise self._fail(f"token server {params['realm']} refused (HTTP {resp.status_code})")
            body = resp.json()
            token = body.get("token") or body.get("access_token")
            if not token:
                raise self._fail(f"token server {params['realm']} returned no token")
            self._auth = {"Authorization": f"Bearer {token}"}
        else:
            raise self._fail(f"unsupported authentication challenge {scheme or '(none)'!r}")

    def resolve_digest(self) -> str:
        """The manifest digest the reference names now (HEAD, so a moved `:latest` is seen)."""
        if self.ref.digest:
            return self.ref.digest
        url = f"{self.base}/manifests/{self.ref.reference}"
        resp = self._request("HEAD", url, {"Accept": ", ".join(MANIFEST_TYPES)})
        if resp.status_code == 404:
            raise self._fail(f"manifest unknown for tag {self.ref.reference!r} (HTTP 404)")
        if resp.status_code != 200:
            raise self._fail(f"HEAD manifest answered HTTP {resp.status_code}")
        digest = resp.headers.get("Docker-Content-Digest")
        if digest:
            return digest
        body = self._get_manifest(self.ref.reference)[1]
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def _get_manifest(self, reference: str) -> tuple[dict[str, Any], bytes]:
        resp = self._request("GET", f"{self.base}/manifests/{reference}", {"Accept": ", ".join(MANIFEST_TYPES)})
        if resp.status_code == 404:
            raise self._fail(f"manifest {reference} unknown (HTTP 404)")
        if resp.status_code != 200:
            raise self._fail(f"GET manifest {reference} answered HTTP {resp.status_code}")
        try:
            return resp.json(), resp.content
        except ValueError:
            raise self._fail(f"manifest {reference} is not JSON") from None

    def image_config(self, digest: str) -> dict[str, Any]:
        """The image config blob (`{"config": {"Entrypoint": …, "Cmd": …}, …}`) for the manifest `digest`."""
        manifest, _ = self._get_manifest(digest)
        media = manifest.get("mediaType") or ""
        if media in INDEX_TYPES or "manifests" in manifest:
            manifest = self._get_manifest(self._pick_platform(manifest))[0]
        config = manifest.get("config") or {}
        if not config.get("digest"):
            raise self._fail(f"manifest {digest} has no config (schema 1 manifests are not supported)")
        resp = self._request("GET", f"{self.base}/blobs/{config['digest']}")
        if resp.status_code != 200:
            raise self._fail(f"GET config blob {config['digest']} answered HTTP {resp.status_code}")
        algo, _, want = config["digest"].partition(":")
        if algo == "sha256" and hashlib.sha256(resp.content).hexdigest() != want:
            raise self._fail(f"config blob {config['digest']} does not match its digest")
        try:
            return resp.json()
        except ValueError:
            raise self._fail(f"config blob {config['digest']} is not JSON") from None

    def _pick_platform(self, index: dict[str, Any]) -> str:
        entries = index.get("manifests") or []
        for entry in entries:
            platform = entry.get("platform") or {}
            if (platform.get("os"), platform.get("architecture")) == PLATFORM:
                return entry["digest"]
        found = ", ".join(f"{(e.get('platform') or {}).get('os')}/{(e.get('platform') or {}).get('architecture')}"
                          for e in entries) or "none"
        raise self._fail(f"no linux/amd64 image in the index (platforms: {found})")


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) < 160 else text[:157] + "..."
