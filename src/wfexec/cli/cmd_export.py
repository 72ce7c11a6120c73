"""`wfexec export`: print a Workflow (and WorkflowTemplates) that Argo on Kubernetes accepts.

What only means something here is dropped with a note on stderr; under the emissary executor
missing container commands are filled in, or reported (`--strict` makes that an error).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from wfexec.cli import common
from wfexec.cli.common import parse_kv
from wfexec.errors import WfexecError

if TYPE_CHECKING:  # the exporter (jsonschema, requests, kfp) loads only when a command exports: submit's
    from wfexec.export import Exported, ExportOptions  # flags must not cost its start


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="print a Workflow that Argo Workflows in a cluster accepts",
        description="Turn a Workflow / WorkflowTemplate / CronWorkflow file, or a KFP v1 component spec, into a "
                    "Workflow for Argo on Kubernetes: component specs are compiled, templateRefs to local "
                    "WorkflowTemplates inlined (or emitted alongside), local-only settings removed and, for the "
                    "emissary executor, missing container commands filled in. Notes go to stderr.")
    p.add_argument("file", metavar="FILE|SPEC", help="workflow file, or component.yaml (KFP v1)")
    add_export_flags(p)
    p.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml", help="output format (default yaml)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--inline-templates", dest="mode", action="store_const", const="inline",
                      help="copy referenced local templates into the Workflow (default)")
    mode.add_argument("--emit-templates", dest="mode", action="store_const", const="emit",
                      help="keep templateRefs and print the local WorkflowTemplates alongside")
    p.add_argument("--strict", action="store_true", help="exit 1 when a container's command cannot be found")
    p.add_argument("--argo-version", type=int, choices=(3, 4), default=4,
                   help="the Argo that will read it: 3 writes schedule/mutex/semaphore, 4 (default) "
                        "schedules/mutexes/semaphores")
    p.set_defaults(func=run, mode="inline")


def add_export_flags(p: argparse.ArgumentParser) -> None:
    """Flags shared with `submit --kube`, which exports before it sends."""
    if not any("--parameter" in a.option_strings for a in p._actions):
        p.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE", help="a workflow parameter")
    p.add_argument("-a", "--argument", action="append", metavar="NAME=VALUE", help="a component input's value")
    if not any("--templates" in a.option_strings for a in p._actions):
        p.add_argument("--templates", action="append", metavar="PATH",
                       help="WorkflowTemplates that templateRef / workflowTemplateRef name (file or directory)")
    if not any("--config" in a.option_strings for a in p._actions):
        p.add_argument("--config", help="executor config (its images: index and containerRuntimeExecutor)")
    if not any("--executor" in a.option_strings for a in p._actions):
        p.add_argument("--executor", choices=("emissary", "docker"),
                       help="the cluster's executor (default: containerRuntimeExecutor in the config)")
    p.add_argument("--no-daemon", action="store_true", help="do not ask the local Docker daemon for image commands")
    p.add_argument("--no-registry", action="store_true", help="do not ask registries for image commands")


def options_from(args: argparse.Namespace, mode: str = "inline") -> ExportOptions:
    from wfexec.export import ExportOptions

    return ExportOptions(arguments=parse_kv(getattr(args, "argument", None), "-a"),
                         parameters=parse_kv(args.parameter, "-p"), templates=list(args.templates or []),
                         executor=args.executor, config_path=args.config, mode=mode,  # type: ignore[arg-type]
                         daemon=not args.no_daemon, registry=not args.no_registry)


def report(result: Exported, strict: bool) -> None:
    """Notes, then missing commands: warnings, or one error with --strict."""
    from rich.text import Text  # rich (its console is made on first use) only when there is a note

    for note in result.notes:
        common.err.print(Text.assemble(("note: ", "cyan"), note))
    if result.missing and strict:
        raise WfexecError(f"{len(result.missing)} container(s) have no command for the emissary executor:\n  "
                          + "\n  ".join(result.missing) + "\nset command, add the image to the config's images:, "
                          "or run `wfexec migrate`")
    for item in result.missing:
        common.err.print(Text.assemble(("warning: ", "yellow"), item, " (the controller will look it up in the registry)"))


def render(documents: list[dict[str, Any]], fmt: str) -> str:
    """YAML: one document per object; JSON: the object, or a v1 List when there are several."""
    if fmt == "json":
        body: Any = documents[0] if len(documents) == 1 else {"apiVersion": "v1", "kind": "List", "items": documents}
        return json.dumps(body, indent=2) + "\n"
    import io

    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096
    buf = io.StringIO()
    yaml.dump_all(documents, buf)
    return buf.getvalue()


def run(args: argparse.Namespace) -> int:
    from wfexec.export import export_path
    from wfexec.export.argo_version import for_argo_version

    result = export_path(args.file, options_from(args, args.mode))
    for_argo_version(result.documents, args.argo_version, args.file)
    report(result, args.strict)
    sys.stdout.write(render(result.documents, args.output))
    return 0
