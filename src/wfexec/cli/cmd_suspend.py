"""`wfexec suspend RUN` and `wfexec node set RUN`: holding a run, and answering its suspended steps.

`suspend` holds the run as `argo suspend` does: running pods go on, no new pod starts until
`resume` (or the run is stopped). `node set` gives a suspended step its `supplied` output
parameters, a message, and with --phase its end, as `argo node set` does.
"""

from __future__ import annotations

import argparse
import copy
from typing import Any

from wfexec.cli.cmd_runs import RUN_HELP, RUNS_HELP, get_run
from wfexec.cli.common import open_store, parse_kv, say
from wfexec.engine import api
from wfexec.engine import nodes as N
from wfexec.engine.node_requests import NodeRequest, write_request
from wfexec.engine.store import RunRecord, Store
from wfexec.errors import WfexecError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("suspend", help="suspend runs: running steps go on, no new step starts until resume")
    p.add_argument("runs", nargs="+", help=RUNS_HELP)
    p.set_defaults(func=cmd_suspend)

    p = sub.add_parser("node", help="change a suspended step of a run (argo node set)")
    verbs = p.add_subparsers(dest="node_verb", metavar="VERB", required=True)
    s = verbs.add_parser("set", help="set a suspended step's output parameters, message or phase")
    s.add_argument("run", help=RUN_HELP)
    s.add_argument("--node-field-selector", required=True, metavar="SELECTOR",
                   help="the suspended steps to change (e.g. displayName=approve)")
    s.add_argument("--output-parameter", action="append", metavar="NAME=VALUE",
                   help="an output parameter the step declares with valueFrom.supplied")
    s.add_argument("--message", help="the step's message")
    s.add_argument("--phase", choices=(N.SUCCEEDED, N.FAILED), help="end the step in this phase")
    s.set_defaults(func=cmd_node_set)


def cmd_suspend(args: argparse.Namespace) -> int:
    store = open_store()
    for name in args.runs:
        rec = get_run(store, name)
        if rec.phase not in (N.PENDING, N.RUNNING):
            raise WfexecError(f"run {rec.name} has already ended ({rec.phase})")
        manifest = copy.deepcopy(rec.manifest)
        manifest.setdefault("spec", {})["suspend"] = True
        store.update_run(rec.name, manifest=manifest, control="suspend")
        say(f"workflow {rec.name} suspended")
    return 0


def suspended_nodes(store: Store, rec: RunRecord, selector: str) -> list[dict[str, Any]]:
    """The Running Suspend nodes the selector picks; an error naming what was there when none."""
    from wfexec.cli.selectors import node_field_selector

    match = node_field_selector(selector)
    nodes = store.get_nodes(rec.name)
    picked = [n for n in nodes.values() if match(n)]
    waiting = [n for n in picked if n.get("type") == N.SUSPEND and n.get("phase") == N.RUNNING]
    if not waiting:
        now = [n.get("displayName", n["id"]) for n in nodes.values()
               if n.get("type") == N.SUSPEND and n.get("phase") == N.RUNNING]
        raise WfexecError(f"no suspended step of run {rec.name} matches {selector!r}"
                          + (f" (suspended now: {', '.join(now)})" if now else " (none is suspended now)"))
    return waiting


def send(rec: RunRecord, nodes: list[dict[str, Any]], phase: str | None, message: str | None,
         outputs: dict[str, str] | None = None) -> None:
    write_request(api.run_dir(rec.name), NodeRequest(nodes=[n["id"] for n in nodes], phase=phase, message=message,
                                                     outputs=dict(outputs or {})))


def cmd_node_set(args: argparse.Namespace) -> int:
    if not (args.output_parameter or args.message is not None or args.phase):
        raise WfexecError("say what to set: --output-parameter NAME=VALUE, --message TEXT or --phase PHASE")
    store = open_store()
    rec = get_run(store, args.run)
    if rec.phase not in (N.PENDING, N.RUNNING):
        raise WfexecError(f"run {rec.name} has already ended ({rec.phase})")
    nodes = suspended_nodes(store, rec, args.node_field_selector)
    outputs = parse_kv(args.output_parameter, "--output-parameter")
    if outputs:
        templates = {t.get("name"): t for t in (rec.manifest.get("spec") or {}).get("templates") or []}
        for node in nodes:
            declared = (templates.get(node.get("templateName")) or {}).get("outputs") or {}
            supplied = {p.get("name") for p in declared.get("parameters") or []
                        if "supplied" in (p.get("valueFrom") or {})}
            for name in outputs:
                if name not in supplied:
                    raise WfexecError(f"step {node.get('displayName')!r} has no output parameter {name!r} with "
                                      "valueFrom.supplied" + (f" (supplied: {', '.join(sorted(supplied))})"
                                                              if supplied else ""))
    send(rec, nodes, args.phase, args.message, outputs)
    say(f"workflow {rec.name} updated")
    return 0
