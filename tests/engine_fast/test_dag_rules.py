"""DAG and steps rules on the in-memory backend: `depends` (every result kind), failFast,
continueOn and target."""

from __future__ import annotations

from tests.engine_fast.conftest import dag, pod, steps, wf

OK = pod("ok", "echo ok")
BAD = pod("bad", "exit 1")
ERR = pod("err", "exit 0", outputs={"parameters": [{"name": "p", "valueFrom": {"path": "/tmp/never"}}]})
SLOW = pod("slow", "sleep 0.3")
BY_ITEM = pod("by-item", "exit 1 if {{inputs.parameters.n}} == 1",
              inputs={"parameters": [{"name": "n"}]})
DAEMON = pod("daemon", "sleep 30", daemon=True)
N_ARG = {"parameters": [{"name": "n", "value": "{{item}}"}]}


def _task(name: str, template: str, depends: str | None = None, **extra: object) -> dict:
    t: dict = {"name": name, "template": template, **extra}
    if depends is not None:
        t["depends"] = depends
    return t


def test_depends_every_result_kind(run) -> None:
    tasks = [
        _task("a-ok", "ok"), _task("a-bad", "bad"), _task("a-err", "err"),
        _task("a-skip", "ok", when="1 == 2"), _task("a-daemon", "daemon"),
        _task("loop-mixed", "by-item", withItems=[0, 1, 2], arguments=N_ARG),
        _task("loop-bad", "by-item", withItems=[1, 1], arguments=N_ARG),
        _task("on-ok", "ok", "a-ok.Succeeded"),
        _task("on-failed", "ok", "a-bad.Failed"),
        _task("on-bad-ok", "ok", "a-bad.Succeeded"),
        _task("on-errored", "ok", "a-err.Errored"),
        _task("on-skipped", "ok", "a-skip.Skipped"),
        _task("on-omitted", "ok", "on-bad-ok.Omitted"),
        _task("on-daemoned", "ok", "a-daemon.Daemoned"),
        _task("on-any", "ok", "loop-mixed.AnySucceeded"),
        _task("on-all-failed", "ok", "loop-bad.AllFailed"),
        _task("on-not-all-failed", "ok", "loop-mixed.AllFailed"),
        _task("on-bare-bad", "ok", "a-bad"),
        _task("on-bare-skip", "ok", "a-skip"),
        _task("on-logic", "ok", "(a-ok && !a-bad.Succeeded) || a-bad.Succeeded"),
    ]
    r = run(wf([dag("main", *tasks, failFast=False), OK, BAD, ERR, BY_ITEM, DAEMON]))
    ran = ["on-ok", "on-failed", "on-errored", "on-skipped", "on-omitted", "on-daemoned", "on-any",
           "on-all-failed", "on-bare-skip", "on-logic"]
    omitted = ["on-bad-ok", "on-not-all-failed", "on-bare-bad"]
    assert {t: r.node(t)["phase"] for t in ran} == dict.fromkeys(ran, "Succeeded")
    for t in omitted:
        assert r.node(t)["phase"] == "Omitted"
        assert r.node(t)["message"] == "omitted: depends condition not met"
    assert r.node("a-err")["phase"] == "Error"
    assert r.node("a-skip")["phase"] == "Skipped"
    assert r.node("a-daemon")["phase"] == "Succeeded"  # stopped when the DAG ended
    items = [c for c in r.children("loop-mixed") if c["displayName"].startswith("loop-mixed(")]
    assert [c["phase"] for c in items] == ["Succeeded", "Failed", "Succeeded"]
    assert r.root()["phase"] == "Failed"


def test_dependencies_list_means_all_succeeded(run) -> None:
    tasks = [_task("a", "ok"), _task("b", "bad"), _task("c", "ok", dependencies=["a"]),
             _task("d", "ok", dependencies=["a", "b"])]
    r = run(wf([dag("main", *tasks, failFast=False), OK, BAD]))
    assert r.node("c")["phase"] == "Succeeded"
    assert r.node("d")["phase"] == "Omitted"


def test_fail_fast_starts_no_new_task_after_a_failure(run) -> None:
    tasks = [_task("bad", "bad"), _task("slow", "slow"), _task("after-slow", "ok", "slow")]
    r = run(wf([dag("main", *tasks), BAD, SLOW, OK]))
    assert r.node("slow")["phase"] == "Succeeded"  # already running: it finishes
    assert not r.has("after-slow")
    assert r.backend.started_templates().count("ok") == 0
    assert r.root()["phase"] == "Failed"
    assert r.root()["message"] == f"child '{r.node('bad')['id']}' failed"
    assert r.phase == "Failed"


def test_fail_fast_false_runs_the_other_branches(run) -> None:
    tasks = [_task("bad", "bad"), _task("slow", "slow"), _task("after-slow", "ok", "slow")]
    r = run(wf([dag("main", *tasks, failFast=False), BAD, SLOW, OK]))
    assert r.node("after-slow")["phase"] == "Succeeded"
    assert r.root()["phase"] == "Failed"


def test_steps_fail_fast_stops_starting_loop_children(run) -> None:
    loop = {"name": "s", "template": "by-item", "withItems": [1, 2, 3, 4], "arguments": N_ARG}
    r = run(wf([steps("main", [loop], parallelism=1, failFast=True), BY_ITEM]))
    assert len(r.backend.pods) == 1
    assert r.phase == "Failed"
    r = run(wf([steps("main", [loop], parallelism=1), BY_ITEM]))
    assert len(r.backend.pods) == 4  # without failFast every child runs


def test_a_failed_step_group_ends_the_steps(run) -> None:
    r = run(wf([steps("main", [{"name": "a", "template": "bad"}], [{"name": "b", "template": "ok"}]), BAD, OK]))
    assert not r.has("b")
    group = r.node("[0]")
    assert group["phase"] == "Failed"
    assert group["message"] == f"child '{r.node('a')['id']}' failed"
    assert r.phase == "Failed"


def test_continue_on_failed_lets_steps_go_on(run) -> None:
    r = run(wf([steps("main", [{"name": "a", "template": "bad", "continueOn": {"failed": True}}],
                      [{"name": "b", "template": "ok"}]), BAD, OK]))
    assert r.node("a")["phase"] == "Failed"
    assert r.node("b")["phase"] == "Succeeded"
    assert r.node("[0]")["phase"] == "Succeeded"
    assert r.phase == "Succeeded"


def test_continue_on_covers_only_the_named_phase(run) -> None:
    r = run(wf([steps("main", [{"name": "a", "template": "err", "continueOn": {"error": True}}],
                      [{"name": "b", "template": "ok"}]), ERR, OK]))
    assert r.node("b")["phase"] == "Succeeded" and r.phase == "Succeeded"
    r = run(wf([steps("main", [{"name": "a", "template": "err", "continueOn": {"failed": True}}],
                      [{"name": "b", "template": "ok"}]), ERR, OK]))
    assert not r.has("b") and r.phase == "Failed"


def test_continue_on_in_a_dag_satisfies_a_bare_dependency(run) -> None:
    tasks = [_task("a", "bad", continueOn={"failed": True}), _task("b", "ok", "a")]
    r = run(wf([dag("main", *tasks), BAD, OK]))
    assert r.node("a")["phase"] == "Failed"
    assert r.node("b")["phase"] == "Succeeded"
    assert r.phase == "Succeeded"


def test_target_runs_only_the_targets_and_what_they_need(run) -> None:
    tasks = [_task("a", "ok"), _task("b", "ok", "a"), _task("c", "ok")]
    r = run(wf([dag("main", *tasks, target="b"), OK]))
    assert r.node("a")["phase"] == "Succeeded" and r.node("b")["phase"] == "Succeeded"
    assert not r.has("c")


def test_outputs_flow_to_dependent_tasks(run) -> None:
    make = pod("make", "write /tmp/out hello", outputs={"parameters": [{"name": "v", "valueFrom": {"path": "/tmp/out"}}]})
    show = pod("show", "echo got {{inputs.parameters.v}}", inputs={"parameters": [{"name": "v"}]})
    tasks = [_task("a", "make"),
             _task("b", "show", "a", arguments={"parameters": [{"name": "v", "value": "{{tasks.a.outputs.parameters.v}}"}]})]
    r = run(wf([dag("main", *tasks), make, show]))
    assert r.node("b")["outputs"]["result"] == "got hello"
