"""`wfexec export` from the command line: templates inlined or emitted, local-only keys dropped,
parameters, commands for the emissary, and output that `wfexec lint --strict` accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import CORPUS
from tests.export.support import write_config
from wfexec.cli.main import main

EX = CORPUS / "argo-examples"
WFT = EX / "workflow-template"

LOCAL = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: local-
  uid: 0b0c3a3e-0000-4000-8000-000000000000
  annotations: {wfexec.io/sandbox: bwrap, team: data}
  labels: {wfexec.run: local-abcde}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: who, value: world}]
  templates:
  - name: main
    metadata:
      annotations: {wfexec.io/output-dirs: '["/tmp/out"]'}
    container:
      image: argoproj/argosay:v2
      args: [echo, "{{workflow.parameters.who}}"]
status:
  phase: Succeeded
"""


def export(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["export", *argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_inline_is_default_and_emit_keeps_refs(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = export(capsys, str(WFT / "dag.yaml"), "--templates", str(WFT), "-o", "json")
    wf = json.loads(out)
    assert rc == 0 and wf["kind"] == "Workflow" and "templateRef" not in out
    names = [t["name"] for t in wf["spec"]["templates"]]
    assert len(names) == len(set(names)) > 1
    rc, out, err = export(capsys, str(WFT / "dag.yaml"), "--templates", str(WFT), "--emit-templates", "-o", "json")
    listed = json.loads(out)
    assert rc == 0 and listed["kind"] == "List" and listed["apiVersion"] == "v1"
    kinds = [d["kind"] for d in listed["items"]]
    assert kinds[-1] == "Workflow" and set(kinds[:-1]) == {"WorkflowTemplate"} and "templateRef" in out
    assert "emitted WorkflowTemplate" in err
    rc, out, _ = export(capsys, str(WFT / "dag.yaml"), "--templates", str(WFT), "--emit-templates")
    docs = list(YAML(typ="safe").load_all(out))
    assert [d["kind"] for d in docs] == kinds


def test_workflow_template_ref_is_merged_or_kept(capsys: pytest.CaptureFixture[str]) -> None:
    ref = WFT / "workflow-template-ref.yaml"
    rc, out, _ = export(capsys, str(ref), "--templates", str(WFT), "-o", "json")
    wf = json.loads(out)
    assert rc == 0 and "workflowTemplateRef" not in wf["spec"] and wf["spec"]["templates"]
    rc, out, _ = export(capsys, str(ref), "--templates", str(WFT), "--emit-templates", "-o", "json")
    items = json.loads(out)["items"]
    assert items[-1]["spec"]["workflowTemplateRef"]["name"] == items[0]["metadata"]["name"]
    rc, out, err = export(capsys, str(ref), "-o", "json")  # no --templates: the cluster must have it
    assert rc == 0 and "workflowTemplateRef" in json.loads(out)["spec"] and "must exist in the cluster" in err


def test_local_only_settings_are_dropped_with_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "local.yaml"
    src.write_text(LOCAL)
    config = write_config(tmp_path)
    rc, out, err = export(capsys, str(src), "--config", str(config), "--no-daemon", "--no-registry", "-o", "json")
    wf = json.loads(out)
    assert rc == 0
    assert wf["metadata"] == {"generateName": "local-", "annotations": {"team": "data"}}
    assert "status" not in wf and "metadata" not in wf["spec"]["templates"][0]
    ctr = wf["spec"]["templates"][0]["container"]
    # the images: index gives the command; the host runtime's output directories become an sh wrapper
    assert ctr["command"] == ["sh", "-c", "mkdir -p -- /tmp/out && exec \"$0\" \"$@\"", "/argosay"]
    assert ctr["args"] == ["echo", "{{workflow.parameters.who}}"]
    for text in ("removed local-only annotation wfexec.io/sandbox", "removed local-only label wfexec.run",
                 "removed server field metadata.uid", "removed status"):
        assert text in err


def test_parameters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "local.yaml"
    src.write_text(LOCAL)
    rc, out, _ = export(capsys, str(src), "-p", "who=cluster", "--executor", "docker", "-o", "json")
    assert rc == 0 and json.loads(out)["spec"]["arguments"]["parameters"] == [{"name": "who", "value": "cluster"}]
    rc, out, _ = export(capsys, str(src), "-p", "extra=1", "--executor", "docker", "-o", "json")
    assert rc == 0 and json.loads(out)["spec"]["arguments"]["parameters"] == [  # as argo submit -p takes it
        {"name": "extra", "value": "1"}, {"name": "who", "value": "world"}]
    rc, _, err = export(capsys, str(src), "-a", "x=1", "--executor", "docker")
    assert rc == 1 and "-a gives a component's inputs" in err


def test_missing_command_warns_and_strict_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "local.yaml"
    src.write_text(LOCAL)
    argv = [str(src), "--executor", "emissary", "--no-daemon", "--no-registry"]
    rc, out, err = export(capsys, *argv)
    assert rc == 0 and out.startswith("apiVersion") and "warning:" in err and "argoproj/argosay:v2" in err
    rc, out, err = export(capsys, *argv, "--strict")
    assert rc == 1 and out == "" and "1 container(s) have no command for the emissary executor" in err
    rc, out, err = export(capsys, str(src), "--executor", "docker", "--strict")
    assert rc == 0 and "command" not in YAML(typ="safe").load(out)["spec"]["templates"][0]["container"]
    assert "executor docker" in err


def test_image_map_leaves_images_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("containerRuntimeExecutor: docker\nimageMap: |\n  busybox: registry.local/busybox:1\n")
    rc, out, err = export(capsys, str(EX / "steps.yaml"), "--config", str(config), "-o", "json")
    assert rc == 0 and {t.get("container", {}).get("image") for t in json.loads(out)["spec"]["templates"]} \
        == {None, "busybox"}
    assert "image busybox stays as written (here imageMap ran registry.local/busybox:1 instead)" in err


def test_output_passes_lint_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, extra in (("dag.yaml", ["--emit-templates"]), ("steps.yaml", [])):
        rc, out, _ = export(capsys, str(WFT / name), "--templates", str(WFT), *extra)
        exported = tmp_path / f"exported-{name}"
        exported.write_text(out)
        assert rc == 0 and main(["lint", "--strict", str(exported)]) == 0
        assert "no linting errors" in capsys.readouterr().out


def test_bad_input_is_reported_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "bad.yaml"
    src.write_text(LOCAL.replace("    container:", "    contianer:"))
    rc, out, err = export(capsys, str(src))
    assert rc == 1 and out == "" and f"{src}:16" in err and 'unknown field "contianer"' in err
    rc, _, err = export(capsys, str(tmp_path / "missing.yaml"))
    assert rc == 1 and "no such file" in err
