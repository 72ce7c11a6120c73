"""stop, terminate and resume (sent through the store, as the CLI sends them), and suspend nodes,
on the in-memory backend."""

from __future__ import annotations

from tests.engine_fast.conftest import FastRun, pod, steps, wf

LONG = pod("long", "sleep 30")
OK = pod("ok", "echo ok")
PAUSE = {"name": "pause", "suspend": {}}
TWO_STEPS = steps("main", [{"name": "a", "template": "long"}], [{"name": "b", "template": "ok"}])


def _pod_started(r: FastRun) -> bool:
    return bool(r.backend.pods)


def _suspended(r: FastRun) -> bool:
    return any(n.get("type") == "Suspend" and n.get("phase") == "Running" for n in r.nodes.values())


def test_stop_ends_running_pods_and_still_runs_the_exit_handler(run) -> None:
    r = run(wf([TWO_STEPS, LONG, OK], onExit="ok"), control=(_pod_started, "stop"))
    assert r.phase == "Failed"
    assert r.message == "Stopped with strategy 'Stop'"
    assert r.node("a")["phase"] == "Failed"
    assert r.node("a")["message"] == "Stopped with strategy 'Stop'"
    assert not r.has("b")
    assert any(n["name"].endswith(".onExit") and n["phase"] == "Succeeded" for n in r.nodes.values())


def test_terminate_skips_the_exit_handler(run) -> None:
    r = run(wf([TWO_STEPS, LONG, OK], onExit="ok"), control=(_pod_started, "terminate"))
    assert r.message == "Stopped with strategy 'Terminate'"
    assert not any(n["name"].endswith(".onExit") for n in r.nodes.values())


def test_resume_releases_a_suspend_node(run) -> None:
    r = run(wf([steps("main", [{"name": "wait", "template": "pause"}], [{"name": "after", "template": "ok"}]),
                PAUSE, OK]), control=(_suspended, "resume"))
    assert r.node("wait")["phase"] == "Succeeded"
    assert r.node("after")["phase"] == "Succeeded"
    assert r.phase == "Succeeded"


def test_suspend_with_a_duration_resumes_by_itself(run) -> None:
    timed = {"name": "pause", "suspend": {"duration": "100ms"},
             "outputs": {"parameters": [{"name": "answer", "valueFrom": {"default": "42"}}]}}
    r = run(wf([steps("main", [{"name": "wait", "template": "pause"}]), timed]))
    assert r.node("wait")["phase"] == "Succeeded"
    assert r.node("wait")["outputs"]["parameters"] == [{"name": "answer", "value": "42"}]
