"""`wfexec doctor`: which executor to use, why, and whether the configured one can work here."""

from __future__ import annotations

import argparse
import json
import sys

from rich.panel import Panel
from rich.text import Text

from wfexec.cli.cmd_executor import add_kube_flags
from wfexec.cli.common import console
from wfexec.cluster.doctor import Report, cluster_blockers, diagnose, local_blockers, scan_specs


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "doctor", help="recommend an executor (docker or emissary) and check the configured one",
        description="Check where workflows run (this machine, or with --kube the cluster), recommend docker or "
                    "emissary with reasons, list containers without `command` in the given specs, and exit 1 "
                    "when the configured executor cannot work.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="component specs / workflows (files or directories)")
    p.add_argument("--prefer-stable", action="store_true",
                   help="you value stability and backward compatibility: recommend docker wherever it can work")
    p.add_argument("--config", help="executor config file (local checks)")
    p.add_argument("-o", "--output", choices=("text", "json"), default="text")
    add_kube_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    report = _kube_report(args) if args.kube else _local_report(args)
    if args.output == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        _print(report)
    return 0 if report.ok else 1


def _local_report(args: argparse.Namespace) -> Report:
    from wfexec.cluster.facts import local_facts
    from wfexec.config import load_config

    cfg = load_config(args.config)
    facts = local_facts()
    lines = [f"Docker daemon: {'reachable, version ' + str(facts.docker_version) if facts.docker_reachable else 'not reachable'}"]
    missing, warnings = scan_specs(args.paths, cfg.images)
    return diagnose(target="local", configured=cfg.executor, source=cfg.executor_source,
                    blockers=local_blockers(facts), facts=lines, prefer_stable=args.prefer_stable,
                    missing=missing, warnings=warnings)


def _kube_report(args: argparse.Namespace) -> Report:
    from wfexec.cluster import controller
    from wfexec.cluster.facts import cluster_facts
    from wfexec.cluster.kube import api_client

    api = api_client(args.context, args.kubeconfig)
    ctl = controller.read(api, args.namespace)
    facts = cluster_facts(api, ctl, args.namespace)
    where = f"ConfigMap {ctl.namespace}/{controller.CONFIGMAP}"
    source = where if ctl.executor else f"{where}, where it is unset: Argo {ctl.version_text}'s default"
    if ctl.executor and ctl.emissary_only and ctl.executor != "emissary":
        source = f"{where} says {ctl.executor}, but Argo {ctl.version_text} has only the emissary"
    lines = [f"Kubernetes: {facts.server_version or 'unknown'}",
             f"Argo: {ctl.version_text}" + (f" ({ctl.controller_image})" if ctl.controller_image else ""),
             f"nodes: {facts.runtime_summary()}",
             f"namespace {facts.namespace}: Pod Security enforce={facts.pod_security or 'not set'}"]
    if facts.autopilot_signals:
        lines.append("GKE Autopilot: " + "; ".join(facts.autopilot_signals))
    missing, warnings = scan_specs(args.paths, controller.images_in(ctl.data))
    return diagnose(target="cluster", configured=ctl.effective_executor, source=source,
                    blockers=cluster_blockers(facts), facts=lines, prefer_stable=args.prefer_stable,
                    missing=missing, warnings=warnings)


def _print(report: Report) -> None:
    where = "this machine" if report.target == "local" else "the cluster"
    console.print(Text.assemble("configured executor: ", (report.configured_executor, "bold"),
                                f"  (from {report.configured_source})"))
    for line in report.facts:
        console.print(Text("  " + line, style="dim"))
    body = Text()
    for i, reason in enumerate(report.reasons):
        nested = bool(report.blockers) and i > 0
        body.append(("\n" if i else "") + ("  • " if nested else ("" if report.blockers else "• ")) + reason)
    console.print(Panel(body, title=Text.assemble("recommended for ", where, ": ", (report.recommended, "bold green")),
                         title_align="left", expand=False))
    if report.missing_command:
        console.print(Text(f"containers without command ({len(report.missing_command)}):", style="bold"))
        for m in report.missing_command:
            where_line = f"{m.file}:{m.line}" if m.line else m.file
            note = "  (in images: index)" if m.in_images_index else ""
            console.print(Text.assemble("  ", (where_line, "bold"), f": {m.path}: image {m.image}", (note, "dim")))
    for w in report.warnings:
        console.print(Text.assemble(("warning: ", "yellow"), w))
    if report.ok:
        msg = f"✔ the configured executor ({report.configured_executor}) can work here"
        if report.configured_executor != report.recommended:
            msg += f"; consider `wfexec executor set {report.recommended}`"
        console.print(Text(msg, style="bold green"))
    else:
        for p in report.problems:
            console.print(Text.assemble(("✖ ", "bold red"), p))
        for fix in report.fixes:
            console.print(Text(f"fix: {fix}", style="bold"))
