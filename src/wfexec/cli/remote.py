"""The CLI against an Argo Server (`--argo-server HOST:PORT` or `$ARGO_SERVER`), over its REST API.

The argo CLI's environment is honoured: `ARGO_TOKEN` (sent as the Authorization header, never shown),
`ARGO_SECURE` (https), `ARGO_INSECURE_SKIP_VERIFY`, `ARGO_NAMESPACE`, and `ARGO_HTTP1` (accepted: this
client only speaks HTTP/1). Each verb prints what its local form prints, from the server's objects.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests

from wfexec.cli.common import console, dump, err, parse_kv
from wfexec.cli.render import duration, print_run, print_workflow_list, summary
from wfexec.engine import nodes as N
from wfexec.engine.objects import CLUSTER_WORKFLOW_TEMPLATE, CRON_WORKFLOW, WORKFLOW_TEMPLATE
from wfexec.engine.store import RunRecord
from wfexec.errors import WfexecError
from wfexec.spec.document import Document

TRUE = ("1", "true", "yes")


@dataclass(frozen=True)
class RemoteSettings:
    base_url: str
    token: str | None
    verify: bool

    def __repr__(self) -> str:  # never show the token
        return f"RemoteSettings({self.base_url!r})"


def default_namespace() -> str:
    return os.environ.get("ARGO_NAMESPACE") or "default"


def settings_from(args: argparse.Namespace | None) -> RemoteSettings | None:
    """The server to talk to, or None for the local store."""
    server = getattr(args, "argo_server", None) or os.environ.get("ARGO_SERVER")
    if not server:
        return None
    if "://" in server:
        base = server.rstrip("/")
    else:
        scheme = "https" if os.environ.get("ARGO_SECURE", "").lower() in TRUE else "http"
        base = f"{scheme}://{server.rstrip('/')}"
    token = os.environ.get("ARGO_TOKEN") or None
    if token and not token.lower().startswith("bearer "):
        token = f"Bearer {token}"
    verify = os.environ.get("ARGO_INSECURE_SKIP_VERIFY", "").lower() not in TRUE
    return RemoteSettings(base, token, verify)


class Client:
    """JSON over HTTP to one server; a refused connection or an error answer is one WfexecError."""

    def __init__(self, settings: RemoteSettings) -> None:
        self.settings = settings
        self.session = requests.Session()
        if settings.token:
            self.session.headers["Authorization"] = settings.token
        self.session.verify = settings.verify

    def call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None,
             stream: bool = False) -> requests.Response:
        url = self.settings.base_url + path
        try:
            resp = self.session.request(method, url, json=body, params=params, stream=stream,
                                        timeout=None if stream else 60)
        except requests.ConnectionError:
            raise WfexecError(f"cannot reach the Argo Server at {self.settings.base_url}"
                              " (is `wfexec server` running? check --argo-server / $ARGO_SERVER)") from None
        except requests.RequestException as exc:
            raise WfexecError(f"Argo Server {self.settings.base_url}: {type(exc).__name__}") from None
        if resp.status_code >= 400:
            try:
                message = resp.json().get("message") or resp.reason
            except ValueError:
                message = resp.text[:300] or resp.reason
            raise WfexecError(f"{message} (HTTP {resp.status_code})")
        return resp

    def json(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        resp = self.call(method, path, body, params)
        try:
            return resp.json()
        except ValueError:
            raise WfexecError(f"Argo Server {self.settings.base_url}{path}: the answer is not JSON") from None

    def lines(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        with self.call("GET", path, params=params, stream=True) as resp:
            for raw in resp.iter_lines():
                if raw.strip():
                    yield json.loads(raw)


# -- stored objects -----------------------------------------------------------------------------
_OBJECT_PATHS = {WORKFLOW_TEMPLATE: ("/api/v1/workflow-templates/{ns}", "template"),
                 CLUSTER_WORKFLOW_TEMPLATE: ("/api/v1/cluster-workflow-templates", "template"),
                 CRON_WORKFLOW: ("/api/v1/cron-workflows/{ns}", "cronWorkflow")}


class RemoteObjects:
    """`ObjectsBackend` over the server's template and cron services."""

    def __init__(self, settings: RemoteSettings) -> None:
        self.client = Client(settings)

    def _base(self, kind: str, ns: str | None) -> tuple[str, str]:
        path, field = _OBJECT_PATHS[kind]
        return path.format(ns=ns or default_namespace()), field

    def create(self, kind: str, doc: Document, namespace: str) -> dict[str, Any]:
        path, field = self._base(kind, namespace)
        return self.client.json("POST", path, {field: doc.data})

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        return self.client.json("GET", f"{self._base(kind, namespace)[0]}/{name}")

    def list(self, kind: str, namespace: str | None, selector: str | None) -> list[dict[str, Any]]:
        if namespace is None and kind != CLUSTER_WORKFLOW_TEMPLATE:
            path = _OBJECT_PATHS[kind][0].replace("/{ns}", "/")
        else:
            path = self._base(kind, namespace)[0]
        params = {"listOptions.labelSelector": selector} if selector else None
        items = self.client.json("GET", path, params=params).get("items") or []
        for item in items:
            item.setdefault("kind", kind)
        return items

    def delete(self, kind: str, namespace: str, name: str) -> None:
        self.client.json("DELETE", f"{self._base(kind, namespace)[0]}/{name}")

    def lint(self, kind: str, doc: Document, namespace: str) -> None:
        path, field = self._base(kind, namespace)
        self.client.json("POST", path + "/lint", {field: doc.data})

    def set_suspend(self, namespace: str, name: str, suspend: bool) -> dict[str, Any]:
        verb = "suspend" if suspend else "resume"
        return self.client.json("PUT", f"/api/v1/cron-workflows/{namespace}/{name}/{verb}",
                                {"namespace": namespace, "name": name})


# -- runs ---------------------------------------------------------------------------------------
def record_of(wf: dict[str, Any]) -> tuple[RunRecord, dict[str, dict[str, Any]]]:
    """A server Workflow as the record and nodes the local printers take."""
    meta, status = wf.get("metadata") or {}, dict(wf.get("status") or {})
    nodes = status.pop("nodes", None) or {}
    for key in ("phase", "message", "startedAt", "finishedAt", "progress"):
        status.pop(key, None)
    manifest = {k: v for k, v in wf.items() if k != "status"}
    s = wf.get("status") or {}
    rec = RunRecord(meta.get("name", ""), meta.get("uid", ""), meta.get("namespace", ""), s.get("phase") or N.PENDING,
                    s.get("message"), meta.get("creationTimestamp", ""), s.get("startedAt"), s.get("finishedAt"),
                    manifest, {"runtime": "remote", "executor": "the server's"}, status, None, None)
    return rec, nodes


def _ns(args: argparse.Namespace) -> str:
    return getattr(args, "namespace", None) or default_namespace()


def _wf_path(args: argparse.Namespace, name: str, tail: str = "") -> str:
    return f"/api/v1/workflows/{_ns(args)}/{name}{tail}"


def _get(client: Client, args: argparse.Namespace, name: str) -> dict[str, Any]:
    return client.json("GET", _wf_path(args, name))


def _ended(wf: dict[str, Any]) -> bool:
    return (wf.get("status") or {}).get("phase") not in (None, "", N.PENDING, N.RUNNING)


def _wait(client: Client, args: argparse.Namespace, name: str) -> dict[str, Any]:
    while True:
        wf = _get(client, args, name)
        if _ended(wf):
            return wf
        time.sleep(0.25)


def _print_wf(wf: dict[str, Any], fmt: str | None, final: bool = True) -> None:
    if fmt in ("json", "yaml"):
        dump(wf, fmt)
        return
    rec, nodes = record_of(wf)
    if fmt == "name":
        console.print(rec.name)
    elif final:
        print_run(console, rec, nodes)
    else:
        console.print(summary(rec, nodes))


def _workflow_from_file(args: argparse.Namespace) -> dict[str, Any]:
    from wfexec.engine import api
    from wfexec.spec.loader import load_file, load_text

    if args.file == "-":
        docs = load_text(sys.stdin.read(), "-")
    elif not os.path.exists(args.file):
        raise WfexecError(f"{args.file}: no such file")
    else:
        docs = load_file(args.file)
    runnable = [d for d in docs if d.kind in api.RUNNABLE_KINDS]
    if not runnable:
        raise WfexecError(f"{args.file}: no Workflow, WorkflowTemplate or CronWorkflow in the file")
    main = next((d for d in runnable if d.kind == "Workflow"), runnable[0])
    return api.workflow_from_document(main.data, args.file, [])


def submit(args: argparse.Namespace, settings: RemoteSettings) -> int:
    client = Client(settings)
    ns = _ns(args)
    params = parse_kv(args.parameter, "-p")
    labels = parse_kv(args.labels, "-l")
    if getattr(args, "from_", None):
        from wfexec.engine.submit_from import parse_from

        kind, name = parse_from(args.from_)
        opts: dict[str, Any] = {"parameters": [f"{k}={v}" for k, v in params.items()]}
        if args.entrypoint:
            opts["entryPoint"] = args.entrypoint
        if args.name:
            opts["name"] = args.name
        if args.generate_name:
            opts["generateName"] = args.generate_name
        if labels:
            opts["labels"] = ",".join(f"{k}={v}" for k, v in labels.items())
        wf = client.json("POST", f"/api/v1/workflows/{ns}/submit",
                         {"namespace": ns, "resourceKind": kind, "resourceName": name, "submitOptions": opts})
    else:
        if not args.file:
            raise WfexecError("submit: give a FILE, `-` for stdin, or --from KIND/NAME")
        body = _workflow_from_file(args)
        meta = body.setdefault("metadata", {})
        meta.pop("namespace", None)
        if args.name:
            meta["name"] = args.name
            meta.pop("generateName", None)
        elif args.generate_name:
            meta["generateName"] = args.generate_name
        if labels:
            meta["labels"] = {**(meta.get("labels") or {}), **labels}
        spec = body.setdefault("spec", {})
        if args.entrypoint:
            spec["entrypoint"] = args.entrypoint
        if params:
            given = {p.get("name"): p for p in (spec.get("arguments") or {}).get("parameters") or []}
            for k, v in params.items():
                given[k] = {**given.get(k, {}), "name": k, "value": v}
            spec.setdefault("arguments", {})["parameters"] = list(given.values())
        wf = client.json("POST", f"/api/v1/workflows/{ns}", {"namespace": ns, "workflow": body})
    name = wf["metadata"]["name"]
    if not (args.wait or args.watch):
        _print_wf(wf, args.output, final=False)
        return 0
    wf = _watch(client, args, name) if args.watch and args.output in (None, "wide") else _wait(client, args, name)
    if not args.watch or args.output not in (None, "wide"):
        _print_wf(wf, args.output)
    return 0 if wf["status"].get("phase") == N.SUCCEEDED else 1


def _watch(client: Client, args: argparse.Namespace, name: str) -> dict[str, Any]:
    """`submit --watch` against a server: each view that differs from the last (piped: a blank line between
    two, as the local `watch`; a terminal: redrawn in place); the last is the final one."""
    from wfexec.cli.cmd_watch import CLEAR
    from wfexec.cli.term import stdout_terminal

    redraw = stdout_terminal().width is not None  # a terminal: each view in place of the last, as `watch`
    shown = None
    while True:
        wf = _get(client, args, name)
        status = wf.get("status") or {}
        state = (status.get("phase"), status.get("message"),
                 sorted((i, n.get("phase"), n.get("message") or "") for i, n in (status.get("nodes") or {}).items()))
        if state != shown:
            if redraw:
                sys.stdout.write(CLEAR)
            elif shown is not None:
                sys.stdout.write("\n")
            _print_wf(wf, None)
            shown = state
        if _ended(wf):
            return wf
        time.sleep(0.25)


def list_(args: argparse.Namespace, settings: RemoteSettings) -> int:
    from wfexec.cli.list_filter import ListFilter

    client = Client(settings)
    keep = ListFilter.of(args)
    params: dict[str, Any] = dict(keep.api_times())
    if selector := keep.api_label_selector():
        params["listOptions.labelSelector"] = selector
    if args.output not in ("json", "yaml"):
        params["fields"] = "metadata,items.metadata,items.status.phase,items.status.message,items.status.startedAt," \
                           "items.status.finishedAt"
    items = _pages(client, f"/api/v1/workflows/{_ns(args)}", params, getattr(args, "chunk_size", 0) or 0)
    items = [wf for wf in items if keep.keeps_beyond_api(record_of(wf)[0])]  # what the API cannot say, as argo
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def row(wf: dict[str, Any]) -> tuple[str, str, str, str, str, str]:
        rec, _ = record_of(wf)
        return (rec.name, rec.phase, duration(rec.created_at, now), duration(rec.started_at, rec.finished_at),
                "0", rec.message or "")

    print_workflow_list(items, args.output, row)
    return 0


def _pages(client: Client, path: str, params: dict[str, Any], chunk: int) -> list[dict[str, Any]]:
    """Every item of a list, read `chunk` at a time when asked (`listOptions.limit` and `continue`)."""
    items: list[dict[str, Any]] = []
    if chunk:
        params = {**params, "listOptions.limit": chunk}
    while True:
        page = client.json("GET", path, params=params)
        items += page.get("items") or []
        token = (page.get("metadata") or {}).get("continue")
        if not chunk or not token:
            return items
        params = {**params, "listOptions.continue": token}


def get(args: argparse.Namespace, settings: RemoteSettings) -> int:
    _print_wf(_get(Client(settings), args, args.run), args.output)
    return 0


def logs(args: argparse.Namespace, settings: RemoteSettings) -> int:
    client = Client(settings)
    from wfexec.cli.cmd_logs import since_ns

    params: dict[str, Any] = {"logOptions.follow": "true" if args.follow else "false"}
    if args.container:
        params["logOptions.container"] = args.container
    since = since_ns(args.since, args.since_time)
    if since is not None:  # as a time, not whole seconds: `--since 1500ms` stays exact
        params["logOptions.sinceTime.seconds"], params["logOptions.sinceTime.nanos"] = divmod(since, 1_000_000_000)
    if args.timestamps:
        params["logOptions.timestamps"] = "true"
    if args.tail is not None and args.tail >= 0:
        params["logOptions.tailLines"] = args.tail
    if args.grep:
        params["grep"] = args.grep
    if args.step:
        _, nodes = record_of(_get(client, args, args.run))
        hits = [n for n in nodes.values() if args.step in (n.get("id"), n.get("displayName"), n.get("name"))]
        pods = [n for n in hits if n.get("type") == N.POD] or hits
        if not pods:
            raise WfexecError(f"no step {args.step!r} in this run")
        params["podName"] = pods[0]["id"]
    for entry in client.lines(_wf_path(args, args.run, "/log"), params):
        result = entry.get("result") or {}
        line = result.get("content", "")
        sys.stdout.write(line + "\n" if args.step else f"{result.get('podName', '')}: {line}\n")
        sys.stdout.flush()
    return 0


def delete(args: argparse.Namespace, settings: RemoteSettings) -> int:
    client = Client(settings)
    names = list(args.runs)
    if args.all or args.older or args.prefix or args.selector or (args.completed and not names):
        if names:
            raise WfexecError("name runs, or pick them with --all/--older/--prefix/-l, not both")
        from wfexec.cli.list_filter import ListFilter

        keep = ListFilter.of(args)  # the runs local `delete` would pick, asked of the server as `list` asks
        params: dict[str, Any] = {**keep.api_times(), "fields": "items.metadata,items.status.finishedAt"}
        if selector := keep.api_label_selector():
            params["listOptions.labelSelector"] = selector
        items = client.json("GET", f"/api/v1/workflows/{_ns(args)}", params=params).get("items") or []
        names = [wf["metadata"]["name"] for wf in items if keep.keeps_beyond_api(record_of(wf)[0])]
        if not names:
            console.print("No workflows found")
            return 0
    if not names:
        raise WfexecError("name runs to delete, or use --all, --completed, --older, --prefix or -l")
    for name in names:
        client.json("DELETE", _wf_path(args, name))
        console.print(f"Workflow '{name}' deleted")
    return 0


def control(args: argparse.Namespace, settings: RemoteSettings) -> int:
    client = Client(settings)
    verb = args.command
    said = {"stop": "stopped", "terminate": "terminated", "suspend": "suspended", "resume": "resumed"}[verb]
    names = getattr(args, "runs", None) or [args.run]
    body: dict[str, Any] = {}
    if getattr(args, "node_field_selector", None):  # resume/stop: only these suspended steps
        body["nodeFieldSelector"] = args.node_field_selector
    if getattr(args, "message", None) is not None:
        body["message"] = args.message
    for name in names:
        client.json("PUT", _wf_path(args, name, f"/{verb}"), {"name": name, "namespace": _ns(args), **body})
        console.print(f"workflow {name} {said}")
    if getattr(args, "wait", False):
        return 0 if all(_wait(client, args, n)["status"].get("phase") == N.SUCCEEDED for n in names) or \
            verb in ("stop", "terminate") else 1
    return 0


def retry(args: argparse.Namespace, settings: RemoteSettings) -> int:
    client = Client(settings)
    body: dict[str, Any] = {"name": args.run, "namespace": _ns(args)}
    if args.restart_successful:
        body["restartSuccessful"] = True
    if args.node_field_selector:
        body["nodeFieldSelector"] = args.node_field_selector
    wf = client.json("PUT", _wf_path(args, args.run, "/retry"), body)
    console.print(f"workflow {wf['metadata']['name']} retried")
    if args.wait:
        return 0 if _wait(client, args, args.run)["status"].get("phase") == N.SUCCEEDED else 1
    return 0


def resubmit(args: argparse.Namespace, settings: RemoteSettings) -> int:
    client = Client(settings)
    params = [f"{k}={v}" for k, v in parse_kv(args.parameter, "-p").items()]
    wf = client.json("PUT", _wf_path(args, args.run, "/resubmit"),
                     {"name": args.run, "namespace": _ns(args), "parameters": params})
    name = wf["metadata"]["name"]
    console.print(f"workflow {name} resubmitted from {args.run}")
    if args.wait:
        return 0 if _wait(client, args, name)["status"].get("phase") == N.SUCCEEDED else 1
    return 0


def node_set(args: argparse.Namespace, settings: RemoteSettings) -> int:
    """`node set` as the API's `set`: the suspended steps a selector picks get outputs, a message, a phase."""
    if not (args.output_parameter or args.message is not None or args.phase):
        raise WfexecError("say what to set: --output-parameter NAME=VALUE, --message TEXT or --phase PHASE")
    body: dict[str, Any] = {"name": args.run, "namespace": _ns(args), "nodeFieldSelector": args.node_field_selector}
    outputs = parse_kv(args.output_parameter, "--output-parameter")
    if outputs:
        body["outputParameters"] = json.dumps(outputs)
    if args.message is not None:
        body["message"] = args.message
    if args.phase:
        body["phase"] = args.phase
    Client(settings).json("PUT", _wf_path(args, args.run, "/set"), body)
    console.print(f"workflow {args.run} updated")
    return 0


def wait(args: argparse.Namespace, settings: RemoteSettings) -> int:
    client = Client(settings)
    ok = True
    for name in args.runs:
        wf = _wait(client, args, name)
        status = wf.get("status") or {}
        console.print(f"{name} {status.get('phase')} at {status.get('finishedAt')}")
        ok = ok and status.get("phase") == N.SUCCEEDED
    return 0 if ok else 1


def lint(args: argparse.Namespace, settings: RemoteSettings) -> int:
    from wfexec.spec.loader import find_documents

    client = Client(settings)
    ns = _ns(args)
    paths = {"Workflow": (f"/api/v1/workflows/{ns}/lint", "workflow"),
             WORKFLOW_TEMPLATE: (f"/api/v1/workflow-templates/{ns}/lint", "template"),
             CLUSTER_WORKFLOW_TEMPLATE: ("/api/v1/cluster-workflow-templates/lint", "template"),
             CRON_WORKFLOW: (f"/api/v1/cron-workflows/{ns}/lint", "cronWorkflow")}
    bad = 0
    for path in args.files:
        for doc in find_documents(path):
            if doc.kind not in paths:
                continue
            url, field = paths[doc.kind]
            try:
                client.json("POST", url, {"namespace": ns, field: doc.data})
            except WfexecError as exc:
                bad += 1
                err.print(f"{doc.file}: {exc}")
    if bad:
        return 1
    console.print("✔ no linting errors found!")
    return 0


def _objects_verb(args: argparse.Namespace, settings: RemoteSettings) -> int:
    return int(args.func(args, RemoteObjects(settings)) or 0)


VERBS: dict[str, Callable[[argparse.Namespace, RemoteSettings], int]] = {
    "submit": submit, "list": list_, "get": get, "logs": logs, "delete": delete, "wait": wait,
    "stop": control, "terminate": control, "suspend": control, "resume": control,
    "retry": retry, "resubmit": resubmit, "lint": lint, "node": node_set,
    "template": _objects_verb, "cluster-template": _objects_verb, "cron": _objects_verb,
}


def take_server_flag(argv: list[str]) -> tuple[list[str], str | None]:
    """`--argo-server HOST:PORT` anywhere on the line (the argo CLI takes it anywhere), taken out."""
    out, server, i = [], None, 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out += argv[i:]
            break
        if arg == "--argo-server" and i + 1 < len(argv):
            server = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--argo-server="):
            server = arg.split("=", 1)[1]
        else:
            out.append(arg)
        i += 1
    return out, server


def dispatch(args: argparse.Namespace) -> int | None:
    """Run the verb against the server when remote mode is on and the verb has a remote form."""
    settings = settings_from(args)
    verb = getattr(args, "command", None)
    if settings is None or verb not in VERBS or getattr(args, "kube", False):
        return None
    if verb in ("template", "cluster-template", "cron") and not getattr(args, "action", None):
        return None
    return VERBS[verb](args, settings)
