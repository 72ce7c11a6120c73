"""Submitting and driving runs: used by the CLI, `run-component` and the tests."""

from __future__ import annotations

import copy
import datetime as dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wfexec.engine import nodes as N
from wfexec.engine.object_names import check_generate_name, check_name
from wfexec.engine.options import RunOptions
from wfexec.engine.store import RunRecord, Store, pid_alive
from wfexec.engine.workflow_arguments import apply_parameters
from wfexec.errors import RunExists, SpecError, WfexecError
from wfexec.home import wfexec_home

if TYPE_CHECKING:
    from wfexec.pod import Backend

RUNNABLE_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")


@dataclass
class SubmitOptions(RunOptions):
    """The run's options, and how to name and label the run (used at submit only)."""

    name: str | None = None
    generate_name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    image_map: dict[str, str] = field(default_factory=dict)

    @classmethod
    def like(cls, stored: dict[str, Any], **changes: Any) -> SubmitOptions:
        """Options for a new run like a stored one (`resubmit`), with `changes` applied."""
        run = RunOptions.from_dict(stored)
        return cls(**{**{f.name: getattr(run, f.name) for f in fields(RunOptions)}, **changes})


#: Names drawn for a run from its generateName before a taken one is an error (36**5 names each draw).
GENERATED_NAME_DRAWS = 5


def _suffix(n: int = 5) -> str:
    import secrets  # here, not at the top: `wfexec list` and `get` import this module and start fast
    import string

    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


def workflow_from_document(doc: dict[str, Any], file: str, templates: list[dict[str, Any]]) -> dict[str, Any]:
    """A Workflow to run from a Workflow, WorkflowTemplate or CronWorkflow document."""
    kind = doc.get("kind")
    if kind not in RUNNABLE_KINDS:
        raise SpecError(f"kind {kind!r} cannot be submitted: expected one of {', '.join(RUNNABLE_KINDS)}",
                        file=file, field="kind")
    wf = copy.deepcopy(doc)
    if kind == "CronWorkflow":
        spec = (doc.get("spec") or {}).get("workflowSpec") or {}
        meta = (doc.get("spec") or {}).get("workflowMetadata") or {}
        wf = {"apiVersion": doc.get("apiVersion"), "kind": "Workflow",
              "metadata": {**meta, "generateName": (doc.get("metadata") or {}).get("name", "cron") + "-"},
              "spec": copy.deepcopy(spec)}
    elif kind in ("WorkflowTemplate", "ClusterWorkflowTemplate"):
        name = (doc.get("metadata") or {}).get("name") or (doc.get("metadata") or {}).get("generateName", "wf-")
        wf = {"apiVersion": doc.get("apiVersion"), "kind": "Workflow",
              "metadata": {"generateName": name.rstrip("-") + "-",
                           "labels": (doc.get("metadata") or {}).get("labels") or {}},
              "spec": copy.deepcopy(doc.get("spec") or {})}
    wf["kind"] = "Workflow"
    spec = wf.setdefault("spec", {})
    ref = spec.get("workflowTemplateRef")
    if ref:
        by_name = {(t.get("metadata") or {}).get("name"): t for t in templates}
        tmpl = by_name.get(ref.get("name"))
        if tmpl is None:
            raise SpecError(f"WorkflowTemplate {ref.get('name')!r} not found: create it (`wfexec template create`)"
                            " or load it with --templates PATH",
                            file=file, field="spec.workflowTemplateRef.name")
        base = copy.deepcopy(tmpl.get("spec") or {})
        merged_args = _merge_arguments(base.get("arguments") or {}, spec.get("arguments") or {})
        base.update({k: v for k, v in spec.items() if k not in ("workflowTemplateRef", "arguments")})
        base["arguments"] = merged_args
        wf["spec"] = base
    return wf


def with_stored_templates(store: Store, wf: dict[str, Any],
                          given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`given` plus the stored templates that `wf`'s templateRef / workflowTemplateRef name."""
    from wfexec.engine.template_refs import gather

    namespace = (wf.get("metadata") or {}).get("namespace") or "default"
    return [*given, *gather(store, [wf], namespace, given)]


def _merge_arguments(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    params = {p["name"]: p for p in base.get("parameters") or []}
    for p in over.get("parameters") or []:
        params[p["name"]] = {**params.get(p["name"], {}), **p}
    arts = {a["name"]: a for a in base.get("artifacts") or []}
    for a in over.get("artifacts") or []:
        arts[a["name"]] = {**arts.get(a["name"], {}), **a}
    out: dict[str, Any] = {}
    if params:
        out["parameters"] = list(params.values())
    if arts:
        out["artifacts"] = list(arts.values())
    return out


def create_run(store: Store, wf: dict[str, Any], opts: SubmitOptions, file: str = "") -> RunRecord:
    wf = copy.deepcopy(wf)
    meta = wf.setdefault("metadata", {})
    templates = with_stored_templates(store, wf, opts.workflow_templates)
    if (wf.get("spec") or {}).get("workflowTemplateRef"):
        wf = workflow_from_document(wf, file, templates)
        meta = wf.setdefault("metadata", {})
    apply_parameters(wf.setdefault("spec", {}), opts.parameters)
    name = opts.name or meta.get("name")
    prefix = None if name else opts.generate_name or meta.get("generateName") or "workflow-"
    if prefix is not None:
        check_generate_name(prefix, "Workflow", file=file or None)
        name = f"{prefix}{_suffix()}"
        meta["generateName"] = prefix  # kept, as Kubernetes keeps it: resubmit draws from it again
    check_name(name, "Workflow", file=file or None)
    meta["name"] = name
    meta.setdefault("namespace", "default")
    import uuid

    meta["uid"] = str(uuid.uuid4())
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta["creationTimestamp"] = created
    if opts.labels:
        meta.setdefault("labels", {}).update(opts.labels)
    options = opts.run_options()
    options.file = file or opts.file
    options.workflow_templates = templates
    rec = RunRecord(name=name, uid=meta["uid"], namespace=meta["namespace"], phase=N.PENDING, message=None,
                    created_at=created, started_at=None, finished_at=None, manifest=wf, options=options.to_dict(),
                    status={}, engine_pid=None, control=None)
    draws = GENERATED_NAME_DRAWS
    while True:
        try:
            store.create_run(rec)
            return rec
        except RunExists:  # a generated name that is taken: draw again, as Kubernetes' clients do
            draws -= 1
            if prefix is None or not draws:
                raise
            rec.name = meta["name"] = f"{prefix}{_suffix()}"


def run_foreground(store: Store, name: str, backend: Backend | None = None,
                   on_ended: Callable[[], None] | None = None) -> str:
    """Drive the run in this process until it ends; returns the final phase. `backend`: one
    already made for the run's runtime, executor and config (else the run makes its own).
    `on_ended`: see WorkflowRun."""
    from wfexec.engine.workflow import WorkflowRun

    if not store.claim_engine(name, os.getpid()):
        raise WfexecError(f"run {name!r} is already being driven by another wfexec process")
    return WorkflowRun(store, name, backend, on_ended).run()


def start_background(name: str, done_fd: int | None = None) -> int:
    """Drive the run in a detached engine process that outlives this command. `done_fd`: the write
    end of a pipe the engine closes when the run has ended (see engine/handoff.py)."""
    import subprocess

    from wfexec.engine.handoff import DONE_FD_ENV

    log = run_dir(name) / "engine.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = os.environ.copy()
    if done_fd is not None:
        env[DONE_FD_ENV] = str(done_fd)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wfexec.engine.daemon", name], stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True, env=env,
            pass_fds=(done_fd,) if done_fd is not None else (),
        )
    return proc.pid


def start_followed(name: str) -> tuple[int, int]:
    """start_background for a command that waits for the run: (the engine's pid, the read end of
    the pipe that turns readable when the engine has ended the run)."""
    read_end, write_end = os.pipe()
    try:
        pid = start_background(name, done_fd=write_end)
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    return pid, read_end


def needs_resume(rec: RunRecord) -> bool:
    """A run whose engine died (kill -9, reboot) before it ended."""
    return rec.phase in (N.PENDING, N.RUNNING) and not (rec.engine_pid and pid_alive(rec.engine_pid))


def heal(store: Store, rec: RunRecord) -> bool:
    """Continue runs whose engine died: any command that reads the store calls this. `rec` may be
    stale (read before another command healed the run): the store looks again as it starts one."""
    return bool(needs_resume(rec) and rec.started_at) and _start_unless_driven(store, rec.name, started_only=True)


def continue_lost(store: Store, name: str) -> bool:
    """`resume` of a run without a live engine: start one, even for a run that never started; False
    when another command has started one since the caller looked."""
    return _start_unless_driven(store, name, started_only=False)


def _start_unless_driven(store: Store, name: str, *, started_only: bool) -> bool:
    return store.start_engine(name, lambda: start_background(name), phases=(N.PENDING, N.RUNNING),
                              started_only=started_only) is not None


def run_dir(name: str) -> Path:
    if "/" in name or name in ("", ".", ".."):  # create_run allows none; a row another tool wrote might
        raise WfexecError(f"run name {name!r} cannot name a directory under runs/")
    return wfexec_home() / "runs" / name


@dataclass
class RunResult:
    name: str
    phase: str
    message: str | None
    nodes: dict[str, dict[str, Any]]


def run_workflow(workflow: dict[str, Any], *, runtime: str = "host", executor: str = "emissary",
                 config_path: str | None = None, parameters: dict[str, str] | None = None,
                 wait: bool = True) -> RunResult:
    """Create a run from a Workflow dict and drive it here (wait) or in the background."""
    from wfexec.runtimes.backends import make_backend

    make_backend(runtime, executor, config_path).close()
    store = Store()
    rec = create_run(store, workflow, SubmitOptions(parameters=dict(parameters or {}), runtime=runtime,
                                                    executor=executor, config=config_path))
    if wait:
        run_foreground(store, rec.name)
    else:
        start_background(rec.name)
    rec = store.get_run(rec.name)
    return RunResult(rec.name, rec.phase, rec.message, store.get_nodes(rec.name))
