"""Hostile input: whatever text, bytes or structure comes in, only SpecError or LintIssues come out."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from wfexec.errors import SpecError
from wfexec.spec.document import Document
from wfexec.spec.issue import LintIssue
from wfexec.spec.lint import lint_documents
from wfexec.spec.loader import load_bytes, load_text

FUZZ = settings(derandomize=True, max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Field names Argo knows, so random structures reach deep into the schema and the checks.
FIELDS = ["apiVersion", "kind", "metadata", "name", "spec", "entrypoint", "templates", "steps", "dag", "tasks",
          "template", "templateRef", "inline", "container", "script", "image", "args", "command", "inputs",
          "outputs", "parameters", "artifacts", "arguments", "value", "default", "valueFrom", "depends",
          "dependencies", "onExit", "hooks", "exit", "expression", "withItems", "withParam", "withSequence",
          "count", "end", "target", "workflowTemplateRef", "clusterScope", "retryStrategy", "limit",
          "suspend", "resource", "workflowSpec", "schedules", "contianer", "resources", "limits", "cpu"]
WORDS = ["Workflow", "WorkflowTemplate", "CronWorkflow", "ClusterWorkflowTemplate", "main", "a", "b",
         "{{inputs.parameters.x}}", "{{workflow.parameters.p}}", "{{steps.a.outputs.result}}", "{{tasks.b.id}}",
         "{{item}}", "{{=1+1}}", "a && b.Succeeded", "b.Bogus || !c", "{{", "}}", "", "argoproj.io/v1alpha1"]
TOKENS = ["\n", "  ", "- ", ": ", "---\n", "{", "}", "[", "]", ",", "&a ", "*a", "!!str ", "!!int ", "!tag ",
          "? ", "|\n", ">-\n", "'", '"', "#", "\t", "%YAML 1.1\n", "<<: ", "kind: Workflow\n", "spec:\n",
          "templates:\n", "- name: x\n", "  steps:\n", "~", "null", "true", "1e400", "0x1F", "2024-01-01"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=True), st.sampled_from(WORDS), st.text(max_size=12))
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), inner, max_size=5)),
    max_leaves=40)
small = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3)),
    max_leaves=8)


def only_spec_errors(text: str) -> None:
    try:
        docs = load_text(text, "fuzz.yaml")
    except SpecError as exc:
        assert str(exc).startswith("fuzz.yaml")
        return
    for strict in (False, True):
        issues = lint_documents(docs, strict=strict, templates=docs)
        assert all(isinstance(i, LintIssue) and isinstance(str(i), str) for i in issues)


@FUZZ
@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    only_spec_errors(text)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(raw: bytes) -> None:
    try:
        docs = load_bytes(raw, "fuzz.yaml")
    except SpecError:
        return
    lint_documents(docs)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS + WORDS + FIELDS), max_size=40))
def test_yaml_token_soup(tokens: list[str]) -> None:
    only_spec_errors("".join(tokens))


@FUZZ
@given(st.sampled_from(["Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"]), structures,
       structures)
def test_random_structures_under_a_workflow(kind: str, spec: Any, extra: Any) -> None:
    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "metadata": {"name": "f"}, "spec": spec,
           "x": extra}
    # JSON is YAML (flow style); ruamel's dump gives the block style people write.
    only_spec_errors(json.dumps(doc, allow_nan=True))
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(doc, out)
    only_spec_errors(out.getvalue())


@settings(FUZZ, max_examples=100)
@given(st.lists(st.fixed_dictionaries({}, optional={
    "name": st.sampled_from(["a", "b", "main", "x_y", ""]) | scalars,
    "template": st.sampled_from(["a", "b", "main", "gone"]) | scalars,
    "templateRef": small, "inline": small, "depends": st.sampled_from(WORDS) | scalars,
    "dependencies": small, "arguments": small, "hooks": small, "withItems": small,
    "withSequence": small, "onExit": scalars, "steps": small, "dag": small,
    "inputs": small, "container": small}), max_size=5))
def test_random_templates_steps_and_tasks(items: list[dict[str, Any]]) -> None:
    spec = {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [items]}, {"name": "b", "dag": {"tasks": items}}, *items]}
    data = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "f"}, "spec": spec}
    # Straight to the linter (the parser has its own tests above): the checks must survive any shape.
    doc = Document(data=data, file="fuzz.yaml", index=0, kind="Workflow")
    for strict in (False, True):
        assert all(isinstance(i, LintIssue) for i in lint_documents([doc], strict=strict, templates=[]))
