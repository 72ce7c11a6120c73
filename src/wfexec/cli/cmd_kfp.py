"""`wfexec resolve-component`, `compile-component`, `run-component`: KFP v1 component specs."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from wfexec.cli.common import dump, parse_kv


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("resolve-component", help="resolve a KFP v1 component's command line, as KFP 1.8 did")
    _common(p)
    p.add_argument("-o", "--output", choices=("json", "yaml"), default="json", help="output format (default json)")
    p.set_defaults(func=resolve_cmd)

    p = sub.add_parser("compile-component", help="compile a KFP v1 component (container or graph) to an Argo Workflow")
    _common(p)
    p.add_argument("--name", help="workflow name prefix (default: the component's name)")
    p.add_argument("--output-dirs", choices=("sh", "annotate"), default="sh",
                   help="create output directories with an sh wrapper (default) or leave it to the runtime")
    p.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml", help="output format (default yaml)")
    p.set_defaults(func=compile_cmd)

    p = sub.add_parser("run-component", help="compile a KFP v1 component and run it here")
    _common(p)
    p.add_argument("--name", help="workflow name prefix (default: the component's name)")
    p.add_argument("--output-dirs", choices=("sh", "annotate"), default="sh",
                   help="create output directories with an sh wrapper (default) or leave it to the runtime")
    p.add_argument("--runtime", choices=("host", "docker"), help="where steps run (default: config, else host)")
    p.add_argument("--executor", choices=("emissary", "docker"),
                   help="executor (default: the config's containerRuntimeExecutor, else emissary)")
    p.add_argument("--config", help="executor config (workflow-controller-configmap shape)")
    p.add_argument("-o", "--output", choices=("text", "json", "yaml"), default="text",
                   help="output format (default text: a table of outputs)")
    p.set_defaults(func=run_cmd)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="component.yaml (KFP v1 component specification)")
    p.add_argument("-a", "--argument", action="append", metavar="NAME=VALUE", help="an input's value (repeatable)")


def resolve_cmd(args: argparse.Namespace) -> int:
    from wfexec.kfp.loader import load_component
    from wfexec.kfp.resolve import resolve

    arguments = parse_kv(args.argument, "-a")
    dump(resolve(load_component(args.spec), arguments).as_json(), args.output)
    return 0


def compile_cmd(args: argparse.Namespace) -> int:
    from wfexec.kfp.compile import compile_component
    from wfexec.kfp.loader import load_component

    arguments = parse_kv(args.argument, "-a")
    workflow = compile_component(load_component(args.spec), arguments, name=args.name, output_dirs=args.output_dirs)
    dump(workflow, args.output)
    return 0


def run_cmd(args: argparse.Namespace) -> int:
    from wfexec.cli.common import load_executor_config
    from wfexec.engine.api import run_workflow
    from wfexec.kfp.compile import compile_component
    from wfexec.kfp.loader import load_component
    from wfexec.kfp.outputs import component_outputs

    arguments = parse_kv(args.argument, "-a")
    workflow = compile_component(load_component(args.spec), arguments, name=args.name, output_dirs=args.output_dirs,
                                 value_outputs=True)
    _warn_unmade_dirs(workflow)
    cfg = load_executor_config(args.config)
    executor = args.executor or (cfg.executor if cfg is not None else "emissary")
    runtime = args.runtime or (getattr(cfg, "runtime", None) if cfg is not None else None) or "host"
    result = run_workflow(workflow, runtime=runtime, executor=executor, config_path=args.config, wait=True)
    status = {**workflow, "metadata": {**workflow["metadata"], "name": result.name},
              "status": {"phase": result.phase, "message": result.message, "nodes": result.nodes}}
    report = {"name": result.name, "phase": result.phase, "message": result.message,
              "outputs": component_outputs(status)}
    failed = _failed_steps(result.nodes)
    if failed:
        report["failedSteps"] = failed
    if args.output == "text":
        _print_report(report)
    else:
        dump(report, args.output)
    sys.stdout.flush()
    return 0 if result.phase == "Succeeded" else 1


def _warn_unmade_dirs(workflow: dict[str, Any]) -> None:
    """Say which steps must make their own output directories: no runtime reads the annotation yet."""
    from wfexec.cli.common import err
    from wfexec.kfp.compile import OUTPUT_DIRS_ANNOTATION

    for tmpl in workflow["spec"]["templates"]:
        dirs = ((tmpl.get("metadata") or {}).get("annotations") or {}).get(OUTPUT_DIRS_ANNOTATION)
        if dirs:
            why = ("--output-dirs annotate leaves its command unwrapped" if (tmpl.get("container") or {}).get("command")
                   else "its command comes from the image, so it cannot be wrapped in `sh -c 'mkdir -p …'`")
            err.print(f"warning: step {tmpl['name']!r}: output directories {', '.join(json.loads(dirs))} are not "
                      f"created for it ({why}); the program must create them itself", markup=False)


def _print_report(report: dict[str, Any]) -> None:
    """Name, phase and one line per output: its value (if it has one) and where its file is stored."""
    lines = [f"Name:     {report['name']}", f"Phase:    {report['phase']}"]
    if report.get("message"):
        lines.append(f"Message:  {report['message']}")
    for step in report.get("failedSteps") or []:
        lines.append(f"Failed:   step {step['displayName']!r} ({step['phase']}): {step.get('message', '')}")
    if report["phase"] != "Succeeded":
        lines.append(f"Logs:     wfexec logs {report['name']}")
    outputs = report["outputs"]
    if outputs:
        lines.append("")
        width = max(len("OUTPUT"), *(len(n) for n in outputs))
        lines.append(f"{'OUTPUT'.ljust(width)}  VALUE / ARTIFACT")
        for name, out in outputs.items():
            rows = ([("value:   ", _one_line(out["value"]))] if "value" in out else []) + \
                   ([("artifact:", out["location"])] if "location" in out else [])
            for i, (kind, text) in enumerate(rows):
                lines.append(f"{(name if i == 0 else '').ljust(width)}  {kind} {text}")
    elif report["phase"] == "Succeeded":
        lines.append("(the component has no outputs)")
    sys.stdout.write("\n".join(lines) + "\n")


def _failed_steps(nodes: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """The steps that failed (pods, or tasks that could not start), so the user sees why at once."""
    return [{"displayName": n.get("displayName", ""), "phase": n["phase"], "message": n.get("message", "")}
            for n in nodes.values()
            if n.get("phase") in ("Failed", "Error") and n.get("type") in ("Pod", "Skipped", "Retry")]


def _one_line(value: str, limit: int = 200) -> str:
    text = value.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + f"… ({len(value)} characters)"
