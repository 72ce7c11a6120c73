"""Parallelism and deadlines on the in-memory backend: the most pods running at once, and what a
deadline or a timeout ends."""

from __future__ import annotations

import time

from tests.engine_fast.conftest import dag, pod, steps, wf
from wfexec.executors.result import DEADLINE_MESSAGE

NAP = pod("nap", "sleep 0.08")
LONG = pod("long", "sleep 30")
LOOP6 = {"name": "s", "template": "nap", "withSequence": {"count": "6"}}


def test_without_a_limit_the_loop_runs_at_once(run) -> None:
    r = run(wf([steps("main", [LOOP6]), dict(NAP, container={"command": ["sh", "-c", "sleep 0.3"]})]))
    assert len(r.backend.pods) == 6
    assert r.backend.max_running == 6


def test_workflow_parallelism_bounds_all_pods(run) -> None:
    r = run(wf([steps("main", [LOOP6, {"name": "t", "template": "nap"}]), NAP], parallelism=2))
    assert len(r.backend.pods) == 7
    assert r.backend.max_running == 2
    assert r.phase == "Succeeded"


def test_template_parallelism_bounds_its_children(run) -> None:
    r = run(wf([steps("main", [LOOP6], parallelism=3), NAP]))
    assert r.backend.max_running == 3


def test_dag_parallelism_bounds_its_tasks(run) -> None:
    tasks = [{"name": f"t{i}", "template": "nap"} for i in range(5)]
    r = run(wf([{"name": "main", "parallelism": 2, "dag": {"tasks": tasks}}, NAP]))
    assert r.backend.max_running == 2
    assert r.phase == "Succeeded"


def test_run_option_parallelism_bounds_pods(run) -> None:
    r = run(wf([dag("main", *[{"name": f"t{i}", "template": "nap"} for i in range(4)]), NAP]), parallelism=1)
    assert r.backend.max_running == 1


def test_workflow_active_deadline_stops_the_run(run) -> None:
    t0 = time.monotonic()
    r = run(wf([steps("main", [{"name": "a", "template": "long"}], [{"name": "b", "template": "long"}]), LONG],
               activeDeadlineSeconds=0.3))
    assert time.monotonic() - t0 < 5
    assert r.phase == "Failed"
    assert r.node("a")["phase"] == "Failed"
    assert r.node("a")["message"] == "Step exceeded its deadline"
    assert not r.has("b")


def test_pod_deadline_fails_the_pod(run) -> None:
    r = run(wf([steps("main", [{"name": "a", "template": "long"}]), dict(LONG, timeout="150ms")]))
    assert r.node("a")["phase"] == "Failed"
    assert r.node("a")["message"] == DEADLINE_MESSAGE
    assert r.phase == "Failed"


def test_steps_timeout_kills_what_runs_under_it(run) -> None:
    inner = steps("inner", [{"name": "a", "template": "long"}], timeout="150ms")
    t0 = time.monotonic()
    r = run(wf([steps("main", [{"name": "in", "template": "inner"}]), inner, LONG]))
    assert time.monotonic() - t0 < 5
    assert r.node("in")["phase"] == "Failed"
    assert r.node("in")["message"] == "Max duration limit exceeded (150ms)"
    assert r.node("a")["phase"] == "Failed"


def test_steps_timeout_spares_a_sibling_whose_name_starts_alike(run) -> None:
    inner = steps("inner", [{"name": "a", "template": "long"}], timeout="150ms")
    sibling = pod("sibling", "sleep 0.4; echo done")
    r = run(wf([steps("main", [{"name": "in", "template": "inner"}, {"name": "inner", "template": "sibling"}]),
                inner, sibling, LONG]))
    assert r.node("in")["phase"] == "Failed"
    assert r.node("inner")["phase"] == "Succeeded"
    assert r.node("inner")["outputs"]["result"] == "done"


def test_a_sequence_too_long_to_hold_ends_its_step_in_error(run) -> None:
    """A count of 10^11 was built in memory first: the engine died of MemoryError."""
    huge = {"name": "s", "template": "nap", "withSequence": {"count": "100000000000"}}
    r = run(wf([steps("main", [huge]), NAP]))
    assert r.phase == "Failed" and r.node("s")["phase"] == "Error"
    assert "withSequence makes 100000000000 items" in r.node("s")["message"]
    assert not r.backend.pods
