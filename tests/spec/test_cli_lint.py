"""`wfexec lint` end to end through the real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CORPUS
from wfexec.cli.main import main

MISSPELT = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  templates:
    - name: main
      contianer:
        image: alpine
        command: [echo, hi]
"""


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["lint", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_misspelt_container_fails_and_names_field_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(MISSPELT)
    code, out, _ = run([str(path)], capsys)
    assert code == 1
    lines = out.strip().splitlines()
    assert (f'{path}:9: spec.templates[0].contianer: unknown field "contianer" '
            '(did you mean "container"?)') in lines
    # With no container, the template also has no type, and Argo says so too.
    assert 'template "main" has no type' in out
    assert lines[-1] == "✖ found 2 linting errors in 1 file"


def test_clean_files_and_directories_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([str(CORPUS / "argo-examples" / "hello-world.yaml"),
                        str(CORPUS / "argo-examples" / "workflow-template")], capsys)
    assert code == 0
    assert out.strip() == "✔ no linting errors found!"


def test_simple_output_and_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(MISSPELT.replace("contianer", "container").replace("v1alpha1", "v1"))
    # Argo serves its kinds only as v1alpha1: a wrong apiVersion is refused in both modes, said once.
    for flags in ([], ["--strict"]):
        code, out, _ = run(["-o", "simple", *flags, str(path)], capsys)
        assert code == 1
        assert out.splitlines()[0] == f'{path}:1: apiVersion: expected "argoproj.io/v1alpha1", got "argoproj.io/v1"'
        assert out.count("apiVersion") == 1


def test_templates_option_makes_unknown_template_refs_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wf = CORPUS / "argo-examples" / "workflow-template" / "templates.yaml"
    lib = CORPUS / "argo-examples" / "workflow-template"
    # A Workflow that uses templateRef, linted alone and with its WorkflowTemplates.
    user = tmp_path / "user.yaml"
    user.write_text("""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: ref-}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: a
            templateRef: {name: workflow-template-print-message, template: print-message}
          - name: b
            templateRef: {name: no-such-template, template: x}
""")
    assert wf.is_file()
    assert run([str(user)], capsys)[0] == 0
    code, out, _ = run([str(user), "--templates", str(lib)], capsys)
    assert code == 1
    assert f'{user}:12: spec.templates[0].steps[0][1].templateRef.name: WorkflowTemplate "no-such-template" not found' in out


def test_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["/no/such/wf.yaml"], capsys)
    assert code == 1
    assert "error: /no/such/wf.yaml: no such file or directory" in err
    assert "Traceback" not in out + err


def test_syntax_error_is_an_issue_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("kind: Workflow\nspec:\n  templates: [\n")
    code, out, err = run([str(path)], capsys)
    assert code == 1
    assert out.startswith(f"{path}:") and "YAML syntax error" in out
    assert "Traceback" not in out + err


def test_an_unreadable_backoff_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Argo's validation passes retryStrategy.backoff; only the controller reads it, when a retry is due."""
    path = tmp_path / "bo.yaml"
    path.write_text(MISSPELT.replace("contianer", "container").replace(
        "    - name: main\n", '    - name: main\n      retryStrategy: {limit: 2, backoff: {duration: "abc", factor: "x",'
        ' cap: 1m30s, maxDuration: \"90\"}}\n'))
    code, out, _ = run(["-o", "simple", str(path)], capsys)
    assert code == 0
    assert out.splitlines() == [
        f'{path}:9: spec.templates[0].retryStrategy.backoff.duration: warning: invalid duration "abc": expected a'
        " Go duration such as 300ms, 1.5h or 2h45m (units ns, us, µs, ms, s, m, h); the Retry node will end in"
        " Error when a retry is due",
        f"{path}:9: spec.templates[0].retryStrategy.backoff.factor: warning: value 'x' cannot be resolved to an"
        " int; the Retry node will end in Error when a retry is due",
        "✔ no linting errors found!"]
