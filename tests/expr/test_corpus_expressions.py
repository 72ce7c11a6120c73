"""Every `when`, `depends`, `expression` and `{{=…}}` of the shared corpora, evaluated.

The corpora (argo-examples/ and kfp-compiled-argo/) hold 216 such expressions, 118 distinct:
55 `when`, 131 `depends`, 12 `expression` fields and 18 `{{=…}}` tags. Each distinct
non-`depends` text has an entry below with a realistic scope and the result Argo gives; a new
corpus expression without an entry fails `test_every_expression_has_an_expectation`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.expr.corpus_exprs import collect
from wfexec.expr import TaskState, evaluate_expr, evaluate_when, parse_depends, substitute
from wfexec.expr.exprenv import build_env

FOUND = collect()
DISTINCT = sorted({(kind, text) for kind, text, _ in FOUND})

WEATHER = '{"weekWeather": "eyJ0ZW1wcyI6IFszNCwgMjcsIDE1LCA1NywgNDZdfQo="}'
EMPLOYEES = ('{"employees": [{"name": "Baris", "age":43},{"name": "Mo", "age": 42}, '
             '{"name": "Jai", "age" :44}]}')
WEEK = '{"avg":35.8,"max":57,"min":15}'
NOW = dt.datetime.now(dt.UTC)
THIS_YEAR = str(dt.datetime.now().year)

# (kind, text) -> list of (scope, expected); several cases per text where the branch matters.
Case = tuple[dict[str, Any], Any]
EXPECTED: dict[tuple[str, str], list[Case]] = {
    ("expression", "asInt(inputs.parameters.num) == 1? 1: asInt(inputs.parameters.num) == 2? 1: "
                   "steps['fibonacci-helper'].outputs.parameters.result"): [
        ({"inputs.parameters.num": "1"}, 1),
        ({"inputs.parameters.num": "2"}, 1),
        ({"inputs.parameters.num": "5",
          "steps.fibonacci-helper.outputs.parameters.result": "5"}, "5"),
    ],
    ("expression", 'asInt(lastRetry.exitCode) > 1 && lastRetry.status != "Error" && '
                   'asInt(lastRetry.duration) < 120 && ({{inputs.parameters.safe-to-retry}} == '
                   "true || lastRetry.message matches 'imminent node shutdown|pod deleted')"): [
        ({"lastRetry.exitCode": "2", "lastRetry.status": "Failed", "lastRetry.duration": "10",
          "lastRetry.message": "", "inputs.parameters.safe-to-retry": "true"}, True),
        ({"lastRetry.exitCode": "2", "lastRetry.status": "Failed", "lastRetry.duration": "10",
          "lastRetry.message": "pod deleted", "inputs.parameters.safe-to-retry": "false"}, True),
        ({"lastRetry.exitCode": "2", "lastRetry.status": "Failed", "lastRetry.duration": "10",
          "lastRetry.message": "oom", "inputs.parameters.safe-to-retry": "false"}, False),
        ({"lastRetry.exitCode": "1", "lastRetry.status": "Failed", "lastRetry.duration": "10",
          "lastRetry.message": "", "inputs.parameters.safe-to-retry": "true"}, False),
        ({"lastRetry.exitCode": "2", "lastRetry.status": "Error", "lastRetry.duration": "10",
          "lastRetry.message": "", "inputs.parameters.safe-to-retry": "true"}, False),
        ({"lastRetry.exitCode": "2", "lastRetry.status": "Failed", "lastRetry.duration": "300",
          "lastRetry.message": "", "inputs.parameters.safe-to-retry": "true"}, False),
    ],
    ("expression", 'filter(data, {# endsWith "main.log"})'): [
        ({"data": ["a/main.log", "b/other.txt", "c/main.log"]}, ["a/main.log", "c/main.log"]),
    ],
    ("expression", 'steps.step2.status == "Running"'): [
        ({"steps.step2.status": "Running"}, True), ({"steps.step2.status": "Succeeded"}, False)],
    ("expression", 'steps.step2.status == "Succeeded"'): [
        ({"steps.step2.status": "Succeeded"}, True)],
    ("expression", 'steps["step-1"].status == "Running"'): [
        ({"steps.step-1.status": "Running"}, True), ({"steps.step-1.status": "Pending"}, False)],
    ("expression", 'steps["step-1"].status == "Succeeded"'): [
        ({"steps.step-1.status": "Succeeded"}, True)],
    ("expression", "steps['flip-coin'].outputs.result == 'heads' ? steps.heads.outputs.result : "
                   "steps.tails.outputs.result"): [
        ({"steps.flip-coin.outputs.result": "heads", "steps.heads.outputs.result": "it was heads",
          "steps.tails.outputs.result": None}, "it was heads"),
        ({"steps.flip-coin.outputs.result": "tails", "steps.heads.outputs.result": None,
          "steps.tails.outputs.result": "it was tails"}, "it was tails"),
    ],
    ("expression", "tasks.producer.outputs.parameters.msg ?? 'expr-fallback'"): [
        ({"tasks.producer.outputs.parameters.msg": None}, "expr-fallback"),
        ({"tasks.producer.status": "Skipped"}, "expr-fallback"),
        ({"tasks.producer.outputs.parameters.msg": "real"}, "real"),
    ],
    ("expression", "tasks['flip-coin'].outputs.result == 'heads' ? tasks.heads.outputs.result : "
                   "tasks.tails.outputs.result"): [
        ({"tasks.flip-coin.outputs.result": "tails", "tasks.heads.outputs.result": None,
          "tasks.tails.outputs.result": "T"}, "T"),
    ],
    ("expression", "workflow.parameters.foo"): [({"workflow.parameters.foo": "bar"}, "bar")],
    ("expression", 'workflow.status == "Running"'): [
        ({"workflow.status": "Running"}, True), ({"workflow.status": "Failed"}, False)],
    # {{=…}} tags: the text substituted for "{{=" + tag + "}}"
    ("tag", "\n  map([\n      jsonpath(sprig.b64dec(jsonpath(workflow.parameters.weather, "
            "'$.weekWeather')), '$.temps')\n    ], {\n      toJson({\n        avg: sprig.add(#[0],"
            " #[1], #[2], #[3], #[4]) / 5,\n        min: sprig.min(#[0], #[1], #[2], #[3], #[4]),"
            "\n        max: sprig.max(#[0], #[1], #[2], #[3], #[4])\n      })\n  })[0]\n"): [
        ({"workflow.parameters.weather": WEATHER}, WEEK)],
    ("tag", " cronworkflow.lastScheduledTime == nil || (now() - cronworkflow.lastScheduledTime)"
            ".Seconds() > 360 "): [
        ({"cronworkflow.lastScheduledTime": None}, "true"),
        ({"cronworkflow.lastScheduledTime": NOW - dt.timedelta(minutes=10)}, "true"),
        ({"cronworkflow.lastScheduledTime": NOW + dt.timedelta(days=1)}, "false"),
    ],
    ("tag", " inputs.parameters[\"should-print\"] == 'true'"): [
        ({"inputs.parameters.should-print": "true"}, "true"),
        ({"inputs.parameters.should-print": "false"}, "false")],
    ("tag", "asInt(inputs.parameters.foo) * 10"): [({"inputs.parameters.foo": "3"}, "30")],
    ("tag", "item"): [({"item": 3}, "3"), ({"item": "a b"}, "a b")],
    ("tag", "jsonpath(inputs.parameters['week-temps'], '$.avg')"): [
        ({"inputs.parameters.week-temps": WEEK}, "35.8")],
    ("tag", "jsonpath(inputs.parameters['week-temps'], '$.max')"): [
        ({"inputs.parameters.week-temps": WEEK}, "57")],
    ("tag", "jsonpath(inputs.parameters['week-temps'], '$.min')"): [
        ({"inputs.parameters.week-temps": WEEK}, "15")],
    ("tag", "jsonpath(workflow.parameters.config, '$.a')"): [
        ({"workflow.parameters.config": '{"a": "1", "b": "2", "c": "3"}'}, "1")],
    ("tag", "jsonpath(workflow.parameters.config, '$.b')"): [
        ({"workflow.parameters.config": '{"a": "1", "b": "2", "c": "3"}'}, "2")],
    ("tag", "jsonpath(workflow.parameters.config, '$.c')"): [
        ({"workflow.parameters.config": '{"a": "1", "b": "2", "c": "3"}'}, "3")],
    ("tag", "jsonpath(workflow.parameters.config, '$.employees[*].name')"): [
        ({"workflow.parameters.config": EMPLOYEES}, '["Baris","Mo","Jai"]')],
    ("tag", "jsonpath(workflow.parameters.config, '$.employees[0:1]')"): [
        ({"workflow.parameters.config": EMPLOYEES}, '[{"age":43,"name":"Baris"}]')],
    ("tag", "jsonpath(workflow.parameters.config, '$.employees[?(@.age>42 && @.age<44)].age')"): [
        ({"workflow.parameters.config": EMPLOYEES}, "[43]")],
    ("tag", "jsonpath(workflow.parameters.config, '$.employees[?(@.name==\"Baris\")].age')"): [
        ({"workflow.parameters.config": EMPLOYEES}, "[43]")],
    ("tag", "jsonpath(workflow.parameters.json, '$[0].value') == 'true'"): [
        ({"workflow.parameters.json": '[{"name": "x", "value": "true"}]'}, "true"),
        ({"workflow.parameters.json": '[{"name": "x", "value": "no"}]'}, "false")],
    ("tag", "sprig.date('2006', workflow.creationTimestamp)"): [
        # sprig's date() only knows time values; Argo passes a string, so it formats "now"
        ({"workflow.creationTimestamp": "2021-03-04T05:06:07Z"}, THIS_YEAR)],
    ("tag", "toJson(filter([1, 3], {# > 1}))"): [({}, "[3]")],
    # when: substituted, then evaluated with govaluate
    ("when", '"{{inputs.parameters.flip-output}}" == "heads"'): [
        ({"inputs.parameters.flip-output": "heads"}, True),
        ({"inputs.parameters.flip-output": "tails"}, False)],
    ("when", '"{{tasks.flip-again.outputs.parameters.flip-again-output}}" == "tails"'): [
        ({"tasks.flip-again.outputs.parameters.flip-again-output": "tails"}, True)],
    ("when", '"{{tasks.flip-coin.outputs.parameters.flip-coin-output}}" == "heads"'): [
        ({"tasks.flip-coin.outputs.parameters.flip-coin-output": "heads"}, True)],
    ("when", '"{{tasks.flip.outputs.parameters.flip-output}}" == "heads"'): [
        ({"tasks.flip.outputs.parameters.flip-output": "tails"}, False)],
    ("when", '"{{tasks.flip.outputs.parameters.flip-output}}" == "tails"'): [
        ({"tasks.flip.outputs.parameters.flip-output": "tails"}, True)],
    ("when", '"{{tasks.produce.outputs.parameters.produce-out}}" == "never"'): [
        ({"tasks.produce.outputs.parameters.produce-out": "some value with spaces"}, False)],
    ("when", "( {{steps.flip-coin.outputs.result}} == heads &&\n  {{steps.flip-again.outputs.result}}"
             " == tails\n) || ( {{steps.flip-coin.outputs.result}} == tails &&\n  "
             "{{steps.flip-again.outputs.result}} == tails )"): [
        ({"steps.flip-coin.outputs.result": "heads", "steps.flip-again.outputs.result": "tails"},
         True),
        ({"steps.flip-coin.outputs.result": "tails", "steps.flip-again.outputs.result": "tails"},
         True),
        ({"steps.flip-coin.outputs.result": "heads", "steps.flip-again.outputs.result": "heads"},
         False)],
    ("when", "false"): [({}, False)],
    ("when", "{{= cronworkflow.lastScheduledTime == nil || (now() - "
             "cronworkflow.lastScheduledTime).Seconds() > 360 }}"): [
        ({"cronworkflow.lastScheduledTime": None}, True),
        ({"cronworkflow.lastScheduledTime": NOW + dt.timedelta(days=1)}, False)],
    ("when", "{{= inputs.parameters[\"should-print\"] == 'true'}}"): [
        ({"inputs.parameters.should-print": "true"}, True),
        ({"inputs.parameters.should-print": "false"}, False)],
    ("when", "{{=jsonpath(workflow.parameters.json, '$[0].value') == 'true'}}"): [
        ({"workflow.parameters.json": '[{"value": "true"}]'}, True)],
    ("when", "{{inputs.parameters.cached-decision}} != true"): [
        ({"inputs.parameters.cached-decision": "true"}, False),
        ({"inputs.parameters.cached-decision": "false"}, True)],
    ("when", "{{inputs.parameters.num-1}} != 1 && {{inputs.parameters.num-1}} != 2"): [
        ({"inputs.parameters.num-1": "1"}, False), ({"inputs.parameters.num-1": "7"}, True)],
    ("when", "{{inputs.parameters.num}} != 1 && {{inputs.parameters.num}} != 2"): [
        ({"inputs.parameters.num": "2"}, False), ({"inputs.parameters.num": "3"}, True)],
    ("when", "{{inputs.parameters.should-print}} == true"): [
        ({"inputs.parameters.should-print": "true"}, True),
        ({"inputs.parameters.should-print": "false"}, False)],
    ("when", "{{item.evenness}} == even"): [
        ({"item.evenness": "even"}, True), ({"item.evenness": "odd"}, False)],
    ("when", "{{status}} == Succeeded"): [({"status": "Succeeded"}, True)],
    ("when", "{{steps.approval.outputs.parameters.approve}} == YES"): [
        ({"steps.approval.outputs.parameters.approve": "YES"}, True),
        ({"steps.approval.outputs.parameters.approve": "NO"}, False)],
    ("when", "{{steps.flakey-container.status}} == Failed"): [
        ({"steps.flakey-container.status": "Failed"}, True)],
    ("when", "{{steps.flakey-container.status}} == Succeeded"): [
        ({"steps.flakey-container.status": "Failed"}, False)],
    ("when", "{{steps.flip-again.outputs.result}} =~ hea"): [
        ({"steps.flip-again.outputs.result": "heads"}, True),
        ({"steps.flip-again.outputs.result": "tails"}, False)],
    ("when", "{{steps.flip-again.outputs.result}} =~ tai"): [
        ({"steps.flip-again.outputs.result": "tails"}, True)],
    ("when", "{{steps.flip-coin.outputs.result}} == heads"): [
        ({"steps.flip-coin.outputs.result": "heads"}, True),
        ({"steps.flip-coin.outputs.result": "tails"}, False)],
    ("when", "{{steps.flip-coin.outputs.result}} == tails"): [
        ({"steps.flip-coin.outputs.result": "tails"}, True)],
    ("when", "{{steps.iterate-counter.outputs.result}} < {{inputs.parameters.limit}}"): [
        # numeric, not textual: "9" < "10" would be false as strings
        ({"steps.iterate-counter.outputs.result": "9", "inputs.parameters.limit": "10"}, True),
        ({"steps.iterate-counter.outputs.result": "10", "inputs.parameters.limit": "10"}, False)],
    ("when", "{{steps.submit-resource.status}} == Failed"): [
        ({"steps.submit-resource.status": "Succeeded"}, False)],
    ("when", "{{tasks.condition-3-driver.outputs.parameters.condition}} != false"): [
        ({"tasks.condition-3-driver.outputs.parameters.condition": "true"}, True),
        ({"tasks.condition-3-driver.outputs.parameters.condition": "false"}, False)],
    ("when", "{{tasks.condition-4-driver.outputs.parameters.condition}} != false"): [
        ({"tasks.condition-4-driver.outputs.parameters.condition": "true"}, True)],
    ("when", "{{tasks.flip-coin.outputs.result}} == heads"): [
        ({"tasks.flip-coin.outputs.result": "heads"}, True)],
    ("when", "{{tasks.flip-coin.outputs.result}} == tails"): [
        ({"tasks.flip-coin.outputs.result": "heads"}, False)],
    ("when", "{{workflow.status}} != Succeeded"): [
        ({"workflow.status": "Failed"}, True), ({"workflow.status": "Succeeded"}, False)],
    ("when", "{{workflow.status}} == Succeeded"): [({"workflow.status": "Succeeded"}, True)],
}


def test_corpus_counts() -> None:
    assert len(FOUND) == 216
    assert len(DISTINCT) == 118
    kinds = [kind for kind, _, _ in FOUND]
    assert (kinds.count("when"), kinds.count("depends"), kinds.count("expression"),
            kinds.count("tag")) == (55, 131, 12, 18)


def test_every_expression_has_an_expectation() -> None:
    missing = [item for item in DISTINCT if item[0] != "depends" and item not in EXPECTED]
    assert missing == []
    assert set(EXPECTED) <= set(DISTINCT)


def _run(kind: str, text: str, scope: dict[str, Any]) -> Any:
    if kind == "when":
        return evaluate_when(substitute(text, scope, where="corpus when"))
    if kind == "tag":
        return substitute("{{=" + text + "}}", scope)
    return evaluate_expr(substitute(text, scope), build_env(scope))


@pytest.mark.parametrize(("kind", "text"), [d for d in DISTINCT if d[0] != "depends"])
def test_corpus_expression(kind: str, text: str) -> None:
    for scope, expected in EXPECTED[(kind, text)]:
        assert _run(kind, text, scope) == expected, (text, scope)


_ARGO_NAME = re.compile(r"([a-zA-Z0-9][-a-zA-Z0-9]*?\.[A-Z][a-zA-Z]+)|([a-zA-Z0-9][-a-zA-Z0-9]*)")


@pytest.mark.parametrize("text", sorted({t for k, t in DISTINCT if k == "depends"}))
def test_corpus_depends(text: str) -> None:
    expr = parse_depends(text)
    # the task names agree with the regex Argo uses to find dependencies
    argo_names = {(m.group(1) or m.group(2)).split(".")[0] for m in _ARGO_NAME.finditer(text)}
    assert expr.tasks() == argo_names
    succeeded = {name: TaskState("Succeeded") for name in expr.tasks()}
    positive_only = not re.search(r"\.(Failed|Errored|Omitted)|!", text)
    if positive_only:
        assert expr.decide(succeeded) is True
        for name in expr.tasks():
            # one dependency Failed: a pure conjunction is then false
            states = {**succeeded, name: TaskState("Failed")}
            if "||" not in text:
                assert expr.decide(states) is False
    # not decidable while any mentioned task is still running
    for name in expr.tasks():
        assert expr.decide({**succeeded, name: TaskState("Running")}) is None


def test_corpus_enhanced_depends_semantics() -> None:
    # dag-enhanced-depends.yaml and dag-continue-on-fail.yaml
    expr = parse_depends("A && (C.Succeeded || C.Failed)")
    assert expr.decide({"A": TaskState("Succeeded"), "C": TaskState("Failed")}) is True
    assert expr.decide({"A": TaskState("Succeeded"), "C": TaskState("Error")}) is False
    expr = parse_depends("should-execute-2.Succeeded || should-not-execute")
    assert expr.decide({"should-execute-2": TaskState("Omitted"),
                        "should-not-execute": TaskState("Skipped")}) is True
    assert expr.decide({"should-execute-2": TaskState("Omitted"),
                        "should-not-execute": TaskState("Omitted")}) is False
    expr = parse_depends("B.Failed && C")
    assert expr.decide({"B": TaskState("Failed"), "C": TaskState("Succeeded")}) is True
    assert expr.decide({"B": TaskState("Succeeded"), "C": TaskState("Succeeded")}) is False
    expr = parse_depends("producer.Succeeded || producer.Skipped")
    assert expr.decide({"producer": TaskState("Skipped")}) is True
