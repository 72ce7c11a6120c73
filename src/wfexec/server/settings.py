"""What a running server was asked for: address, auth mode, limits, CORS."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
AUTH_MODES = ("server", "client")


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 2746
    auth_mode: str = "server"  # server: no authentication (Argo's --auth-mode server); client: Bearer tokens
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 8 * 1024 * 1024
    store_path: Path | None = None  # default: $WFEXEC_HOME/runs.db
    tls_cert: str | None = None
    tls_key: str | None = None
    insecure_no_auth: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def client_auth(self) -> bool:
        return self.auth_mode == "client"
