"""Reading and controlling runs: list, get, logs, wait, stop, terminate, resume, retry, resubmit, delete."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from rich.table import Table

from wfexec.cli.common import add_output_flag, console, dump, err, open_store
from wfexec.cli.render import duration, print_run, workflow_object
from wfexec.engine import api
from wfexec.engine import nodes as N
from wfexec.engine.store import Store, pid_alive
from wfexec.errors import WfexecError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list runs")
    p.add_argument("--running", action="store_true", help="only runs still going")
    p.add_argument("--completed", action="store_true", help="only finished runs")
    add_output_flag(p, ("json", "yaml", "name", "wide"))
    _kube_flags(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("get", help="show a run and its node tree")
    p.add_argument("run", help="run name (a unique prefix will do; @latest for the newest)")
    add_output_flag(p, ("json", "yaml", "wide", "name"))
    _kube_flags(p)
    p.set_defaults(func=cmd_get)

    p = sub.add_parser("logs", help="print the logs of a run, or of one step")
    p.add_argument("run")
    p.add_argument("step", nargs="?", help="a node id, pod name or step display name")
    p.add_argument("-c", "--container", help="one container (default: main, or all with --all-containers)")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing until the run ends")
    p.add_argument("--no-color", action="store_true")
    _kube_flags(p)
    p.set_defaults(func=cmd_logs)

    p = sub.add_parser("wait", help="wait for runs to end; exit 0 only if all Succeeded")
    p.add_argument("runs", nargs="+")
    p.set_defaults(func=cmd_wait)

    for verb, help_ in (("stop", "stop a run: running steps get a grace period, exit handlers still run"),
                        ("terminate", "terminate a run: running steps get a grace period, no exit handlers")):
        p = sub.add_parser(verb, help=help_)
        p.add_argument("runs", nargs="+")
        p.add_argument("--wait", action="store_true", help="return once the run has ended")
        p.set_defaults(func=cmd_control, control=verb)

    p = sub.add_parser("resume", help="resume a suspended run, or continue one whose engine died")
    p.add_argument("runs", nargs="+")
    p.add_argument("-w", "--wait", action="store_true")
    p.set_defaults(func=cmd_resume)

    p = sub.add_parser("retry", help="run the failed steps of a finished run again")
    p.add_argument("run")
    p.add_argument("-w", "--wait", action="store_true")
    p.set_defaults(func=cmd_retry)

    p = sub.add_parser("resubmit", help="submit a finished run again, as a new run")
    p.add_argument("run")
    p.add_argument("-w", "--wait", action="store_true")
    p.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE")
    add_output_flag(p, ("json", "yaml", "name", "wide"))
    p.set_defaults(func=cmd_resubmit)

    p = sub.add_parser("delete", help="delete runs and what they kept")
    p.add_argument("runs", nargs="*")
    p.add_argument("--all", action="store_true")
    p.add_argument("--completed", action="store_true", help="with --all: only finished runs")
    p.set_defaults(func=cmd_delete)


def _kube_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kube", action="store_true", help="read from Argo Workflows in a Kubernetes cluster")
    p.add_argument("--context", help="kubeconfig context (with --kube)")
    p.add_argument("-n", "--namespace", help="namespace (with --kube)")
    p.add_argument("--kubeconfig", help="kubeconfig file (with --kube; default: $KUBECONFIG, else ~/.kube/config)")


def _kube(args: argparse.Namespace, verb: str) -> int | None:
    if not getattr(args, "kube", False):
        return None
    from wfexec.cli.kube import VERBS

    return VERBS[verb](args)


def _get(store: Store, name: str):  # noqa: ANN202 - RunRecord
    rec = store.get_run(name)
    if api.heal(store, rec):
        err.print(f"[yellow]run {rec.name} lost its engine; continuing it[/]")  # stdout may be -o json
        rec = store.get_run(rec.name)
    return rec


def cmd_list(args: argparse.Namespace) -> int:
    if (rc := _kube(args, "list")) is not None:
        return rc
    store = open_store()
    recs = store.list_runs()
    for rec in recs:
        api.heal(store, rec)
    if args.running:
        recs = [r for r in recs if r.phase in (N.PENDING, N.RUNNING)]
    if args.completed:
        recs = [r for r in recs if r.phase not in (N.PENDING, N.RUNNING)]
    if args.output in ("json", "yaml"):
        dump([workflow_object(r, store.get_nodes(r.name)) for r in recs], args.output)
        return 0
    if args.output == "name":
        for r in recs:
            console.print(r.name)
        return 0
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE"):
        table.add_column(col)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for r in recs:
        table.add_row(r.name, r.phase, duration(r.created_at, now), duration(r.started_at, r.finished_at), "0",
                      r.message or "")
    console.print(table)
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    if (rc := _kube(args, "get")) is not None:
        return rc
    store = open_store()
    rec = _get(store, args.run)
    nodes = store.get_nodes(rec.name)
    if args.output in ("json", "yaml"):
        dump(workflow_object(rec, nodes), args.output)
    elif args.output == "name":
        console.print(rec.name)
    else:
        print_run(console, rec, nodes)
        _print_artifacts(nodes)
    return 0


def _print_artifacts(nodes: dict[str, dict[str, Any]]) -> None:
    rows = []
    for n in nodes.values():
        for a in (n.get("outputs") or {}).get("artifacts") or []:
            block = a.get("s3") or a.get("local") or {}
            where = (f"s3://{block.get('bucket', '')}/{block.get('key', '')}" if "s3" in a
                     else str(Path(block["root"]) / block["key"]) if block.get("root") and block.get("key")
                     else block.get("key") or a.get("path", ""))
            rows.append((n.get("displayName", ""), a.get("name", ""), str(where)))
    if rows:
        table = Table(box=None, header_style="bold", pad_edge=False, title=None)
        for col in ("STEP", "ARTIFACT", "LOCATION"):
            table.add_column(col)
        for r in rows:
            table.add_row(*r)
        console.print()
        console.print(table)


def _match(nodes: dict[str, dict[str, Any]], step: str) -> list[dict[str, Any]]:
    hits = [n for n in nodes.values() if step in (n["id"], n.get("displayName"), n.get("name"))
            or n["name"].endswith("." + step)]
    if not hits:
        raise WfexecError(f"no step {step!r} in this run")
    return [n for n in hits if n.get("type") == N.POD] or hits


def _log_files(run: str, node: dict[str, Any], container: str | None) -> list[tuple[str, Path]]:
    rd = api.run_dir(run)
    out: list[tuple[str, Path]] = []
    done = rd / "logs" / node["id"]
    live = rd / "pods" / node["id"] / "ctr"
    names: list[str] = []
    for base, pattern in ((done, "*.log"), (live, "*/combined")):
        if base.exists():
            for f in sorted(base.glob(pattern)):
                name = f.stem if f.suffix == ".log" else f.parent.name
                if name not in names:
                    names.append(name)
                    out.append((name, f))
    if container:
        out = [(n, f) for n, f in out if n == container]
        if not out:
            raise WfexecError(f"step {node.get('displayName')!r} has no container {container!r}"
                              f" (containers: {', '.join(names) or 'none yet'})")
    else:
        mains = [(n, f) for n, f in out if n == "main"]
        sidecar_like = [(n, f) for n, f in out if n != "main"]
        out = mains + [x for x in sidecar_like if x[0] not in ("wait", "init")] if mains else out
    return out


def cmd_logs(args: argparse.Namespace) -> int:
    if (rc := _kube(args, "logs")) is not None:
        return rc
    store = open_store()
    rec = _get(store, args.run)
    offsets: dict[Path, int] = {}
    while True:
        nodes = store.get_nodes(rec.name)
        targets = _match(nodes, args.step) if args.step else [n for n in nodes.values() if n.get("type") == N.POD]
        targets.sort(key=lambda n: n.get("startedAt", ""))
        for node in targets:
            for cname, path in _log_files(rec.name, node, args.container):
                try:
                    with open(path, "rb") as fh:
                        fh.seek(offsets.get(path, 0))
                        data = fh.read()
                        offsets[path] = fh.tell()
                except OSError:
                    continue
                if not data:
                    continue
                prefix = node["id"] if not args.step else ""
                if args.container is None and cname != "main":
                    prefix = f"{prefix} {cname}".strip()
                text = data.decode(errors="replace")
                for line in text.splitlines():
                    sys.stdout.write(f"{prefix}: {line}\n" if prefix else line + "\n")
        sys.stdout.flush()
        if not args.follow:
            return 0
        rec = store.get_run(rec.name)
        if rec.phase not in (N.PENDING, N.RUNNING):
            if getattr(args, "_final", False):
                return 0
            args._final = True
        time.sleep(0.3)


def cmd_wait(args: argparse.Namespace) -> int:
    store = open_store()
    ok = True
    for name in args.runs:
        rec = _get(store, name)
        while rec.phase in (N.PENDING, N.RUNNING):
            time.sleep(0.3)
            rec = store.get_run(rec.name)
        console.print(f"{rec.name} {rec.phase} at {rec.finished_at}")
        ok = ok and rec.phase == N.SUCCEEDED
    return 0 if ok else 1


def cmd_control(args: argparse.Namespace) -> int:
    store = open_store()
    for name in args.runs:
        rec = store.get_run(name)
        if rec.phase not in (N.PENDING, N.RUNNING):
            raise WfexecError(f"run {rec.name} has already ended ({rec.phase})")
        store.set_control(rec.name, args.control)
        api.heal(store, rec)
        console.print(f"workflow {rec.name} {args.control}ped" if args.control == "stop"
                      else f"workflow {rec.name} terminated")
        if args.wait:
            while store.get_run(rec.name).phase in (N.PENDING, N.RUNNING):
                time.sleep(0.2)
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    store = open_store()
    for name in args.runs:
        rec = store.get_run(name)
        if rec.phase not in (N.PENDING, N.RUNNING):
            raise WfexecError(f"run {rec.name} has already ended ({rec.phase}); use retry or resubmit")
        if rec.engine_pid and pid_alive(rec.engine_pid):
            store.set_control(rec.name, "resume")
            console.print(f"workflow {rec.name} resumed")
        elif args.wait:
            api.run_foreground(store, rec.name)
        else:
            api.start_background(rec.name)
            console.print(f"workflow {rec.name} continued (its engine had stopped)")
        if args.wait:
            while store.get_run(rec.name).phase in (N.PENDING, N.RUNNING):
                time.sleep(0.2)
    return 0 if not args.wait or all(store.get_run(n).phase == N.SUCCEEDED for n in args.runs) else 1


def cmd_retry(args: argparse.Namespace) -> int:
    store = open_store()
    rec = store.get_run(args.run)
    if rec.phase in (N.PENDING, N.RUNNING, N.SUCCEEDED):
        raise WfexecError(f"run {rec.name} is {rec.phase}: only Failed or Error runs can be retried")
    nodes = store.get_nodes(rec.name)
    drop: set[str] = set()
    by_child = {c: n["id"] for n in nodes.values() for c in n.get("children") or []}

    def descendants(nid: str) -> None:
        if nid in drop:
            return
        drop.add(nid)
        for c in nodes.get(nid, {}).get("children") or []:
            descendants(c)

    reset: set[str] = set()
    for n in nodes.values():
        if n.get("phase") in (N.FAILED, N.ERROR, N.OMITTED) or n["name"].endswith(".onExit"):
            if n.get("type") in (N.POD, N.SKIPPED_TYPE, N.SUSPEND) or n["name"].endswith(".onExit"):
                descendants(n["id"])
                parent = by_child.get(n["id"])
                while parent:
                    reset.add(parent)
                    parent = by_child.get(parent)
    for nid in reset - drop:
        node = nodes[nid]
        node["phase"] = N.RUNNING
        node.pop("finishedAt", None)
        node.pop("message", None)
        node["children"] = [c for c in node.get("children") or [] if c not in drop]
    store.delete_nodes(rec.name, sorted(drop))
    store.put_nodes(rec.name, [nodes[n] for n in reset - drop])
    store.update_run(rec.name, phase=N.RUNNING, message=None, finished_at=None, control=None)
    console.print(f"workflow {rec.name} retried: {len(drop)} node(s) will run again")
    return _drive(store, rec.name, args.wait)


def cmd_resubmit(args: argparse.Namespace) -> int:
    from wfexec.cli.common import parse_kv

    store = open_store()
    rec = store.get_run(args.run)
    wf = dict(rec.manifest)
    meta = dict(wf.get("metadata") or {})
    base = meta.get("name", "workflow")
    for key in ("name", "uid", "creationTimestamp"):
        meta.pop(key, None)
    meta["generateName"] = base + "-"
    wf["metadata"] = meta
    o = rec.options
    params = dict(o.get("parameters") or {})
    params.update(parse_kv(args.parameter, "-p"))
    opts = api.SubmitOptions(parameters=params, entrypoint=o.get("entrypoint"), runtime=o.get("runtime", "host"),
                             executor=o.get("executor", "emissary"), config=o.get("config"),
                             parallelism=o.get("parallelism"), workflow_templates=o.get("workflowTemplates") or [],
                             grace=o.get("grace", 10.0), executor_source=o.get("executor_source", ""),
                             max_output_bytes=o.get("max_output_bytes"))
    new = api.create_run(store, wf, opts, file=o.get("file", ""))
    console.print(f"workflow {new.name} resubmitted from {rec.name}")
    return _drive(store, new.name, args.wait)


def _drive(store: Store, name: str, wait: bool) -> int:
    """Run here until the end (exit 0 only on Succeeded), or hand the run to a background engine."""
    if wait:
        return 0 if api.run_foreground(store, name) == N.SUCCEEDED else 1
    api.start_background(name)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    store = open_store()
    names = list(args.runs)
    if args.all:
        names = [r.name for r in store.list_runs() if not args.completed or r.phase not in (N.PENDING, N.RUNNING)]
    if not names:
        raise WfexecError("name runs to delete, or use --all")
    for name in names:
        rec = store.get_run(name)
        if rec.phase in (N.PENDING, N.RUNNING) and rec.engine_pid and pid_alive(rec.engine_pid):
            store.set_control(rec.name, "terminate")
            deadline = time.time() + 60
            while store.get_run(rec.name).phase in (N.PENDING, N.RUNNING) and time.time() < deadline:
                time.sleep(0.2)
        store.delete_run(rec.name)
        shutil.rmtree(api.run_dir(rec.name), ignore_errors=True)
        console.print(f"Workflow '{rec.name}' deleted")
    return 0
