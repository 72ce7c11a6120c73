"""The closed Argo schema: unknown fields, types and required fields, with lines and suggestions."""

from __future__ import annotations

import time

from wfexec.spec.loader import load_text
from wfexec.spec.schema import _validator, closed_schema, validate

WF = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: t-
spec:
  entrypoint: main
  templates:
    - name: main
{body}
"""


def issues(body: str, *, strict: bool = False) -> list[str]:
    (doc,) = load_text(WF.format(body=body), "wf.yaml")
    return [str(i) for i in validate(doc, strict=strict)]


def test_misspelt_field_is_reported_with_its_line_and_a_suggestion() -> None:
    assert issues("      contianer:\n        image: alpine") == [
        'wf.yaml:9: spec.templates[0].contianer: unknown field "contianer" (did you mean "container"?)']


def test_unknown_field_without_close_match_lists_the_choices_of_small_objects() -> None:
    (issue,) = issues("      container: {image: a}\n      retryStrategy: {limitless: 3}")
    assert 'unknown field "limitless"' in issue
    assert "retryStrategy.limitless" in issue


def test_maps_stay_open() -> None:
    body = ("      container: {image: a, resources: {limits: {cpu: 1, nvidia.com/gpu: 2}}}\n"
            "      nodeSelector: {any-key: v}\n      metadata: {labels: {x: y}}")
    assert issues(body) == []


def test_wrong_types_say_what_was_expected() -> None:
    # (a number in a string field is its text, as Kubernetes decodes it: see test_yaml11.py)
    found = issues("      container:\n        image: {a: 3}\n        args: {a: b}\n      parallelism: many")
    assert 'wf.yaml:10: spec.templates[0].container.image: expected a string, got a mapping' in found
    assert 'wf.yaml:11: spec.templates[0].container.args: expected a list, got a mapping' in found
    assert 'wf.yaml:12: spec.templates[0].parallelism: expected an integer, got a string ("many")' in found


def test_missing_required_field() -> None:
    found = issues("      container: {args: [x]}\n      inputs: {parameters: [{value: v}]}")
    assert any('spec.templates[0].container: missing required field "image"' in f for f in found)
    assert any('spec.templates[0].inputs.parameters[0]: missing required field "name"' in f for f in found)


def test_int_or_string_quantity_and_any_string_accept_what_argo_accepts() -> None:
    body = ("      retryStrategy: {limit: 3}\n"
            "      activeDeadlineSeconds: \"{{inputs.parameters.t}}\"\n"
            "      inputs: {parameters: [{name: t, value: 10}, {name: u, default: true, enum: [1, true, x]}]}\n"
            "      container:\n        image: a\n        resources: {requests: {cpu: 0.5, memory: 64Mi}}\n"
            "        ports: [{containerPort: 80}]\n"
            "        readinessProbe: {httpGet: {port: 8080, path: /}}")
    assert issues(body) == []
    assert issues(body, strict=True) == []
    assert issues("      retryStrategy: {limit: [3]}\n      container: {image: a}")  # still not a list


def test_null_is_unset_by_default_but_strict_follows_the_schema() -> None:
    body = "      container:\n        image: a\n        args:\n      outputs:"
    assert issues(body) == []
    assert len(issues(body, strict=True)) == 2


def test_strict_adds_const_checks() -> None:
    (doc,) = load_text(WF.format(body="      container: {image: a}").replace("v1alpha1", "v2"), "wf.yaml")
    assert validate(doc) == []
    (issue,) = validate(doc, strict=True)
    assert issue.path == "apiVersion" and issue.line == 1 and '"argoproj.io/v1alpha1"' in issue.message


def test_every_kind_validates_against_its_own_definition() -> None:
    cron = ("apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: c}\n"
            "spec:\n  schedules: ['* * * * *']\n  workflowSpec:\n    entrypoint: m\n    templats: []\n")
    (doc,) = load_text(cron, "c.yaml")
    (issue,) = validate(doc)
    assert issue.path == "spec.workflowSpec.templats" and '"templates"' in issue.message
    (other,) = load_text("apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n", "cm.yaml")
    assert validate(other) == []


def test_closing_is_complete_and_leaves_maps_alone() -> None:
    defs = closed_schema()["definitions"]
    for name, schema in defs.items():
        if "properties" in schema:
            assert "additionalProperties" in schema, name
    template = defs["io.argoproj.workflow.v1alpha1.Template"]
    assert template["additionalProperties"] is False
    assert template["properties"]["nodeSelector"]["additionalProperties"] == {"type": "string"}
    assert defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"] == ["integer", "string"]


def test_validator_is_built_once_and_validation_is_fast() -> None:
    assert _validator("Workflow", False) is _validator("Workflow", False)
    (doc,) = load_text(WF.format(body="      container: {image: a, args: [x]}"), "wf.yaml")
    validate(doc)
    start = time.perf_counter()
    for _ in range(50):
        validate(doc)
    assert (time.perf_counter() - start) / 50 < 0.02
