"""`wfexec submit`: create runs from a Workflow file and hand them to a detached engine, as `argo submit` does.

The engine runs in its own session (forked from this command as it starts, engine/forked.py; else
`api.start_background`), so `--wait`, `--watch` and `--log` only follow the run: Ctrl-C, a closed
terminal or a killed `submit` never stop it.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wfexec.cli.common import add_output_flag, dump, load_executor_config, open_store, parse_kv, say, warn
from wfexec.engine import api
from wfexec.engine.object_names import EXPECTED, check_generate_name, valid_name
from wfexec.engine.store import Store
from wfexec.engine.workflow_arguments import apply_parameters
from wfexec.errors import SpecError, WfexecError

if TYPE_CHECKING:
    from wfexec.engine.forked import ForkedEngine


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("submit", help="submit a workflow and run it")
    p.add_argument("file", nargs="?",
                   help="Workflow, WorkflowTemplate or CronWorkflow file (YAML or JSON); `-` reads stdin")
    p.add_argument("--from", dest="from_", metavar="KIND/NAME",
                   help="submit from a stored object instead of a file: workflow/NAME (a run in the store), "
                        "workflowtemplate/NAME, clusterworkflowtemplate/NAME or cronwf/NAME")
    p.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE", help="a workflow parameter")
    p.add_argument("-f", "--parameter-file", metavar="FILE",
                   help="a YAML or JSON file of parameters (name: value); -p wins over it")
    p.add_argument("--entrypoint", help="override spec.entrypoint")
    p.add_argument("--name", help="the run's name (default: generateName + random suffix)")
    p.add_argument("--generate-name", help="prefix for the generated name")
    p.add_argument("-l", "--labels", action="append", metavar="KEY=VALUE", help="labels to add (comma-separated)")
    p.add_argument("--serviceaccount", metavar="NAME", help="spec.serviceAccountName (stored and shown; "
                   "no Kubernetes account exists here)")
    wait = p.add_mutually_exclusive_group()
    wait.add_argument("-w", "--wait", action="store_true", help="wait for the run to end; exit 0 only if it Succeeded")
    wait.add_argument("--watch", action="store_true", help="redraw the node tree until the run ends")
    wait.add_argument("--log", action="store_true", help="print the run's logs until it ends")
    p.add_argument("--dry-run", action="store_true", help="print the Workflow that would be created; create nothing")
    p.add_argument("--server-dry-run", action="store_true",
                   help="as --dry-run, after every check a real submit makes (parameters, entrypoint, executor)")
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


def _load(file: str, templates: list[str] | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The Workflows to run from `file` (every Workflow and CronWorkflow in it, as argo submits them all)."""
    from wfexec.spec.lint import lint_documents
    from wfexec.spec.loader import find_documents, load_file

    if file == "-":
        import sys

        from wfexec.spec.loader import load_text

        docs = load_text(sys.stdin.read(), "-")
    else:
        path = Path(file)
        if not path.exists():
            raise WfexecError(f"{file}: no such file")
        if path.is_dir():
            raise SpecError("is a directory: submit takes one file (use --templates DIR for WorkflowTemplates)",
                            file=file)
        docs = load_file(file)
    tdocs = []
    for tpath in templates or []:
        tdocs.extend(find_documents(tpath) if Path(tpath).is_dir() else load_file(tpath))
    tdocs += _stored_templates(docs, tdocs)
    issues = lint_documents(docs, templates=tdocs + docs)
    if issues:
        for issue in issues:
            warn(str(issue))
        raise SpecError(f"{len(issues)} linting error(s); nothing was submitted", file=file)
    runnable = [d for d in docs if d.kind in ("Workflow", "CronWorkflow")]
    if not runnable:
        tmpl = [d for d in docs if d.kind in api.RUNNABLE_KINDS]
        if not tmpl:
            raise SpecError("no Workflow, WorkflowTemplate or CronWorkflow in the file", file=file, field="kind")
        if len(tmpl) > 1:
            raise SpecError(f"{len(tmpl)} WorkflowTemplates and no Workflow: which one to run is not clear; "
                            "give each its own file, or load them with --templates and submit a Workflow",
                            file=file, field="kind")
        runnable = tmpl
    wft = [d.data for d in tdocs + docs if d.kind in ("WorkflowTemplate", "ClusterWorkflowTemplate")]
    return [api.workflow_from_document(d.data, file, wft) for d in runnable], wft


def _from_store(ref: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(Workflow, the options it starts from) for `--from workflow/NAME` or a stored object's KIND/NAME."""
    kind, _, name = ref.partition("/")
    kind = kind.lower()
    if kind in ("workflow", "wf", "workflows") and name:
        rec = open_store().get_run(name)
        wf = copy.deepcopy(rec.manifest)
        meta = wf.setdefault("metadata", {})
        base = meta.get("name", "workflow")
        for key in ("name", "uid", "creationTimestamp"):
            meta.pop(key, None)
        meta["generateName"] = base + "-"
        wf.pop("status", None)
        return wf, rec.options
    from wfexec.engine.objects import ObjectStore
    from wfexec.engine.submit_from import parse_from, workflow_from_object

    kind, name = parse_from(ref)  # a stored WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow
    return workflow_from_object(ObjectStore(open_store()).get(kind, "default", name)), {"file": ref}


def _parameters(args: argparse.Namespace) -> dict[str, str]:
    params: dict[str, str] = {}
    if args.parameter_file:
        params.update(_parameter_file(args.parameter_file))
    params.update(parse_kv(args.parameter, "-p"))
    return params


def _parameter_file(file: str) -> dict[str, str]:
    import json

    try:
        text = Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise WfexecError(f"{file}: cannot read the parameter file ({exc.strerror})") from None
    try:
        if file.endswith(".json"):
            data = json.loads(text)
        else:
            from ruamel.yaml import YAML

            data = YAML(typ="safe", pure=True).load(text)
    except Exception as exc:  # noqa: BLE001 - any parse error is the user's file, said in one line
        raise WfexecError(f"{file}: not YAML or JSON ({' '.join(str(exc).split())[:200]})") from None
    if not isinstance(data, dict):
        raise SpecError("expected a mapping of parameter names to values", file=file)
    out = {}
    for k, v in data.items():
        if isinstance(v, dict | list):
            out[str(k)] = json.dumps(v)
        else:
            out[str(k)] = "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
    return out


def _check(wf: dict[str, Any], args: argparse.Namespace, file: str) -> None:
    """What the server refuses before it creates anything: a bad name, an unknown entrypoint."""
    if args.name and not valid_name(args.name):
        raise WfexecError(f"--name {args.name!r}: a Workflow name must be {EXPECTED}")
    if args.generate_name:
        try:
            check_generate_name(args.generate_name, "Workflow")
        except SpecError:
            raise WfexecError(f"--generate-name {args.generate_name!r}: expected {EXPECTED}, once 5 random "
                              "characters are added") from None
    spec = wf.get("spec") or {}
    if spec.get("workflowTemplateRef"):
        return  # a stored template's: create_run checks it once the template is in
    names = [t.get("name") for t in spec.get("templates") or [] if isinstance(t, dict)]
    if args.entrypoint and args.entrypoint not in names:
        raise SpecError(f"--entrypoint {args.entrypoint!r}: no template of that name"
                        + (f" (templates: {', '.join(n for n in names if n)})" if names else ""),
                        file=file or None, field="spec.templates")


def _prepare(wf: dict[str, Any], args: argparse.Namespace, params: dict[str, str]) -> dict[str, Any]:
    """The Workflow as it will be stored: service account and labels in it."""
    wf = copy.deepcopy(wf)
    if args.serviceaccount:
        wf.setdefault("spec", {})["serviceAccountName"] = args.serviceaccount
    return wf


def _dry_run_object(wf: dict[str, Any], args: argparse.Namespace, params: dict[str, str]) -> dict[str, Any]:
    """What `argo submit --dry-run` prints: the Workflow with name, labels, entrypoint and parameters set."""
    wf = copy.deepcopy(wf)
    meta = wf.setdefault("metadata", {})
    if args.name:
        meta["name"] = args.name
        meta.pop("generateName", None)
    elif args.generate_name:
        meta["generateName"] = args.generate_name
    meta.setdefault("namespace", "default")
    labels = parse_kv(args.labels, "-l")
    if labels:
        meta.setdefault("labels", {}).update(labels)
    spec = wf.setdefault("spec", {})
    if args.entrypoint:
        spec["entrypoint"] = args.entrypoint
    apply_parameters(spec, params)
    return wf


def _stored_templates(docs: list[Any], given: list[Any]) -> list[Any]:
    """The stored templates the files name and `--templates` lacks, as documents lint can see."""
    from wfexec.engine.template_refs import gather
    from wfexec.spec.document import Document

    found = gather(open_store, [d.data for d in docs], "default", [d.data for d in given])
    return [Document(t, f"stored {t['kind']}", 0, t["kind"]) for t in found]


def _kfp_v2_workflow(file: str, parameters: dict[str, str], runtime: str = "host",
                     config: str | None = None) -> dict[str, Any] | None:
    """A KFP v2 pipeline IR file, compiled to a Workflow; None for any other file."""
    from wfexec.spec.formats import may_be_pipeline_ir

    if not Path(file).is_file() or not file.endswith((".yaml", ".yml", ".json")) or not may_be_pipeline_ir(file):
        return None
    from wfexec.kfp.v2.ir import looks_like_ir, read_documents

    try:
        docs = read_documents(file)
    except SpecError:
        return None  # the Workflow loader gives its own error
    if not looks_like_ir(docs):
        return None
    from wfexec.engine.artifact_repos import choose_repository
    from wfexec.kfp.v2.prepare import prepare_pipeline

    repository = choose_repository({}, "default", config).config  # artifacts go where any run's would
    prepared = prepare_pipeline(file, parameters, runtime, repository)
    for line in prepared.warnings:
        warn(f"warning: {line}")
    return prepared.workflow


def run(args: argparse.Namespace) -> int:
    if bool(args.file) == bool(args.from_):
        raise WfexecError("name a Workflow file (`-` for stdin), or --from KIND/NAME (one of them)")
    if args.kube:
        if args.from_:
            raise WfexecError("--from reads this machine's store; with --kube, submit a file")
        from wfexec.cli.kube import submit

        return submit(args)
    from wfexec.engine import forked

    # The engine to be, forked now: it loads itself while this process reads and lints the file. Only
    # from a process that is this command's alone: one that has used the store already (a caller
    # running commands in its own process) may not fork it, for SQLite's sake.
    owned = getattr(args, "own_process", False) and not (args.dry_run or args.server_dry_run)
    engine = forked.prepare() if owned else None
    try:
        return _run_here(args, engine)
    finally:
        if engine is not None:
            engine.discard()  # no run was handed to it (a bad file, Ctrl-C): it exits


def _run_here(args: argparse.Namespace, engine: ForkedEngine | None) -> int:
    """Submit on this machine; the first run goes to `engine` when there is one."""
    params = _parameters(args)
    stored: dict[str, Any] = {}
    if args.from_:
        wf, stored = _from_store(args.from_)
        workflows, wft, file = [wf], list(stored.get("workflowTemplates") or []), str(stored.get("file", ""))
        params = {**(stored.get("parameters") or {}), **params}
    cfg = load_executor_config(args.config or stored.get("config"))
    executor = args.executor or stored.get("executor") or (cfg.executor if cfg is not None else "emissary")
    runtime = args.runtime or stored.get("runtime") or (getattr(cfg, "runtime", None) if cfg is not None else None) \
        or "host"
    if not args.from_:
        file = args.file
        kfp = _kfp_v2_workflow(file, params, runtime, args.config)
        if kfp is not None:  # the pipeline's parameters are typed by its IR and compiled into the Workflow
            workflows, wft, params = [kfp], [], {}
        else:
            workflows, wft = _load(file, args.templates)
    if args.name and len(workflows) > 1:
        raise WfexecError(f"--name {args.name!r}: the file holds {len(workflows)} Workflows, and names are unique; "
                          "use --generate-name")
    for wf in workflows:
        _check(wf, args, file)
    source = "--executor" if args.executor else (cfg.executor_source if cfg is not None else "default")
    if args.dry_run or args.server_dry_run:
        if args.server_dry_run:
            from wfexec.runtimes.backends import make_backend

            make_backend(runtime, executor, args.config).close()
        for wf in workflows:
            _print_object(_dry_run_object(_prepare(wf, args, params), args, params), args.output)
        return 0
    from wfexec.runtimes.backends import make_backend

    make_backend(runtime, executor, args.config, start=False).close()  # fail before the run is created
    store = open_store()
    names: list[str] = []
    engines: dict[str, tuple[int, int | None]] = {}  # run -> (engine pid, its end-of-run pipe)
    for wf in workflows:
        opts = api.SubmitOptions(
            parameters=params, entrypoint=args.entrypoint, runtime=runtime, executor=executor,
            config=args.config or stored.get("config"), parallelism=args.parallelism or stored.get("parallelism"),
            name=args.name, generate_name=args.generate_name, workflow_templates=wft,
            labels=parse_kv(args.labels, "-l"), grace=args.grace, executor_source=source,
            max_output_bytes=args.max_output_bytes or stored.get("max_output_bytes"),
        )
        _warn_parallelism(wf, opts.parallelism)
        rec = api.create_run(store, _prepare(wf, args, params), opts, file=file)
        if args.serviceaccount:
            store.update_run(rec.name, options={**rec.options, "serviceAccount": args.serviceaccount})
        following = args.wait or args.watch
        handed = engine.hand(rec.name, following) if engine is not None and not engine.handed else None
        engines[rec.name] = handed or (api.start_followed(rec.name) if following
                                       else (api.start_background(rec.name), None))
        names.append(rec.name)
        if not (args.wait or args.watch or args.log):
            _print_created(store, rec.name, args.output)
    ok = True
    for name in names:
        if args.watch:
            from wfexec.cli.cmd_watch import watch

            phase = watch(store, name, *engines[name])
        elif args.log:
            phase = _follow_logs(store, name)
        elif args.wait:
            from wfexec.cli.cmd_watch import wait_for_end

            phase = wait_for_end(store, name, *engines[name])
            _print_created(store, name, args.output, final=True)
        else:
            continue
        ok = ok and phase == "Succeeded"
    return 0 if ok else 1


def _warn_parallelism(wf: dict[str, Any], cap: int | None) -> None:
    """Say so when spec.parallelism asks for more pods at once than this machine runs."""
    wanted = (wf.get("spec") or {}).get("parallelism")
    if not isinstance(wanted, int) or wanted <= 0:
        return
    from wfexec.engine.pods import default_parallelism

    limit = cap or default_parallelism()
    if wanted > limit:
        warn(f"note: spec.parallelism is {wanted}, but this machine runs at most {limit} pods at once "
             f"(--parallelism N to change it); the rest wait for a slot")


def _follow_logs(store: Store, name: str) -> str:
    from wfexec.cli.cmd_logs import cmd_logs
    from wfexec.cli.cmd_watch import interrupted

    ns = argparse.Namespace(run=name, step=None, container=None, follow=True, tail=-1, grep=None, no_color=False,
                            since=None, since_time=None, timestamps=False, kube=False)
    try:
        cmd_logs(ns)
    except KeyboardInterrupt:
        interrupted(name)
        raise SystemExit(130) from None
    return store.get_run(name).phase


def _print_object(wf: dict[str, Any], fmt: str | None) -> None:
    if fmt == "name":
        say((wf.get("metadata") or {}).get("name") or (wf.get("metadata") or {}).get("generateName", ""))
    else:
        dump(wf, "json" if fmt == "json" else "yaml")


def _print_created(store: Store, name: str, fmt: str | None, final: bool = False) -> None:
    # The renderer (tables, textwrap: some 3 ms) is imported here, not with this module: what the
    # command imports before it forks its engine delays the engine, which never draws a table.
    from wfexec.cli.render import print_run, summary_lines, workflow_object
    from wfexec.cli.term import write_lines

    rec = store.get_run(name)
    nodes = store.get_nodes(name)
    if fmt in ("json", "yaml"):
        dump(workflow_object(rec, nodes), fmt)
    elif fmt == "name":
        say(rec.name)
    elif final:
        print_run(None, rec, nodes, wide=fmt == "wide")
    else:
        write_lines(summary_lines(rec, nodes))
