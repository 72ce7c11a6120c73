"""Cases found by running workflows from Argo's own tests, where wfexec ended in Error or Failed
and Argo succeeds (steps_test.go, dag_test.go, test/e2e/functional/steps-when-expr-filter.yaml)."""

from __future__ import annotations

from typing import Any

from tests.engine_fast.conftest import dag, pod, steps, wf

PRODUCER = pod("producer", "echo never", outputs={"parameters": [
    {"name": "msg", "valueFrom": {"path": "/tmp/msg", "default": "from-default"}}]})
CONSUMER = pod("consumer", "echo got {{inputs.parameters.msg}}", inputs={"parameters": [{"name": "msg"}]})


def _use(ref: str) -> dict[str, Any]:
    return {"parameters": [{"name": "msg", "value": ref}]}


def test_a_skipped_dag_producer_gives_its_output_default(run) -> None:
    r = run(wf([dag("main", {"name": "producer", "template": "producer", "when": "false"},
                    {"name": "consumer", "template": "consumer", "depends": "producer",
                     "arguments": _use("{{tasks.producer.outputs.parameters.msg}}")}), PRODUCER, CONSUMER]))
    assert r.phase == "Succeeded", r.message
    assert r.node("producer")["phase"] == "Skipped"
    assert r.node("consumer")["outputs"]["result"] == "got from-default"


def test_an_omitted_dag_producer_gives_its_output_default(run) -> None:
    r = run(wf([dag("main", {"name": "gate", "template": "fail"},
                    {"name": "producer", "template": "producer", "depends": "gate.Succeeded"},
                    {"name": "consumer", "template": "consumer", "depends": "producer.Omitted",
                     "arguments": _use("{{tasks.producer.outputs.parameters.msg}}")}),
                PRODUCER, CONSUMER, pod("fail", "exit 1")]))
    assert r.node("producer")["phase"] == "Omitted"
    assert r.node("consumer")["outputs"]["result"] == "got from-default"


def test_a_skipped_steps_producer_gives_its_output_default(run) -> None:
    r = run(wf([steps("main", [{"name": "producer", "template": "producer", "when": "1 == 2"}],
                      [{"name": "consumer", "template": "consumer",
                        "arguments": _use("{{steps.producer.outputs.parameters.msg}}")}]), PRODUCER, CONSUMER]))
    assert r.phase == "Succeeded", r.message
    assert r.node("consumer")["outputs"]["result"] == "got from-default"


def test_with_param_over_an_empty_list_is_one_skipped_node(run) -> None:
    for workflow in (wf([dag("main", {"name": "loop", "template": "ok", "withParam": "[]"}), pod("ok", "echo")]),
                     wf([steps("main", [{"name": "loop", "template": "ok", "withParam": "[]"}]), pod("ok", "echo")])):
        r = run(workflow)
        assert r.phase == "Succeeded", r.message
        loop = r.node("loop")
        assert (loop["type"], loop["phase"], loop["message"]) == ("Skipped", "Skipped", "Skipped, empty params")
        assert not [n for n in r.nodes.values() if n["type"] == "Pod"]


def test_when_with_an_expression_inside_a_quoted_list(run) -> None:
    """steps-when-expr-filter: `{{= … }}` is substituted first, then the text is read as govaluate;
    an input's value may use the inputs declared before it."""
    main = {"name": "main", "inputs": {"parameters": [
        {"name": "test", "value": "true"},
        {"name": "list", "value": "{{= concat(['always'], inputs.parameters.test == 'true' ? ['test'] : [])"
                                  " | toJSON() }}"}]},
        "steps": [[{"name": "fst", "template": "run",
                    "when": '"{{= get(item, \'type\') ?? \'always\' }}"\nin\n'
                            '("{{= inputs.parameters.list | fromJSON() | join(\'","\') }}","")',
                    "withParam": '[{"name": "first", "type": ""}, {"name": "second", "type": "always"},'
                                 ' {"name": "third", "type": "test"}, {"name": "fourth"}, {"name": "fifth", "type": "x"}]',
                    "arguments": {"parameters": [{"name": "name", "value": "{{ item.name }}"}]}}]]}
    r = run(wf([main, pod("run", "echo {{inputs.parameters.name}}", inputs={"parameters": [{"name": "name"}]})]))
    assert r.phase == "Succeeded", r.message
    ran = sorted(n["outputs"]["result"] for n in r.nodes.values() if n["type"] == "Pod")
    assert ran == ["first", "fourth", "second", "third"]
    assert r.node("fst(4:name:fifth,type:x)")["phase"] == "Skipped"
