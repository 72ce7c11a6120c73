"""Argo's artifact rules through the engine: missing and optional outputs, archiveLogs order,
passing artifacts through nested templates, git and `from` inputs, and the CLI (`get`, `cp`)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.artifacts_e2e.conftest import RUNTIMES, artifact, fetch
from tests.support.runs import Finished, run_file
from wfexec.cli.main import main as cli

pytestmark = pytest.mark.parametrize(("runtime", "executor"), RUNTIMES)


def _wf(tmp_path: Path, body: str, name: str = "wf.yaml") -> Path:
    path = tmp_path / name
    path.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: rules-}\n" + body)
    return path


def _ok(run: Finished) -> Finished:
    assert run.phase == "Succeeded", (run.message, {n["displayName"]: n.get("message") for n in run.nodes.values()})
    return run


def test_missing_output_is_an_error_unless_optional(runtime: str, executor: str, tmp_path: Path) -> None:
    wf = _wf(tmp_path, """\
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: lenient, template: lenient}
    - - {name: strict, template: strict}
  - name: lenient
    container: {image: busybox, command: [sh, -c, "echo present > /tmp/here"]}
    outputs:
      artifacts:
      - {name: here, path: /tmp/here}
      - {name: gone, path: /tmp/not-there, optional: true}
  - name: strict
    container: {image: busybox, command: [sh, -c, "true"]}
    outputs:
      artifacts:
      - {name: needed, path: /tmp/never-written}
""")
    run = run_file(wf, runtime=runtime, executor=executor)
    lenient = run.by_display("lenient")
    assert lenient["phase"] == "Succeeded"
    assert [a["name"] for a in lenient["outputs"]["artifacts"]] == ["here"]
    strict = run.by_display("strict")
    assert strict["phase"] == "Error" and run.phase == "Failed"
    assert strict["message"] == ("failed to save outputs: output artifact 'needed' of step 'strict': "
                                 "/tmp/never-written: no such file or directory")


def test_failed_step_keeps_the_artifacts_it_wrote(runtime: str, executor: str, tmp_path: Path) -> None:
    """As Argo's wait container does: outputs are saved even when main fails; missing ones are no error."""
    wf = _wf(tmp_path, """\
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [sh, -c, "echo partial > /tmp/a; exit 3"]}
    outputs:
      artifacts:
      - {name: a, path: /tmp/a}
      - {name: b, path: /tmp/b}
""")
    run = run_file(wf, runtime=runtime, executor=executor)
    (pod,) = run.pods()
    assert pod["phase"] == "Failed" and pod["message"] == "Error (exit code 3)"
    assert [a["name"] for a in pod["outputs"]["artifacts"]] == ["a"]
    assert fetch(run, artifact(pod, "a"), tmp_path / "a").read_text() == "partial\n"


def test_archive_logs_template_overrides_workflow(runtime: str, executor: str, tmp_path: Path) -> None:
    wf = _wf(tmp_path, """\
spec:
  entrypoint: main
  archiveLogs: true
  templates:
  - name: main
    steps:
    - - {name: kept, template: kept}
      - {name: unarchived, template: unarchived}
  - name: kept
    container: {image: busybox, command: [sh, -c, "echo out; echo err >&2"]}
  - name: unarchived
    archiveLocation: {archiveLogs: false}
    container: {image: busybox, command: [echo, quiet]}
""")
    run = _ok(run_file(wf, runtime=runtime, executor=executor))
    logs = artifact(run.by_display("kept"), "main-logs")
    assert sorted(fetch(run, logs, tmp_path / "main.log").read_text().split()) == ["err", "out"]  # combined
    assert "artifacts" not in (run.by_display("unarchived").get("outputs") or {})


def test_artifacts_pass_through_nested_templates(runtime: str, executor: str, tmp_path: Path) -> None:
    """`{{inputs.artifacts.x}}` inside a steps template, and a steps template's own outputs `from`."""
    wf = _wf(tmp_path, """\
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: make, template: make}
    - - name: relay
        template: relay
        arguments:
          artifacts: [{name: in, from: "{{steps.make.outputs.artifacts.out}}"}]
    - - name: show
        template: show
        arguments:
          artifacts: [{name: in, from: "{{steps.relay.outputs.artifacts.out}}"}]
  - name: make
    container: {image: busybox, command: [sh, -c, "mkdir -p /tmp/d/sub; echo deep > /tmp/d/sub/f"]}
    outputs:
      artifacts: [{name: out, path: /tmp/d}]
  - name: relay
    inputs:
      artifacts: [{name: in}]
    steps:
    - - name: inner
        template: show
        arguments:
          artifacts: [{name: in, from: "{{inputs.artifacts.in}}"}]
    outputs:
      artifacts: [{name: out, from: "{{inputs.artifacts.in}}"}]
  - name: show
    inputs:
      artifacts: [{name: in, path: /tmp/in, subPath: sub}]
    container: {image: busybox, command: [cat, /tmp/in/f]}
""")
    run = _ok(run_file(wf, runtime=runtime, executor=executor))
    made = artifact(run.by_display("make"), "out")
    relayed = artifact(run.by_display("relay"), "out")
    assert relayed["local"] == made["local"]
    assert [run.log(n) for n in run.all_by_display("show")] == ["deep\n"]
    assert run.log(run.by_display("inner")) == "deep\n"


def test_a_node_records_where_its_input_artifacts_are_stored(runtime: str, executor: str, tmp_path: Path) -> None:
    """As Argo: an input `from` another step's output carries that output's location on the node (the
    input-artifacts endpoint serves it from there), through a steps template too; a raw input, with no
    stored object, keeps name and path only."""
    wf = _wf(tmp_path, """\
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: make, template: make}
    - - name: relay
        template: relay
        arguments:
          artifacts: [{name: in, from: "{{steps.make.outputs.artifacts.out}}"}]
      - name: literal
        template: show
        arguments:
          artifacts: [{name: in, raw: {data: typed}}]
  - name: make
    container: {image: busybox, command: [sh, -c, "echo made > /tmp/out"]}
    outputs:
      artifacts: [{name: out, path: /tmp/out}]
  - name: relay
    inputs:
      artifacts: [{name: in}]
    steps:
    - - name: inner
        template: show
        arguments:
          artifacts: [{name: in, from: "{{inputs.artifacts.in}}"}]
  - name: show
    inputs:
      artifacts: [{name: in, path: /tmp/in}]
    container: {image: busybox, command: [cat, /tmp/in]}
""")
    run = _ok(run_file(wf, runtime=runtime, executor=executor))
    made = artifact(run.by_display("make"), "out")
    location = {k: v for k, v in made.items() if k not in ("name", "path")}
    assert set(location) >= {"local"} and location["local"]["key"]
    assert run.by_display("relay")["inputs"]["artifacts"] == [{"name": "in", **location}]
    assert run.by_display("inner")["inputs"]["artifacts"] == [{"name": "in", "path": "/tmp/in", **location}]
    assert run.by_display("literal")["inputs"]["artifacts"] == [{"name": "in", "path": "/tmp/in"}]


def test_git_input_artifact(runtime: str, executor: str, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "README").write_text("from git\n")
    subprocess.run([*git, "add", "README"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    wf = _wf(tmp_path, f"""\
spec:
  entrypoint: main
  templates:
  - name: main
    inputs:
      artifacts:
      - name: src
        path: /tmp/src
        git: {{repo: "file://{repo}", revision: main, depth: 1}}
    container: {{image: alpine/git, command: [cat, /tmp/src/README]}}
""")
    run = _ok(run_file(wf, runtime=runtime, executor=executor))
    assert run.log(run.pods()[0]) == "from git\n"


def test_bad_from_and_missing_source_are_clear_errors(runtime: str, executor: str, tmp_path: Path) -> None:
    wf = _wf(tmp_path, """\
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: literal
        template: show
        arguments:
          artifacts: [{name: in, from: "not-an-artifact"}]
      - {name: nothing, template: show}
  - name: show
    inputs:
      artifacts: [{name: in, path: /tmp/in}]
    container: {image: busybox, command: [cat, /tmp/in]}
""")
    run = run_file(wf, runtime=runtime, executor=executor)
    literal, nothing = run.by_display("literal"), run.by_display("nothing")
    assert literal["phase"] == nothing["phase"] == "Error"
    assert "artifact 'in'" in literal["message"] and "'not-an-artifact' is not an artifact" in literal["message"]
    assert "step 'nothing'" in nothing["message"] and "artifact 'in'" in nothing["message"]
    assert "not optional" in nothing["message"]


def test_from_expression_in_step_and_task_arguments(runtime: str, executor: str, tmp_path: Path) -> None:
    """`fromExpression` in arguments picks an artifact by expr-lang, as steps.go and dag.go resolve it; one
    that names nothing fails its step, unless optional (Argo's conditional-artifacts, passed on)."""
    wf = _wf(tmp_path, """\
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: flip, template: say, arguments: {parameters: [{name: w, value: heads}]}}
    - - {name: heads, template: make, arguments: {parameters: [{name: w, value: H}]}}
      - {name: tails, template: make, arguments: {parameters: [{name: w, value: T}]}}
    - - name: pick
        template: show
        arguments:
          artifacts:
          - name: in
            fromExpression: "steps.flip.outputs.result == 'heads' ? steps.heads.outputs.artifacts.out : steps.tails.outputs.artifacts.out"
      - {name: graph, template: graph}
      - name: none
        template: show
        arguments:
          artifacts: [{name: in, fromExpression: "steps.nowhere.outputs.artifacts.out"}]
      - name: lenient
        template: maybe
        arguments:
          artifacts: [{name: in, fromExpression: "steps.nowhere.outputs.artifacts.out", optional: true}]
  - name: graph
    dag:
      tasks:
      - {name: cs, template: make, arguments: {parameters: [{name: w, value: D}]}}
      - name: art
        depends: cs
        template: show
        arguments:
          artifacts: [{name: in, fromExpression: "tasks.cs.outputs.artifacts.out"}]
  - name: say
    inputs: {parameters: [{name: w}]}
    container: {image: busybox, command: [echo, "{{inputs.parameters.w}}"]}
  - name: make
    inputs: {parameters: [{name: w}]}
    container: {image: busybox, command: [sh, -c, "echo {{inputs.parameters.w}} > /tmp/f"]}
    outputs: {artifacts: [{name: out, path: /tmp/f}]}
  - name: show
    inputs: {artifacts: [{name: in, path: /tmp/in}]}
    container: {image: busybox, command: [cat, /tmp/in]}
  - name: maybe
    inputs: {artifacts: [{name: in, path: /tmp/in, optional: true}]}
    container: {image: busybox, command: [sh, -c, "test -e /tmp/in && cat /tmp/in || echo absent"]}
""")
    run = run_file(wf, runtime=runtime, executor=executor)
    assert run.log(run.by_display("pick")) == "H\n"
    assert run.log(run.by_display("art")) == "D\n"
    assert run.log(run.by_display("lenient")) == "absent\n"
    none = run.by_display("none")
    assert none["phase"] == "Error" and run.phase == "Failed"
    assert "artifact 'in'" in none["message"] and "field 'artifacts[0].fromExpression'" in none["message"]


def test_optional_argument_that_names_no_artifact_is_left_out(runtime: str, executor: str, tmp_path: Path) -> None:
    """An optional argument `from` a producer's optional output that was never made: the step runs without
    it (steps.go, dag.go: `if art.Optional { continue }`); an input that is not optional still needs one."""
    wf = _wf(tmp_path, """\
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: gen, template: gen}
    - - name: use
        template: use
        arguments:
          artifacts: [{name: opt, from: "{{steps.gen.outputs.artifacts.opt}}", optional: true}]
      - {name: graph, template: graph}
      - name: needs
        template: needs
        arguments:
          artifacts: [{name: opt, from: "{{steps.gen.outputs.artifacts.opt}}", optional: true}]
  - name: graph
    dag:
      tasks:
      - {name: gen, template: gen}
      - name: task-use
        depends: gen
        template: use
        arguments:
          artifacts: [{name: opt, from: "{{tasks.gen.outputs.artifacts.opt}}", optional: true}]
  - name: gen
    outputs: {artifacts: [{name: opt, path: /tmp/nothere, optional: true}]}
    container: {image: busybox, command: [sh, -c, "true"]}
  - name: use
    inputs: {artifacts: [{name: opt, path: /tmp/opt, optional: true}]}
    container: {image: busybox, command: [sh, -c, "test -e /tmp/opt || echo without"]}
  - name: needs
    inputs: {artifacts: [{name: opt, path: /tmp/opt}]}
    container: {image: busybox, command: [sh, -c, "true"]}
""")
    run = run_file(wf, runtime=runtime, executor=executor)
    assert run.log(run.by_display("use")) == run.log(run.by_display("task-use")) == "without\n"
    needs = run.by_display("needs")
    assert needs["phase"] == "Error" and "artifact 'opt'" in needs["message"]


def test_cli_get_and_cp(runtime: str, executor: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import CORPUS

    run = _ok(run_file(CORPUS / "argo-examples" / "artifact-passing.yaml", runtime=runtime, executor=executor))
    capsys.readouterr()
    assert cli(["get", run.name, "-o", "wide"]) == 0  # artifacts show in the wide table, as in argo
    table = capsys.readouterr().out
    art = artifact(run.by_display("generate-artifact"), "hello-art")
    assert "generate-artifact" in table and "hello-art" in table  # its key: in the JSON below
    assert cli(["get", run.name, "-o", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    node = shown["status"]["nodes"][run.by_display("generate-artifact")["id"]]
    assert node["outputs"]["artifacts"] == [art]  # Argo's shape: name, path, driver block with the key
    assert cli(["cp", run.name, "hello-art", str(tmp_path / "msg.txt")]) == 0
    assert (tmp_path / "msg.txt").read_text() == "hello world\n"
    (tmp_path / "into").mkdir()
    assert cli(["cp", run.name, "generate-artifact/hello-art", str(tmp_path / "into"), "--raw"]) == 0
    assert (tmp_path / "into" / "hello-art.tgz").read_bytes()[:2] == b"\x1f\x8b"
    capsys.readouterr()
    assert cli(["cp", run.name, "consume-artifact/nope", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "no artifact 'consume-artifact/nope'" in err and "generate-artifact/hello-art" in err
    assert not (tmp_path / "x").exists()


def test_namespace_default_repository_beats_the_executor_config(runtime: str, executor: str, wfexec_home: Path,
                                                                 tmp_path: Path) -> None:
    """ConfigMaps in $WFEXEC_HOME/configmaps stand in for the namespace's, as in Argo's order."""
    from tests.conftest import CORPUS

    (wfexec_home / "configmaps").mkdir()
    (wfexec_home / "configmaps" / "repos.yaml").write_text("""\
kind: ConfigMap
metadata:
  name: artifact-repositories
  annotations: {workflows.argoproj.io/default-artifact-repository: mine}
data:
  mine: |
    local:
      keyFormat: "ns-default/{{workflow.name}}/{{pod.name}}"
""")
    cfg = tmp_path / "config.yaml"
    cfg.write_text("artifactRepository: {local: {keyFormat: 'from-config/{{pod.name}}'}}\n")
    run = _ok(run_file(CORPUS / "argo-examples" / "artifact-passing.yaml", runtime=runtime, executor=executor,
                       config=str(cfg)))
    art = artifact(run.by_display("generate-artifact"), "hello-art")
    assert art["local"]["key"].startswith(f"ns-default/{run.name}/")
    assert art["local"]["root"] == str(wfexec_home / "artifacts")
    ref = run.workflow["status"]["artifactRepositoryRef"]
    assert (ref["configMap"], ref["key"]) == ("artifact-repositories", "mine")
    assert run.log(run.by_display("consume-artifact")) == "hello world\n"
    (wfexec_home / "configmaps" / "repos.yaml").unlink()  # without it, the executor config's repository
    run = _ok(run_file(CORPUS / "argo-examples" / "artifact-passing.yaml", runtime=runtime, executor=executor,
                       config=str(cfg)))
    assert artifact(run.by_display("generate-artifact"), "hello-art")["local"]["key"].startswith("from-config/")
