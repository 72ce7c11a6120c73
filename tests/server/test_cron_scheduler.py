"""The cron scheduler, driven tick by tick with a manual clock; the runs it starts are real engine runs."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

from wfexec.engine.objects import CRON_WORKFLOW, ObjectStore
from wfexec.engine.store import Store
from wfexec.errors import SpecError
from wfexec.server.cron import CronScheduler, ManualClock, cron_rules, latest_due

UTC = dt.UTC


def cron(name: str, command: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": name},
            "spec": {"schedules": ["*/5 * * * *"], **spec, "workflowSpec": {
                "entrypoint": "main",
                "templates": [{"name": "main", "container": {"image": "busybox", "command": ["sh", "-c", command]}}]}}}


def wait_ended(store: Store, name: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        phase = store.get_run(name).phase
        if phase not in ("Pending", "Running"):
            return phase
        time.sleep(0.1)
    raise AssertionError(f"run {name} did not end within {timeout} s")


def wait_running(store: Store, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(n.get("type") == "Pod" and n.get("phase") == "Running" for n in store.get_nodes(name).values()):
            return
        time.sleep(0.1)
    raise AssertionError(f"run {name} did not start its pod within {timeout} s")


def status(objects: ObjectStore, name: str) -> dict[str, Any]:
    return objects.get(CRON_WORKFLOW, "default", name).status


def first_fire(store: Store) -> tuple[ManualClock, CronScheduler, str]:
    """A scheduler first looking at 00:04, then at 00:05 (the */5 schedule's first time): its clock, itself and
    the one run it started then."""
    clock = ManualClock(dt.datetime(2026, 1, 1, 0, 4, 0, tzinfo=UTC))
    sched = CronScheduler(store, clock=clock)
    sched.tick()
    clock.advance(60)
    (first,) = sched.tick()
    return clock, sched, first


@pytest.fixture
def store(wfexec_home: Path) -> Store:
    return Store()


def test_due_times_follow_the_timezone_and_every_schedule() -> None:
    rules = cron_rules({"schedules": ["0 3 * * *", "30 1 * * *"], "timezone": "Europe/Paris"})
    after = dt.datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    # 03:00 in Paris (summer time) is 01:00 UTC; 01:30 Paris is 23:30 UTC the day before.
    assert latest_due(rules, after, dt.datetime(2026, 6, 1, 0, 59, tzinfo=UTC)) is None
    assert latest_due(rules, after, dt.datetime(2026, 6, 1, 1, 0, tzinfo=UTC)) == dt.datetime(2026, 6, 1, 1, 0,
                                                                                               tzinfo=UTC)
    with pytest.raises(SpecError, match='missing required field "schedules"'):
        cron_rules({"schedules": []})
    with pytest.raises(SpecError, match="concurrencyPolicy"):
        cron_rules({"schedules": ["@hourly"], "concurrencyPolicy": "Sometimes"})
    assert cron_rules({"schedule": "@hourly"}).schedules == ("@hourly",)  # the field Argo v4 removed
    with pytest.raises(SpecError, match=r"spec.schedules\[0\]"):
        cron_rules({"schedules": ["* * * * * *"]})  # seconds: croniter would take it, Argo does not
    with pytest.raises(SpecError, match=r"spec.schedule: '61 \* \* \* \*' is not a cron schedule"):
        cron_rules({"schedule": "61 * * * *"})  # named as written: v3's singular field
    with pytest.raises(SpecError, match="spec.timezone: unknown time zone 'Mars/Olympus'"):
        cron_rules({"schedules": ["@hourly"], "timezone": "Mars/Olympus"})


def test_fires_on_schedule_and_keeps_status(store: Store) -> None:
    objects = ObjectStore(store)
    objects.create(cron("every5", "echo tick", successfulJobsHistoryLimit=1))
    clock = ManualClock(dt.datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC))
    sched = CronScheduler(store, clock=clock)
    assert sched.tick() == []
    clock.advance(4 * 60)
    assert sched.tick() == []  # 00:04:30: nothing due yet
    clock.advance(60)
    (first,) = sched.tick()  # 00:05:30: the 00:05 run
    due = dt.datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    assert first == f"every5-{int(due.timestamp())}"
    st = status(objects, "every5")
    assert st["lastScheduledTime"] == "2026-01-01T00:05:00Z"
    assert [a["name"] for a in st["active"]] == [first]
    manifest = store.get_run(first).manifest
    assert manifest["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"] == "every5"
    assert wait_ended(store, first) == "Succeeded"
    assert sched.tick() == []
    st = status(objects, "every5")
    assert st["active"] == [] and st["succeeded"] == 1

    clock.advance(5 * 60)
    (second,) = sched.tick()
    assert wait_ended(store, second) == "Succeeded"
    sched.tick()
    assert status(objects, "every5")["succeeded"] == 2
    names = [r.name for r in store.list_runs()]
    assert names == [second]  # successfulJobsHistoryLimit: 1 keeps only the newest


def test_forbid_skips_while_active_and_replace_terminates(store: Store) -> None:
    objects = ObjectStore(store)
    objects.create(cron("busy", "sleep 120", concurrencyPolicy="Forbid"))
    clock, sched, first = first_fire(store)
    wait_running(store, first)
    clock.advance(5 * 60)
    assert sched.tick() == []  # Forbid: the 00:10 run is skipped while the first still runs
    assert status(objects, "busy")["lastScheduledTime"] == "2026-01-01T00:05:00Z"
    assert store.get_run(first).phase == "Running"

    current = objects.get(CRON_WORKFLOW, "default", "busy").manifest()
    current["spec"]["concurrencyPolicy"] = "Replace"
    objects.update(current)
    clock.advance(5 * 60)
    (second,) = sched.tick()  # Replace: the first is terminated, the 00:15 run starts
    assert wait_ended(store, first) == "Failed"
    assert "terminate" in (store.get_run(first).message or "").lower()
    sched.tick()
    st = status(objects, "busy")
    assert [a["name"] for a in st["active"]] == [second] and st["failed"] == 1
    store.set_control(second, "terminate")
    wait_ended(store, second)


def test_suspend_and_starting_deadline(store: Store) -> None:
    objects = ObjectStore(store)
    objects.create(cron("late", "true", startingDeadlineSeconds=120))
    objects.create(cron("nodeadline", "true"))
    objects.create(cron("paused", "true", suspend=True))
    clock = ManualClock(dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC))
    sched = CronScheduler(store, clock=clock)
    sched.tick()
    clock.advance(5 * 60 + 30)
    fired = sorted(sched.tick())
    assert [f.split("-")[0] for f in fired] == ["late", "nodeadline"]  # suspended: not fired
    for name in fired:
        wait_ended(store, name)

    # The server was down from 00:05:30 to 00:11:00: a new scheduler sees the 00:10 time missed.
    clock.advance(5 * 60 + 30)
    restarted = CronScheduler(store, clock=clock)
    fired = restarted.tick()
    assert [f.split("-")[0] for f in fired] == ["late"]  # within 120 s; no deadline: a missed time is skipped
    wait_ended(store, fired[0])

    clock.advance(4 * 60 + 30)  # 00:15:30, but looked at first at 00:18:00: later than the deadline
    clock.advance(150)
    assert CronScheduler(store, clock=clock).tick() == []


def test_a_deadline_of_zero_fires_on_time_and_never_catches_up(store: Store) -> None:
    """Argo's cron-workflow.yaml has `startingDeadlineSeconds: 0`: its runs fire on time, minute after minute
    (the deadline only bounds catching up a time missed while no scheduler ran: 0 never does)."""
    objects = ObjectStore(store)
    objects.create(cron("zero", "echo at {{workflow.scheduledTime}}", startingDeadlineSeconds=0))
    clock = ManualClock(dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC))
    sched = CronScheduler(store, clock=clock)
    sched.tick()
    clock.advance(5 * 60 + 2)  # the 00:05 time, seen at the next tick (2 s late)
    fired = sched.tick()
    assert [f.split("-")[0] for f in fired] == ["zero"]
    assert wait_ended(store, fired[0]) == "Succeeded"  # {{workflow.scheduledTime}} resolved
    assert store.get_run(fired[0]).manifest["metadata"]["annotations"][
        "workflows.argoproj.io/scheduled-time"] == "2026-01-01T00:05:00Z"
    clock.advance(5 * 60 + 30)  # down over the 00:10 time: a new scheduler does not catch it up
    assert CronScheduler(store, clock=clock).tick() == []


def test_stop_strategy_ends_scheduling(store: Store) -> None:
    objects = ObjectStore(store)
    objects.create(cron("once", "true", stopStrategy={"expression": "cronworkflow.succeeded >= 1"}))
    with pytest.raises(SpecError, match="stopStrategy.expression"):
        cron_rules({"schedules": ["@hourly"], "stopStrategy": {"expression": "cronworkflow.failed >="}})
    clock, sched, first = first_fire(store)
    assert wait_ended(store, first) == "Succeeded"
    sched.tick()
    assert status(objects, "once")["phase"] == "Stopped"
    clock.advance(5 * 60)
    assert sched.tick() == []  # stopped: 00:10 does not fire


def test_when_skips_a_time_its_expression_refuses(store: Store) -> None:
    objects = ObjectStore(store)
    objects.create(cron("guarded", "true", when="{{= cronworkflow.succeeded < 1 && cronworkflow.name == 'guarded' }}"))
    with pytest.raises(SpecError, match="spec.when"):
        cron_rules({"schedules": ["@hourly"], "when": "{{= 1 + }}"})
    clock, sched, first = first_fire(store)
    assert wait_ended(store, first) == "Succeeded"
    clock.advance(5 * 60)
    assert sched.tick() == []  # succeeded is 1 now: `when` refuses 00:10
    st = status(objects, "guarded")
    assert st["lastScheduledTime"] == "2026-01-01T00:05:00Z" and st["succeeded"] == 1


def test_server_fires_a_time_missed_while_it_was_down(server_factory) -> None:
    """The scheduler inside `wfexec server`: after a restart, a missed minute within the deadline fires."""
    import requests

    srv = server_factory()
    body = cron("minutely", "echo from-server", startingDeadlineSeconds=3600)
    body["spec"]["schedules"] = ["* * * * *"]
    r = requests.post(f"{srv.url}/api/v1/cron-workflows/default", json={"cronWorkflow": body}, timeout=30)
    assert r.status_code == 200, r.text
    srv.stop()
    three_minutes_ago = dt.datetime.now(UTC) - dt.timedelta(minutes=3)
    ObjectStore(Store(srv.home / "runs.db")).set_status(
        CRON_WORKFLOW, "default", "minutely", {"lastScheduledTime": three_minutes_ago.strftime("%Y-%m-%dT%H:%M:%SZ")})
    restarted_at = time.time()
    srv.start()

    def scheduled(run: dict[str, Any]) -> int:
        return int(run["metadata"]["name"].rsplit("-", 1)[1])

    # A minute that comes after the restart fires as well when the test crosses a minute boundary; only the
    # run for the missed time is asserted on, and later ones are allowed beside it.
    deadline = time.monotonic() + 30
    missed: list[dict[str, Any]] = []
    st: dict[str, Any] = {}
    while time.monotonic() < deadline:
        runs = requests.get(f"{srv.url}/api/v1/workflows/default", timeout=30).json()["items"] or []
        missed = [w for w in runs if scheduled(w) <= restarted_at]
        st = requests.get(f"{srv.url}/api/v1/cron-workflows/default/minutely", timeout=30).json().get("status") or {}
        active = [a["name"] for a in st.get("active") or []]
        if (st.get("succeeded") or st.get("failed")) and missed and missed[0]["metadata"]["name"] not in active:
            break
        time.sleep(0.3)
    assert [w["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"] for w in runs] == ["minutely"] * len(runs)
    assert len(missed) == 1, [w["metadata"]["name"] for w in runs]
    assert missed[0]["status"]["phase"] == "Succeeded"
    assert st["succeeded"] >= 1, st
    assert missed[0]["metadata"]["name"] not in [a["name"] for a in st.get("active") or []], st
