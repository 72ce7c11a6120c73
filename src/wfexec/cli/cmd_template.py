"""`wfexec template …` and `wfexec cluster-template …`: stored (Cluster)WorkflowTemplates, as `argo template`."""

from __future__ import annotations

import argparse

from wfexec.cli.stored_verbs import add_lint_verb, add_store_verbs
from wfexec.engine.objects import CLUSTER_WORKFLOW_TEMPLATE, WORKFLOW_TEMPLATE


def register(sub: argparse._SubParsersAction) -> None:
    for verb, kind, noun in (("template", WORKFLOW_TEMPLATE, "workflow templates"),
                             ("cluster-template", CLUSTER_WORKFLOW_TEMPLATE, "cluster workflow templates")):
        namespaced = kind == WORKFLOW_TEMPLATE
        top = sub.add_parser(verb, help=f"manage {noun} (stored; templateRef resolves against them)")
        verbs = top.add_subparsers(dest="action", metavar="ACTION")
        top.set_defaults(func=lambda args, p=top, **_: p.print_help() or 2)

        add_store_verbs(verbs, noun, "templates", "templates", plural=f"{kind}s", namespaced=namespaced)
        add_lint_verb(verbs, "templates")

        for action in verbs.choices.values():
            if namespaced:
                action.add_argument("-n", "--namespace", help="namespace (default: $ARGO_NAMESPACE, else default)")
            else:
                action.set_defaults(namespace="")
            action.set_defaults(kind=kind)

