"""`wfexec resolve-component`, `compile-component`, `run-component`: KFP v1 component specs."""

from __future__ import annotations

import argparse
import sys

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
    p.add_argument("--runtime", choices=("host", "docker"), default="host", help="where steps run (default host)")
    p.add_argument("--executor", choices=("emissary", "docker"), default="emissary", help="executor (default emissary)")
    p.add_argument("--config", help="executor config (workflow-controller-configmap shape)")
    p.add_argument("-o", "--output", choices=("json", "yaml"), default="json", help="output format (default json)")
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
    from wfexec.engine.api import run_workflow
    from wfexec.kfp.compile import compile_component
    from wfexec.kfp.loader import load_component
    from wfexec.kfp.outputs import component_outputs

    arguments = parse_kv(args.argument, "-a")
    workflow = compile_component(load_component(args.spec), arguments, name=args.name, output_dirs=args.output_dirs)
    result = run_workflow(workflow, runtime=args.runtime, executor=args.executor, config_path=args.config, wait=True)
    status = {**workflow, "metadata": {**workflow["metadata"], "name": result.name},
              "status": {"phase": result.phase, "message": result.message, "nodes": result.nodes}}
    dump({"name": result.name, "phase": result.phase, "message": result.message,
          "outputs": component_outputs(status)}, args.output)
    sys.stdout.flush()
    return 0 if result.phase == "Succeeded" else 1



