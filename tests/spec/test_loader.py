"""Loading YAML/JSON documents: plain data out, line numbers kept, clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from wfexec.errors import SpecError
from wfexec.spec.document import format_path
from wfexec.spec.loader import MissingKindError, find_documents, load_bytes, load_file, load_text

MULTI = """\
# leading comment
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: lib
spec:
  templates:
    - name: say
      container:
        image: alpine
---
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hi-
spec:
  entrypoint: main
  templates:
    - name: main
      contianer:
        image: alpine:3.19
        args: [hello, 1, 2.5, true, null]
"""


def test_multi_document_stream_skips_empty_documents_and_keeps_stream_positions() -> None:
    docs = load_text(MULTI, "multi.yaml")
    assert [(d.kind, d.index, d.name) for d in docs] == [("WorkflowTemplate", 0, "lib"), ("Workflow", 2, "hi-")]
    assert all(d.file == "multi.yaml" for d in docs)


def test_line_of_points_at_the_key_and_falls_back_to_the_nearest_parent() -> None:
    wf = load_text(MULTI, "multi.yaml")[1]
    assert wf.line_of(()) == 14
    assert wf.line_of(("spec", "templates", 0, "contianer")) == 22
    assert wf.line_of(("spec", "templates", 0, "contianer", "args", 3)) == 24
    assert wf.line_of(("spec", "templates", 0, "contianer", "nope", 7)) == 22
    assert wf.line_of(("spec", "entrypoint")) == 19


def test_values_are_plain_python() -> None:
    wf = load_text(MULTI, "multi.yaml")[1]
    args = wf.data["spec"]["templates"][0]["contianer"]["args"]
    assert args == ["hello", 1, 2.5, True, None]
    assert [type(a) for a in args] == [str, int, float, bool, type(None)]

    def walk(node: object) -> None:
        assert type(node) in (dict, list, str, int, float, bool, type(None)), type(node)
        if isinstance(node, dict):
            assert all(type(k) is str for k in node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(wf.data)
    # Plain data round-trips through JSON unchanged.
    assert json.loads(json.dumps(wf.data)) == wf.data


def test_odd_yaml_values_become_plain_data() -> None:
    text = "kind: Workflow\nd: 2024-01-02\nk: {1: a, null: b}\nt: !custom x\nanchors: {a: &x [1], b: *x}\n"
    data = load_text(text, "f.yaml")[0].data
    assert data["d"] == "2024-01-02"
    assert data["k"] == {"1": "a", "null": "b"}
    assert data["t"] == "x"
    assert data["anchors"] == {"a": [1], "b": [1]}
    assert data["anchors"]["a"] is not data["anchors"]["b"]


def test_repeated_key_keeps_the_last_value_like_kubernetes() -> None:
    doc = load_text("kind: Workflow\nmetadata: {name: a}\nmetadata: {name: b}\n", "f.yaml")[0]
    assert doc.name == "b"
    assert doc.line_of(("metadata",)) == 3


def test_json_file(tmp_path: Path) -> None:
    path = tmp_path / "wf.json"
    path.write_text(json.dumps({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                                "spec": {"entrypoint": "x", "templates": [{"name": "x"}]}}, indent=2))
    (doc,) = load_file(path)
    assert doc.kind == "Workflow" and doc.file == str(path)
    assert doc.line_of(("spec", "templates", 0, "name")) == 8


def test_json_with_tabs_loads_even_though_yaml_forbids_tab_indentation() -> None:
    (doc,) = load_text('{\n\t"kind": "Workflow",\n\t"spec": {}\n}', "tabs.json")
    assert doc.data == {"kind": "Workflow", "spec": {}}


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(SpecError) as err:
        load_text("kind: Workflow\nspec:\n  templates: [\n    - a\n  b: c\n", "broken.yaml")
    assert err.value.file == "broken.yaml" and err.value.line is not None
    assert str(err.value).startswith("broken.yaml:") and "YAML syntax error" in str(err.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("- a\n- b\n", "is a list, expected a mapping"),
    ("just a string\n", "is a string, expected a mapping"),
    ("apiVersion: v1\nmetadata: {}\n", "has no kind"),
    ("kind: [Workflow]\n", "kind must be a non-empty string"),
    ("kind: Workflow\n? [a, b]\n: c\n", "mapping key must be a plain value"),
    ("&a [*a]\n", "recursive alias"),
    ("x: " + "[" * 150 + "]" * 150 + "\n", "nesting deeper than"),
])
def test_documents_that_are_not_workflows_raise_spec_error(text: str, expected: str) -> None:
    with pytest.raises(SpecError, match=expected.replace("[", r"\[")) as err:
        load_text(text, "bad.yaml")
    assert err.value.file == "bad.yaml"


def test_missing_kind_is_its_own_subclass() -> None:
    with pytest.raises(MissingKindError):
        load_text("spec: {}\n", "k.yaml")


def test_empty_streams_give_no_documents() -> None:
    assert load_text("", "e.yaml") == []
    assert load_text("---\n# only a comment\n---\n", "e.yaml") == []


def test_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not UTF-8") as err:
        load_bytes(b"kind: Workflow\nx: \xff\xfe\xfa\n", "bin.yaml")
    assert err.value.line == 2
    utf16 = "kind: Workflow\n".encode("utf-16")
    assert load_bytes(utf16, "u16.yaml")[0].kind == "Workflow"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        load_file(tmp_path / "absent.yaml")
    with pytest.raises(SpecError, match="is a directory"):
        load_file(tmp_path)


def test_find_documents_walks_a_directory(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.yaml").write_text("kind: Workflow\nmetadata: {name: a}\n")
    (tmp_path / "sub" / "b.yml").write_text("kind: Workflow\nmetadata: {name: b}\n---\nkind: CronWorkflow\n")
    (tmp_path / "sub" / "c.json").write_text('{"kind": "WorkflowTemplate", "metadata": {"name": "c"}}')
    (tmp_path / "notes.txt").write_text("kind: Workflow\n")
    docs = find_documents(tmp_path)
    assert [(Path(d.file).name, d.kind) for d in docs] == [
        ("a.yaml", "Workflow"), ("b.yml", "Workflow"), ("b.yml", "CronWorkflow"), ("c.json", "WorkflowTemplate")]


def test_corpus_file_loads_with_the_kinds_it_holds() -> None:
    docs = load_file(CORPUS / "argo-examples" / "workflow-template" / "templates.yaml")
    assert docs and all(d.kind == "WorkflowTemplate" for d in docs)


def test_format_path() -> None:
    assert format_path(("spec", "templates", 0, "steps", 1, 2, "name")) == "spec.templates[0].steps[1][2].name"
    assert format_path(("metadata", "annotations", "a.b/c")) == 'metadata.annotations["a.b/c"]'
    assert format_path(()) == ""


def test_alias_bomb_is_refused_quickly() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(SpecError, match="alias bomb"):
        load_text("kind: Workflow\n" + "\n".join(levels) + "\n", "lol.yaml")
