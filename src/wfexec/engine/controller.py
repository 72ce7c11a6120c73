"""The workflow controller: walks steps and DAGs, resolves variables, runs pods, records nodes.

One asyncio task per running node; backends report finished pods from their own threads.
Every node transition is written to the run store as it happens, and a finished node found
in the store is never run again, so a restarted controller continues where the last one died.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.artifacts_glue import ArtifactGlue
from wfexec.engine.durations import parse_duration
from wfexec.engine.journal import NodeJournal
from wfexec.engine.local_resources import is_local_resource, run_local_resource
from wfexec.engine.pods import plan_pod
from wfexec.engine.readiness import probe_of, wait_ready
from wfexec.engine.scope import (
    aggregate_scope,
    item_scope,
    node_output_scope,
    render_item,
    sequence_items,
    workflow_scope,
)
from wfexec.engine.store import Store
from wfexec.engine.volumes import collect_volumes, pod_volumes
from wfexec.errors import ExpressionError, SpecError, WfexecError
from wfexec.expr.depends import TaskState, dependencies_to_depends, parse_depends
from wfexec.expr.exprenv import build_env
from wfexec.expr.exprlang import access_paths, evaluate_expr
from wfexec.expr.govaluate import evaluate_when
from wfexec.expr.template import substitute, substitute_obj
from wfexec.home import wfexec_home
from wfexec.pod import Backend, PodPlan, PodResult

Node = dict[str, Any]
Scope = dict[str, Any]

TEMPLATE_KINDS = ("container", "script", "containerSet", "steps", "dag", "suspend", "resource", "data", "http",
                  "plugin")


REATTACH_NOTE = "pod could not be re-attached after an engine restart"
# Fields resolved later, elsewhere, or never on one machine (metrics are judged after the node ends).
UNRESOLVED_FIELDS = ("retryStrategy", "metrics", "memoize", "synchronization", "hooks")


class Controller:
    def __init__(self, store: Store, run_name: str, backend: Backend | None = None) -> None:
        self.store = store
        rec = store.get_run(run_name)
        self.rec = rec
        self.name = rec.name
        self.wf = rec.manifest
        self.spec: dict[str, Any] = self.wf.get("spec") or {}
        self.options = rec.options
        self.nodes: dict[str, Node] = store.get_nodes(self.name)
        self.templates: dict[str, dict[str, Any]] = {t["name"]: t for t in self.spec.get("templates") or []}
        self.workflow_templates: dict[str, dict[str, Any]] = {}
        for doc in self.options.get("workflowTemplates") or []:
            self.workflow_templates[(doc.get("metadata") or {}).get("name", "")] = doc
        self.run_dir = wfexec_home() / "runs" / self.name
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.backend = backend
        self.shutdown: str | None = None
        self.running: dict[str, Any] = {}
        self.global_outputs: dict[str, str] = dict(rec.status.get("globalOutputs") or {})
        self.global_artifacts: dict[str, dict[str, Any]] = dict(rec.status.get("globalArtifacts") or {})
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pod_slots: asyncio.Semaphore | None = None
        self.wf_slots: asyncio.Semaphore | None = None
        self.daemons: dict[str, list[str]] = {}
        self.artifacts = ArtifactGlue(self)
        self.deadline: float | None = None
        self._suspend_events: dict[str, asyncio.Event] = {}
        self.suspended = bool(self.spec.get("suspend"))  # spec.suspend: no new pods until resumed
        self._node_sets: dict[str, list[Any]] = {}  # suspend node id -> `set` requests for it
        self._daemon_futures: dict[str, asyncio.Future[PodResult]] = {}
        self.shutdown_exempt = False
        self._dirty: set[str] = set()
        self._t0: dict[str, float] = {}  # when nodes of this engine started, to the sub-second
        self._loaded = set(self.nodes)  # nodes an earlier engine recorded
        self._dirty_lock = threading.Lock()
        self.journal = NodeJournal(store, self.name)

    # ------------------------------------------------------------------------------------
    # entry
    # ------------------------------------------------------------------------------------
    def run(self) -> str:
        try:
            return asyncio.run(self._main())
        finally:
            try:  # a crash in the controller still commits what it recorded
                self.journal.close()
            except WfexecError:
                pass  # the run's end already says so (_finish)

    async def _main(self) -> str:
        self.loop = asyncio.get_running_loop()
        self.pod_slots = asyncio.Semaphore(int(self.options.get("parallelism") or default_parallelism()))
        if self.spec.get("parallelism"):
            self.wf_slots = asyncio.Semaphore(int(self.spec["parallelism"]))
        if self.backend is None:
            from wfexec.runtimes.backends import make_backend

            self.backend = make_backend(self.options.get("runtime", "host"), self.options.get("executor", "emissary"),
                                        self.options.get("config"))
        started = self.rec.started_at or N.now()
        self.store.update_run(self.name, phase=N.RUNNING, started_at=started)
        params = {p["name"]: _as_text(p.get("value")) for p in self._workflow_args(self.spec.get("arguments") or {})
                  ["parameters"] if p.get("value") is not None}
        self.gscope = workflow_scope(self.wf, params)
        for name, value in list(params.items()):
            if "{{" in value:  # a global parameter may refer to others, or to an expression
                params[name] = self._resolve(value, self.gscope, f"spec.arguments.parameters.{name}", strict=False)
                self.gscope[f"workflow.parameters.{name}"] = params[name]
        for node in self.nodes.values():  # an earlier engine's global outputs (it may have died)
            for p in (node.get("outputs") or {}).get("parameters") or []:
                if p.get("globalName") and "value" in p and N.is_fulfilled(node):
                    self.global_outputs.setdefault(p["globalName"], p["value"])
        for k, v in self.global_outputs.items():
            self.gscope[f"workflow.outputs.parameters.{k}"] = v
        for k, art in self.global_artifacts.items():
            self.gscope[f"workflow.outputs.artifacts.{k}"] = art
        self.artifacts.restore_globals(self.nodes.values())
        watcher = asyncio.create_task(self._watch_control())
        flusher = asyncio.create_task(self._flusher())
        deadline_task = None
        if self.spec.get("activeDeadlineSeconds") not in (None, ""):
            secs = float(self._resolve(str(self.spec["activeDeadlineSeconds"]), self.gscope, "spec.activeDeadlineSeconds"))
            created = _parse_ts(started)
            deadline_task = asyncio.create_task(self._workflow_deadline(max(0.0, created + secs - time.time())))
        phase, message = N.ERROR, ""
        try:
            entry = self.options.get("entrypoint") or self.spec.get("entrypoint")
            ref: Any = entry
            if not entry and self.spec.get("workflowTemplateRef"):
                raise SpecError("workflowTemplateRef must be resolved at submit", field="spec.workflowTemplateRef")
            if not entry:
                raise SpecError("spec.entrypoint is missing", field="spec.entrypoint")
            args = self.spec.get("arguments") or {}
            root = await self.execute(name=self.name, display=self.name, ref=ref, args=self._workflow_args(args),
                                      scope=self.gscope, parent=None, boundary=None)
            phase, message = root["phase"], root.get("message", "")
            if phase in (N.SKIPPED, N.OMITTED):
                phase = N.SUCCEEDED
            if self.shutdown:
                phase = N.FAILED
                message = f"Stopped with strategy '{self.shutdown.capitalize()}'"
            await self._workflow_hooks(phase)
            if self._exit_template() and self.shutdown != "terminate":
                phase, message = await self._run_exit_handler(phase, message)
        except WfexecError as exc:
            phase, message = N.ERROR, str(exc)
        finally:
            watcher.cancel()
            flusher.cancel()
            if deadline_task:
                deadline_task.cancel()
            await self._stop_all_daemons()
        await asyncio.to_thread(collect_volumes, self.spec, self.run_dir, phase)  # volumeClaimGC
        self._finish(phase, message)
        return phase

    def _workflow_args(self, args: dict[str, Any]) -> dict[str, Any]:
        params = []
        given = self.options.get("parameters") or {}
        for p in args.get("parameters") or []:
            value = given.get(p["name"], p.get("value"))
            params.append({**p, "value": value})
        return {"parameters": params, "artifacts": args.get("artifacts") or []}

    def _exit_template(self) -> Any:
        return self.spec.get("onExit") or ((self.spec.get("hooks") or {}).get("exit") or {}).get("template")

    async def _workflow_hooks(self, phase: str) -> None:
        """Workflow-level lifecycle hooks with an `expression`, judged once the entrypoint has ended."""
        scope = dict(self.gscope, **{"workflow.status": phase})
        for hook_name, hook in (self.spec.get("hooks") or {}).items():
            if hook_name == "exit" or not hook.get("expression"):
                continue
            try:
                text = self._resolve(str(hook["expression"]), scope, f"spec.hooks.{hook_name}", strict=False)
                fire = bool(evaluate_expr(text, _env(text, scope)))
            except WfexecError:
                fire = False
            if fire:
                await self.execute(name=f"{self.name}.hooks.{hook_name}", display=f"{self.name}.hooks.{hook_name}",
                                   ref=hook.get("template") if "templateRef" not in hook else hook,
                                   args=hook.get("arguments") or {}, scope=scope, parent=None, boundary=None)

    async def _run_exit_handler(self, phase: str, message: str) -> tuple[str, str]:
        self.gscope["workflow.status"] = phase
        self.gscope["workflow.failures"] = json.dumps(self._failures())
        self.shutdown_exempt = True
        handler = await self.execute(name=f"{self.name}.onExit", display=f"{self.name}.onExit",
                                     ref=self._exit_template(), args={}, scope=self.gscope, parent=None,
                                     boundary=None)
        if handler["phase"] in (N.FAILED, N.ERROR) and phase == N.SUCCEEDED:
            return handler["phase"], handler.get("message", "")
        return phase, message

    def _failures(self) -> list[dict[str, Any]]:
        out = []
        for n in self.nodes.values():
            if n.get("phase") in (N.FAILED, N.ERROR) and n.get("type") == N.POD:
                out.append({"displayName": n["displayName"], "message": n.get("message", ""),
                            "templateName": n.get("templateName", ""), "phase": n["phase"],
                            "podName": n["id"], "finishedAt": n.get("finishedAt", "")})
        return out

    def _finish(self, phase: str, message: str) -> None:
        self.flush()
        try:
            self.journal.wait()  # every node before the run's own end
        except WfexecError as exc:
            phase, message = N.ERROR, str(exc)
        if not self.options.get("keep_pod_dirs"):  # the run has ended: no pod needs its directory
            shutil.rmtree(self.run_dir / "pods", ignore_errors=True)
        status = dict(self.rec.status)
        if self.global_outputs or self.global_artifacts:
            status["outputs"] = {}
            if self.global_outputs:
                status["outputs"]["parameters"] = [{"name": k, "value": v} for k, v in self.global_outputs.items()]
            if self.global_artifacts:
                status["outputs"]["artifacts"] = list(self.global_artifacts.values())
        status["globalOutputs"] = self.global_outputs
        status["globalArtifacts"] = self.global_artifacts
        self.store.update_run(self.name, phase=phase, message=message or None, finished_at=N.now(), status=status,
                              engine_pid=None)
        if self.backend is not None:
            try:
                self.backend.close()
            except Exception:  # noqa: BLE001 - closing must not mask the run's result
                pass

    async def _watch_control(self) -> None:
        while True:
            await asyncio.sleep(0.3)
            control = await asyncio.to_thread(self.store.get_control, self.name)
            if control in ("stop", "terminate") and not self.shutdown:
                self.shutdown = control
                await self._kill_running(f"Stopped with strategy '{control.capitalize()}'")
            elif control == "resume":
                self.store.set_control(self.name, None)
                self.suspended = False
                for ev in list(self._suspend_events.values()):
                    ev.set()
            elif control == "suspend":
                self.store.set_control(self.name, None)
                self.suspended = True
            elif control == "set":
                self.store.set_control(self.name, None)
                self._take_node_sets()

    def _take_node_sets(self) -> None:
        """`set` requests (engine/node_set.py) for the Suspend nodes now waiting."""
        from wfexec.engine.node_set import take_node_sets
        from wfexec.engine.rerun import parse_node_selector

        for change in take_node_sets(self.name):
            try:
                match = parse_node_selector(change.selector)
            except WfexecError:
                continue
            for nid, ev in list(self._suspend_events.items()):
                node = self.nodes.get(nid)
                if node is not None and match is not None and match(node):
                    self._node_sets.setdefault(nid, []).append(change)
                    if change.phase:
                        ev.set()

    async def _workflow_deadline(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.shutdown = "deadline"
        await self._kill_running("Step exceeded its deadline")

    async def _kill_running(self, message: str) -> None:
        grace = float(self.options.get("grace", 10))
        for handle in list(self.running.values()):
            handle.kill_message = message
            await asyncio.to_thread(self.backend.kill, handle, grace)  # type: ignore[union-attr]

    # ------------------------------------------------------------------------------------
    # nodes
    # ------------------------------------------------------------------------------------
    def save(self, node: Node) -> None:
        """Record a node transition: committed in the journal's next batch (a pod's directory goes
        only after the commit that holds its end, see `collect`)."""
        self.nodes[node["id"]] = node
        with self._dirty_lock:
            self._dirty.discard(node["id"])
        self.journal.put(node)

    def touch(self, node: Node) -> None:
        """A change that a restarted engine can rebuild (a parent's children list): written in batches."""
        self.nodes[node["id"]] = node
        with self._dirty_lock:
            self._dirty.add(node["id"])

    def flush(self) -> None:
        with self._dirty_lock:
            ids, self._dirty = self._dirty, set()
        for i in ids:
            if i in self.nodes:
                self.journal.put(self.nodes[i])

    async def _flusher(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            self.flush()

    def child_node(self, *, name: str, display: str, node_type: str, template_name: str | None,
                   parent: Node | None, boundary: str | None) -> Node:
        nid = N.node_id(self.name, name)
        node = self.nodes.get(nid)
        if node is None:
            node = N.new_node(self.name, name, display, node_type, template_name=template_name, boundary_id=boundary)
            self.touch(node)  # a new Pending node is rebuilt by a restarted engine: written in the next batch
        if parent is not None and nid not in parent.setdefault("children", []):
            parent["children"].append(nid)
            self.touch(parent)
        return node

    def finish_node(self, node: Node, phase: str, message: str = "") -> Node:
        node["phase"] = phase
        if message:
            node["message"] = message
        elif phase == N.SUCCEEDED and not node.get("message", "").startswith(REATTACH_NOTE):
            node.pop("message", None)  # a re-run after `retry`/a restart drops the old failure
        node["finishedAt"] = N.now()
        self.save(node)
        return node

    # ------------------------------------------------------------------------------------
    # templates
    # ------------------------------------------------------------------------------------
    def resolve_template(self, ref: Any, where: str) -> dict[str, Any]:
        if isinstance(ref, dict) and "templateRef" in ref:
            tref = ref["templateRef"]
            wt = self.workflow_templates.get(tref.get("name", ""))
            if wt is None:
                raise SpecError(f"WorkflowTemplate {tref.get('name')!r} not found (load it with --templates)",
                                field=f"{where}.templateRef.name")
            for t in (wt.get("spec") or {}).get("templates") or []:
                if t.get("name") == tref.get("template"):
                    return t
            raise SpecError(f"template {tref.get('template')!r} not found in WorkflowTemplate {tref.get('name')!r}",
                            field=f"{where}.templateRef.template")
        if isinstance(ref, dict) and "inline" in ref:
            return dict(ref["inline"], name=ref["inline"].get("name") or ref.get("name", "inline"))
        if isinstance(ref, dict):
            ref = ref.get("template")
        tmpl = self.templates.get(ref) if isinstance(ref, str) else None
        if tmpl is None:
            for wt in self.workflow_templates.values():
                for t in (wt.get("spec") or {}).get("templates") or []:
                    if t.get("name") == ref:
                        tmpl = t
        if tmpl is None:
            raise SpecError(f"template {ref!r} not found", field=where)
        return tmpl

    def with_defaults(self, tmpl: dict[str, Any]) -> dict[str, Any]:
        defaults = self.spec.get("templateDefaults")
        if not defaults:
            return tmpl
        return _merge(defaults, tmpl)

    def bind_inputs(self, tmpl: dict[str, Any], args: dict[str, Any], scope: Scope, where: str) -> tuple[
            list[dict[str, Any]], list[dict[str, Any]]]:
        given = {p["name"]: p for p in (args.get("parameters") or [])}
        params = []
        for p in (tmpl.get("inputs") or {}).get("parameters") or []:
            name = p["name"]
            if name in given and given[name].get("value") is not None:
                value = given[name]["value"]
            elif p.get("value") is not None:
                value = p["value"]
            elif p.get("default") is not None:
                value = p["default"]
            else:
                raise SpecError(f"inputs.parameters.{name} was not supplied", field=f"{where}.arguments")
            value = _as_text(value)
            if "{{" in value:
                value = substitute(value, scope, where=f"{where}.inputs.parameters.{name}", strict=False)
            if p.get("enum") and value not in [_as_text(e) for e in p["enum"]]:
                raise SpecError(f"value {value!r} is not in enum {p['enum']}", field=f"{where}.inputs.parameters.{name}")
            params.append({"name": name, "value": value})
        given_arts = {a["name"]: a for a in (args.get("artifacts") or [])}
        arts = []
        for a in (tmpl.get("inputs") or {}).get("artifacts") or []:
            merged = dict(a)
            if a["name"] in given_arts:
                merged.update({k: v for k, v in given_arts[a["name"]].items() if k != "name"})
            arts.append(merged)
        return params, arts

    def template_scope(self, params: list[dict[str, Any]], arts: list[dict[str, Any]], base: Scope) -> Scope:
        scope = dict(self.gscope)
        for p in params:
            scope[f"inputs.parameters.{p['name']}"] = p["value"]
        scope["inputs.parameters"] = json.dumps(params)
        for a in arts:
            if a.get("path"):
                scope[f"inputs.artifacts.{a['name']}.path"] = a["path"]
        scope.update(self.artifacts.input_scope(arts))
        # Every such key of `base` was first set in gscope (workflow_scope, set_global_output, the
        # exit handler) or is workflow.status: look these up rather than scan `base`, which holds
        # every earlier task's outputs in a big DAG (a scan per node was quadratic).
        for k in [k for k in self.gscope if k.startswith(("workflow.outputs.", "workflow.status",
                                                           "workflow.failures"))] + ["workflow.status"]:
            if k in base:
                scope[k] = base[k]
        return scope

    # ------------------------------------------------------------------------------------
    # execute
    # ------------------------------------------------------------------------------------
    async def execute(self, *, name: str, display: str, ref: Any, args: dict[str, Any], scope: Scope,
                      parent: Node | None, boundary: str | None, extra: Scope | None = None) -> Node:
        """Run template `ref` as node `name`; return the node once fulfilled."""
        nid = N.node_id(self.name, name)
        existing = self.nodes.get(nid)
        if N.is_fulfilled(existing):
            if parent is not None and nid not in parent.setdefault("children", []):
                parent["children"].append(nid)
                self.touch(parent)
            return existing  # type: ignore[return-value]
        where = f"template {_ref_name(ref)!r}"
        try:
            tmpl = self.with_defaults(self.resolve_template(ref, where))
            kinds = [k for k in TEMPLATE_KINDS if k in tmpl]
            params, arts = self.bind_inputs(tmpl, args, scope, f"templates[{tmpl['name']}]")
        except WfexecError as exc:
            node = self.child_node(name=name, display=display, node_type=N.POD, template_name=_ref_name(ref),
                                   parent=parent, boundary=boundary)
            return self.finish_node(node, N.ERROR, str(exc))
        tscope = self.template_scope(params, arts, scope)
        if extra:
            tscope.update(extra)
        if tmpl.get("retryStrategy") is not None:  # `retryStrategy: {}` retries until it succeeds
            return await self.run_retry(name, display, tmpl, params, arts, tscope, parent, boundary)
        return await self.run_body(name, display, tmpl, kinds, params, arts, tscope, parent, boundary)

    async def run_body(self, name: str, display: str, tmpl: dict[str, Any], kinds: list[str],
                       params: list[dict[str, Any]], arts: list[dict[str, Any]], scope: Scope,
                       parent: Node | None, boundary: str | None) -> Node:
        kind = kinds[0] if kinds else None
        node_type = {"steps": N.STEPS, "dag": N.DAG, "suspend": N.SUSPEND}.get(kind or "", N.POD)
        node = self.child_node(name=name, display=display, node_type=node_type, template_name=tmpl.get("name"),
                               parent=parent, boundary=boundary)
        if params:
            node.setdefault("inputs", {})["parameters"] = params
        if arts:
            node.setdefault("inputs", {})["artifacts"] = [{"name": a["name"], **({"path": a["path"]} if a.get("path") else {})}
                                                          for a in arts]
        scope = dict(scope)
        scope["node.name"] = name
        timeout = tmpl.get("timeout")
        try:
            if kind is None:
                raise SpecError("template has no type: expected one of " + ", ".join(TEMPLATE_KINDS[:6]),
                                field=f"templates[{tmpl.get('name')}]")
            if len(kinds) > 1:
                raise SpecError(f"template has more than one type: {', '.join(kinds)}",
                                field=f"templates[{tmpl.get('name')}]")
            if kind in ("resource", "data", "http", "plugin") and not (kind == "resource" and is_local_resource(tmpl)):
                raise SpecError(f"{kind} templates need a Kubernetes cluster; run this workflow with --kube"
                                + (" (here only PersistentVolumeClaims can be created, applied or deleted)"
                                   if kind == "resource" else ""), field=f"templates[{tmpl.get('name')}].{kind}")
            coro = {
                "steps": self.run_steps, "dag": self.run_dag, "suspend": self.run_suspend,
                "resource": partial(run_local_resource, self),
            }.get(kind, self.run_pod)(node, tmpl, scope, arts)
            if timeout and kind in ("steps", "dag"):
                secs = parse_duration(self._resolve(str(timeout), scope, "timeout"))
                try:
                    await asyncio.wait_for(coro, secs)
                except TimeoutError:
                    await self._kill_under(node)
                    self.finish_node(node, N.FAILED, f"Max duration limit exceeded ({timeout})")
            else:
                await coro
        except WfexecError as exc:
            self.finish_node(node, N.ERROR, str(exc))
        except OSError as exc:  # e.g. a full disk while preparing the pod's directory
            where = f": {exc.filename}" if exc.filename else ""
            self.finish_node(node, N.ERROR, f"cannot prepare the step: {exc.strerror or exc}{where}")
        return node

    async def _kill_under(self, node: Node) -> None:
        grace = float(self.options.get("grace", 10))
        prefix = node["name"]
        for nid, handle in list(self.running.items()):
            if self.nodes.get(nid, {}).get("name", "").startswith(prefix):
                await asyncio.to_thread(self.backend.kill, handle, grace)  # type: ignore[union-attr]

    def _resolve(self, text: str, scope: Mapping[str, Any], where: str, strict: bool = True) -> str:
        return substitute(text, scope, where=where, strict=strict)

    # ------------------------------------------------------------------------------------
    # retries
    # ------------------------------------------------------------------------------------
    async def run_retry(self, name: str, display: str, tmpl: dict[str, Any], params: list[dict[str, Any]],
                        arts: list[dict[str, Any]], scope: Scope, parent: Node | None, boundary: str | None) -> Node:
        strategy = tmpl.get("retryStrategy") or {}
        rnode = self.child_node(name=name, display=display, node_type=N.RETRY, template_name=tmpl.get("name"),
                                parent=parent, boundary=boundary)
        if params:
            rnode.setdefault("inputs", {})["parameters"] = params
        where = f"templates[{tmpl.get('name')}].retryStrategy"
        limit_raw = strategy.get("limit")
        limit = None if limit_raw in (None, "") else int(self._resolve(str(limit_raw), scope, f"{where}.limit"))
        policy = strategy.get("retryPolicy") or "OnFailure"
        backoff = strategy.get("backoff") or {}
        body = {k: v for k, v in tmpl.items() if k != "retryStrategy"}
        kinds = [k for k in TEMPLATE_KINDS if k in body]
        attempt = len(rnode.get("children") or [])
        if attempt:
            attempt -= 1  # re-enter the last attempt; a fulfilled one returns at once
        started = time.time()
        while True:
            cname = f"{name}({attempt})"
            child = await self.run_body(cname, cname, body, kinds, params, arts, dict(scope, retries=str(attempt)),
                                        rnode, boundary)
            if child["phase"] == N.SUCCEEDED or self.shutdown:
                break
            last = {"lastRetry.exitCode": (child.get("outputs") or {}).get("exitCode", "-1"),
                    "lastRetry.status": child["phase"], "lastRetry.duration": str(int(_duration(child))),
                    "lastRetry.message": child.get("message", "")}
            if limit is not None and attempt >= limit:
                break
            if not _policy_allows(policy, child):
                break
            if strategy.get("expression"):
                try:
                    text = self._resolve(str(strategy["expression"]), scope, f"{where}.expression", strict=False)
                    ok = evaluate_expr(text, _env(text, {**scope, **last}))
                except ExpressionError as exc:
                    self.finish_node(rnode, N.ERROR, str(exc))
                    return rnode
                if not ok:
                    break
            delay = 0.0
            if backoff.get("duration"):
                delay = parse_duration(str(backoff["duration"])) * (float(backoff.get("factor") or 1) ** attempt)
                if backoff.get("cap"):
                    delay = min(delay, parse_duration(str(backoff["cap"])))
                if backoff.get("maxDuration"):
                    max_d = parse_duration(str(backoff["maxDuration"]))
                    if time.time() - started + delay > max_d:
                        self.finish_node(rnode, child["phase"], "Max duration limit exceeded")
                        return rnode
            await asyncio.sleep(delay)
            attempt += 1
        if child.get("outputs"):
            rnode["outputs"] = child["outputs"]
        if child["phase"] == N.SUCCEEDED:
            return self.finish_node(rnode, N.SUCCEEDED)
        message = child.get("message", "")
        if limit is not None and attempt >= limit:
            message = "No more retries left"
        return self.finish_node(rnode, child["phase"], message)

    # ------------------------------------------------------------------------------------
    # pods
    # ------------------------------------------------------------------------------------
    async def run_pod(self, node: Node, tmpl: dict[str, Any], scope: Scope, arts: list[dict[str, Any]]) -> Node:
        tname = tmpl.get("name", "")
        pod = N.pod_name(self.name, node["name"], tname)
        argo_dir = self.run_dir / "pods" / node["id"]
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
        if self.shutdown and not self.shutdown_exempt:
            return self.finish_node(node, N.FAILED, f"Stopped with strategy '{self.shutdown.capitalize()}'")
        deadline = None
        for key in ("activeDeadlineSeconds", "timeout"):
            if resolved.get(key) not in (None, ""):
                secs = parse_duration(str(resolved[key]))
                deadline = secs if deadline is None else min(deadline, secs)
        labels = {"workflows.argoproj.io/workflow": self.name, "wfexec.run": self.name, "wfexec.node": node["id"]}
        meta = resolved.get("metadata") or {}
        labels.update({k: str(v) for k, v in (meta.get("labels") or {}).items()})
        annotations = {k: str(v) for k, v in (meta.get("annotations") or {}).items()}
        pm = self.spec.get("podMetadata") or {}
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
        volumes = pod_volumes(self.spec, resolved, self.run_dir, node["id"])

        def prepare() -> PodPlan:
            """The pod's directory and files: disk work, so it runs in a worker thread."""
            plan = plan_pod(run_id=self.name, node_id=node["id"], pod_name=pod, argo_dir=argo_dir,
                            template=resolved, input_files=input_files, volumes=volumes, labels=labels,
                            annotations=annotations, deadline=deadline,
                            max_output_bytes=self.options.get("max_output_bytes"))
            plan.kill_grace_seconds = float(self.options.get("grace", 10))
            for c in plan.containers:
                c.env.setdefault("ARGO_POD_NAME", pod)
                c.env.setdefault("ARGO_NODE_ID", node["id"])
            return plan

        async with _maybe(self.wf_slots), _maybe(self.pod_slots):
            while self.suspended and not self.shutdown:  # a suspended workflow starts no new pod
                await asyncio.sleep(0.1)
            if self.shutdown and not self.shutdown_exempt:
                return self.finish_node(node, N.FAILED, f"Stopped with strategy '{self.shutdown.capitalize()}'")
            node["phase"] = N.RUNNING  # saved by _run_plan, with the pod's start (one commit, not two)
            result = await self._run_plan(node, argo_dir, prepare, daemon=bool(resolved.get("daemon")))
        if result is None:  # daemoned: keeps running until its scope ends
            return node
        return await asyncio.to_thread(self.collect, node, resolved, result)

    async def _run_plan(self, node: Node, argo_dir: Path, prepare: Callable[[], PodPlan],
                        daemon: bool) -> PodResult | None:
        assert self.loop is not None and self.backend is not None
        backend = self.backend
        fut: asyncio.Future[PodResult] = self.loop.create_future()
        loop = self.loop

        def on_done(res: PodResult) -> None:
            try:
                loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(res))
            except RuntimeError:  # the loop has closed: this engine is ending; a next one re-attaches
                pass

        earlier = bool(node.get("attached"))
        template_file = argo_dir / "template"
        node["attached"] = True  # a restarted engine looks for this pod, never starts a second one
        self.save(node)

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
            self.save(node)
        self.running[node["id"]] = handle
        if daemon:
            ip = await asyncio.to_thread(self.backend.ip, handle)
            if ip:
                node["podIP"] = ip
            probe = probe_of(plan.template)
            if probe is not None:  # Argo goes on once the daemon is ready
                try:
                    ready = await wait_ready(probe, ip or "127.0.0.1", plan.template, fut)
                except WfexecError as exc:
                    await asyncio.to_thread(self.backend.kill, handle, plan.kill_grace_seconds)
                    await fut
                    self.running.pop(node["id"], None)
                    return PodResult(phase=N.ERROR, message=str(exc))
                if not ready:  # it ended first: the step ends with the pod's result
                    self.running.pop(node["id"], None)
                    return await fut
            node["daemoned"] = True
            self.save(node)
            self.daemons.setdefault(node.get("boundaryID") or "", []).append(node["id"])
            self._daemon_futures[node["id"]] = fut
            return None
        try:
            return await fut
        finally:
            self.running.pop(node["id"], None)

    async def stop_daemons(self, boundary_id: str) -> None:
        grace = float(self.options.get("grace", 10))
        for nid in self.daemons.pop(boundary_id, []):
            handle = self.running.pop(nid, None)
            node = self.nodes[nid]
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
            self.finish_node(node, N.SUCCEEDED)

    async def _stop_all_daemons(self) -> None:
        for boundary in list(self.daemons):
            await self.stop_daemons(boundary)

    def collect(self, node: Node, tmpl: dict[str, Any], result: PodResult) -> Node:
        """Turn a PodResult into Argo outputs; save artifacts and logs. Runs in a worker thread."""
        outputs: dict[str, Any] = {}
        if result.exit_code is not None:
            outputs["exitCode"] = str(result.exit_code)
        if result.result is not None and ("script" in tmpl or "container" in tmpl or "containerSet" in tmpl):
            outputs["result"] = result.result
        phase, message = result.phase, result.message
        kill_message = getattr(self.running.get(node["id"]), "kill_message", None)
        if self.shutdown and phase != N.SUCCEEDED:
            message = f"Stopped with strategy '{self.shutdown.capitalize()}'" if self.shutdown != "deadline" \
                else "Step exceeded its deadline"
        elif kill_message and phase != N.SUCCEEDED:
            message = kill_message
        params_out = []
        for p in (tmpl.get("outputs") or {}).get("parameters") or []:
            vf = p.get("valueFrom") or {}
            entry: dict[str, Any] = {"name": p["name"]}
            if "value" in p:
                entry["value"] = _as_text(p["value"])
            elif vf.get("path"):
                value = result.parameters.get(p["name"])
                if value is None:
                    if vf.get("default") is not None:
                        value = _as_text(vf["default"])
                    elif phase == N.SUCCEEDED:
                        phase, message = N.ERROR, (f"failed to get output parameter {p['name']!r}: "
                                                   f"open {vf['path']}: no such file or directory")
                if value is not None:
                    entry["value"] = value[:-1] if value.endswith("\n") else value  # Argo trims one newline
                entry["valueFrom"] = {k: v for k, v in vf.items()}
            elif "default" in vf:
                entry["value"] = _as_text(vf["default"])
            if p.get("globalName"):
                entry["globalName"] = p["globalName"]
                if "value" in entry:
                    self.set_global_output(p["globalName"], entry["value"])
            params_out.append(entry)
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
        self.finish_node(node, phase, message)
        if not self.options.get("keep_pod_dirs"):  # at once (every byte counts on a full disk), but
            self.journal.wait()                      # only once the pod's end is stored
            shutil.rmtree(self.run_dir / "pods" / node["id"], ignore_errors=True)
        return node

    def set_global_output(self, name: str, value: str) -> None:
        self.global_outputs[name] = value
        self.gscope[f"workflow.outputs.parameters.{name}"] = value

    # ------------------------------------------------------------------------------------
    # suspend
    # ------------------------------------------------------------------------------------
    async def run_suspend(self, node: Node, tmpl: dict[str, Any], scope: Scope, arts: list[dict[str, Any]]) -> Node:
        node["phase"] = N.RUNNING
        self.save(node)
        ev = asyncio.Event()
        self._suspend_events[node["id"]] = ev
        if node["id"] not in self._loaded:
            self._t0.setdefault(node["id"], time.time())
        duration = (tmpl.get("suspend") or {}).get("duration")
        try:
            if duration not in (None, ""):
                secs = parse_duration(self._resolve(str(duration), scope, "suspend.duration"))
                started = self._t0.get(node["id"])
                if started is None:  # started under an earlier engine: trust the record
                    started = _parse_ts(node.get("startedAt", N.now()))
                try:
                    await asyncio.wait_for(ev.wait(), max(0.0, started + secs - time.time()))
                except TimeoutError:
                    pass
            else:
                await ev.wait()
        finally:
            self._suspend_events.pop(node["id"], None)
        changes = self._node_sets.pop(node["id"], [])
        outputs = []
        for p in (tmpl.get("outputs") or {}).get("parameters") or []:
            vf = p.get("valueFrom") or {}
            value = vf.get("default") if "default" in vf else p.get("value")
            if value is not None:
                outputs.append({"name": p["name"], "value": _as_text(value)})
        if outputs:
            node["outputs"] = {"parameters": outputs}
        if self.shutdown:
            return self.finish_node(node, N.FAILED, f"Stopped with strategy '{self.shutdown.capitalize()}'")
        if changes:  # `set` from outside: its outputs, message and phase win
            from wfexec.engine.node_set import apply_outputs

            for change in changes:
                apply_outputs(node, change)
            phase = next((c.phase for c in reversed(changes) if c.phase), None) or N.SUCCEEDED
            return self.finish_node(node, phase, (node.get("message") or "") if phase != N.SUCCEEDED else "")
        return self.finish_node(node, N.SUCCEEDED)

    # ------------------------------------------------------------------------------------
    # steps
    # ------------------------------------------------------------------------------------
    async def run_steps(self, node: Node, tmpl: dict[str, Any], scope: Scope, arts: list[dict[str, Any]]) -> Node:
        node["phase"] = N.RUNNING
        self.save(node)
        local = dict(scope)
        tname = tmpl.get("name", "")
        slots = Guard(tmpl)
        failed: Node | None = None
        for i, group in enumerate(tmpl.get("steps") or []):
            if isinstance(group, dict):
                group = [group]
            gname = f"{node['name']}[{i}]"
            gnode = self.child_node(name=gname, display=f"[{i}]", node_type=N.STEP_GROUP, template_name=None,
                                    parent=node, boundary=node["id"])
            gnode["phase"] = N.RUNNING if not N.is_fulfilled(gnode) else gnode["phase"]
            self.save(gnode)
            results = await asyncio.gather(*(self.run_step(step, gnode, local, node["id"], tname, slots)
                                             for step in group))
            group_failed = None
            for step, (children, is_loop) in zip(group, results, strict=True):
                prefix = f"steps.{step['name']}"
                if is_loop:
                    local.update(aggregate_scope(prefix, children))
                elif children:
                    local.update(node_output_scope(prefix, children[0]))
                for child in children:
                    if child["phase"] in (N.FAILED, N.ERROR) and not _continues(step, child):
                        group_failed = group_failed or child
            if group_failed is not None:
                self.finish_node(gnode, N.FAILED, f"child '{group_failed['id']}' failed")
                failed = group_failed
                break
            self.finish_node(gnode, N.SUCCEEDED)
            if self.shutdown and not self.shutdown_exempt:
                break
        await self.stop_daemons(node["id"])
        if failed is not None:
            return self.finish_node(node, N.FAILED, f"child '{failed['id']}' failed")
        if self.shutdown and not self.shutdown_exempt:
            return self.finish_node(node, N.FAILED, f"Stopped with strategy '{self.shutdown.capitalize()}'")
        self.composite_outputs(node, tmpl, local)
        return self.finish_node(node, node["phase"] if node["phase"] in (N.ERROR,) else N.SUCCEEDED,
                                node.get("message", "") if node["phase"] == N.ERROR else "")

    async def run_step(self, step: dict[str, Any], gnode: Node, scope: Scope, boundary: str, tname: str,
                       slots: Guard) -> tuple[list[Node], bool]:
        sname = step.get("name", "")
        base = f"{gnode['name']}.{sname}"
        where = f"templates[{tname}].steps.{sname}"
        try:
            items = self.expand_items(step, scope, where)
        except WfexecError as exc:
            node = self.child_node(name=base, display=sname, node_type=N.POD, template_name=step.get("template"),
                                   parent=gnode, boundary=boundary)
            return [self.finish_node(node, N.ERROR, str(exc))], False
        if items is None:
            return [await self.run_one(step, base, sname, scope, gnode, boundary, where, None, slots)], False
        children = await asyncio.gather(*(
            self.run_one(step, f"{base}({i}:{render_item(item)})", f"{sname}({i}:{render_item(item)})",
                         {**scope, **item_scope(item)}, gnode, boundary, where, item, slots)
            for i, item in enumerate(items)))
        return list(children), True

    async def run_one(self, step: dict[str, Any], name: str, display: str, scope: Scope, parent: Node,
                      boundary: str, where: str, item: Any, slots: Guard) -> Node:
        """One step or task (after loop expansion): `when`, arguments, then the template."""
        nid = N.node_id(self.name, name)
        if N.is_fulfilled(self.nodes.get(nid)):
            return await self.execute(name=name, display=display, ref=step, args={}, scope=scope, parent=parent,
                                      boundary=boundary)
        try:
            if step.get("when") not in (None, ""):
                cond = self._resolve(str(step["when"]), scope, f"{where}.when")
                if not evaluate_when(cond):
                    node = self.child_node(name=name, display=display, node_type=N.SKIPPED_TYPE,
                                           template_name=_ref_name(step), parent=parent, boundary=boundary)
                    return self.finish_node(node, N.SKIPPED, f"when '{cond}' evaluated false")
            args = substitute_obj(step.get("arguments") or {}, scope, where=f"{where}.arguments", strict=True)
        except WfexecError as exc:
            node = self.child_node(name=name, display=display, node_type=N.POD, template_name=_ref_name(step),
                                   parent=parent, boundary=boundary)
            return self.finish_node(node, N.ERROR, str(exc))
        ref: Any = step.get("template")
        if "templateRef" in step or "inline" in step:
            ref = step
        async with _maybe(slots.sem):
            if slots.fail_fast and slots.failed and not N.is_fulfilled(self.nodes.get(nid)):
                return {"id": "", "name": name, "displayName": display, "phase": N.OMITTED, "notRun": True}
            child = await self.execute(name=name, display=display, ref=ref, args=args, scope=scope, parent=parent,
                                       boundary=boundary)
        if child["phase"] in (N.FAILED, N.ERROR) and not _continues(step, child):
            slots.failed = True
        await self.run_hooks(step, child, name, display, scope, parent, boundary, where)
        return child

    async def run_hooks(self, step: dict[str, Any], child: Node, name: str, display: str, scope: Scope,
                        parent: Node, boundary: str, where: str) -> None:
        """`onExit` and lifecycle `hooks` of a step or task, once the node has ended."""
        hooks = dict(step.get("hooks") or {})
        if step.get("onExit"):
            hooks.setdefault("exit", {"template": step["onExit"]})
        if not hooks:
            return
        own = dict(scope)
        sname = step.get("name", "")
        for prefix in (f"steps.{sname}", f"tasks.{sname}"):
            own.update(node_output_scope(prefix, child))
        own.update({"steps.status": child["phase"], "tasks.status": child["phase"], "status": child["phase"]})
        for hook_name, hook in hooks.items():
            if hook_name == "exit":
                run_it = True
            else:
                expr = hook.get("expression")
                try:
                    text = self._resolve(str(expr or hook_name), own, f"{where}.hooks.{hook_name}", strict=False)
                    run_it = bool(evaluate_expr(text, _env(text, own)))
                except WfexecError:
                    run_it = False
            if not run_it:
                continue
            suffix = "onExit" if hook_name == "exit" else hook_name
            try:
                args = substitute_obj(hook.get("arguments") or {}, own, where=f"{where}.hooks.{hook_name}",
                                      strict=True)
            except WfexecError as exc:
                node = self.child_node(name=f"{name}.{suffix}", display=f"{display}.{suffix}", node_type=N.POD,
                                       template_name=_ref_name(hook), parent=parent, boundary=boundary)
                self.finish_node(node, N.ERROR, str(exc))
                continue
            ref: Any = hook.get("template") if "templateRef" not in hook else hook
            await self.execute(name=f"{name}.{suffix}", display=f"{display}.{suffix}", ref=ref, args=args,
                               scope=own, parent=parent, boundary=boundary)

    def expand_items(self, step: dict[str, Any], scope: Scope, where: str) -> list[Any] | None:
        if "withItems" in step:
            items = step["withItems"]
            return [substitute_obj(i, scope, where=f"{where}.withItems", strict=True) for i in items]
        if "withParam" in step:
            text = self._resolve(str(step["withParam"]), scope, f"{where}.withParam")
            try:
                value = json.loads(text)
            except ValueError:
                raise SpecError(f"withParam value could not be parsed as a JSON list: {text.strip()[:200]}",
                                field=f"{where}.withParam") from None
            if not isinstance(value, list):
                raise SpecError(f"withParam value is not a JSON list: {text.strip()[:200]}", field=f"{where}.withParam")
            return value
        if "withSequence" in step:
            seq = substitute_obj(step["withSequence"], scope, where=f"{where}.withSequence", strict=True)
            return sequence_items(seq, where)
        return None

    def composite_outputs(self, node: Node, tmpl: dict[str, Any], scope: Scope) -> None:
        outputs = tmpl.get("outputs") or {}
        where = f"templates[{tmpl.get('name')}].outputs"
        params = []
        for p in outputs.get("parameters") or []:
            vf = p.get("valueFrom") or {}
            entry: dict[str, Any] = {"name": p["name"]}
            try:
                if "parameter" in vf:
                    entry["value"] = self._resolve(str(vf["parameter"]), scope, f"{where}.parameters.{p['name']}")
                elif "expression" in vf:
                    entry["value"] = _as_text(evaluate_expr(vf["expression"], _env(vf["expression"], scope)))
                elif "value" in p:
                    entry["value"] = self._resolve(_as_text(p["value"]), scope, f"{where}.parameters.{p['name']}")
            except WfexecError:
                if "default" in vf:
                    entry["value"] = _as_text(vf["default"])
                else:
                    raise
            if "value" not in entry and "default" in vf:
                entry["value"] = _as_text(vf["default"])
            if p.get("globalName") and "value" in entry:
                entry["globalName"] = p["globalName"]
                self.set_global_output(p["globalName"], entry["value"])
            entry["valueFrom"] = vf if vf else None
            if entry["valueFrom"] is None:
                entry.pop("valueFrom")
            params.append(entry)
        arts = self.artifacts.composite_outputs(node, outputs, scope, where)
        out: dict[str, Any] = {}
        if params:
            out["parameters"] = params
        if arts:
            out["artifacts"] = arts
        if out:
            node["outputs"] = out

    # ------------------------------------------------------------------------------------
    # dag
    # ------------------------------------------------------------------------------------
    async def run_dag(self, node: Node, tmpl: dict[str, Any], scope: Scope, arts: list[dict[str, Any]]) -> Node:
        node["phase"] = N.RUNNING
        self.save(node)
        dag = tmpl.get("dag") or {}
        tname = tmpl.get("name", "")
        tasks = {t["name"]: t for t in dag.get("tasks") or []}
        exprs = {}
        for name, t in tasks.items():
            if t.get("depends"):
                exprs[name] = parse_depends(str(t["depends"]))
            elif t.get("dependencies"):
                exprs[name] = parse_depends(dependencies_to_depends(list(t["dependencies"])))
            else:
                exprs[name] = None
        deps = {n: (e.tasks() if e else set()) for n, e in exprs.items()}
        for n, ds in deps.items():
            missing = ds - tasks.keys()
            if missing:
                raise SpecError(f"task {n!r} depends on unknown task(s) {', '.join(sorted(missing))}",
                                field=f"templates[{tname}].dag.tasks.{n}")
        target = dag.get("target")
        names: list[str] = []
        selected = set(tasks)
        if target:
            names = self._resolve(str(target), scope, f"templates[{tname}].dag.target").replace(",", " ").split()
            unknown = [t for t in names if t not in tasks]
            if unknown:
                raise SpecError(f"target task(s) {', '.join(unknown)} not found", field=f"templates[{tname}].dag.target")
            selected = set()
            stack = list(names)
            while stack:
                t = stack.pop()
                if t not in selected:
                    selected.add(t)
                    stack.extend(deps[t])
        fail_fast = dag.get("failFast", True) is not False
        local = dict(scope)
        results: dict[str, tuple[Node, list[Node]]] = {}
        events = {n: asyncio.Event() for n in selected}
        state = {"failed": False}
        slots = Guard(tmpl)
        dependents = {d for tn in selected for d in deps[tn]}
        leaves = [tn for tn in sorted(selected) if tn not in dependents]
        if target:
            leaves = [tn for tn in sorted(selected) if tn in names]

        def link(tn: str) -> Node | None:
            """Argo's DAG shape: a task is a child of the tasks it depends on; roots of the DAG node."""
            nid = N.node_id(self.name, f"{node['name']}.{tn}")
            if not deps[tn]:
                return node
            for d in deps[tn]:
                dn = results[d][0]
                if dn.get("id") and nid not in dn.setdefault("children", []):
                    dn["children"].append(nid)
                    self.touch(dn)
            return None

        async def run_task(tn: str) -> None:
            t = tasks[tn]
            try:
                for d in deps[tn]:
                    await events[d].wait()
                where = f"templates[{tname}].dag.tasks.{tn}"
                base = f"{node['name']}.{tn}"
                ok = True
                if exprs[tn] is not None:
                    states = {d: _task_state(*results[d], tasks[d]) for d in deps[tn]}
                    ok = exprs[tn].evaluate(states)
                parent = link(tn)
                if not ok:
                    n = self.child_node(name=base, display=tn, node_type=N.SKIPPED_TYPE,
                                        template_name=_ref_name(t), parent=parent, boundary=node["id"])
                    if not N.is_fulfilled(n):
                        self.finish_node(n, N.OMITTED, "omitted: depends condition not met")
                    results[tn] = (n, [])
                    return
                if state["failed"] and not N.is_fulfilled(self.nodes.get(N.node_id(self.name, base))):
                    results[tn] = ({"id": "", "name": base, "phase": N.OMITTED, "notRun": True}, [])
                    return
                try:
                    items = self.expand_items(t, local, where)
                except WfexecError as exc:
                    n = self.child_node(name=base, display=tn, node_type=N.POD, template_name=_ref_name(t),
                                        parent=parent, boundary=node["id"])
                    results[tn] = (self.finish_node(n, N.ERROR, str(exc)), [])
                    return
                if items is None:
                    child = await self.run_one(t, base, tn, local, parent, node["id"], where, None, slots)
                    results[tn] = (child, [])
                    local.update(node_output_scope(f"tasks.{tn}", child))
                else:
                    group = self.child_node(name=base, display=tn, node_type=N.TASK_GROUP,
                                            template_name=_ref_name(t), parent=parent, boundary=node["id"])
                    if not N.is_fulfilled(group):
                        group["phase"] = N.RUNNING
                        self.save(group)
                    children = await asyncio.gather(*(
                        self.run_one(t, f"{base}({i}:{render_item(item)})", f"{tn}({i}:{render_item(item)})",
                                     {**local, **item_scope(item)}, group, node["id"], where, item, slots)
                        for i, item in enumerate(items)))
                    bad = [c for c in children if c["phase"] in (N.FAILED, N.ERROR) and not _continues(t, c)]
                    if not N.is_fulfilled(group):
                        self.finish_node(group, bad[0]["phase"] if bad else N.SUCCEEDED,
                                         f"child '{bad[0]['id']}' failed" if bad else "")
                    results[tn] = (group, list(children))
                    local.update(aggregate_scope(f"tasks.{tn}", list(children)))
                    local[f"tasks.{tn}.id"] = group["id"]
                if fail_fast and results[tn][0]["phase"] in (N.FAILED, N.ERROR, N.OMITTED):
                    if any(branch_failed(leaf) for leaf in leaves if leaf in results):
                        state["failed"] = True
            finally:
                events[tn].set()

        def branch_phase(tn: str, memo: dict[str, str]) -> str:
            """The phase of a task's branch: omitted tasks inherit a failure from the tasks they follow."""
            if tn in memo:
                return memo[tn]
            n, _ = results[tn]
            ph = n["phase"]
            if n.get("notRun"):
                ph = N.FAILED
            elif ph in (N.SKIPPED, N.OMITTED):
                parents = [branch_phase(d, memo) for d in deps[tn] if d in results]
                bad = [p for p in parents if p in (N.FAILED, N.ERROR)]
                ph = bad[0] if bad else N.SUCCEEDED
            memo[tn] = ph
            return ph

        def branch_failed(tn: str) -> bool:
            ph = branch_phase(tn, {})
            return ph in (N.FAILED, N.ERROR) and not _continues(tasks[tn], {"phase": ph})

        await asyncio.gather(*(run_task(n) for n in sorted(selected)))
        await self.stop_daemons(node["id"])
        if self.shutdown and not self.shutdown_exempt:
            return self.finish_node(node, N.FAILED, f"Stopped with strategy '{self.shutdown.capitalize()}'")
        failed_leaf = next((tn for tn in leaves if branch_failed(tn)), None)
        if failed_leaf is not None:
            culprit = next((results[tn][0] for tn in sorted(selected)
                            if results[tn][0]["phase"] in (N.FAILED, N.ERROR)
                            and not _continues(tasks[tn], results[tn][0])), results[failed_leaf][0])
            ref = culprit.get("id") or culprit.get("name")
            return self.finish_node(node, branch_phase(failed_leaf, {}), f"child '{ref}' failed")
        try:
            self.composite_outputs(node, tmpl, local)
        except WfexecError as exc:
            return self.finish_node(node, N.ERROR, str(exc))
        return self.finish_node(node, N.SUCCEEDED)


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------
class _maybe:
    def __init__(self, sem: asyncio.Semaphore | None) -> None:
        self.sem = sem

    async def __aenter__(self) -> None:
        if self.sem is not None:
            await self.sem.acquire()

    async def __aexit__(self, *exc: object) -> None:
        if self.sem is not None:
            self.sem.release()


class Guard:
    """A steps or DAG template's limits on its children: `parallelism`, and `failFast` (no new
    child starts once one has failed)."""

    def __init__(self, tmpl: dict[str, Any]) -> None:
        self.sem = asyncio.Semaphore(int(tmpl["parallelism"])) if tmpl.get("parallelism") else None
        self.fail_fast = bool(tmpl.get("failFast"))
        self.failed = False


def default_parallelism() -> int:
    return max(8, 8 * (os.cpu_count() or 2))


def _ref_name(ref: Any) -> str:
    if isinstance(ref, str):
        return ref
    if isinstance(ref, dict):
        if "templateRef" in ref:
            return f"{ref['templateRef'].get('name')}/{ref['templateRef'].get('template')}"
        return str(ref.get("template") or ref.get("name") or "")
    return str(ref)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _continues(step: dict[str, Any], node: Node) -> bool:
    cont = step.get("continueOn") or {}
    if node.get("phase") == N.FAILED:
        return bool(cont.get("failed"))
    if node.get("phase") == N.ERROR:
        return bool(cont.get("error"))
    return False


def _policy_allows(policy: str, child: Node) -> bool:
    phase = child["phase"]
    if policy == "Always":
        return phase in (N.FAILED, N.ERROR)
    if policy == "OnError":
        return phase == N.ERROR
    if policy == "OnTransientError":
        msg = (child.get("message") or "").lower()
        return phase == N.ERROR and any(w in msg for w in ("transient", "timeout", "connection", "temporar"))
    return phase == N.FAILED  # OnFailure (the default)


def _duration(node: Node) -> float:
    try:
        return _parse_ts(node.get("finishedAt") or N.now()) - _parse_ts(node.get("startedAt") or N.now())
    except ValueError:
        return 0.0


def _parse_ts(ts: str) -> float:
    import datetime as dt

    return dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp()


def _task_state(node: Node, children: list[Node], task: dict[str, Any]) -> TaskState:
    phase = node.get("phase", N.PENDING)
    if node.get("notRun"):
        phase = N.OMITTED
    cont = task.get("continueOn") or {}
    return TaskState(phase=phase, daemoned=bool(node.get("daemoned")),
                     children_phases=[c.get("phase", "") for c in children],
                     continue_on_failed=bool(cont.get("failed")), continue_on_error=bool(cont.get("error")))


def _env(text: str, scope: Mapping[str, Any]) -> dict[str, Any]:
    """The expr-lang environment for one expression: only the variables it reads are expanded."""
    return build_env(scope, access_paths(text))


__all__ = ["Controller"]
