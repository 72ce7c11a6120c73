"""A `script` template without `source` is valid for Argo: lint passes and it runs its command as
given (Argo adds the script file's path to the arguments only when there is a source)."""

from __future__ import annotations

from tests.support.runs import run_workflow

from wfexec.spec.lint import lint_documents
from wfexec.spec.loader import load_text

TEXT = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: script-no-source-
spec:
  entrypoint: main
  templates:
  - name: main
    script:
      image: alpine:3.23
      command: [sh, -c, "echo from the command"]
"""


def test_a_script_without_source_lints_clean_and_runs() -> None:
    docs = load_text(TEXT, "wf.yaml")
    assert lint_documents(docs) == []
    run = run_workflow(docs[0].data)
    assert run.phase == "Succeeded", run.message
    (pod,) = run.pods()
    assert pod["outputs"]["result"] == "from the command"
