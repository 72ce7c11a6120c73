"""Exit handlers and lifecycle hooks on the in-memory backend."""

from __future__ import annotations

import json

from tests.engine_fast.conftest import pod, steps, wf
from wfexec.engine import nodes as N

OK = pod("ok", "echo ok")
BAD = pod("bad", "exit 1")
SAY = pod("say", "echo {{inputs.parameters.text}}", inputs={"parameters": [{"name": "text"}]})
STATUS = pod("status", "echo {{workflow.status}}")


def _say(value: str) -> dict:
    return {"parameters": [{"name": "text", "value": value}]}


def test_step_on_exit_runs_after_the_step_and_sees_its_status(run) -> None:
    step = {"name": "a", "template": "bad",
            "hooks": {"exit": {"template": "say", "arguments": _say("{{steps.a.status}}")}}}
    r = run(wf([steps("main", [step]), BAD, SAY]))
    hook = r.node("a.onExit")
    assert hook["phase"] == "Succeeded"
    assert hook["outputs"]["result"] == "Failed"
    assert r.backend.started_templates() == ["bad", "say"]
    assert r.phase == "Failed"  # an exit hook does not change the step's outcome


def test_on_exit_field_is_the_exit_hook(run) -> None:
    r = run(wf([steps("main", [{"name": "a", "template": "ok", "onExit": "ok"}]), OK]))
    assert r.node("a.onExit")["phase"] == "Succeeded"


def test_lifecycle_hook_runs_only_when_its_expression_holds(run) -> None:
    hooks = {"failed": {"expression": "steps.a.status == 'Failed'", "template": "say", "arguments": _say("f")},
             "ok": {"expression": "steps.a.status == 'Succeeded'", "template": "say", "arguments": _say("s")}}
    r = run(wf([steps("main", [{"name": "a", "template": "bad", "hooks": hooks}]), BAD, SAY]))
    hook = r.node("a.hooks.failed")  # Argo's name for a lifecycle hook's node
    assert hook["outputs"]["result"] == "f" and hook["nodeFlag"] == {"hooked": True}
    assert not r.has("a.hooks.ok")


def test_dag_task_hooks_see_the_task(run) -> None:
    task = {"name": "t", "template": "ok",
            "hooks": {"exit": {"template": "say", "arguments": _say("{{tasks.t.status}}")}}}
    r = run(wf([{"name": "main", "dag": {"tasks": [task]}}, OK, SAY]))
    assert r.node("t.onExit")["outputs"]["result"] == "Succeeded"


def test_workflow_exit_handler_sees_the_status_and_the_failures(run) -> None:
    report = pod("report", "echo {{workflow.status}} {{workflow.failures}}")
    r = run(wf([steps("main", [{"name": "a", "template": "bad"}]), BAD, report], onExit="report"))
    handler = next(n for n in r.nodes.values() if n["name"].endswith(".onExit"))
    assert handler["phase"] == "Succeeded"
    status, failures = handler["outputs"]["result"].split(" ", 1)
    assert status == "Failed"
    # Argo's value is quoted: `sh -c` takes the quotes and leaves the JSON
    assert [f["displayName"] for f in json.loads(failures)][-1] == "a"
    assert r.phase == "Failed"


def test_a_failing_exit_handler_fails_a_succeeded_workflow(run) -> None:
    r = run(wf([steps("main", [{"name": "a", "template": "ok"}]), OK, BAD], onExit="bad"))
    assert r.phase == "Failed"
    assert r.message == "Error (exit code 1)"


def test_exit_handler_from_spec_hooks_exit(run) -> None:
    r = run(wf([steps("main", [{"name": "a", "template": "ok"}]), OK, STATUS], hooks={"exit": {"template": "status"}}))
    handler = next(n for n in r.nodes.values() if n["name"].endswith(".onExit"))
    assert handler["outputs"]["result"] == "Succeeded"


def test_workflow_hooks_fire_on_their_expression(run) -> None:
    hooks = {"on-fail": {"expression": "workflow.status == 'Failed'", "template": "status"},
             "on-ok": {"expression": "workflow.status == 'Succeeded'", "template": "status"}}
    r = run(wf([steps("main", [{"name": "a", "template": "bad"}]), BAD, STATUS], hooks=hooks))
    names = {n["name"].split(".", 1)[1] for n in r.nodes.values() if ".hooks." in n["name"]}
    assert names == {"hooks.on-fail"}


def test_workflow_failures_is_argos_quoted_list_of_every_failed_node(run) -> None:
    """operator.go: every Failed/Error node (the Steps root and its StepGroup too), each with Argo's
    v2 pod name, marshalled as Go does and strconv.Quote'd."""
    report = steps("report", [{"name": "say", "template": "say", "arguments": _say("{{workflow.failures}}")}])
    r = run(wf([steps("main", [{"name": "a", "template": "bad"}]), BAD, SAY, report], onExit="report"))
    root, a = r.root(), r.node("a")
    name = root["name"]
    group = r.nodes[N.node_id(name, f"{name}[0]")]
    expected = [{"displayName": n["displayName"], "message": n.get("message", ""), "templateName": template,
                 "phase": n["phase"], "podName": pod, "finishedAt": n["finishedAt"]}
                for n, template, pod in ((root, "main", name), (group, "", N.pod_name(name, group["name"], "")),
                                         (a, "bad", f"{name}-bad-{N.fnv32a(a['name'])}"))]
    said = r.node("say")["inputs"]["parameters"][0]["value"]
    assert said == json.dumps(json.dumps(expected, separators=(",", ":")))  # = Go's strconv.Quote of ASCII


def test_workflow_failures_without_failures_is_quoted_null(run) -> None:
    report = steps("report", [{"name": "say", "template": "say", "arguments": _say("{{workflow.failures}}")}])
    r = run(wf([steps("main", [{"name": "a", "template": "ok"}]), OK, SAY, report], onExit="report"))
    assert r.node("say")["inputs"]["parameters"][0]["value"] == '"null"'  # Go marshals a nil slice as null


def test_the_exit_handler_gets_the_workflows_arguments_and_a_hook_its_own(run) -> None:
    """Argo's GetExitHook: `onExit` takes spec.arguments (the -p values too); `hooks.exit` its own arguments,
    else the workflow's. Without them, a handler with inputs ended the run in Error."""
    say_who = pod("bye", "echo bye {{inputs.parameters.who}}", inputs={"parameters": [{"name": "who"}]})
    args = {"parameters": [{"name": "who", "value": "world"}]}
    r = run(wf([steps("main", [{"name": "a", "template": "ok"}]), OK, say_who], onExit="bye", arguments=args),
            parameters={"who": "given"})
    assert r.phase == "Succeeded" and r.node(f"{r.root()['name']}.onExit")["outputs"]["result"] == "bye given"
    own = {"exit": {"template": "bye", "arguments": {"parameters": [{"name": "who", "value": "{{workflow.status}}"}]}}}
    r = run(wf([steps("main", [{"name": "a", "template": "ok"}]), OK, say_who], hooks=own, arguments=args))
    assert r.node(f"{r.root()['name']}.onExit")["outputs"]["result"] == "bye Succeeded"
    r = run(wf([steps("main", [{"name": "a", "template": "ok"}]), OK, say_who], hooks={"exit": {"template": "bye"}},
               arguments=args))
    assert r.node(f"{r.root()['name']}.onExit")["outputs"]["result"] == "bye world"


def test_running_hooks_fire_while_the_workflow_and_the_step_run(run) -> None:
    """Argo judges lifecycle hooks on every pass: `workflow.status == "Running"` (its own example,
    life-cycle-hooks-wf-level.yaml) and a step's `steps.x.status == "Running"` fire while they run."""
    slow = pod("slow", "sleep 0.6")
    step = {"name": "x", "template": "slow",
            "hooks": {"running": {"expression": 'steps.x.status == "Running"', "template": "status"},
                      "done": {"expression": 'steps.x.status == "Succeeded"', "template": "status"}}}
    hooks = {"running": {"expression": 'workflow.status == "Running"', "template": "status"}}
    r = run(wf([steps("main", [step]), slow, STATUS], hooks=hooks))
    name = r.root()["name"]
    assert r.phase == "Succeeded"
    wf_hook, step_running, step_done = (r.node(f"{name}.hooks.running"), r.node("x.hooks.running"),
                                        r.node("x.hooks.done"))
    assert wf_hook["outputs"]["result"] == "Running"  # {{workflow.status}} as it was when it fired
    assert step_running["startedAt"] <= r.node("x")["finishedAt"]
    assert all(n["nodeFlag"] == {"hooked": True} for n in (wf_hook, step_running, step_done))


def test_a_global_output_is_read_by_a_later_step_of_the_same_template(run) -> None:
    """`globalName` sets {{workflow.outputs.parameters.g}} as soon as its step ends; a step after it reads it
    (Argo merges the global parameters into every step's scope); it failed to resolve."""
    gen = pod("gen", "write /tmp/p hello", outputs={"parameters": [
        {"name": "p", "valueFrom": {"path": "/tmp/p"}, "globalName": "g"}]})
    use = {"name": "use", "template": "say", "arguments": _say("{{workflow.outputs.parameters.g}}")}
    r = run(wf([steps("main", [{"name": "gen", "template": "gen"}], [use]), gen, SAY]))
    assert r.phase == "Succeeded" and r.node("use")["outputs"]["result"] == "hello"
    task = {"name": "use", "template": "say", "depends": "gen", "arguments": _say("{{workflow.outputs.parameters.g}}")}
    r = run(wf([{"name": "main", "dag": {"tasks": [{"name": "gen", "template": "gen"}, task]}}, gen, SAY]))
    assert r.phase == "Succeeded" and r.node("use")["outputs"]["result"] == "hello"
