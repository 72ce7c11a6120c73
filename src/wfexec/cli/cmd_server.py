"""`wfexec server`: serve Argo Server's REST API over the local run store; `server token create`."""

from __future__ import annotations

import argparse
import ipaddress
import socket

from wfexec.cli.common import console, err
from wfexec.errors import WfexecError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("server", help="serve Argo Server's REST API (hera, the argo SDK, the UI) on this machine")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=2746, help="port (default 2746, Argo Server's)")
    p.add_argument("--auth-mode", choices=("server", "client"), default="server",
                   help="server: no authentication (loopback only); client: 'Authorization: Bearer <token>'")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", help="the certificate's private key (PEM)")
    p.add_argument("--insecure-no-auth", action="store_true",
                   help="allow a non-loopback address without token authentication")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="allow cross-origin requests from ORIGIN (repeatable; off by default)")
    p.add_argument("--max-body-bytes", type=int, default=8 * 1024 * 1024, help="larger request bodies get 413")
    p.set_defaults(func=cmd_server)
    tsub = p.add_subparsers(dest="server_command", metavar="SUBCOMMAND")
    t = tsub.add_parser("token", help="tokens for --auth-mode client")
    tt = t.add_subparsers(dest="token_command", metavar="ACTION")
    c = tt.add_parser("create", help="issue a token; only its hash is kept, so it is printed once")
    c.add_argument("--namespace", "-n", required=True, help="the namespace it may act in ('*' for all)")
    c.add_argument("--role", choices=("view", "edit", "admin"), required=True)
    c.set_defaults(func=cmd_token_create)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback
                       for info in socket.getaddrinfo(host, None))
        except (OSError, ValueError):
            return False


def cmd_server(args: argparse.Namespace) -> int:
    if not is_loopback(args.host) and args.auth_mode != "client" and not args.insecure_no_auth:
        raise WfexecError(f"--host {args.host}: refusing to listen beyond loopback without authentication;"
                          " use --auth-mode client (tokens), or --insecure-no-auth to accept the risk")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise WfexecError("--tls-cert and --tls-key go together")
    if not 0 <= args.port <= 65535:
        raise WfexecError(f"--port {args.port}: expected 0..65535")
    import uvicorn

    from wfexec.server.app import create_app
    from wfexec.server.settings import ServerSettings

    settings = ServerSettings(host=args.host, port=args.port, auth_mode=args.auth_mode,
                              cors_origins=tuple(args.cors_origin), max_body_bytes=args.max_body_bytes,
                              tls_cert=args.tls_cert, tls_key=args.tls_key, insecure_no_auth=args.insecure_no_auth)
    app = create_app(settings)
    scheme = "https" if args.tls_cert else "http"
    err.print(f"wfexec server on {scheme}://{args.host}:{args.port} (auth mode: {args.auth_mode})")
    config = uvicorn.Config(app, host=args.host, port=args.port, ssl_certfile=args.tls_cert,
                            ssl_keyfile=args.tls_key, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2, lifespan="on")
    uvicorn.Server(config).run()
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from wfexec.engine.store import Store
    from wfexec.server.auth import TokenStore

    token = TokenStore(Store().path).create(args.namespace, args.role)
    console.print(token)
    return 0
