"""Argo's node tree on the fast layer: node names, types, `children`, `boundaryID` and
`outboundNodes` of whole runs, each case following the workflow of one of Argo's controller unit
tests (`workflow/controller/*_test.go`, named in the case's id) with the tree Argo's controller
(steps.go, dag.go, operator.go's getOutboundNodes and retry code) records for it.

A tree is written as `{name: (type, children, boundary, outboundNodes)}` with the run's name as
`wf`; children and outbound nodes are compared as sets, and every node of the run must be listed.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine_fast.conftest import dag, pod, steps, wf

OK = pod("ok", "echo ok")
FAIL = pod("fail", "exit 1")
Shape = tuple[str, set[str], str | None, set[str] | None]


def tree(nodes: dict[str, dict[str, Any]]) -> dict[str, Shape]:
    run = next(n["name"] for n in nodes.values() if n["id"] == n["name"])
    by_id = {n["id"]: n["name"] for n in nodes.values()}

    def rel(nid: str) -> str:
        name = by_id[nid]
        return "wf" + name[len(run):]

    out: dict[str, Shape] = {}
    for n in nodes.values():
        if n.get("notRun"):
            continue
        outbound = n.get("outboundNodes")
        out["wf" + n["name"][len(run):]] = (
            n["type"], {rel(c) for c in n.get("children") or []},
            rel(n["boundaryID"]) if n.get("boundaryID") else None,
            {rel(o) for o in outbound} if outbound is not None else None)
    return out


def task(name: str, template: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "template": template, **extra}


def flaky(name: str, fails: int, **extra: Any) -> dict[str, Any]:
    """Fails its first `fails` attempts, then succeeds."""
    return pod(name, f"exit 1 if {{{{retries}}}} < {fails}; echo ok", retryStrategy={"limit": 3}, **extra)


CASES: list[tuple[str, dict[str, Any], str, dict[str, Shape]]] = [
    ("dag_test.TestSingleDependency[Succeeded]",
     wf([dag("main", task("A", "ok"), task("TestSingle", "ok", depends="A.Succeeded")), OK]), "Succeeded",
     {"wf": ("DAG", {"wf.A"}, None, {"wf.TestSingle"}),
      "wf.A": ("Pod", {"wf.TestSingle"}, "wf", None),
      "wf.TestSingle": ("Pod", set(), "wf", None)}),
    ("dag_test.TestSingleDependency[Failed]",
     wf([dag("main", task("A", "fail"), task("TestSingle", "ok", depends="A.Failed")), OK, FAIL]), "Succeeded",
     {"wf": ("DAG", {"wf.A"}, None, {"wf.TestSingle"}),
      "wf.A": ("Pod", {"wf.TestSingle"}, "wf", None),
      "wf.TestSingle": ("Pod", set(), "wf", None)}),
    ("dag_test.TestSingleDependency[Skipped]",
     wf([dag("main", task("A", "ok", when="False == True"), task("TestSingle", "ok", depends="A.Skipped")), OK]),
     "Succeeded",
     {"wf": ("DAG", {"wf.A"}, None, {"wf.TestSingle"}),
      "wf.A": ("Skipped", {"wf.TestSingle"}, "wf", None),
      "wf.TestSingle": ("Pod", set(), "wf", None)}),
    ("dag_test.TestRetryStrategyNodes (steps → DAG → retried task → next group)",
     wf([steps("main", [task("run-dag", "run-dag")], [task("manual-onExit", "ok")]),
         dag("run-dag", task("A", "flaky"), task("B", "ok", dependencies=["A"])), flaky("flaky", 1), OK]),
     "Succeeded",
     {"wf": ("Steps", {"wf[0]"}, None, {"wf[1].manual-onExit"}),
      "wf[0]": ("StepGroup", {"wf[0].run-dag"}, "wf", None),
      "wf[0].run-dag": ("DAG", {"wf[0].run-dag.A"}, "wf", {"wf[0].run-dag.B"}),
      "wf[0].run-dag.A": ("Retry", {"wf[0].run-dag.A(0)", "wf[0].run-dag.A(1)"}, "wf[0].run-dag", None),
      "wf[0].run-dag.A(0)": ("Pod", set(), "wf[0].run-dag", None),
      "wf[0].run-dag.A(1)": ("Pod", {"wf[0].run-dag.B"}, "wf[0].run-dag", None),
      "wf[0].run-dag.B": ("Pod", {"wf[1]"}, "wf[0].run-dag", None),
      "wf[1]": ("StepGroup", {"wf[1].manual-onExit"}, "wf", None),
      "wf[1].manual-onExit": ("Pod", set(), "wf", None)}),
    ("dag_test.TestEmptyWithParamDAG",
     wf([dag("main", task("gen", "gen"), task("loop", "ok", depends="gen", withParam="{{tasks.gen.outputs.result}}"),
             task("after", "ok", depends="loop")), pod("gen", "echo []"), OK]), "Succeeded",
     {"wf": ("DAG", {"wf.gen"}, None, {"wf.after"}),
      "wf.gen": ("Pod", {"wf.loop"}, "wf", None),
      "wf.loop": ("Skipped", {"wf.after"}, "wf", None),
      "wf.after": ("Pod", set(), "wf", None)}),
    ("dag_test.TestDagAssessPhaseContinueOnExpandedTask",
     wf([dag("main", task("generate", "gen", continueOn={"failed": True}),
             task("one-will-fail", "one", dependencies=["generate"], withParam="{{tasks.generate.outputs.result}}",
                  continueOn={"failed": True}, arguments={"parameters": [{"name": "num", "value": "{{item}}"}]}),
             task("whalesay", "ok", dependencies=["one-will-fail"], continueOn={"failed": True})),
         pod("gen", "echo [0,1]"), pod("one", "exit 1 if {{inputs.parameters.num}} == 1",
                                       inputs={"parameters": [{"name": "num"}]}), OK]), "Succeeded",
     {"wf": ("DAG", {"wf.generate"}, None, {"wf.whalesay"}),
      "wf.generate": ("Pod", {"wf.one-will-fail"}, "wf", None),
      "wf.one-will-fail": ("TaskGroup", {"wf.one-will-fail(0:0)", "wf.one-will-fail(1:1)"}, "wf", None),
      "wf.one-will-fail(0:0)": ("Pod", {"wf.whalesay"}, "wf", None),
      "wf.one-will-fail(1:1)": ("Pod", {"wf.whalesay"}, "wf", None),
      "wf.whalesay": ("Pod", set(), "wf", None)}),
    ("dag_test.TestLeafContinueOn",
     wf([dag("main", task("A", "ok"), task("B", "fail", depends="A", continueOn={"failed": True})), OK, FAIL]),
     "Succeeded",
     {"wf": ("DAG", {"wf.A"}, None, {"wf.B"}),
      "wf.A": ("Pod", {"wf.B"}, "wf", None),
      "wf.B": ("Pod", set(), "wf", None)}),
    ("dag_test.TestDagTargetTaskOnExit (target)",
     wf([dag("main", task("A", "ok"), task("B", "ok", depends="A"), task("C", "ok"), target="B"), OK]),
     "Succeeded",
     {"wf": ("DAG", {"wf.A"}, None, {"wf.B"}),
      "wf.A": ("Pod", {"wf.B"}, "wf", None),
      "wf.B": ("Pod", set(), "wf", None)}),
    ("dag_test.TestDagDisableFailFast",
     wf([dag("main", task("A", "fail"), task("B", "ok"), task("C", "ok", depends="A"), failFast=False), OK, FAIL]),
     "Failed",
     {"wf": ("DAG", {"wf.A", "wf.B"}, None, {"wf.B", "wf.C"}),
      "wf.A": ("Pod", {"wf.C"}, "wf", None),
      "wf.B": ("Pod", set(), "wf", None),
      "wf.C": ("Skipped", set(), "wf", None)}),
    ("dag_test.TestDagRetrySucceeded (a task after a retried task hangs off its last attempt)",
     wf([dag("main", task("A", "flaky"), task("B", "ok", depends="A")), flaky("flaky", 2), OK]), "Succeeded",
     {"wf": ("DAG", {"wf.A"}, None, {"wf.B"}),
      "wf.A": ("Retry", {"wf.A(0)", "wf.A(1)", "wf.A(2)"}, "wf", None),
      "wf.A(0)": ("Pod", set(), "wf", None),
      "wf.A(1)": ("Pod", set(), "wf", None),
      "wf.A(2)": ("Pod", {"wf.B"}, "wf", None),
      "wf.B": ("Pod", set(), "wf", None)}),
    ("operator_test.TestDAGTemplateParallelismLimit (diamond)",
     wf([dag("main", task("A", "ok"), task("B", "ok", depends="A"), task("C", "ok", depends="A"),
             task("D", "ok", depends="B && C")), OK]), "Succeeded",
     {"wf": ("DAG", {"wf.A"}, None, {"wf.D"}),
      "wf.A": ("Pod", {"wf.B", "wf.C"}, "wf", None),
      "wf.B": ("Pod", {"wf.D"}, "wf", None),
      "wf.C": ("Pod", {"wf.D"}, "wf", None),
      "wf.D": ("Pod", set(), "wf", None)}),
    ("operator_test.TestNestedTemplateParallelismLimit (a DAG task that is a DAG)",
     wf([dag("main", task("A", "inner"), task("B", "ok", depends="A")),
         dag("inner", task("p", "ok"), task("q", "ok", depends="p")), OK]), "Succeeded",
     {"wf": ("DAG", {"wf.A"}, None, {"wf.B"}),
      "wf.A": ("DAG", {"wf.A.p"}, "wf", {"wf.A.q"}),
      "wf.A.p": ("Pod", {"wf.A.q"}, "wf.A", None),
      "wf.A.q": ("Pod", {"wf.B"}, "wf.A", None),
      "wf.B": ("Pod", set(), "wf", None)}),
    ("steps_test.TestStepsFailedRetries",
     wf([steps("main", [task("s", "fail-retry")]), pod("fail-retry", "exit 1", retryStrategy={"limit": 1})]),
     "Failed",
     {"wf": ("Steps", {"wf[0]"}, None, {"wf[0].s(1)"}),
      "wf[0]": ("StepGroup", {"wf[0].s"}, "wf", None),
      "wf[0].s": ("Retry", {"wf[0].s(0)", "wf[0].s(1)"}, "wf", None),
      "wf[0].s(0)": ("Pod", set(), "wf", None),
      "wf[0].s(1)": ("Pod", set(), "wf", None)}),
    ("steps_test.TestExpandStepGroupWithItems",
     wf([steps("main", [task("s", "ok", withItems=["a", "b"])], [task("t", "ok")]), OK]), "Succeeded",
     {"wf": ("Steps", {"wf[0]"}, None, {"wf[1].t"}),
      "wf[0]": ("StepGroup", {"wf[0].s(0:a)", "wf[0].s(1:b)"}, "wf", None),
      "wf[0].s(0:a)": ("Pod", {"wf[1]"}, "wf", None),
      "wf[0].s(1:b)": ("Pod", {"wf[1]"}, "wf", None),
      "wf[1]": ("StepGroup", {"wf[1].t"}, "wf", None),
      "wf[1].t": ("Pod", set(), "wf", None)}),
    ("steps_test.TestExpandStepGroupWithParam (empty list)",
     wf([steps("main", [task("s", "ok", withParam="[]")], [task("t", "ok")]), OK]), "Succeeded",
     {"wf": ("Steps", {"wf[0]"}, None, {"wf[1].t"}),
      "wf[0]": ("StepGroup", {"wf[0].s"}, "wf", None),
      "wf[0].s": ("Skipped", {"wf[1]"}, "wf", None),
      "wf[1]": ("StepGroup", {"wf[1].t"}, "wf", None),
      "wf[1].t": ("Pod", set(), "wf", None)}),
    ("steps_test.TestStepsWhenFalseSkipsDropPass",
     wf([steps("main", [task("a", "ok")], [task("b", "ok", when="false"), task("c", "ok")], [task("d", "ok")]), OK]),
     "Succeeded",
     {"wf": ("Steps", {"wf[0]"}, None, {"wf[2].d"}),
      "wf[0]": ("StepGroup", {"wf[0].a"}, "wf", None),
      "wf[0].a": ("Pod", {"wf[1]"}, "wf", None),
      "wf[1]": ("StepGroup", {"wf[1].b", "wf[1].c"}, "wf", None),
      "wf[1].b": ("Skipped", {"wf[2]"}, "wf", None),
      "wf[1].c": ("Pod", {"wf[2]"}, "wf", None),
      "wf[2]": ("StepGroup", {"wf[2].d"}, "wf", None),
      "wf[2].d": ("Pod", set(), "wf", None)}),
    ("operator_test.TestStepsRetriesVariable (a retried steps template at the root)",
     wf([{"name": "main", "retryStrategy": {"limit": 10},
          "steps": [[task("s", "w", arguments={"parameters": [{"name": "r", "value": "{{retries}}"}]})]]},
         pod("w", "exit 1 if {{inputs.parameters.r}} < 1", inputs={"parameters": [{"name": "r"}]})]), "Succeeded",
     {"wf": ("Retry", {"wf(0)", "wf(1)"}, None, None),
      "wf(0)": ("Steps", {"wf(0)[0]"}, None, {"wf(0)[0].s"}),
      "wf(0)[0]": ("StepGroup", {"wf(0)[0].s"}, "wf(0)", None),
      "wf(0)[0].s": ("Pod", set(), "wf(0)", None),
      "wf(1)": ("Steps", {"wf(1)[0]"}, None, {"wf(1)[0].s"}),
      "wf(1)[0]": ("StepGroup", {"wf(1)[0].s"}, "wf(1)", None),
      "wf(1)[0].s": ("Pod", set(), "wf(1)", None)}),
    ("operator_test.TestNestedStepGroupGlobalParams (nested steps)",
     wf([steps("main", [task("inner", "inner")], [task("after", "ok")]),
         steps("inner", [task("x", "ok"), task("y", "ok")]), OK]), "Succeeded",
     {"wf": ("Steps", {"wf[0]"}, None, {"wf[1].after"}),
      "wf[0]": ("StepGroup", {"wf[0].inner"}, "wf", None),
      "wf[0].inner": ("Steps", {"wf[0].inner[0]"}, "wf", {"wf[0].inner[0].x", "wf[0].inner[0].y"}),
      "wf[0].inner[0]": ("StepGroup", {"wf[0].inner[0].x", "wf[0].inner[0].y"}, "wf[0].inner", None),
      "wf[0].inner[0].x": ("Pod", {"wf[1]"}, "wf[0].inner", None),
      "wf[0].inner[0].y": ("Pod", {"wf[1]"}, "wf[0].inner", None),
      "wf[1]": ("StepGroup", {"wf[1].after"}, "wf", None),
      "wf[1].after": ("Pod", set(), "wf", None)}),
    ("operator_test.TestWorkflowStepRetry (a group after a retried step hangs off its last attempt)",
     wf([steps("main", [task("s", "flaky")], [task("t", "ok")]), flaky("flaky", 1), OK]), "Succeeded",
     {"wf": ("Steps", {"wf[0]"}, None, {"wf[1].t"}),
      "wf[0]": ("StepGroup", {"wf[0].s"}, "wf", None),
      "wf[0].s": ("Retry", {"wf[0].s(0)", "wf[0].s(1)"}, "wf", None),
      "wf[0].s(0)": ("Pod", set(), "wf", None),
      "wf[0].s(1)": ("Pod", {"wf[1]"}, "wf", None),
      "wf[1]": ("StepGroup", {"wf[1].t"}, "wf", None),
      "wf[1].t": ("Pod", set(), "wf", None)}),
    ("operator_test.TestSuspendTemplate (suspend then a step)",
     wf([steps("main", [task("approve", "wait")], [task("t", "ok")]), {"name": "wait", "suspend": {"duration": "0"}},
         OK]), "Succeeded",
     {"wf": ("Steps", {"wf[0]"}, None, {"wf[1].t"}),
      "wf[0]": ("StepGroup", {"wf[0].approve"}, "wf", None),
      "wf[0].approve": ("Suspend", {"wf[1]"}, "wf", None),
      "wf[1]": ("StepGroup", {"wf[1].t"}, "wf", None),
      "wf[1].t": ("Pod", set(), "wf", None)}),
    ("operator_test.TestDAGWFGetNodeName (a steps template as a DAG task)",
     wf([dag("main", task("A", "inner"), task("B", "ok", depends="A")),
         steps("inner", [task("x", "ok")], [task("y", "ok"), task("z", "ok")]), OK]), "Succeeded",
     {"wf": ("DAG", {"wf.A"}, None, {"wf.B"}),
      "wf.A": ("Steps", {"wf.A[0]"}, "wf", {"wf.A[1].y", "wf.A[1].z"}),
      "wf.A[0]": ("StepGroup", {"wf.A[0].x"}, "wf.A", None),
      "wf.A[0].x": ("Pod", {"wf.A[1]"}, "wf.A", None),
      "wf.A[1]": ("StepGroup", {"wf.A[1].y", "wf.A[1].z"}, "wf.A", None),
      "wf.A[1].y": ("Pod", {"wf.B"}, "wf.A", None),
      "wf.A[1].z": ("Pod", {"wf.B"}, "wf.A", None),
      "wf.B": ("Pod", set(), "wf", None)}),
]


@pytest.mark.parametrize(("workflow", "phase", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_node_tree_is_argos(run, workflow: dict[str, Any], phase: str, expected: dict[str, Shape]) -> None:
    r = run(workflow)
    assert r.phase == phase, r.message
    assert tree(r.nodes) == expected


def test_retries_in_a_callers_arguments_counts_the_attempts(run) -> None:
    """A DAG task whose arguments hold `{{retries}}`: the retried callee sees each attempt's number."""
    r = run(wf([dag("main", task("a", "w", arguments={"parameters": [{"name": "r", "value": "{{retries}}"}]})),
                pod("w", "echo try {{inputs.parameters.r}}; exit 1 if {{inputs.parameters.r}} < 2",
                    inputs={"parameters": [{"name": "r"}]}, retryStrategy={"limit": 4})]))
    assert r.phase == "Succeeded", r.message
    attempts = r.children("a")
    assert [a["displayName"] for a in attempts] == ["a(0)", "a(1)", "a(2)"]
    assert [a["inputs"]["parameters"][0]["value"] for a in attempts] == ["0", "1", "2"]
    assert [a["outputs"]["result"] for a in attempts] == ["try 0", "try 1", "try 2"]
    assert all(a["nodeFlag"] == {"retried": True} for a in attempts)


def test_retries_without_a_retry_strategy_is_an_error_every_time(run) -> None:
    workflow = wf([dag("main", task("a", "w", arguments={"parameters": [{"name": "r", "value": "{{retries}}"}]})),
                   pod("w", "echo {{inputs.parameters.r}}", inputs={"parameters": [{"name": "r"}]})])
    for _ in range(2):
        r = run(workflow)
        assert r.phase == "Error"
        assert "failed to resolve {{retries}}" in r.node("a")["message"]


def _run_name(r) -> str:
    return next(n["id"] for n in r.nodes.values() if n["id"] == n["name"])


def test_progress_and_resources_duration_per_node(run) -> None:
    """Argo's accounting: a pod counts itself (1/1 once ended); other nodes sum what their children
    links reach; a pod's resourcesDuration is its containers' requests (Argo's 100m CPU and 100Mi
    memory by default, its wait container included) times its seconds."""
    from wfexec.engine.status import workflow_object
    from wfexec.engine.store import Store

    sleeper = pod("slow", "sleep 2.2", container={"image": "none", "command": ["sh", "-c", "sleep 2.2"],
                                                 "resources": {"requests": {"cpu": "2", "memory": "200Mi"}}})
    r = run(wf([steps("main", [task("a", "slow"), task("b", "ok")]), sleeper, OK]))
    assert r.phase == "Succeeded", r.message
    name = _run_name(r)
    store = Store()
    obj = workflow_object(store.get_run(name), store.get_nodes(name))
    nodes = {n["displayName"]: n for n in obj["status"]["nodes"].values()}
    assert obj["status"]["progress"] == "2/2"
    assert nodes[name]["progress"] == "2/2" and nodes["[0]"]["progress"] == "2/2"
    assert nodes["a"]["progress"] == "1/1"
    a = nodes["a"]["resourcesDuration"]  # memory: 200Mi is 2 units for main, 100Mi 1 for wait
    assert a["memory"] % 3 == 0 and a["memory"] >= 6, a
    secs = a["memory"] // 3
    assert a["cpu"] == 2 * secs + (100 * secs) // 1000
    assert nodes[name]["resourcesDuration"] == {
        k: a.get(k, 0) + nodes["b"]["resourcesDuration"].get(k, 0) for k in ("cpu", "memory")}
    assert obj["status"]["resourcesDuration"] == nodes[name]["resourcesDuration"]


def test_estimated_duration_comes_from_the_last_succeeded_run(run) -> None:
    workflow = wf([steps("main", [task("a", "ok")]), OK])
    first = run(workflow)
    assert all("estimatedDuration" not in n for n in first.nodes.values())
    second = run(workflow)
    assert second.node("a")["estimatedDuration"] == 0
    assert second.root()["estimatedDuration"] == 0
    renamed = wf([steps("main", [task("a", "ok")]), OK])
    renamed["metadata"] = {"generateName": "another-"}
    assert "estimatedDuration" not in run(renamed).node("a")  # another workflow: no baseline
