"""The cron scheduler inside `wfexec server`: CronWorkflows fire while the server runs.

Each tick looks at every CronWorkflow: it settles the runs it started that have ended (counts,
history limits), then fires once if a scheduled time has passed since the last look. Argo's
rules: `suspend` skips; `concurrencyPolicy` Forbid skips while a run is active and Replace
terminates the active runs first; on a restart, a time missed while the server was down fires only
within `startingDeadlineSeconds` (when above 0).
Times are computed by croniter in the cron's `timezone`. The clock is injected, so a test can
move time and call `tick()` itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from croniter import CroniterBadCronError, croniter

from wfexec.engine import api
from wfexec.engine import nodes as N
from wfexec.engine.gc import delete_run
from wfexec.engine.objects import API_VERSION, CRON_WORKFLOW, ObjectStore, StoredObject
from wfexec.engine.store import RunRecord, Store
from wfexec.engine.submit_from import workflow_from_cron
from wfexec.errors import ExpressionError, RunExists, SpecError, StoreError, WfexecError
from wfexec.expr.exprlang import evaluate_expr, parse_expr
from wfexec.spec.cron_spec import cron_problems, load_timezone, schedules
from wfexec.spec.document import format_path

log = logging.getLogger("wfexec.server.cron")

ACTIVE_PHASES = (N.PENDING, N.RUNNING)
POLICIES = ("Allow", "Forbid", "Replace")


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass
class ManualClock:
    """A clock that moves only when told to; for tests."""

    current: dt.datetime

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)


@dataclass(frozen=True)
class CronRules:
    """The scheduling fields of a CronWorkflow spec, checked."""

    schedules: tuple[str, ...]
    timezone: dt.tzinfo
    policy: str
    deadline: int | None
    suspend: bool
    keep_succeeded: int
    keep_failed: int
    stop_when: str | None  # stopStrategy.expression, over cronworkflow.succeeded / failed
    when: str | None  # `when`: fire a due time only if this expression holds


def cron_rules(spec: dict[str, Any]) -> CronRules:
    """The rules of a CronWorkflow spec; a SpecError names the bad field."""
    problems = cron_problems(spec)
    if problems:
        path, message = problems[0]
        raise SpecError(message, field=format_path(path))
    tz: dt.tzinfo = load_timezone(spec.get("timezone") or "UTC") or dt.UTC  # an unknown name was refused above
    policy = spec.get("concurrencyPolicy") or "Allow"
    if policy not in POLICIES:
        raise SpecError(f"{policy!r}: expected one of {', '.join(POLICIES)}", field="spec.concurrencyPolicy")
    return CronRules(tuple(schedules(spec)), tz, policy, _count(spec, "startingDeadlineSeconds", None),
                     bool(spec.get("suspend")), _count(spec, "successfulJobsHistoryLimit", 3) or 0,
                     _count(spec, "failedJobsHistoryLimit", 1) or 0, _stop_expression(spec), _when(spec))


def _when(spec: dict[str, Any]) -> str | None:
    """The `when` expression, without the `{{= … }}` it is usually written in."""
    text = spec.get("when")
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise SpecError("expected an expression such as '{{= cronworkflow.failed == 0 }}'", field="spec.when")
    inner = text.strip()
    if inner.startswith("{{=") and inner.endswith("}}"):
        inner = inner[3:-2]
    try:
        parse_expr(inner)
    except ExpressionError as exc:
        raise SpecError(str(exc), field="spec.when") from None
    return inner


def _cron_env(obj: StoredObject, status: dict[str, Any]) -> dict[str, Any]:
    meta = obj.body.get("metadata") or {}
    return {"cronworkflow": {
        "name": obj.name, "namespace": obj.namespace, "labels": dict(obj.labels),
        "annotations": dict(meta.get("annotations") or {}), "lastScheduledTime": parse_time(
            status.get("lastScheduledTime")), "succeeded": int(status.get("succeeded") or 0),
        "failed": int(status.get("failed") or 0)}}


def holds(text: str | None, obj: StoredObject, status: dict[str, Any], what: str) -> bool | None:
    """An expression over `cronworkflow.*`; None when there is none; a failing one is false, and logged."""
    if not text:
        return None
    try:
        return evaluate_expr(text, _cron_env(obj, status)) in (True, "true")
    except ExpressionError as exc:
        log.warning("CronWorkflow %s/%s: %s: %s", obj.namespace, obj.name, what, exc)
        return False


def _stop_expression(spec: dict[str, Any]) -> str | None:
    strategy = spec.get("stopStrategy")
    if strategy is None:
        return None
    text = strategy.get("expression") if isinstance(strategy, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise SpecError("expected an expression such as 'cronworkflow.failed >= 3'",
                        field="spec.stopStrategy.expression")
    try:
        parse_expr(text)
    except ExpressionError as exc:
        raise SpecError(str(exc), field="spec.stopStrategy.expression") from None
    return text


def stop_now(rules: CronRules, status: dict[str, Any], obj: StoredObject) -> bool:
    """Whether `stopStrategy.expression` holds for the counts in `status`."""
    return bool(holds(rules.stop_when, obj, status, "stopStrategy"))


def _count(spec: dict[str, Any], key: str, default: int | None) -> int | None:
    value = spec.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SpecError(f"expected a whole number of 0 or more, got {value!r}", field=f"spec.{key}")
    return value


def latest_due(rules: CronRules, after: dt.datetime, until: dt.datetime) -> dt.datetime | None:
    """The last scheduled time in (after, until], in UTC, over all schedules."""
    best: dt.datetime | None = None
    for text in rules.schedules:
        try:
            it = croniter(text, until.astimezone(rules.timezone) + dt.timedelta(microseconds=1))
        except CroniterBadCronError:
            continue
        prev = it.get_prev(dt.datetime).astimezone(dt.UTC)
        if prev > after and (best is None or prev > best):
            best = prev
    return best


def rfc3339(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: Any) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)
    except ValueError:
        return None


Launch = Callable[[Store, dict[str, Any]], RunRecord]
StopRun = Callable[[Store, str], None]


def launch_in_background(store: Store, wf: dict[str, Any]) -> RunRecord:
    """Create the run and hand it to a detached engine, as `wfexec submit` does."""
    rec = api.create_run(store, wf, api.SubmitOptions())
    api.start_background(rec.name)
    return rec


def terminate_run(store: Store, name: str) -> None:
    rec = store.get_run(name)
    store.set_control(name, "terminate")
    api.heal(store, rec)


@dataclass
class CronScheduler:
    """Fires CronWorkflows from the store; `tick()` is one look, `start()` looks every `interval` s."""

    store: Store
    clock: Clock = field(default_factory=SystemClock)
    launch: Launch = launch_in_background
    stop_run: StopRun = terminate_run
    interval: float = 1.0
    _seen: dict[tuple[str, str, str], dt.datetime] = field(default_factory=dict)
    _thread: threading.Thread | None = None
    _objects: ObjectStore | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="wfexec-cron", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:  # one bad tick must not end the scheduler
                log.exception("cron tick failed")
            self._stopping.wait(self.interval)

    def tick(self) -> list[str]:
        """One look at every CronWorkflow; the names of the runs it started."""
        if self._objects is None:
            self._objects = ObjectStore(self.store)
        objects = self._objects
        now = self.clock.now()
        started: list[str] = []
        crons = objects.list(CRON_WORKFLOW)
        for obj in crons:
            try:
                name = self._tick_one(objects, obj, now)
            except WfexecError as exc:
                log.warning("CronWorkflow %s/%s: %s", obj.namespace, obj.name, exc)
                self._seen[(obj.uid, obj.namespace, obj.name)] = now
                continue
            if name:
                started.append(name)
        live = {(o.uid, o.namespace, o.name) for o in crons}
        for key in list(self._seen):
            if key not in live:
                del self._seen[key]
        return started

    def _tick_one(self, objects: ObjectStore, obj: StoredObject, now: dt.datetime) -> str | None:
        rules = cron_rules(obj.spec)
        status = dict(obj.status)
        changed = self._settle(obj, rules, status)
        if changed and status.get("phase") != "Stopped" and stop_now(rules, status, obj):
            status["phase"] = "Stopped"  # stopStrategy: no more runs, as Argo marks it
        stopped = status.get("phase") == "Stopped"
        key = (obj.uid, obj.namespace, obj.name)
        first_look = key not in self._seen
        last = parse_time(status.get("lastScheduledTime"))
        since = self._seen.get(key) or last or now
        self._seen[key] = now
        due = latest_due(rules, since, now)
        fired: str | None = None
        if due is not None and not (rules.suspend or stopped) and self._in_time(rules, due, now, first_look) \
                and holds(rules.when, obj, status, "when") is not False:
            fired = self._fire(obj, rules, status, due)
            changed = True
        if changed:
            status.setdefault("phase", "Active")
            objects.set_status(CRON_WORKFLOW, obj.namespace, obj.name, status)
        return fired

    @staticmethod
    def _in_time(rules: CronRules, due: dt.datetime, now: dt.datetime, first_look: bool) -> bool:
        """A time that came while this scheduler ran fires, however late its tick (Argo's cron library
        fires on time; `startingDeadlineSeconds` does not apply). One missed while no scheduler ran fires
        only within a deadline above 0, as Argo catches up a missed run (0, the examples' value: never)."""
        if not first_look:
            return True
        return bool(rules.deadline) and (now - due).total_seconds() <= (rules.deadline or 0)

    def _fire(self, obj: StoredObject, rules: CronRules, status: dict[str, Any], due: dt.datetime) -> str | None:
        active = list(status.get("active") or [])
        if active and rules.policy == "Forbid":
            log.info("CronWorkflow %s/%s: %d run(s) active, Forbid skips %s", obj.namespace, obj.name,
                     len(active), rfc3339(due))
            return None
        if active and rules.policy == "Replace":
            for ref in active:
                try:
                    self.stop_run(self.store, ref["name"])
                except StoreError:
                    pass  # already gone
        name = f"{obj.name}-{int(due.timestamp())}"
        try:
            rec = self.launch(self.store, workflow_from_cron(obj, name=name, scheduled=rfc3339(due)))
        except RunExists:
            return None  # fired before (another scheduler, or before a restart)
        status["lastScheduledTime"] = rfc3339(due)
        status["active"] = [*active, {"apiVersion": API_VERSION, "kind": "Workflow", "name": rec.name,
                                      "namespace": rec.namespace, "uid": rec.uid}]
        return rec.name

    def _settle(self, obj: StoredObject, rules: CronRules, status: dict[str, Any]) -> bool:
        """Move ended runs out of `active`, count them, and keep only as many as the history limits."""
        active = list(status.get("active") or [])
        still: list[dict[str, Any]] = []
        ended = False
        for ref in active:
            try:
                rec = self.store.get_run(ref["name"])
            except StoreError:
                ended = True  # deleted by hand
                continue
            if rec.uid != ref.get("uid") or rec.phase not in ACTIVE_PHASES:
                ended = True
                if rec.uid == ref.get("uid"):
                    key = "succeeded" if rec.phase == N.SUCCEEDED else "failed"
                    status[key] = int(status.get(key) or 0) + 1
                continue
            still.append(ref)
        if not ended:
            return False
        status["active"] = still
        self._trim_history(obj, rules)
        return True

    def _trim_history(self, obj: StoredObject, rules: CronRules) -> None:
        runs = runs_of_cron(self.store, obj)
        done = [r for r in runs if r.phase not in ACTIVE_PHASES]
        ok = [r for r in done if r.phase == N.SUCCEEDED]
        bad = [r for r in done if r.phase != N.SUCCEEDED]
        for rec in ok[rules.keep_succeeded:] + bad[rules.keep_failed:]:
            delete_run(self.store, rec.name)


def runs_of_cron(store: Store, obj: StoredObject) -> list[RunRecord]:
    """The runs a CronWorkflow started, newest first (by the label Argo puts on them)."""
    rows = store._read(
        "SELECT name FROM runs WHERE namespace=? AND"
        " json_extract(manifest, '$.metadata.labels.\"workflows.argoproj.io/cron-workflow\"')=?"
        " ORDER BY created_at DESC, name DESC", (obj.namespace, obj.name))
    out = []
    for (name,) in rows:
        try:
            out.append(store.get_run(name))
        except StoreError:
            continue
    return out

