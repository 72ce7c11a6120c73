"""`wfexec cron create|list|get|delete|suspend|resume|lint`: stored CronWorkflows, as `argo cron`.

They fire while `wfexec server` runs (its scheduler); `wfexec submit --from cronwf/NAME` runs one now.
"""

from __future__ import annotations

import argparse

from wfexec.cli.common import add_output_flag, console
from wfexec.cli.stored_objects import (
    ObjectsBackend,
    backend,
    load_kind,
    namespace_of,
    print_list,
    print_object,
)
from wfexec.engine.objects import CRON_WORKFLOW
from wfexec.errors import WfexecError


def register(sub: argparse._SubParsersAction) -> None:
    top = sub.add_parser("cron", help="manage cron workflows (they fire while `wfexec server` runs)")
    verbs = top.add_subparsers(dest="action", metavar="ACTION")
    top.set_defaults(func=lambda args, p=top, **_: p.print_help() or 2)

    p = verbs.add_parser("create", help="store cron workflows from files (`-` reads stdin)")
    p.add_argument("files", nargs="+", help="YAML or JSON files of cron workflows; `-` reads stdin")
    add_output_flag(p, ("json", "yaml", "name", "wide"))
    p.set_defaults(func=cmd_create)

    p = verbs.add_parser("list", help="list cron workflows")
    p.add_argument("-A", "--all-namespaces", action="store_true")
    p.add_argument("-l", "--selector", help="label selector, as kubectl takes it")
    add_output_flag(p, ("json", "yaml", "name", "wide"))
    p.set_defaults(func=cmd_list)

    p = verbs.add_parser("get", help="show one, with its last and next run")
    p.add_argument("names", nargs="+", help="names of stored cron workflows")
    add_output_flag(p, ("json", "yaml", "name", "wide"))
    p.set_defaults(func=cmd_get)

    p = verbs.add_parser("delete", help="delete by name, or --all")
    p.add_argument("names", nargs="*", help="names of stored cron workflows (or --all)")
    p.add_argument("--all", action="store_true")
    p.set_defaults(func=cmd_delete)

    for verb, help_ in (("suspend", "stop scheduling (runs already started go on)"),
                        ("resume", "schedule again")):
        p = verbs.add_parser(verb, help=help_)
        p.add_argument("names", nargs="+", help="names of stored cron workflows")
        p.set_defaults(func=cmd_suspend, suspend=verb == "suspend")

    p = verbs.add_parser("lint", help="check files as `create` would, storing nothing")
    p.add_argument("files", nargs="+", help="YAML or JSON files of cron workflows; `-` reads stdin")
    p.set_defaults(func=cmd_lint)

    for action in verbs.choices.values():
        action.add_argument("-n", "--namespace", help="namespace (default: $ARGO_NAMESPACE, else default)")


def cmd_create(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    for doc in load_kind(args.files, CRON_WORKFLOW):
        print_object(objects.create(CRON_WORKFLOW, doc, namespace_of(args)), args.output)
    return 0


def cmd_list(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    ns = None if args.all_namespaces else namespace_of(args)
    print_list(objects.list(CRON_WORKFLOW, ns, args.selector), args.output, args.all_namespaces)
    return 0


def cmd_get(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    for name in args.names:
        print_object(objects.get(CRON_WORKFLOW, namespace_of(args), name), args.output)
    return 0


def cmd_delete(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    names = list(args.names)
    if args.all:
        names = [o["metadata"]["name"] for o in objects.list(CRON_WORKFLOW, namespace_of(args), None)]
    elif not names:
        raise WfexecError("name the cron workflows to delete, or use --all")
    for name in names:
        objects.delete(CRON_WORKFLOW, namespace_of(args), name)
        console.print(f"CronWorkflow '{name}' deleted")
    return 0


def cmd_suspend(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    for name in args.names:
        objects.set_suspend(namespace_of(args), name, args.suspend)
        console.print(f"CronWorkflow '{name}' {'suspended' if args.suspend else 'resumed'}")
    return 0


def cmd_lint(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    for doc in load_kind(args.files, CRON_WORKFLOW):
        objects.lint(CRON_WORKFLOW, doc, namespace_of(args))
    console.print("✔ no linting errors found!")
    return 0
