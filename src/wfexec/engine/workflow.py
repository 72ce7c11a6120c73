"""One workflow run from start to end: its arguments and global scope, the entrypoint, the
workflow's hooks and exit handler, `stop`/`terminate`/`resume`, activeDeadlineSeconds, and the
run's final status.

One asyncio task per running node; backends report finished pods from their own threads.
Every node transition is written to the run store as it happens, and a finished node found
in the store is never run again, so a restarted engine continues where the last one died.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.artifacts_glue import ArtifactGlue
from wfexec.engine.context import RunContext
from wfexec.engine.fault import fault_message
from wfexec.engine.gc import RunGarbage
from wfexec.engine.hooks import WorkflowHooks
from wfexec.engine.metrics import MetricsTable, resolve_metrics, write_metrics_file
from wfexec.engine.node_requests import pending_requests
from wfexec.engine.nodebook import NodeBook
from wfexec.engine.options import RunOptions
from wfexec.engine.pods import Pods
from wfexec.engine.scope import workflow_scope
from wfexec.engine.store import Store
from wfexec.engine.suspend import Suspensions
from wfexec.engine.templates import Templates, resolve_text
from wfexec.engine.values import as_text, parse_ts
from wfexec.engine.volumes import collect_volumes
from wfexec.engine.walker import Walker
from wfexec.errors import SpecError, WfexecError
from wfexec.home import wfexec_home
from wfexec.pod import Backend

CONTROL_POLL_SECONDS = 0.3


class WorkflowRun:
    def __init__(self, store: Store, run_name: str, backend: Backend | None = None,
                 on_ended: Callable[[], None] | None = None) -> None:
        """`on_ended`: called once the run's end and its garbage collection are stored, before the
        backend is closed (a follower need not wait for the runtime's own shutdown)."""
        self.store = store
        self.on_ended = on_ended
        self.rec = store.get_run(run_name)
        name = self.rec.name
        self.book = NodeBook(store, name)
        self.ctx = RunContext(
            name=name, manifest=self.rec.manifest, spec=self.rec.manifest.get("spec") or {},
            options=RunOptions.from_dict(self.rec.options), status=self.rec.status, run_dir=wfexec_home() / "runs" / name, book=self.book,
            global_outputs=dict(self.rec.status.get("globalOutputs") or {}),
            global_artifacts=dict(self.rec.status.get("globalArtifacts") or {}))
        self.ctx.run_dir.mkdir(parents=True, exist_ok=True)
        self.backend = backend
        self.artifacts = ArtifactGlue(self.ctx)
        self.templates = Templates(self.ctx, self.artifacts.input_scope)
        self.pods = Pods(self.ctx, self.artifacts)
        self.suspensions = Suspensions(self.ctx)
        self.walker = Walker(self.ctx, self.templates, self.pods, self.suspensions, self.artifacts)
        self.hooks = WorkflowHooks(self.ctx, self.walker.execute)
        self.garbage: RunGarbage | None = None

    @property
    def nodes(self) -> dict[str, N.Node]:
        return self.book.nodes

    def run(self) -> str:
        try:
            return asyncio.run(self._main())
        finally:
            try:  # a crash in the engine still commits what it recorded
                self.book.journal.close()
            except WfexecError:
                pass  # the run's end already says so (_finish)

    async def _main(self) -> str:
        ctx = self.ctx
        spec = ctx.spec
        if self.backend is None:
            from wfexec.runtimes.backends import make_backend

            self.backend = make_backend(ctx.options.runtime, ctx.options.executor, ctx.options.config)
        self.pods.start(self.backend)
        started = self.rec.started_at or N.now()
        self.store.update_run(ctx.name, phase=N.RUNNING, started_at=started)
        params = {p["name"]: as_text(p.get("value")) for p in ctx.workflow_arguments()
                  ["parameters"] if p.get("value") is not None}
        ctx.gscope = workflow_scope(ctx.manifest, params)
        for name, value in list(params.items()):
            if "{{" in value:  # a global parameter may refer to others, or to an expression
                params[name] = resolve_text(value, ctx.gscope, f"spec.arguments.parameters.{name}", strict=False)
                ctx.gscope[f"workflow.parameters.{name}"] = params[name]
        for node in self.book.nodes.values():  # an earlier engine's global outputs (it may have died)
            for p in (node.get("outputs") or {}).get("parameters") or []:
                if p.get("globalName") and "value" in p and N.is_fulfilled(node):
                    ctx.global_outputs.setdefault(p["globalName"], p["value"])
        for k, v in ctx.global_outputs.items():
            ctx.gscope[f"workflow.outputs.parameters.{k}"] = v
        for k, art in ctx.global_artifacts.items():
            ctx.gscope[f"workflow.outputs.artifacts.{k}"] = art
        self.artifacts.restore_globals(self.book.nodes.values())
        if not spec.get("suspend"):  # submitted suspended (spec.suspend): no pod starts until resume
            ctx.unsuspended.set()
        watcher = asyncio.create_task(self._watch_control())
        flusher = asyncio.create_task(self.book.flush_forever())
        deadline_task = None
        if spec.get("activeDeadlineSeconds") not in (None, ""):
            secs = float(resolve_text(str(spec["activeDeadlineSeconds"]), ctx.gscope, "spec.activeDeadlineSeconds"))
            created = parse_ts(started)
            deadline_task = asyncio.create_task(self._workflow_deadline(max(0.0, created + secs - time.time())))
        ticker = asyncio.create_task(self._realtime_metrics(started)) if self._metric_specs(realtime=True) else None
        phase, message = N.ERROR, ""
        sweeper = None
        stopped_waiting = False  # stopped while it waited for spec.synchronization's locks: Failed, not Error
        try:
            garbage = self.garbage = RunGarbage(self.store, ctx.name, spec)
            if garbage.pod_gc is not None:  # podGC decides when a pod's directory goes, not the pod's end
                ctx.options.keep_pod_dirs = True
                ctx.on_pod_end = garbage.pod_ended
                sweeper = asyncio.create_task(garbage.sweep_forever())
            if spec.get("synchronization") is not None and not await self._take_workflow_locks():
                from wfexec.engine.sync import StoppedWaiting  # locks are imported by the runs that name one

                stopped_waiting = True
                raise StoppedWaiting(ctx.stop_message())
            entry = ctx.options.entrypoint or spec.get("entrypoint")
            ref: Any = entry
            if not entry and spec.get("workflowTemplateRef"):
                raise SpecError("workflowTemplateRef must be resolved at submit", field="spec.workflowTemplateRef")
            if not entry:
                raise SpecError("spec.entrypoint is missing", field="spec.entrypoint")
            self.hooks.start()
            root = await self.walker.execute(name=ctx.name, display=ctx.name, ref=ref, args=ctx.workflow_arguments(),
                                             scope=ctx.gscope, parent=None, boundary=None)
            phase, message = root["phase"], root.get("message", "")
            if phase in (N.SKIPPED, N.OMITTED):
                phase = N.SUCCEEDED
            if ctx.shutdown:
                phase = N.FAILED
                message = ctx.stop_message()
            # Seconds since the run started, as Argo's "%f" writes them, for hooks and the exit handler.
            ctx.gscope["workflow.duration"] = f"{max(0.0, time.time() - parse_ts(started)):f}"
            await self.hooks.run_expression_hooks(phase)
            if ctx.shutdown != "terminate":
                phase, message = await self.hooks.run_exit_handler(phase, message)
        except WfexecError as exc:
            phase, message = N.FAILED if stopped_waiting else N.ERROR, str(exc)
        except Exception as exc:  # noqa: BLE001 - the engine's own fault (engine/fault.py)
            phase, message = N.ERROR, await self._fault(exc)
        finally:
            watcher.cancel()
            self.hooks.stop()
            flusher.cancel()
            if sweeper is not None:
                sweeper.cancel()
            if deadline_task:
                deadline_task.cancel()
            await self.pods.stop_all_daemons()
        await asyncio.to_thread(collect_volumes, spec, ctx.run_dir, phase)  # volumeClaimGC
        if ticker is not None:
            ticker.cancel()
        await asyncio.to_thread(self._workflow_metrics, phase, started, False)
        try:
            self._finish(phase, message)
            if self.garbage is not None:
                await asyncio.to_thread(self._collect_garbage, phase)
        finally:
            if self.on_ended is not None:
                self.on_ended()
            if self.backend is not None:
                try:
                    self.backend.close()
                except Exception:  # noqa: BLE001 - closing must not mask the run's result
                    pass
        return phase

    def _collect_garbage(self, phase: str) -> None:
        """The run has ended: podGC's workflow strategies, artifactGC, its TTL, the store's retention."""
        assert self.garbage is not None
        try:
            self.garbage.run_ended(phase, list(self.book.nodes.values()), self.rec.status, self.ctx.options.config)
        except WfexecError as exc:  # the run's result stands; the failure is a condition on it, as in Argo
            conditions = self.rec.status.setdefault("conditions", [])
            conditions.append({"type": "ArtifactGCError", "status": "True", "message": str(exc)})
            self.store.update_run(self.ctx.name, status=self.rec.status)

    async def _take_workflow_locks(self) -> bool:
        """spec.synchronization: the run waits, Pending with Argo's message, until it holds every lock."""
        from wfexec.engine.sync import LockTable, acquire_all, lock_refs, synchronization_status

        ctx = self.ctx
        refs = lock_refs(ctx.spec["synchronization"], "spec.synchronization",
                         ctx.manifest.get("metadata", {}).get("namespace") or "argo", ctx.options.config)
        table = LockTable(self.store)

        def waiting(message: str) -> None:
            ctx.status["synchronization"] = synchronization_status(table, ctx.name)
            self.store.update_run(ctx.name, phase=N.PENDING, message=message, status=ctx.status)

        held = await acquire_all(table, refs, ctx.name, ctx.name, int(ctx.spec.get("priority") or 0), waiting,
                                 ctx.halted)
        ctx.status["synchronization"] = synchronization_status(table, ctx.name)
        self.store.update_run(ctx.name, phase=N.RUNNING, message=None, status=ctx.status)
        return held

    def _uses_locks(self) -> bool:
        """Whether the workflow or any template it may run names a lock."""
        ctx = self.ctx
        return "synchronization" in json.dumps([ctx.spec, ctx.options.workflow_templates], default=str)

    def _metric_specs(self, realtime: bool = False) -> list[Any]:
        metrics = self.ctx.spec.get("metrics")
        specs = (metrics.get("prometheus") or []) if isinstance(metrics, dict) else []
        if realtime:
            return [m for m in specs if isinstance(m, dict) and (m.get("gauge") or {}).get("realtime")]
        return list(specs)

    def _workflow_metrics(self, phase: str, started: str, realtime: bool) -> None:
        """spec.metrics, with workflow.status and workflow.duration as Argo gives them."""
        specs = self._metric_specs(realtime)
        if not specs:
            return
        scope = dict(self.ctx.gscope)
        scope["workflow.status"] = phase
        scope["workflow.duration"] = f"{max(0.0, time.time() - parse_ts(started)):f}"
        MetricsTable(self.store).record(resolve_metrics(specs, scope, "spec.metrics.prometheus",
                                                        realtime_only=realtime))

    async def _realtime_metrics(self, started: str) -> None:
        while True:
            await asyncio.to_thread(self._workflow_metrics, N.RUNNING, started, True)
            await asyncio.sleep(1.0)

    def _finish(self, phase: str, message: str) -> None:
        ctx = self.ctx
        self.book.flush()
        try:
            self.book.journal.wait()  # every node before the run's own end
        except WfexecError as exc:
            phase, message = N.ERROR, str(exc)
        if not ctx.options.keep_pod_dirs:  # the run has ended: no pod needs its directory
            self.pods.dirs.remove_all()
        if self._uses_locks():
            from wfexec.engine.sync import LockTable

            LockTable(self.store).release_run(ctx.name)  # every lock the run held or waited for
        self.rec.status.pop("synchronization", None)
        status = dict(self.rec.status)
        if ctx.global_outputs or ctx.global_artifacts:
            status["outputs"] = {}
            if ctx.global_outputs:
                status["outputs"]["parameters"] = [{"name": k, "value": v} for k, v in ctx.global_outputs.items()]
            if ctx.global_artifacts:
                status["outputs"]["artifacts"] = list(ctx.global_artifacts.values())
        status["globalOutputs"] = ctx.global_outputs
        status["globalArtifacts"] = ctx.global_artifacts
        self.store.update_run(ctx.name, phase=phase, message=message or None, finished_at=N.now(), status=status,
                              engine_pid=None)
        try:
            write_metrics_file(self.store)  # the controller metrics changed: this run has ended
        except OSError:
            pass  # metrics.prom is a by-product: a full disk must not change the run's result

    async def _watch_control(self) -> None:
        """`stop`, `terminate` and `resume`, as other wfexec commands leave them in the store."""
        ctx = self.ctx
        while True:
            await asyncio.sleep(CONTROL_POLL_SECONDS)
            control = await asyncio.to_thread(self.store.get_control, ctx.name)
            if control in ("stop", "terminate") and not ctx.shutdown:
                ctx.shutdown = control
                self._release()
                await self.pods.kill_running()
            elif control == "resume":
                self.store.set_control(ctx.name, None)
                ctx.unsuspended.set()
                self.suspensions.resume_all()
            elif control == "suspend":
                self.store.set_control(ctx.name, None)
                ctx.unsuspended.clear()
            for path, request in await asyncio.to_thread(pending_requests, ctx.run_dir):
                if self.suspensions.apply(request) or all(N.is_fulfilled(self.book.get(n)) for n in request.nodes):
                    path.unlink(missing_ok=True)

    async def _fault(self, exc: Exception) -> str:
        """The engine failed in the middle of the run (engine/fault.py): no new pod starts, those
        running are killed, and every node still open ends in Error with the fault's message."""
        ctx = self.ctx
        message = fault_message(exc, ctx.run_dir / "engine.log")
        ctx.shutdown, ctx.fault = "fault", message
        self._release()
        try:
            await self.pods.kill_running()
        except Exception as again:  # noqa: BLE001 - the run's end matters more than its pods' kill
            fault_message(again, ctx.run_dir / "engine.log")
        for node in list(self.book.nodes.values()):
            if not N.is_fulfilled(node):
                self.book.finish_node(node, N.ERROR, message)
        return message

    def _release(self) -> None:
        """The run is ending: suspended steps end with it, pods held by `wfexec suspend` go on to stop,
        and a retry's backoff stops waiting."""
        self.ctx.unsuspended.set()
        self.ctx.ending.set()
        self.suspensions.resume_all()

    async def _workflow_deadline(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.ctx.shutdown = "deadline"
        self._release()
        await self.pods.kill_running()


__all__ = ["WorkflowRun"]
