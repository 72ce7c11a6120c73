"""`wfexec template …` and `wfexec cluster-template …`: stored (Cluster)WorkflowTemplates, as `argo template`."""

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
from wfexec.engine.objects import CLUSTER_WORKFLOW_TEMPLATE, WORKFLOW_TEMPLATE
from wfexec.errors import WfexecError


def register(sub: argparse._SubParsersAction) -> None:
    for verb, kind, noun in (("template", WORKFLOW_TEMPLATE, "workflow templates"),
                             ("cluster-template", CLUSTER_WORKFLOW_TEMPLATE, "cluster workflow templates")):
        namespaced = kind == WORKFLOW_TEMPLATE
        top = sub.add_parser(verb, help=f"manage {noun} (stored; templateRef resolves against them)")
        verbs = top.add_subparsers(dest="action", metavar="ACTION")
        top.set_defaults(func=lambda args, p=top, **_: p.print_help() or 2)

        p = verbs.add_parser("create", help=f"store {noun} from files (`-` reads stdin)")
        p.add_argument("files", nargs="+", help="YAML or JSON files of templates; `-` reads stdin")
        add_output_flag(p, ("json", "yaml", "name", "wide"))
        p.set_defaults(func=cmd_create)

        p = verbs.add_parser("list", help=f"list {noun}")
        if namespaced:
            p.add_argument("-A", "--all-namespaces", action="store_true")
        p.add_argument("-l", "--selector", help="label selector, as kubectl takes it")
        add_output_flag(p, ("json", "yaml", "name", "wide"))
        p.set_defaults(func=cmd_list)

        p = verbs.add_parser("get", help="show one")
        p.add_argument("names", nargs="+", help="names of stored templates")
        add_output_flag(p, ("json", "yaml", "name", "wide"))
        p.set_defaults(func=cmd_get)

        p = verbs.add_parser("delete", help="delete by name, or --all")
        p.add_argument("names", nargs="*", help="names of stored templates (or --all)")
        p.add_argument("--all", action="store_true")
        p.set_defaults(func=cmd_delete)

        p = verbs.add_parser("lint", help="check files as `create` would, storing nothing")
        p.add_argument("files", nargs="+", help="YAML or JSON files of templates; `-` reads stdin")
        p.set_defaults(func=cmd_lint)

        for action in verbs.choices.values():
            if namespaced:
                action.add_argument("-n", "--namespace", help="namespace (default: $ARGO_NAMESPACE, else default)")
            else:
                action.set_defaults(namespace="")
            action.set_defaults(kind=kind)


def _ns(args: argparse.Namespace) -> str:
    return namespace_of(args) if args.kind == WORKFLOW_TEMPLATE else ""


def cmd_create(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    for doc in load_kind(args.files, args.kind):
        print_object(objects.create(args.kind, doc, _ns(args)), args.output)
    return 0


def cmd_list(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    every = getattr(args, "all_namespaces", False)
    print_list(objects.list(args.kind, None if every else _ns(args), args.selector), args.output,
               every and args.kind == WORKFLOW_TEMPLATE)
    return 0


def cmd_get(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    for name in args.names:
        print_object(objects.get(args.kind, _ns(args), name), args.output)
    return 0


def cmd_delete(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    names = list(args.names)
    if args.all:
        names = [o["metadata"]["name"] for o in objects.list(args.kind, _ns(args), None)]
    elif not names:
        raise WfexecError(f"name the {args.kind}s to delete, or use --all")
    for name in names:
        objects.delete(args.kind, _ns(args), name)
        console.print(f"{args.kind} '{name}' deleted")
    return 0


def cmd_lint(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    for doc in load_kind(args.files, args.kind):
        objects.lint(args.kind, doc, _ns(args))
    console.print("✔ no linting errors found!")
    return 0
