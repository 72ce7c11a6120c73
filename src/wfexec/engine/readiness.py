"""A daemon step's readinessProbe: the workflow goes on only once the daemon is ready, as in Argo.

Kubernetes' probe kinds, judged from the engine against the pod's address (the host runtime
gives 127.0.0.1, the docker runtime the container's bridge IP):

- `httpGet` {path, port, host, scheme, httpHeaders}: ready on a status in 200..399;
- `tcpSocket` {port, host}: ready when a connection is accepted;
- `grpc` and `exec` cannot be judged from outside the container here: the daemon counts as
  ready after `initialDelaySeconds`, and the node's message says so.

`initialDelaySeconds` is honoured. The probe is tried more often than Kubernetes'
`periodSeconds` (at most every 0.2 s) since a readiness probe that passes sooner changes
nothing but the wait. A probe never fails the step: if the daemon ends before it is ready, the
step ends with the pod's own result.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from wfexec.errors import SpecError

POLL = 0.2  # seconds between tries


def probe_of(template: dict[str, Any]) -> dict[str, Any] | None:
    """The main container's readinessProbe in a resolved container or script template."""
    body = template.get("container") or template.get("script") or {}
    probe = body.get("readinessProbe")
    return probe if isinstance(probe, dict) and probe else None


def _port(value: Any, template: dict[str, Any]) -> int:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    body = template.get("container") or template.get("script") or {}
    for p in body.get("ports") or []:
        if p.get("name") == value and p.get("containerPort"):
            return int(p["containerPort"])
    raise SpecError(f"readinessProbe port {value!r} is neither a number nor a named containerPort",
                    field=f"templates[{template.get('name', '?')}].container.readinessProbe")


def try_once(probe: dict[str, Any], address: str, template: dict[str, Any], timeout: float) -> bool:
    """One blocking try of the probe; True when ready."""
    if "httpGet" in probe:
        import urllib.error  # with http.client and ssl, a few dozen ms of every engine's start otherwise
        import urllib.request

        spec = probe["httpGet"] or {}
        scheme = str(spec.get("scheme") or "HTTP").lower()
        host = spec.get("host") or address
        path = "/" + str(spec.get("path") or "/").lstrip("/")
        req = urllib.request.Request(f"{scheme}://{host}:{_port(spec.get('port'), template)}{path}")
        for h in spec.get("httpHeaders") or []:
            req.add_header(str(h.get("name")), str(h.get("value")))
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - a probe, by design
                return 200 <= resp.status < 400
        except urllib.error.HTTPError as exc:
            return 200 <= exc.code < 400
        except (OSError, ValueError):  # refused, reset, timed out, a bad URL from a bad host
            return False
    if "tcpSocket" in probe:
        spec = probe["tcpSocket"] or {}
        try:
            with socket.create_connection((spec.get("host") or address, _port(spec.get("port"), template)),
                                          timeout=timeout):
                return True
        except OSError:
            return False
    return True  # exec / grpc: not judged here (see the module's note)


def unjudged(probe: dict[str, Any]) -> str | None:
    """A note when the probe's kind cannot be judged from the engine."""
    if "httpGet" in probe or "tcpSocket" in probe:
        return None
    kind = next((k for k in ("exec", "grpc") if k in probe), "unknown")
    return f"readinessProbe ({kind}) is not judged on one machine; the daemon was taken as ready"


async def wait_ready(probe: dict[str, Any], address: str, template: dict[str, Any],
                     ended: asyncio.Future[Any]) -> bool:
    """Wait until the probe passes (True) or the pod has ended (False). SpecError for a bad port."""
    for kind in ("httpGet", "tcpSocket"):
        if kind in probe:
            _port((probe[kind] or {}).get("port"), template)
    delay = float(probe.get("initialDelaySeconds") or 0)
    timeout = float(probe.get("timeoutSeconds") or 1)
    if delay:
        await asyncio.wait([ended], timeout=delay)
    while not ended.done():
        if await asyncio.to_thread(try_once, probe, address, template, timeout):
            return True
        await asyncio.wait([ended], timeout=POLL)
    return False
