"""Who may do what: Argo's `--auth-mode server` (no authentication) or `client` (Bearer tokens).

A token belongs to one namespace (or `*`, every namespace) and has a role: view (read), edit (write in its
namespace) or admin (edit, plus cluster-scoped objects). The run store keeps only a SHA-256 of each token,
in a table of its own; a token is never logged or echoed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from wfexec.errors import StoreError, WfexecError
from wfexec.server.http import PERMISSION_DENIED, UNAUTHENTICATED, ApiError

ROLES = ("view", "edit", "admin")
ALL_NAMESPACES = "*"
TOKEN_PREFIX = "wfx_"

SCHEMA = """
CREATE TABLE IF NOT EXISTS server_tokens (
    digest TEXT PRIMARY KEY,
    namespace TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    name: str
    namespace: str  # the namespace it may touch, or "*"
    role: str

    def may(self, namespace: str | None, role: str) -> bool:
        if ROLES.index(self.role) < ROLES.index(role):
            return False
        return namespace is None or self.namespace in (ALL_NAMESPACES, namespace)


SERVER_PRINCIPAL = Principal("system:serviceaccount:argo:argo-server", ALL_NAMESPACES, "admin")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """Tokens in the run store's SQLite file (table `server_tokens`)."""

    def __init__(self, store_path: Path) -> None:
        self.path = store_path
        try:
            with self._connect() as db:
                db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"run store {self.path}: {exc}") from None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30)
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def create(self, namespace: str, role: str) -> str:
        """A new token; only its digest is kept, so this is the one time it can be read."""
        if role not in ROLES:
            raise WfexecError(f"role {role!r}: expected one of {', '.join(ROLES)}")
        if not namespace:
            raise WfexecError("namespace: required (a namespace, or '*' for all)")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            with self._connect() as db:
                db.execute("INSERT INTO server_tokens (digest, namespace, role, created_at) VALUES (?,?,?,?)",
                           (_digest(token), namespace, role, created))
        except sqlite3.Error as exc:
            raise StoreError(f"run store {self.path}: {exc}") from None
        return token

    def lookup(self, token: str) -> Principal | None:
        digest = _digest(token)
        try:
            with self._connect() as db:
                row = db.execute("SELECT namespace, role FROM server_tokens WHERE digest=?", (digest,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        return Principal(f"token:{digest[:12]}", row[0], row[1])


class Authenticator:
    """Answers "who is this request?" for the server's auth mode; caches digests it has seen."""

    def __init__(self, mode: str, tokens: TokenStore | None) -> None:
        self.mode, self.tokens = mode, tokens
        self._cache: dict[str, Principal] = {}

    def principal(self, request: Request) -> Principal:
        if self.mode != "client":
            return SERVER_PRINCIPAL
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(UNAUTHENTICATED, "token not valid: expected the header 'Authorization: Bearer <token>'")
        digest = _digest(token)
        found = self._cache.get(digest)
        if found is None and self.tokens is not None:
            found = self.tokens.lookup(token)
            if found is not None:
                self._cache[digest] = found
        if found is None:
            raise ApiError(UNAUTHENTICATED, "token not valid")
        return found


def authorize(request: Request, namespace: str | None, role: str = "view") -> Principal:
    """The caller, if it may act with `role` in `namespace` (None: any namespace); else 401/403."""
    auth: Authenticator = request.app.state.authenticator
    who = auth.principal(request)
    if not who.may(namespace, role):
        where = f"namespace {namespace!r}" if namespace else "this server"
        raise ApiError(PERMISSION_DENIED,
                       f"permission denied: {who.role} token for namespace {who.namespace!r} cannot {role} in {where}")
    return who
