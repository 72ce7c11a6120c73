"""Plain scalars are read as Kubernetes reads them (sigs.k8s.io/yaml → go-yaml v2, YAML 1.1), and
lint warns where YAML 1.2 would read them otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wfexec.cli.main import main
from wfexec.spec import fast_yaml
from wfexec.spec.lint import yaml11_warnings
from wfexec.spec.loader import load_text

# (written, as Kubernetes reads it, whether YAML 1.2 reads it otherwise)
TABLE: list[tuple[str, Any, bool]] = [
    ("yes", True, True), ("Yes", True, True), ("YES", True, True), ("y", True, True), ("Y", True, True),
    ("on", True, True), ("On", True, True), ("ON", True, True),
    ("no", False, True), ("No", False, True), ("n", False, True), ("N", False, True),
    ("off", False, True), ("Off", False, True), ("OFF", False, True),
    ("true", True, False), ("False", False, False),
    ("0644", 420, True), ("-0755", -493, True), ("010", 8, True), ("0", 0, False),
    ("09", 9, False),  # not octal: go-yaml falls back to a number
    ("0o644", 420, False), ("0x1F", 31, False), ("0b101", 5, False), ("1_000", 1000, False),
    ("1:20", "1:20", False), ("190:20:30", "190:20:30", False),  # no sexagesimal in go-yaml v2
    ("1e3", 1000.0, False), (".5", 0.5, False), ("~", None, False), ("null", None, False),
    ("'yes'", "yes", False), ('"0644"', "0644", False), ("yes please", "yes please", False),
]


def _doc(value: str) -> Any:
    return load_text(f"kind: Workflow\nspec:\n  v: {value}\n", "t.yaml")[0]


@pytest.mark.parametrize(("written", "expected", "differs"), TABLE, ids=[t[0] for t in TABLE])
def test_scalars_read_as_kubernetes_reads_them(written: str, expected: Any, differs: bool) -> None:
    doc = _doc(written)
    value = doc.data["spec"]["v"]
    assert value == expected and type(value) is type(expected)
    warnings = yaml11_warnings([doc])
    assert len(warnings) == int(differs)
    if differs:
        assert warnings[0].line == 3 and warnings[0].path == "spec.v"
        assert f"{written} is read as" in warnings[0].message


def test_a_key_is_read_as_kubernetes_reads_it() -> None:
    doc = load_text("kind: Workflow\nspec:\n  on: 1\n", "t.yaml")[0]
    assert doc.data["spec"] == {"true": 1}
    assert [w.path for w in yaml11_warnings([doc])] == ["spec.true"]


def test_lint_prints_the_warning_and_still_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "wf.yaml"
    f.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: y-\nspec:\n"
                 "  entrypoint: main\n  arguments:\n    parameters:\n    - name: flag\n      value: on\n"
                 "  templates:\n  - name: main\n    container:\n      image: alpine\n      command: [sh]\n")
    assert main(["lint", "-o", "simple", str(f)]) == 0
    out = capsys.readouterr().out
    assert f"{f}:10: spec.arguments.parameters[0].value: warning: on is read as true" in out


def test_numbers_and_booleans_in_string_fields_are_their_text() -> None:
    """sigs.k8s.io/yaml gives a string field the text of a YAML number or boolean."""
    doc = load_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {labels: {team: no, tier: 3}}\n"
                    "spec:\n  entrypoint: main\n  templates:\n  - name: main\n"
                    "    container: {image: a, args: [0644, 1.5, 1e3, on], workingDir: 7}\n"
                    "    parallelism: 2\n", "t.yaml")[0]
    assert doc.data["metadata"]["labels"] == {"team": "false", "tier": "3"}
    tmpl = doc.data["spec"]["templates"][0]
    assert tmpl["container"]["args"] == ["420", "1.5", "1000", "true"]
    assert tmpl["container"]["workingDir"] == "7"
    assert tmpl["parallelism"] == 2  # an integer field keeps its number


@pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "ruamel"])
def test_an_anchor_does_not_change_how_a_scalar_is_read(libyaml: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """go-yaml resolves an anchored plain scalar like any other (ruamel's PlainScalarString is still plain)."""
    if not libyaml:
        monkeypatch.setattr(fast_yaml, "CParser", None)
    doc = load_text("kind: Workflow\nspec:\n  a: &x yes\n  b: *x\n  c: [&y 0644, *y]\n", "t.yaml")[0]
    assert doc.data["spec"] == {"a": True, "b": True, "c": [420, 420]}
    assert [w.path for w in yaml11_warnings([doc])] == ["spec.a", "spec.b", "spec.c[0]", "spec.c[1]"]
