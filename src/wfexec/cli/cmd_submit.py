"""`wfexec submit`: create a run from a Workflow file and drive it, as `argo submit` does."""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import Any

from rich.live import Live

from wfexec.cli.common import add_output_flag, console, dump, err, load_executor_config, open_store, parse_kv
from wfexec.cli.render import print_run, summary, tree, workflow_object
from wfexec.engine import api
from wfexec.engine.store import Store
from wfexec.errors import SpecError, WfexecError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("submit", help="submit a workflow and run it")
    p.add_argument("file", help="Workflow, WorkflowTemplate or CronWorkflow file (YAML or JSON)")
    p.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE", help="a workflow parameter")
    p.add_argument("--entrypoint", help="override spec.entrypoint")
    p.add_argument("--name", help="the run's name (default: generateName + random suffix)")
    p.add_argument("--generate-name", help="prefix for the generated name")
    p.add_argument("-l", "--labels", action="append", metavar="KEY=VALUE", help="labels to add")
    wait = p.add_mutually_exclusive_group()
    wait.add_argument("-w", "--wait", action="store_true", help="wait for the run to end; exit 0 only if it Succeeded")
    wait.add_argument("--watch", action="store_true", help="redraw the node tree until the run ends")
    p.add_argument("--runtime", choices=("host", "docker"), help="where steps run (default: config, else host)")
    p.add_argument("--executor", choices=("emissary", "docker"),
                   help="how the engine watches containers (default: containerRuntimeExecutor in the config)")
    p.add_argument("--config", help="executor config (workflow-controller-configmap shape)")
    p.add_argument("--templates", action="append", metavar="PATH",
                   help="WorkflowTemplates to resolve templateRef / workflowTemplateRef (file or directory)")
    p.add_argument("--parallelism", type=int, help="at most this many pods at once (default: 8 per core)")
    p.add_argument("--grace", type=float, default=10.0, help="seconds between SIGTERM and SIGKILL (default 10)")
    p.add_argument("--max-output-bytes", type=_positive_int, metavar="N",
                   help="keep at most N bytes of each container's stdout and log; the rest is cut, and the log says so")
    p.add_argument("--kube", action="store_true", help="submit to Argo Workflows in a Kubernetes cluster")
    p.add_argument("--context", help="kubeconfig context (with --kube)")
    p.add_argument("-n", "--namespace", help="namespace (with --kube)")
    p.add_argument("--kubeconfig", help="kubeconfig file (with --kube; default: $KUBECONFIG, else ~/.kube/config)")
    from wfexec.cli.cmd_export import add_export_flags

    add_export_flags(p)  # with --kube the file is exported first: -a, --no-daemon, --no-registry
    add_output_flag(p)
    p.set_defaults(func=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of bytes, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {value}")
    return value


def _load(file: str, templates: list[str] | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from wfexec.spec.lint import lint_documents
    from wfexec.spec.loader import find_documents, load_file

    if not Path(file).exists():
        raise WfexecError(f"{file}: no such file")
    docs = load_file(file)
    tdocs = []
    for path in templates or []:
        tdocs.extend(find_documents(path) if Path(path).is_dir() else load_file(path))
    issues = lint_documents(docs, templates=tdocs + docs)
    if issues:
        for issue in issues:
            err.print(str(issue))
        raise SpecError(f"{len(issues)} linting error(s); nothing was submitted", file=file)
    runnable = [d for d in docs if d.kind in api.RUNNABLE_KINDS]
    if not runnable:
        raise SpecError("no Workflow, WorkflowTemplate or CronWorkflow in the file", file=file, field="kind")
    wft = [d.data for d in tdocs + docs if d.kind in ("WorkflowTemplate", "ClusterWorkflowTemplate")]
    main = next((d for d in runnable if d.kind == "Workflow"), runnable[0])
    return api.workflow_from_document(main.data, file, wft), wft


def _kfp_v2_workflow(file: str, parameters: list[str] | None, runtime: str = "host",
                     config: str | None = None) -> dict[str, Any] | None:
    """A KFP v2 pipeline IR file, compiled to a Workflow; None for any other file."""
    from wfexec.kfp.v2.ir import looks_like_ir, read_documents

    if not Path(file).is_file() or not file.endswith((".yaml", ".yml", ".json")):
        return None
    try:
        docs = read_documents(file)
    except SpecError:
        return None  # the Workflow loader gives its own error
    if not looks_like_ir(docs):
        return None
    from wfexec.engine.artifact_repos import choose_repository
    from wfexec.kfp.v2.prepare import prepare_pipeline

    repository = choose_repository({}, "default", config).config  # artifacts go where any run's would
    prepared = prepare_pipeline(file, parse_kv(parameters, "-p"), runtime, repository)
    for line in prepared.warnings:
        err.print(f"warning: {line}")
    return prepared.workflow


def run(args: argparse.Namespace) -> int:
    if args.kube:
        from wfexec.cluster.submit import submit_kube

        return submit_kube(args)
    cfg = load_executor_config(args.config)
    executor = args.executor or (cfg.executor if cfg is not None else "emissary")
    runtime = args.runtime or (getattr(cfg, "runtime", None) if cfg is not None else None) or "host"
    kfp = _kfp_v2_workflow(args.file, args.parameter, runtime, args.config)
    wf, wft = (kfp, []) if kfp is not None else _load(args.file, args.templates)
    source = "--executor" if args.executor else (cfg.executor_source if cfg is not None else "default")
    opts = api.SubmitOptions(
        parameters=parse_kv(args.parameter, "-p") if kfp is None else {}, entrypoint=args.entrypoint, runtime=runtime, executor=executor,
        config=args.config, parallelism=args.parallelism, name=args.name, generate_name=args.generate_name,
        workflow_templates=wft, labels=parse_kv(args.labels, "-l"), grace=args.grace, executor_source=source,
        max_output_bytes=args.max_output_bytes,
    )
    from wfexec.runtimes.backends import make_backend

    make_backend(runtime, executor, args.config).close()  # fail before the run is created
    store = open_store()
    rec = api.create_run(store, wf, opts, file=args.file)
    if not (args.wait or args.watch):
        api.start_background(rec.name)
        _print_created(store, rec.name, args.output)
        return 0
    if args.watch:
        phase = _watch(store, rec.name)
    else:
        phase = api.run_foreground(store, rec.name)
        _print_created(store, rec.name, args.output, final=True)
    return 0 if phase == "Succeeded" else 1


def _print_created(store: Store, name: str, fmt: str | None, final: bool = False) -> None:
    rec = store.get_run(name)
    nodes = store.get_nodes(name)
    if fmt in ("json", "yaml"):
        dump(workflow_object(rec, nodes), fmt)
    elif fmt == "name":
        console.print(rec.name)
    elif final:
        print_run(console, rec, nodes)
    else:
        console.print(summary(rec, nodes))


def _watch(store: Store, name: str) -> str:
    result: dict[str, Any] = {}

    def drive() -> None:
        try:
            result["phase"] = api.run_foreground(Store(store.path), name)
        except WfexecError as exc:
            result["error"] = exc

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    from rich.console import Group
    from rich.text import Text

    def view() -> Group:
        rec = store.get_run(name)
        nodes = store.get_nodes(name)
        return Group(summary(rec, nodes), Text(""), tree(rec, nodes))

    with Live(view(), console=console, refresh_per_second=4, transient=False) as live:
        while thread.is_alive():
            time.sleep(0.25)
            live.update(view())
        live.update(view())
    if "error" in result:
        raise result["error"]
    return result.get("phase", "Error")
