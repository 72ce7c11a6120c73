"""Pods and daemons: plan a container/script template's pod, start or re-attach it through the
backend, wait for it, and turn its result into the node's outputs. Daemoned pods run until their
scope (the steps or DAG node around them) ends."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.accounting import pod_resources_duration
from wfexec.engine.artifacts_glue import ArtifactGlue
from wfexec.engine.context import RunContext, Scope
from wfexec.engine.durations import parse_duration, parse_go_duration
from wfexec.engine.estimate import seconds_between
from wfexec.engine.guard import maybe
from wfexec.engine.nodebook import REATTACH_NOTE
from wfexec.engine.nodes import Node, NodeOutputs
from wfexec.engine.outputs import pod_parameters
from wfexec.engine.pod_dirs import PodDirs
from wfexec.engine.pod_plan import plan_pod
from wfexec.engine.readiness import probe_of, wait_ready
from wfexec.engine.volumes import pod_volumes
from wfexec.errors import WfexecError
from wfexec.expr.template import substitute_obj
from wfexec.pod import Backend, PodPlan, PodResult

# Fields resolved later, elsewhere, or never on one machine (metrics are judged after the node ends).
UNRESOLVED_FIELDS = ("retryStrategy", "metrics", "memoize", "synchronization", "hooks")


def default_parallelism() -> int:
    return max(8, 8 * (os.cpu_count() or 2))


def _settle(fut: asyncio.Future[PodResult], res: PodResult) -> None:
    if not fut.done():
        fut.set_result(res)


class Pods:
    def __init__(self, ctx: RunContext, artifacts: ArtifactGlue) -> None:
        self.ctx = ctx
        self.artifacts = artifacts
        self.backend: Backend | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pod_slots: asyncio.Semaphore | None = None
        self.wf_slots: asyncio.Semaphore | None = None
        self.running: dict[str, Any] = {}  # node id -> the backend's handle
        self.daemons: dict[str, list[str]] = {}  # boundary id -> daemoned node ids
        self._daemon_futures: dict[str, asyncio.Future[PodResult]] = {}
        self.dirs = PodDirs.for_run(ctx.run_dir)  # on a tmpfs when there is one

    def start(self, backend: Backend) -> None:
        """Bind to the running event loop: the backend, and the run's and the workflow's parallelism."""
        self.loop = asyncio.get_running_loop()
        self.backend = backend
        self.pod_slots = asyncio.Semaphore(int(self.ctx.options.parallelism or default_parallelism()))
        if self.ctx.spec.get("parallelism"):
            self.wf_slots = asyncio.Semaphore(int(self.ctx.spec["parallelism"]))

    # -- killing ---------------------------------------------------------------------------------
    async def kill_running(self) -> None:
        """Kill every running pod; the run's `shutdown` (set first) gives their nodes' message in collect."""
        grace = self.ctx.grace
        for handle in list(self.running.values()):
            await asyncio.to_thread(self.backend.kill, handle, grace)  # type: ignore[union-attr]

    async def kill_under(self, node: Node) -> None:
        """Kill every running pod of the nodes under `node` (a steps or DAG node's timeout)."""
        grace = self.ctx.grace
        prefix = node["name"]
        for nid, handle in list(self.running.items()):
            under = self.ctx.book.get(nid)
            if under is not None and N.is_under(under["name"], prefix):
                await asyncio.to_thread(self.backend.kill, handle, grace)  # type: ignore[union-attr]

    # -- one pod ---------------------------------------------------------------------------------
    async def run(self, node: Node, tmpl: dict[str, Any], scope: Scope, arts: list[dict[str, Any]]) -> Node:
        ctx = self.ctx
        tname = tmpl.get("name", "")
        pod = N.pod_name(ctx.name, node["name"], tname)
        if self.dirs.removing(node["id"]):  # the same node again, its last pod's directory not yet gone
            await asyncio.to_thread(ctx.book.journal.wait)
        argo_dir = self.dirs.place(node["id"])
        scope = dict(scope)
        scope["pod.name"] = pod
        for p in (tmpl.get("outputs") or {}).get("parameters") or []:
            if (p.get("valueFrom") or {}).get("path"):
                scope[f"outputs.parameters.{p['name']}.path"] = p["valueFrom"]["path"]
        for a in (tmpl.get("outputs") or {}).get("artifacts") or []:
            if a.get("path"):
                scope[f"outputs.artifacts.{a['name']}.path"] = a["path"]
        where = f"templates[{tname}]"
        body = {k: v for k, v in tmpl.items() if k not in UNRESOLVED_FIELDS}
        if arts:  # the inputs as bound (arguments merged in), so staging sees `from`, `raw`, …
            body["inputs"] = {**(body.get("inputs") or {}), "artifacts": arts}
        resolved = substitute_obj(body, scope, where=where, strict=True)
        if ctx.halted():
            return ctx.book.finish_node(node, N.FAILED, ctx.stop_message())
        deadline = None
        for key, parse in (("activeDeadlineSeconds", parse_duration), ("timeout", parse_go_duration)):
            if resolved.get(key) not in (None, ""):  # timeout: Go's syntax only, as Argo reads it
                secs = parse(str(resolved[key]), f"templates[{tmpl.get('name')}].{key}")
                deadline = secs if deadline is None else min(deadline, secs)
        labels = {"workflows.argoproj.io/workflow": ctx.name, "wfexec.run": ctx.name, "wfexec.node": node["id"]}
        meta = resolved.get("metadata") or {}
        labels.update({k: str(v) for k, v in (meta.get("labels") or {}).items()})
        annotations = {k: str(v) for k, v in (meta.get("annotations") or {}).items()}
        pm = ctx.spec.get("podMetadata") or {}
        labels.update({k: str(v) for k, v in (pm.get("labels") or {}).items()})
        annotations.update({k: str(v) for k, v in (pm.get("annotations") or {}).items()})
        if labels or annotations:
            node["podMetadata"] = {"labels": labels, "annotations": annotations}
        if (resolved.get("inputs") or {}).get("artifacts"):
            input_files = await asyncio.to_thread(self.artifacts.stage_inputs, node, resolved, argo_dir, scope)
        else:
            input_files = []
        if input_files is None:
            return node  # staging failed; node already finished with Error
        volumes = pod_volumes(ctx.spec, resolved, ctx.run_dir, node["id"])

        def prepare() -> PodPlan:
            """The pod's directory and files: disk work, so it runs in a worker thread. A full tmpfs
            sends the pod to disk (unless inputs were already staged there)."""
            def plan_in(where: Path) -> PodPlan:
                return plan_pod(run_id=ctx.name, node_id=node["id"], pod_name=pod, argo_dir=where,
                                template=resolved, input_files=input_files, volumes=volumes, labels=labels,
                                annotations=annotations, deadline=deadline,
                                max_output_bytes=ctx.options.max_output_bytes)
            try:
                plan = plan_in(argo_dir)
            except OSError as exc:
                elsewhere = None if input_files else self.dirs.full(argo_dir, exc)
                if elsewhere is None:
                    raise
                plan = plan_in(elsewhere)
            plan.kill_grace_seconds = ctx.grace
            for c in plan.containers:
                c.env.setdefault("ARGO_POD_NAME", pod)
                c.env.setdefault("ARGO_NODE_ID", node["id"])
            return plan

        await ctx.unsuspended.wait()  # `wfexec suspend`: no new pod until resume (or stop)
        async with maybe(self.wf_slots), maybe(self.pod_slots):
            if ctx.halted():
                return ctx.book.finish_node(node, N.FAILED, ctx.stop_message())
            if node["id"] not in ctx.book.loaded:  # the wait for a slot is not the step's duration
                node["startedAt"] = N.now()
            node["phase"] = N.RUNNING  # saved by _run_plan, with the pod's start (one commit, not two)
            result = await self._run_plan(node, argo_dir, prepare, daemon=bool(resolved.get("daemon")))
        if result is None:  # daemoned: keeps running until its scope ends
            return node
        return await asyncio.to_thread(self.collect, node, resolved, result)

    async def _run_plan(self, node: Node, argo_dir: Path, prepare: Callable[[], PodPlan],
                        daemon: bool) -> PodResult | None:
        assert self.loop is not None and self.backend is not None
        backend = self.backend
        book = self.ctx.book
        fut: asyncio.Future[PodResult] = self.loop.create_future()
        loop = self.loop

        def on_done(res: PodResult) -> None:
            try:
                loop.call_soon_threadsafe(_settle, fut, res)
            except RuntimeError:  # the loop has closed: this engine is ending; a next one re-attaches
                pass

        earlier = bool(node.get("attached"))
        template_file = argo_dir / "template"
        node["attached"] = True  # a restarted engine looks for this pod, never starts a second one
        book.save(node)

        def plan_and_start() -> tuple[PodPlan, Any, bool]:
            """One trip to a worker thread for a pod's files and its start (each trip costs the loop a
            wake-up, and a GIL hand-over that a busy thread can stretch). A pod an earlier engine
            started is re-attached: its node says so or, when that was not committed yet, its
            directory does (written before the pod starts). True: it was gone, and starts again."""
            found = earlier or template_file.exists()
            plan = prepare()
            if found:
                handle = backend.reattach(plan, on_done)
                if handle is not None:
                    return plan, handle, False
            return plan, backend.start(plan, on_done), found

        try:
            plan, handle, again = await asyncio.to_thread(plan_and_start)
        except WfexecError as exc:
            return PodResult(phase=N.ERROR, message=str(exc))
        if again:
            node["message"] = f"{REATTACH_NOTE}; running it again"
            book.save(node)
        self.running[node["id"]] = handle
        if self.ctx.halted():  # stopped while it started: kill_running did not see it yet
            await asyncio.to_thread(backend.kill, handle, plan.kill_grace_seconds)
        if daemon:
            ip = await asyncio.to_thread(backend.ip, handle)
            if ip:
                node["podIP"] = ip
            probe = probe_of(plan.template)
            if probe is not None:  # Argo goes on once the daemon is ready
                try:
                    ready = await wait_ready(probe, ip or "127.0.0.1", plan.template, fut)
                except WfexecError as exc:
                    await asyncio.to_thread(backend.kill, handle, plan.kill_grace_seconds)
                    await fut
                    self.running.pop(node["id"], None)
                    return PodResult(phase=N.ERROR, message=str(exc))
                if not ready:  # it ended first: the step ends with the pod's result
                    self.running.pop(node["id"], None)
                    return await fut
            node["daemoned"] = True
            book.save(node)
            self.daemons.setdefault(node.get("boundaryID") or "", []).append(node["id"])
            self._daemon_futures[node["id"]] = fut
            return None
        try:
            return await fut
        finally:
            self.running.pop(node["id"], None)

    # -- daemons ---------------------------------------------------------------------------------
    async def stop_daemons(self, boundary_id: str) -> None:
        """End the daemons started under `boundary_id` (its steps or DAG node has ended)."""
        grace = self.ctx.grace
        for nid in self.daemons.pop(boundary_id, []):
            handle = self.running.pop(nid, None)
            node = self.ctx.book.nodes[nid]
            if handle is not None:
                await asyncio.to_thread(self.backend.kill, handle, grace)  # type: ignore[union-attr]
                fut = self._daemon_futures.pop(nid, None)
                if fut is not None:
                    try:
                        res = await asyncio.wait_for(fut, grace + 30)
                        await asyncio.to_thread(self.artifacts.save_logs, node, {}, res)
                    except (TimeoutError, OSError, WfexecError):
                        pass
            node.pop("daemoned", None)
            self.ctx.book.finish_node(node, N.SUCCEEDED)

    async def stop_all_daemons(self) -> None:
        for boundary in list(self.daemons):
            await self.stop_daemons(boundary)

    # -- results ---------------------------------------------------------------------------------
    def collect(self, node: Node, tmpl: dict[str, Any], result: PodResult) -> Node:
        """Turn a PodResult into Argo outputs; save artifacts and logs. Runs in a worker thread."""
        ctx = self.ctx
        outputs: NodeOutputs = {}
        if result.exit_code is not None:
            outputs["exitCode"] = str(result.exit_code)
        if result.result is not None and ("script" in tmpl or "container" in tmpl or "containerSet" in tmpl):
            outputs["result"] = result.result
        phase: str = result.phase
        message = result.message
        if ctx.shutdown and phase != N.SUCCEEDED:
            message = ctx.stop_message() if ctx.shutdown != "deadline" else "Step exceeded its deadline"
        params_out, phase, message = pod_parameters(tmpl, result, phase, message, ctx.set_global_output)
        if params_out:
            outputs["parameters"] = params_out
        try:
            arts_out = self.artifacts.save_outputs(node, tmpl, result)
        except (OSError, WfexecError) as exc:  # OSError: e.g. no space left on the repository's disk
            arts_out = []
            if phase == N.SUCCEEDED:
                phase, message = N.ERROR, (str(exc) if isinstance(exc, WfexecError)
                                           else f"saving output artifacts failed: {exc}")
        if arts_out:
            outputs["artifacts"] = arts_out
        try:
            self.artifacts.save_logs(node, tmpl, result)
        except (OSError, WfexecError) as exc:
            if phase == N.SUCCEEDED:
                phase, message = N.ERROR, f"saving logs failed: {exc}"
        if outputs:
            node["outputs"] = outputs
        node.pop("attached", None)
        if result.ip:
            node["podIP"] = result.ip
        node["resourcesDuration"] = pod_resources_duration(
            tmpl, seconds_between(node.get("startedAt"), N.now()) or 0)
        ctx.book.finish_node(node, phase, message)
        if not ctx.options.keep_pod_dirs:  # as soon as (and only once) the pod's end is stored;
            self.dirs.remove_after(node["id"], ctx.book.journal.after_commit)  # the step goes on meanwhile
        return node
