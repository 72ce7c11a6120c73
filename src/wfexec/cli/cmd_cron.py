"""`wfexec cron create|list|get|delete|suspend|resume|lint`: stored CronWorkflows, as `argo cron`.

They fire while `wfexec server` runs (its scheduler); `wfexec submit --from cronwf/NAME` runs one now.
"""

from __future__ import annotations

import argparse

from wfexec.cli.common import console
from wfexec.cli.stored_objects import ObjectsBackend, backend, namespace_of
from wfexec.cli.stored_verbs import add_lint_verb, add_store_verbs
from wfexec.engine.objects import CRON_WORKFLOW


def register(sub: argparse._SubParsersAction) -> None:
    top = sub.add_parser("cron", help="manage cron workflows (they fire while `wfexec server` runs)")
    verbs = top.add_subparsers(dest="action", metavar="ACTION")
    top.set_defaults(func=lambda args, p=top, **_: p.print_help() or 2)

    add_store_verbs(verbs, "cron workflows", "cron workflows", "cron workflows",
                    get_help="show one, with its last and next run")

    for verb, help_ in (("suspend", "stop scheduling (runs already started go on)"),
                        ("resume", "schedule again")):
        p = verbs.add_parser(verb, help=help_)
        p.add_argument("names", nargs="+", help="names of stored cron workflows")
        p.set_defaults(func=cmd_suspend, suspend=verb == "suspend")

    add_lint_verb(verbs, "cron workflows")

    for action in verbs.choices.values():
        action.add_argument("-n", "--namespace", help="namespace (default: $ARGO_NAMESPACE, else default)")
        action.set_defaults(kind=CRON_WORKFLOW)


def cmd_suspend(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    for name in args.names:
        objects.set_suspend(namespace_of(args), name, args.suspend)
        console.print(f"CronWorkflow '{name}' {'suspended' if args.suspend else 'resumed'}")
    return 0

