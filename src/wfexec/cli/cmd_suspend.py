"""`wfexec suspend RUN` and `wfexec node set RUN`: holding a run, and answering its suspended steps.

`suspend` holds the run as `argo suspend` does: running pods go on, no new pod starts until
`resume` (or the run is stopped). `node set` gives a suspended step its `supplied` output
parameters, a message, and with --phase its end, as `argo node set` does.
"""

from __future__ import annotations

import argparse

from wfexec.cli.cmd_runs import RUN_HELP, RUNS_HELP, get_run
from wfexec.cli.common import open_store, parse_kv, say
from wfexec.engine import nodes as N
from wfexec.engine.run_control import check_supplied, send, suspend_run, suspended_nodes
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
        suspend_run(store, rec)
        say(f"workflow {rec.name} suspended")
    return 0


def cmd_node_set(args: argparse.Namespace) -> int:
    if not (args.output_parameter or args.message is not None or args.phase):
        raise WfexecError("say what to set: --output-parameter NAME=VALUE, --message TEXT or --phase PHASE")
    store = open_store()
    rec = get_run(store, args.run)
    if rec.phase not in (N.PENDING, N.RUNNING):
        raise WfexecError(f"run {rec.name} has already ended ({rec.phase})")
    nodes = suspended_nodes(store, rec, args.node_field_selector)
    outputs = parse_kv(args.output_parameter, "--output-parameter")
    check_supplied(rec, nodes, outputs)
    send(rec, nodes, args.phase, args.message, outputs)
    say(f"workflow {rec.name} updated")
    return 0
