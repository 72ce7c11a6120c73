"""The default schema check (spec/structural.py) says exactly what jsonschema's lenient validator says."""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wfexec.errors import SpecError
from wfexec.spec import schema
from wfexec.spec.document import WORKFLOW_KINDS, Document
from wfexec.spec.loader import load_file

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _both(doc: Document) -> tuple[list[str], list[str]]:
    """The issues of `doc` through jsonschema and through the structural walker, as `validate` sorts them."""
    seen = []
    for errors in (list(schema._validator(doc.kind, False).iter_errors(doc.data)),
                   schema._structural_validator(doc.kind).errors(doc.data)):
        issues = [i for e in errors for i in schema._issues(doc, e)]
        issues.sort(key=lambda i: (i.line or 0, i.path))
        seen.append([str(i) for i in issues])
        # the errors themselves, whatever order a set gave jsonschema's extra keys
        seen.append(Counter((e.validator, tuple(e.absolute_path), id(e.instance)) for e in errors))
    assert seen[1] == seen[3]
    assert seen[0] == seen[2]
    return seen[0], seen[2]


@cache
def _workflows() -> list[Document]:
    docs = []
    for path in sorted((CORPUS / "argo-examples").rglob("*.yaml")) + sorted((CORPUS / "kfp-compiled-argo").rglob("*.yaml")):
        try:
            docs.extend(d for d in load_file(path) if d.kind in WORKFLOW_KINDS)
        except SpecError:
            pass
    return docs



def test_the_corpus_gets_the_same_answers() -> None:
    assert len(_workflows()) > 200
    for doc in _workflows():
        _both(doc)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


MUTANTS = [None, 1, 1.5, 2.0, True, "text", [], [1, "a"], {}, {"contianer": 1}, {"name": 3, "image": None}]


@pytest.mark.parametrize("seed", range(4))
def test_corpus_documents_broken_at_random_places_get_the_same_answers(seed: int) -> None:
    """Every document, with a few values swapped for wrong types, unknown fields or gaps."""
    rng = random.Random(seed)
    errors = 0
    for doc in _workflows()[seed::4]:
        data = copy.deepcopy(doc.data)
        for _ in range(4):
            path = rng.choice(_paths(data)[1:] or [("spec",)])
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict) and rng.random() < 0.3:
                parent.pop(path[-1], None)  # a missing required field, sometimes
            else:
                parent[path[-1]] = copy.deepcopy(rng.choice(MUTANTS))
        issues, _ = _both(Document(data=data, file=doc.file, index=0, kind=doc.kind, lines=doc.lines))
        errors += len(issues)
    assert errors > 50  # the mutations did break things


FIELDS = ["apiVersion", "kind", "metadata", "name", "spec", "entrypoint", "templates", "steps", "dag", "tasks",
          "template", "container", "script", "image", "args", "inputs", "parameters", "value", "withItems",
          "retryStrategy", "limit", "resources", "limits", "labels", "contianer", "schedules", "workflowSpec"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([1.5, 2.0]), st.text(max_size=3))
structures = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4)), max_leaves=25)


@settings(derandomize=True, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(WORKFLOW_KINDS), structures, structures)
def test_random_documents_get_the_same_answers(kind: str, spec: Any, metadata: Any) -> None:
    data = {"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "metadata": metadata, "spec": spec}
    _both(Document(data=json.loads(json.dumps(data)), file="f.yaml", index=0, kind=kind))


CASES = [
    {"parallelism": 2.0, "activeDeadlineSeconds": 1.5, "templates": [{"name": "a", "parallelism": True}]},
    {"templates": [{"name": "a", "retryStrategy": {"limit": 2.0}, "container": {"image": 3, "args": [1, None]}}]},
    {"templates": [{"container": {}, "metadata": {"labels": {"a": 1, "b": None}}}], "entrypoint": ["x"]},
    {"templates": [{"name": "a", "steps": [[{"name": "s", "contianer": 1, "arguments": {"parameters": [{}]}}]]}]},
    {"templates": "main", "arguments": {"parameters": {"a": 1}}, "podGC": {"strategy": 1, "extra": {}}},
    {"templates": [{"name": "a", "dag": {"tasks": [{"name": "t", "dependencies": "a"}, 5]}}]},
    {"templates": [{"name": "a", "inputs": {"parameters": [{"name": "p", "value": 1.5}, {"value": [1]}]}}]},
]


@pytest.mark.parametrize("spec", CASES)
def test_written_mistakes_get_the_same_answers(spec: dict[str, Any]) -> None:
    for kind in ("Workflow", "WorkflowTemplate"):
        data = {"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "metadata": {"name": 1}, "spec": spec}
        issues, _ = _both(Document(data=data, file="f.yaml", index=0, kind=kind))
        assert issues
