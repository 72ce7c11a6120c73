"""Reading and controlling runs: list, get, wait, stop, terminate, resume, retry, resubmit, delete."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator

from wfexec.cli.common import add_output_flag, dump, open_store, say, warn
from wfexec.cli.render import list_lines, print_run, progress, workflow_object
from wfexec.cli.term import stdout_terminal, write_lines
from wfexec.engine import api
from wfexec.engine import nodes as N
from wfexec.engine.store import RunRecord, Store, pid_alive
from wfexec.errors import StoreError, WfexecError

RUN_HELP = "run name (a unique prefix will do; @latest for the newest)"
RUNS_HELP = "run names (a unique prefix will do; @latest for the newest)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list runs")
    p.add_argument("--running", action="store_true", help="only runs still going")
    p.add_argument("--completed", action="store_true", help="only finished runs")
    p.add_argument("--status", help="only runs in these phases, comma-separated (e.g. Running,Failed)")
    p.add_argument("--since", metavar="DURATION", help="only runs created in this long (e.g. 10m, 3h, 1d)")
    p.add_argument("--older", metavar="DURATION", help="only finished runs that ended longer ago than this")
    p.add_argument("--prefix", help="only runs whose name starts with this")
    p.add_argument("-l", "--selector", action="append", metavar="SELECTOR",
                   help="only runs whose labels match (key=value, key!=value, key, !key, key in (a,b))")
    p.add_argument("--chunk-size", type=int, default=0, metavar="N",
                   help="read the store N runs at a time (0: all at once); the listing is the same")
    add_output_flag(p, ("json", "yaml", "name", "wide"))
    _kube_flags(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("get", help="show a run and its node tree")
    p.add_argument("run", help=RUN_HELP)
    add_output_flag(p, ("json", "yaml", "wide", "name"))
    _kube_flags(p)
    p.set_defaults(func=cmd_get)

    p = sub.add_parser("wait", help="wait for runs to end; exit 0 only if all Succeeded")
    p.add_argument("runs", nargs="+", help=RUNS_HELP)
    p.set_defaults(func=cmd_wait)

    for verb, help_ in (("stop", "stop a run: running steps get a grace period, exit handlers still run"),
                        ("terminate", "terminate a run: running steps get a grace period, no exit handlers")):
        p = sub.add_parser(verb, help=help_)
        p.add_argument("runs", nargs="+", help=RUNS_HELP)
        p.add_argument("--wait", action="store_true", help="return once the run has ended")
        if verb == "stop":
            p.add_argument("--node-field-selector", metavar="SELECTOR",
                           help="stop only these suspended steps (they fail; the run goes on), e.g. displayName=approve")
            p.add_argument("--message", help="with --node-field-selector: the message of the steps it stops")
        p.set_defaults(func=cmd_control, control=verb)

    p = sub.add_parser("resume", help="resume a suspended run, or continue one whose engine died")
    p.add_argument("runs", nargs="+", help=RUNS_HELP)
    p.add_argument("-w", "--wait", action="store_true", help="return once the run has ended")
    p.add_argument("--node-field-selector", metavar="SELECTOR",
                   help="resume only these suspended steps (e.g. displayName=approve)")
    p.set_defaults(func=cmd_resume)

    p = sub.add_parser("retry", help="run the failed steps of a finished run again")
    p.add_argument("run", help=RUN_HELP)
    p.add_argument("-w", "--wait", action="store_true", help="return once the run has ended")
    p.add_argument("--restart-successful", action="store_true",
                   help="also run again the Succeeded steps that --node-field-selector matches")
    p.add_argument("--node-field-selector", metavar="SELECTOR",
                   help="nodes to run again (e.g. displayName=step-a, templateName=work, phase=Succeeded)")
    add_output_flag(p, ("json", "yaml", "name", "wide"))
    p.set_defaults(func=cmd_retry)

    p = sub.add_parser("resubmit", help="submit a finished run again, as a new run")
    p.add_argument("run", help=RUN_HELP)
    p.add_argument("-w", "--wait", action="store_true", help="return once the new run has ended")
    p.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE", help="a workflow parameter")
    add_output_flag(p, ("json", "yaml", "name", "wide"))
    p.set_defaults(func=cmd_resubmit)

    p = sub.add_parser("delete", help="delete runs and what they kept")
    p.add_argument("runs", nargs="*", help=RUNS_HELP)
    p.add_argument("--all", action="store_true", help="every run (with --completed: every finished run)")
    p.add_argument("--completed", action="store_true", help="only finished runs")
    p.add_argument("--older", metavar="DURATION", help="finished runs that ended longer ago than this (e.g. 1d)")
    p.add_argument("--prefix", help="runs whose name starts with this")
    p.add_argument("-l", "--selector", action="append", metavar="SELECTOR", help="runs whose labels match")
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


def get_run(store: Store, name: str) -> RunRecord:
    """The run, continued in the background first if its engine died."""
    rec = store.get_run(name)
    if api.heal(store, rec):
        warn(f"run {rec.name} lost its engine; continuing it")  # stdout may be -o json
        rec = store.get_run(rec.name)
    return rec


def _ended(rec: RunRecord) -> bool:
    return rec.phase not in (N.PENDING, N.RUNNING)


def _runs(store: Store, chunk: int, summary: bool) -> Iterator[RunRecord]:
    """Every run, newest first; with `chunk`, read from the store `chunk` at a time (`list --chunk-size`);
    `summary`: only what a listing shows of each (Store.run_summaries)."""
    if not chunk:
        yield from store.run_summaries() if summary else store.list_runs()
        return
    after: tuple[str, int] | None = None
    while True:
        page, after = store.runs_page(chunk, after)
        yield from page
        if after is None:
            return


def _selected(store: Store, args: argparse.Namespace, summary: bool = False) -> list[RunRecord]:
    """The runs the filter flags of `list` and `delete` pick, newest first."""
    from wfexec.cli.list_filter import ListFilter

    keep = ListFilter.of(args)
    return [r for r in _runs(store, getattr(args, "chunk_size", 0), summary) if keep.keeps(r)]


def cmd_list(args: argparse.Namespace) -> int:
    if (rc := _kube(args, "list")) is not None:
        return rc
    if args.chunk_size < 0:
        raise WfexecError(f"--chunk-size {args.chunk_size}: expected 0 or more")
    store = open_store()
    recs = _selected(store, args, summary=args.output not in ("json", "yaml"))
    for rec in recs:
        api.heal(store, rec)
    if args.output in ("json", "yaml"):
        dump([workflow_object(r, store.get_nodes(r.name)) for r in recs], args.output)
        return 0
    if args.output == "name":
        write_lines([r.name for r in recs])
        return 0
    if not recs:
        say("No workflows found")
        return 0
    nodes_of = {r.name: store.get_nodes(r.name) for r in recs if r.phase == N.RUNNING or args.output == "wide"}
    wide = {r.name: progress(nodes_of[r.name]) for r in recs} if args.output == "wide" else None
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    write_lines(list_lines(recs, stdout_terminal(), now, wide, nodes_of=nodes_of))
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    if (rc := _kube(args, "get")) is not None:
        return rc
    store = open_store()
    rec = get_run(store, args.run)
    nodes = store.get_nodes(rec.name)
    if args.output in ("json", "yaml"):
        dump(workflow_object(rec, nodes), args.output)
    elif args.output == "name":
        say(rec.name)
    else:
        print_run(None, rec, nodes, wide=args.output == "wide")
    return 0


def cmd_wait(args: argparse.Namespace) -> int:
    store = open_store()
    ok = True
    for name in args.runs:
        rec = get_run(store, name)
        while not _ended(rec):
            time.sleep(0.3)
            rec = store.get_run(rec.name)
        say(f"{rec.name} {rec.phase} at {rec.finished_at}")
        ok = ok and rec.phase == N.SUCCEEDED
    return 0 if ok else 1


def cmd_control(args: argparse.Namespace) -> int:
    selector = getattr(args, "node_field_selector", None)
    if getattr(args, "message", None) is not None and not selector:
        raise WfexecError("--message goes with --node-field-selector: it is the message of the steps stopped")
    store = open_store()
    for name in args.runs:
        rec = store.get_run(name)
        if _ended(rec):
            raise WfexecError(f"run {rec.name} has already ended ({rec.phase})")
        if selector:
            from wfexec.engine.run_control import send, suspended_nodes

            nodes = suspended_nodes(store, rec, selector)
            send(rec, nodes, N.FAILED, args.message)
            api.heal(store, rec)
            say(f"workflow {rec.name} stopped: {', '.join(n.get('displayName', n['id']) for n in nodes)}")
            continue
        store.set_control(rec.name, args.control)
        api.heal(store, rec)
        say(f"workflow {rec.name} stopped" if args.control == "stop" else f"workflow {rec.name} terminated")
        if args.wait:
            while not _ended(store.get_run(rec.name)):
                time.sleep(0.2)
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    store = open_store()
    for name in args.runs:
        rec = store.get_run(name)
        if _ended(rec):
            raise WfexecError(f"run {rec.name} has already ended ({rec.phase}); use retry or resubmit")
        if args.node_field_selector:
            from wfexec.engine.run_control import send, suspended_nodes

            nodes = suspended_nodes(store, rec, args.node_field_selector)
            send(rec, nodes, N.SUCCEEDED, None)
            api.heal(store, rec)
            say(f"workflow {rec.name} resumed: {', '.join(n.get('displayName', n['id']) for n in nodes)}")
        elif rec.engine_pid and pid_alive(rec.engine_pid):
            if (rec.manifest.get("spec") or {}).get("suspend"):
                manifest = dict(rec.manifest, spec={**rec.manifest["spec"], "suspend": False})
                store.update_run(rec.name, manifest=manifest)
            store.set_control(rec.name, "resume")
            say(f"workflow {rec.name} resumed")
        else:
            if (rec.manifest.get("spec") or {}).get("suspend"):
                store.update_run(rec.name, manifest=dict(rec.manifest, spec={**rec.manifest["spec"], "suspend": False}),
                                 control="resume")
            if api.continue_lost(store, rec.name):
                say(f"workflow {rec.name} continued (its engine had stopped)")
            elif _ended(rec := store.get_run(rec.name)):  # it ended since this command looked
                raise WfexecError(f"run {rec.name} has already ended ({rec.phase}); use retry or resubmit")
            else:  # another command started its engine since this one looked
                store.set_control(rec.name, "resume")
                say(f"workflow {rec.name} resumed")
        if args.wait:
            while not _ended(store.get_run(rec.name)):
                time.sleep(0.2)
    return 0 if not args.wait or all(store.get_run(n).phase == N.SUCCEEDED for n in args.runs) else 1


def cmd_retry(args: argparse.Namespace) -> int:
    if args.restart_successful and not args.node_field_selector:
        raise WfexecError("--restart-successful needs --node-field-selector to say which Succeeded steps to run again")
    store = open_store()
    rec = store.get_run(args.run)
    if not _ended(rec) or (rec.phase == N.SUCCEEDED and not args.restart_successful):
        raise WfexecError(f"run {rec.name} is {rec.phase}: only Failed or Error runs can be retried"
                          " (or Succeeded ones with --restart-successful --node-field-selector)")
    from wfexec.engine.rerun import retry_run

    plan = retry_run(store, rec.name, restart_successful=args.restart_successful,
                     node_selector=args.node_field_selector)
    _announce(store, rec.name, args.output, f"workflow {rec.name} retried: {len(plan.dropped)} node(s) will run again")
    return _follow(store, rec.name, args.wait)


def cmd_resubmit(args: argparse.Namespace) -> int:
    from wfexec.cli.common import parse_kv

    store = open_store()
    from wfexec.engine.rerun import resubmit_run

    rec = store.get_run(args.run)
    new = resubmit_run(store, rec.name, parse_kv(args.parameter, "-p"), start=False)
    _announce(store, new.name, args.output, f"workflow {new.name} resubmitted from {rec.name}")
    return _drive(store, new.name, args.wait)


def _announce(store: Store, name: str, fmt: str | None, line: str) -> None:
    if fmt == "name":
        say(name)
    elif fmt in ("json", "yaml"):
        dump(workflow_object(store.get_run(name), store.get_nodes(name)), fmt)
    else:
        say(line)


def _drive(store: Store, name: str, wait: bool) -> int:
    """Hand the run to a background engine; with --wait, follow it to its end (exit 0 only on Succeeded)."""
    api.start_background(name)
    return _follow(store, name, wait)


def _follow(store: Store, name: str, wait: bool) -> int:
    """With --wait, follow the run to its end (exit 0 only on Succeeded)."""
    if not wait:
        return 0
    rec = store.get_run(name)
    while not _ended(rec):
        time.sleep(0.2)
        rec = store.get_run(name)
    return 0 if rec.phase == N.SUCCEEDED else 1


def cmd_delete(args: argparse.Namespace) -> int:
    store = open_store()
    names = list(args.runs)
    filtered = args.all or args.older or args.prefix or args.selector or (args.completed and not names)
    if filtered:
        if names:
            raise WfexecError("name runs, or pick them with --all/--older/--prefix/-l, not both")
        args.since, args.status = None, None
        names = [r.name for r in _selected(store, args)]
        if not names:
            say("No workflows found")
            return 0
    if not names:
        raise WfexecError("name runs to delete, or use --all, --completed, --older, --prefix or -l")
    for name in names:
        from wfexec.engine.gc import end_and_delete

        rec = store.get_run(name)
        end_and_delete(store, rec.name)  # terminated first; its OnWorkflowDeletion artifacts, pods, directory, rows
        say(f"Workflow '{rec.name}' deleted")
    try:
        store.compact()
    except StoreError as exc:  # the runs are gone; only the file's size waits for the next delete
        warn(f"note: {exc}")
    return 0
