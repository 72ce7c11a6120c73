"""The verbs every stored-object command has (create, list, get, delete, lint), one function per verb.

`wfexec template`, `cluster-template` and `cron` register them with their own nouns; the kind travels in
`args.kind`, and only a ClusterWorkflowTemplate is stored without a namespace.
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
from wfexec.engine.objects import CLUSTER_WORKFLOW_TEMPLATE
from wfexec.errors import WfexecError

OUTPUTS = ("json", "yaml", "name", "wide")


def add_store_verbs(verbs: argparse._SubParsersAction, noun: str, files_of: str, names_of: str, *,
                    get_help: str = "show one", plural: str = "", namespaced: bool = True) -> None:
    """`create`, `list`, `get` and `delete`; `files_of`/`names_of` say what the arguments are in help."""
    p = verbs.add_parser("create", help=f"store {noun} from files (`-` reads stdin)")
    p.add_argument("files", nargs="+", help=f"YAML or JSON files of {files_of}; `-` reads stdin")
    add_output_flag(p, OUTPUTS)
    p.set_defaults(func=cmd_create)

    p = verbs.add_parser("list", help=f"list {noun}")
    if namespaced:
        p.add_argument("-A", "--all-namespaces", action="store_true")
    p.add_argument("-l", "--selector", help="label selector, as kubectl takes it")
    add_output_flag(p, OUTPUTS)
    p.set_defaults(func=cmd_list)

    p = verbs.add_parser("get", help=get_help)
    p.add_argument("names", nargs="+", help=f"names of stored {names_of}")
    add_output_flag(p, OUTPUTS)
    p.set_defaults(func=cmd_get)

    p = verbs.add_parser("delete", help="delete by name, or --all")
    p.add_argument("names", nargs="*", help=f"names of stored {names_of} (or --all)")
    p.add_argument("--all", action="store_true")
    p.set_defaults(func=cmd_delete, plural=plural or noun)


def add_lint_verb(verbs: argparse._SubParsersAction, files_of: str) -> None:
    p = verbs.add_parser("lint", help="check files as `create` would, storing nothing")
    p.add_argument("files", nargs="+", help=f"YAML or JSON files of {files_of}; `-` reads stdin")
    p.set_defaults(func=cmd_lint)


def _ns(args: argparse.Namespace) -> str:
    return "" if args.kind == CLUSTER_WORKFLOW_TEMPLATE else namespace_of(args)


def cmd_create(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    for doc in load_kind(args.files, args.kind):
        print_object(objects.create(args.kind, doc, _ns(args)), args.output)
    return 0


def cmd_list(args: argparse.Namespace, objects: ObjectsBackend | None = None) -> int:
    objects = objects or backend(args)
    every = getattr(args, "all_namespaces", False)  # a cluster-scoped kind has no -A
    print_list(objects.list(args.kind, None if every else _ns(args), args.selector), args.output, every)
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
        raise WfexecError(f"name the {args.plural} to delete, or use --all")
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
