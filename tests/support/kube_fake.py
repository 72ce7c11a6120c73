"""A stand-in for a Kubernetes API server, for tests of wfexec's cluster code.

No Kubernetes API server can run on the test machine, so this small threaded HTTP server on
127.0.0.1 answers the few endpoints wfexec uses, with response bodies in the real API shapes
(the fixture clusters under kube_fixtures/ are JSON copies of such responses). Tests drive it
through the official `kubernetes` client, with a kubeconfig written to a temp file.

Routes (add more with `FakeCluster.route`):
  GET  /version
  GET  /api/v1/nodes
  GET  /api/v1/namespaces/{ns}
  GET  /api/v1/namespaces/{ns}/configmaps/{name}
  PATCH /api/v1/namespaces/{ns}/configmaps/{name}   (strategic-merge, merge or JSON patch)
  GET  /apis/apps/v1/namespaces/{ns}/deployments/{name}
  POST /apis/argoproj.io/v1alpha1/namespaces/{ns}/workflows
  GET  /apis/argoproj.io/v1alpha1/namespaces/{ns}/workflows[/{name}]  (each GET of one replays the
       next fixture status update, `workflow_status_replay`)
  GET  /api/v1/namespaces/{ns}/pods/{pod}/log   (text from `pod_logs`)

Recorded workflows (kube_fixtures/workflows/*.json, `load_workflow_replay`) hold the status
updates an Argo controller wrote for one Workflow, in order, and its pods' logs;
`FakeCluster.replay_workflow(name)` serves them.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FIXTURES = Path(__file__).resolve().parent / "kube_fixtures"
WORKFLOW_FIXTURES = FIXTURES / "workflows"
CLUSTERS = ("docker-nodes", "containerd-nodes", "restricted-namespace", "gke-autopilot")
TOKEN = "fake-bearer-token"

Handler = Callable[["FakeCluster", dict[str, str], Any, dict[str, str]], tuple[int, Any]]


def load_fixture(name: str) -> dict[str, Any]:
    """One fixture cluster: {version, nodes, namespaces, configmaps, deployments, …}."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def load_workflow_replay(name: str) -> dict[str, Any]:
    """One recorded workflow: {description, workflow (its name), namespace, replay, pod_logs}."""
    return json.loads((WORKFLOW_FIXTURES / f"{name}.json").read_text())


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def _not_found(kind: str, name: str) -> tuple[int, Any]:
    return 404, _status(404, "NotFound", f'{kind} "{name}" not found')


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (for ConfigMap data it is also what a strategic merge does)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def json_patch(target: Any, ops: list[dict[str, Any]]) -> Any:
    """RFC 6902, for the add/replace/remove operations clients send."""
    doc = copy.deepcopy(target)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        last = parts[-1]
        if op["op"] in ("add", "replace"):
            parent[last] = op["value"]
        elif op["op"] == "remove":
            del parent[last]
        else:
            raise ValueError(f"unsupported JSON patch op {op['op']}")
    return doc


@dataclass
class Request:
    method: str
    path: str
    content_type: str | None
    body: Any
    query: str = ""


@dataclass
class FakeCluster:
    """The state one fake API server serves; tests read `requests` to see what was asked."""

    state: dict[str, Any]
    requests: list[Request] = field(default_factory=list)
    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Register a handler for METHOD and a path regex with named groups."""
        def add(fn: Handler) -> Handler:
            self.routes.insert(0, (method, re.compile(f"^{pattern}$"), fn))
            return fn
        return add

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def configmap(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.state.get("configmaps", {}).get(f"{namespace}/{name}")

    def write_kubeconfig(self, path: Path, context: str = "fake") -> Path:
        """A kubeconfig whose contexts `fake` and `other` both point at this server."""
        cfg = {
            "apiVersion": "v1", "kind": "Config", "current-context": context,
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake-user", "user": {"token": TOKEN}}],
            "contexts": [{"name": n, "context": {"cluster": "fake", "user": "fake-user", "namespace": "default"}}
                         for n in ("fake", "other")],
        }
        path.write_text(json.dumps(cfg, indent=2))
        return path

    def replay_workflow(self, name: str) -> dict[str, Any]:
        """Serve a recorded workflow: each GET of a Workflow replays its next status update."""
        recorded = load_workflow_replay(name)
        self.state["workflow_status_replay"] = copy.deepcopy(recorded["replay"])
        self.state.setdefault("pod_logs", {}).update(recorded["pod_logs"])
        return recorded

    def handle(self, method: str, path: str, headers: dict[str, str], body: Any, query: str = "") -> tuple[int, Any]:
        with self.lock:
            self.requests.append(Request(method, path, headers.get("content-type"), body, query))
            if headers.get("authorization") != f"Bearer {TOKEN}":
                return 401, _status(401, "Unauthorized", "Unauthorized")
            for route_method, pattern, fn in self.routes:
                match = pattern.match(path)
                if route_method == method and match:
                    return fn(self, match.groupdict(), body, headers)
            return 404, _status(404, "NotFound", f"the server could not find the requested resource ({path})")


# --- the built-in routes -----------------------------------------------------------------------

def _version(c: FakeCluster, g: dict[str, str], body: Any, h: dict[str, str]) -> tuple[int, Any]:
    return 200, c.state["version"]


def _nodes(c: FakeCluster, g: dict[str, str], body: Any, h: dict[str, str]) -> tuple[int, Any]:
    return 200, c.state["nodes"]


def _namespace(c: FakeCluster, g: dict[str, str], body: Any, h: dict[str, str]) -> tuple[int, Any]:
    ns = c.state.get("namespaces", {}).get(g["ns"])
    return (200, ns) if ns else _not_found("namespaces", g["ns"])


def _get_configmap(c: FakeCluster, g: dict[str, str], body: Any, h: dict[str, str]) -> tuple[int, Any]:
    cm = c.configmap(g["ns"], g["name"])
    return (200, cm) if cm else _not_found("configmaps", g["name"])


def _patch_configmap(c: FakeCluster, g: dict[str, str], body: Any, h: dict[str, str]) -> tuple[int, Any]:
    cm = c.configmap(g["ns"], g["name"])
    if cm is None:
        return _not_found("configmaps", g["name"])
    kind = (h.get("content-type") or "").split(";")[0]
    if kind == "application/json-patch+json":
        new = json_patch(cm, body)
    elif kind in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
        new = merge_patch(cm, body)
    else:
        return 415, _status(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {kind}")
    for key, value in (new.get("data") or {}).items():
        if not isinstance(value, str):
            return 400, _status(400, "BadRequest", f"ConfigMap data[{key}]: expected a string")
    meta = new.setdefault("metadata", {})
    meta["resourceVersion"] = str(int(meta.get("resourceVersion", "1")) + 1)
    c.state["configmaps"][f"{g['ns']}/{g['name']}"] = new
    return 200, new


def _deployment(c: FakeCluster, g: dict[str, str], body: Any, h: dict[str, str]) -> tuple[int, Any]:
    dep = c.state.get("deployments", {}).get(f"{g['ns']}/{g['name']}")
    return (200, dep) if dep else _not_found("deployments.apps", g["name"])


def _create_workflow(c: FakeCluster, g: dict[str, str], body: Any, h: dict[str, str]) -> tuple[int, Any]:
    wf = copy.deepcopy(body)
    meta = wf.setdefault("metadata", {})
    if not meta.get("name"):
        meta["name"] = f"{meta.get('generateName', 'wf-')}{len(c.state.setdefault('workflows', {})) + 1:05d}"
    meta.update(namespace=g["ns"], uid=f"uid-{meta['name']}", resourceVersion="1",
                creationTimestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    wf.setdefault("status", {})
    c.state.setdefault("workflows", {})[f"{g['ns']}/{meta['name']}"] = {"object": wf, "replayed": 0}
    return 201, wf


def _get_workflow(c: FakeCluster, g: dict[str, str], body: Any, h: dict[str, str]) -> tuple[int, Any]:
    entry = c.state.get("workflows", {}).get(f"{g['ns']}/{g['name']}")
    if entry is None:
        return _not_found("workflows.argoproj.io", g["name"])
    replay = c.state.get("workflow_status_replay") or []
    if entry["replayed"] < len(replay):
        entry["object"]["status"] = copy.deepcopy(replay[entry["replayed"]])
        entry["replayed"] += 1
    return 200, entry["object"]


def _list_workflows(c: FakeCluster, g: dict[str, str], body: Any, h: dict[str, str]) -> tuple[int, Any]:
    items = [e["object"] for k, e in c.state.get("workflows", {}).items() if k.startswith(f"{g['ns']}/")]
    return 200, {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowList", "metadata": {}, "items": items}


def _pod_log(c: FakeCluster, g: dict[str, str], body: Any, h: dict[str, str]) -> tuple[int, Any]:
    text = c.state.get("pod_logs", {}).get(f"{g['ns']}/{g['pod']}")
    return (200, text) if text is not None else _not_found("pods", g["pod"])


_NS = r"(?P<ns>[a-z0-9-]+)"
_NAME = r"(?P<name>[a-z0-9.-]+)"
BUILTIN: list[tuple[str, str, Handler]] = [
    ("GET", "/version/?", _version),
    ("GET", "/api/v1/nodes", _nodes),
    ("GET", f"/api/v1/namespaces/{_NS}", _namespace),
    ("GET", f"/api/v1/namespaces/{_NS}/configmaps/{_NAME}", _get_configmap),
    ("PATCH", f"/api/v1/namespaces/{_NS}/configmaps/{_NAME}", _patch_configmap),
    ("GET", f"/apis/apps/v1/namespaces/{_NS}/deployments/{_NAME}", _deployment),
    ("POST", f"/apis/argoproj.io/v1alpha1/namespaces/{_NS}/workflows", _create_workflow),
    ("GET", f"/apis/argoproj.io/v1alpha1/namespaces/{_NS}/workflows", _list_workflows),
    ("GET", f"/apis/argoproj.io/v1alpha1/namespaces/{_NS}/workflows/{_NAME}", _get_workflow),
    ("GET", f"/api/v1/namespaces/{_NS}/pods/(?P<pod>[a-z0-9.-]+)/log", _pod_log),
]


class _HTTPHandler(BaseHTTPRequestHandler):
    cluster: FakeCluster

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        url = urlsplit(self.path)
        status, payload = self.cluster.handle(self.command, url.path, headers, body, url.query)
        text = payload if isinstance(payload, str) else json.dumps(payload)
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" if isinstance(payload, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve


@contextmanager
def serve(state: dict[str, Any] | str) -> Iterator[FakeCluster]:
    """Serve a fixture cluster (by name, or a state dict) on a free port; stopped on exit."""
    cluster = FakeCluster(load_fixture(state) if isinstance(state, str) else copy.deepcopy(state))
    for method, pattern, fn in BUILTIN:
        cluster.routes.append((method, re.compile(f"^{pattern}$"), fn))
    handler = type("Handler", (_HTTPHandler,), {"cluster": cluster})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    cluster.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="kube-fake",
                              daemon=True)
    thread.start()
    try:
        yield cluster
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def start_clusters(tmp_path: Path) -> tuple[Callable[[str], tuple[FakeCluster, Path]], Callable[[], None]]:
    """For a fixture: start("containerd-nodes") -> (cluster, kubeconfig), and a stop-all."""
    stack: list[Any] = []

    def start(name: str) -> tuple[FakeCluster, Path]:
        ctx = serve(name)
        cluster = ctx.__enter__()
        stack.append(ctx)
        return cluster, cluster.write_kubeconfig(tmp_path / f"kubeconfig-{name}")

    def stop() -> None:
        for ctx in reversed(stack):
            ctx.__exit__(None, None, None)

    return start, stop
