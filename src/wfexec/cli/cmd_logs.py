"""`wfexec logs RUN [POD|STEP]`: a run's container logs, as `argo logs` prints them.

Lines are prefixed with the pod name `get` shows. A container's log is one stream whether it
is still in the pod's directory or already kept under the run's `logs/`: what was printed is
remembered per (node, container), so `-f` never prints a line twice, and only whole lines are
printed until the run ends. Each line has the time it was printed (`engine.log_lines`), for
`--timestamps`, `--since` and `--since-time`; a run from before those times were kept uses its
step's start time instead.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfexec.cli.cmd_runs import RUN_HELP, get_run
from wfexec.cli.common import open_store
from wfexec.cli.render import pod_name_of
from wfexec.engine import api
from wfexec.engine import nodes as N
from wfexec.engine.log_lines import LogCursor, LogLine, parse_rfc3339, rfc3339nano, store_time_ns
from wfexec.engine.tree import display_children
from wfexec.errors import WfexecError

#: Colours cycled over pod-name prefixes on a terminal, as argo does.
PREFIX_COLOURS = ("36", "33", "35", "32", "34", "31")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("logs", help="print the logs of a run, or of one step")
    p.add_argument("run", help=RUN_HELP)
    p.add_argument("step", nargs="?", help="a pod name (as `get` shows it), step display name or node id")
    p.add_argument("-c", "--container", help="one container by name (default: main and the sidecars)")
    p.add_argument("-f", "--follow", action="store_true",
                   help="keep printing until the run ends; a step not started yet is waited for")
    p.add_argument("--tail", type=int, default=-1, metavar="N", help="only the last N lines of each container")
    p.add_argument("--grep", metavar="REGEX", help="only lines that match this regular expression")
    p.add_argument("--no-color", action="store_true", help="no colour in the pod-name prefixes")
    p.add_argument("--since", metavar="DURATION",
                   help="only lines printed in this last while, a Go duration (e.g. 10s, 5m, 1h30m)")
    p.add_argument("--since-time", metavar="TIME",
                   help="only lines printed at or after this RFC 3339 time (e.g. 2026-12-07T01:00:00Z)")
    p.add_argument("--timestamps", action="store_true",
                   help="prefix each line with the time it was printed (RFC 3339, to the nanosecond); runs made "
                        "before wfexec kept these times show their step's start time instead")
    from wfexec.cli.cmd_runs import _kube_flags

    _kube_flags(p)
    p.set_defaults(func=cmd_logs)


@dataclass
class Stream:
    """What of one container's log has been printed."""

    cursor: LogCursor = field(default_factory=LogCursor)
    tailed: bool = False


@dataclass
class Follow:
    streams: dict[tuple[str, str], Stream] = field(default_factory=dict)
    colours: dict[str, str] = field(default_factory=dict)


def match_nodes(run: str, nodes: dict[str, dict[str, Any]], step: str) -> list[dict[str, Any]]:
    """The pods a POD/STEP argument names; a retry or steps node gives all the pods under it."""
    hits = [n for n in nodes.values() if step in (n["id"], n.get("displayName"), n.get("name"), pod_name_of(run, n))
            or n["name"].endswith("." + step)]
    pods: list[dict[str, Any]] = []
    seen: set[str] = set()
    view = display_children(nodes)  # not Argo's chain links: a step's children are the next steps

    def add(node: dict[str, Any]) -> None:
        if node["id"] in seen:
            return
        seen.add(node["id"])
        if node.get("type") == N.POD:
            pods.append(node)
        for c in view.get(node["id"], []):
            add(nodes[c])

    for hit in hits:
        add(hit)
    return pods


def log_files(run: str, node: dict[str, Any], container: str | None) -> list[tuple[str, Path]]:
    """(container, file) for each container of a pod: the kept log once there is one, else the live one."""
    from wfexec.engine.kept_logs import pod_log_files

    found = pod_log_files(api.run_dir(run), node["id"])
    names = sorted(found)
    if container:
        if container not in found:
            if node.get("phase") in N.FULFILLED:
                raise WfexecError(f"step {node.get('displayName')!r} has no container {container!r}"
                                  f" (containers: {', '.join(names) or 'none'})")
            return []
        return [(container, found[container])]
    order = (["main"] if "main" in found else []) + [n for n in names if n not in ("main", "wait", "init")]
    return [(n, found[n]) for n in order] if order else [(n, found[n]) for n in names]


def since_ns(since: str | None, since_time: str | None) -> int | None:
    """The earliest time (Unix ns) of a line to print, from --since or --since-time (not both, as kubectl)."""
    if since and since_time:
        raise WfexecError("--since and --since-time: give at most one")
    if since_time:
        try:
            return parse_rfc3339(since_time)
        except ValueError as exc:
            raise WfexecError(f"--since-time {exc}") from None
    if since:
        from wfexec.durations import DurationError, go_nanoseconds

        try:
            span = go_nanoseconds(since.strip())
        except DurationError as exc:
            raise WfexecError(f"--since: {exc}") from None
        if span <= 0:
            raise WfexecError(f"--since {since!r}: expected a positive duration such as 10s or 5m")
        return time.time_ns() - span
    return None


def cmd_logs(args: argparse.Namespace) -> int:
    from wfexec.cli.cmd_runs import _kube

    if (rc := _kube(args, "logs")) is not None:
        return rc
    since = since_ns(args.since, args.since_time)
    grep = grep_regex(args.grep)
    colour = not args.no_color and sys.stdout.isatty()
    store = open_store()
    rec = get_run(store, args.run)
    state = Follow()
    final = False
    while True:
        ended = rec.phase not in (N.PENDING, N.RUNNING)
        nodes = store.get_nodes(rec.name)
        if args.step:
            targets = match_nodes(rec.name, nodes, args.step)
            if not targets and (ended or not args.follow):
                raise WfexecError(f"no step {args.step!r} in run {rec.name}"
                                  + ("" if ended else " yet (use -f to wait for it)"))
        else:
            targets = [n for n in nodes.values() if n.get("type") == N.POD]
        targets.sort(key=lambda n: (n.get("startedAt", ""), n["name"]))
        prefixed = not args.step or len(targets) > 1
        for node in targets:
            pod = pod_name_of(rec.name, node)
            for cname, path in log_files(rec.name, node, args.container):
                label = pod if args.container or cname == "main" else f"{pod} {cname}"
                lines = _new_lines(state.streams.setdefault((node["id"], cname), Stream()), path,
                                   final or not args.follow, args.tail, since, store_time_ns(node.get("startedAt")))
                _write(lines, label if prefixed else "", grep, colour, state, args.timestamps)
        sys.stdout.flush()
        if not args.follow or final:
            return 0
        final = ended
        if not final:
            time.sleep(0.3)
            rec = store.get_run(rec.name)


def grep_regex(text: str | None) -> re.Pattern[str] | None:
    if not text:
        return None
    try:
        return re.compile(text)
    except re.error as exc:
        raise WfexecError(f"--grep {text!r}: not a regular expression ({exc})") from None


def _new_lines(stream: Stream, path: Path, flush: bool, tail: int, since: int | None,
               started: int | None) -> list[LogLine]:
    """The whole lines added to `path` since last time (and the unfinished last one when `flush`), those
    printed before `since` left out, each with its time (the step's start when the log kept none)."""
    lines, _ = stream.cursor.read(path, flush)
    if started is not None:
        lines = [line if line.time_ns is not None else LogLine(line.text, started) for line in lines]
    seen = bool(lines)
    if since is not None:
        lines = [line for line in lines if line.time_ns is None or line.time_ns >= since]
    if tail >= 0 and not stream.tailed:
        lines = lines[-tail:] if tail else []
    if tail >= 0 and (seen or flush):
        stream.tailed = True
    return lines


def _write(lines: list[LogLine], label: str, grep: re.Pattern[str] | None, colour: bool, state: Follow,
           timestamps: bool) -> None:
    if not lines:
        return
    if label and colour:
        code = state.colours.setdefault(label, PREFIX_COLOURS[len(state.colours) % len(PREFIX_COLOURS)])
        label = f"\x1b[{code}m{label}\x1b[0m"
    out = sys.stdout
    for line in lines:
        if grep is None or grep.search(line.text):
            text = f"{rfc3339nano(line.time_ns)} {line.text}" if timestamps and line.time_ns is not None else line.text
            out.write(f"{label}: {text}\n" if label else text + "\n")
