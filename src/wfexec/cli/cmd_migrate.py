"""`wfexec migrate PATH…`: give every container without `command` the one its image runs, for the emissary."""

from __future__ import annotations

import argparse
import sys

from rich.text import Text

from wfexec.cli.common import console, err
from wfexec.config import load_config
from wfexec.errors import MigrateError, SpecError
from wfexec.migrate.image_config import ImageConfig, lookup_image_config
from wfexec.migrate.plan import FilePlan, plan_file
from wfexec.migrate.registry import RegistryOptions
from wfexec.migrate.rewrite import flow_list, unified_diff, write_atomic
from wfexec.migrate.specs import spec_files


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "migrate", help="add `command` to containers that lack it (needed by the emissary executor)",
        description="For KFP v1 component specs and Argo workflows: containers without `command` get the "
                    "image's ENTRYPOINT (and CMD as args where Kubernetes would use it), looked up in the "
                    "config's images: index, the local Docker daemon, then the registry. Comments, key order "
                    "and quoting are kept. A file is written only when every lookup in it succeeded.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="spec file, or a directory of YAML files")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything needs migration")
    p.add_argument("--diff", action="store_true", help="print a unified diff of the changes")
    p.add_argument("--config", help="executor config (for its images: index, imageMap, insecureRegistries)")
    p.add_argument("--registry-insecure", action="store_true",
                   help="talk to every registry over plain HTTP (loopback registries always are)")
    p.add_argument("--no-daemon", action="store_true", help="do not ask the local Docker daemon; registry only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    options = RegistryOptions(insecure=args.registry_insecure, insecure_registries=config.insecure_registries)
    memo: dict[str, ImageConfig] = {}

    def lookup(image: str) -> ImageConfig:
        if image not in memo:
            memo[image] = lookup_image_config(image, config=config, registry_options=options,
                                              use_daemon=not args.no_daemon)
        return memo[image]

    errors: list[str] = []
    plans: list[FilePlan] = []
    for file in spec_files(args.paths):
        try:
            plans.append(plan_file(file, lookup))
        except (MigrateError, SpecError) as exc:
            errors.append(str(exc))
    pending = [p for p in plans if p.needs_migration]
    for plan in plans:
        _report(plan, check=args.check)
        if args.diff and plan.needs_migration:
            sys.stdout.write(unified_diff(plan.file, plan.before, plan.after))
        if plan.needs_migration and not args.check:
            write_atomic(plan.file, plan.after)
    verb = "need migration" if args.check else "migrated"
    style = "bold yellow" if (pending and args.check) else "bold green"
    console.print(Text(f"{len(pending)} of {len(plans)} file(s) {verb}", style=style))
    for message in errors:
        err.print(Text.assemble(("error: ", "bold red"), message))
    if errors:
        return 1
    return 1 if (args.check and pending) else 0


def _report(plan: FilePlan, *, check: bool) -> None:
    for change in plan.changes:
        where = f"{plan.file}:{change.line}" if change.line else str(plan.file)
        text = Text.assemble((where, "bold"), ": ", (change.path, "cyan"), f": image {change.image}: ")
        text.append(f"{'needs' if check else 'set'} command: {flow_list(change.command)}")
        if change.args_written and change.args is not None:
            text.append(f", args: {flow_list([str(a) for a in change.args])}")
        text.append(f"  (from {change.source})", style="dim")
        console.print(text)
    for note in plan.skipped:
        err.print(Text.assemble(("warning: ", "yellow"), note))
