"""Argo's artifact examples through the real engine, with the outputs Argo would record.

The default local repository ($WFEXEC_HOME/artifacts) is used: these files name no bucket.
Keys follow Argo's default layout `{{workflow.name}}/{{pod.name}}/<file>`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.artifacts_e2e.conftest import CORPUS_RUNTIMES, artifact, fetch, tgz_members
from tests.conftest import CORPUS
from tests.support.docker_config import docker_image_config
from tests.support.runs import Finished, run_file
from wfexec.engine import nodes as N

EX = CORPUS / "argo-examples"
pytestmark = pytest.mark.parametrize(("runtime", "executor"), CORPUS_RUNTIMES)


def _run(name: str, runtime: str, executor: str, **kw: object) -> Finished:
    if runtime == "docker":
        kw.setdefault("config", docker_image_config())
    run = run_file(EX / name, runtime=runtime, executor=executor, **kw)
    assert run.phase == "Succeeded", (run.message, {n["displayName"]: n.get("message") for n in run.nodes.values()})
    return run


def _key(run: Finished, display: str, file_name: str) -> str:
    node = run.by_display(display)
    return f"{run.name}/{N.pod_name(run.name, node['name'], node['templateName'])}/{file_name}"


def test_artifact_passing(runtime: str, executor: str, tmp_path: Path) -> None:
    run = _run("artifact-passing.yaml", runtime, executor)
    art = artifact(run.by_display("generate-artifact"), "hello-art")
    assert art["path"] == "/tmp/hello_world.txt"
    assert art["local"]["key"] == _key(run, "generate-artifact", "hello-art.tgz")
    stored = fetch(run, art, tmp_path / "stored.tgz", raw=True)
    assert tgz_members(stored) == {"hello_world.txt": b"hello world\n"}
    assert run.log(run.by_display("consume-artifact")) == "hello world\n"


def test_artifact_passing_subpath(runtime: str, executor: str) -> None:
    run = _run("artifact-passing-subpath.yaml", runtime, executor)
    art = artifact(run.by_display("generate-artifact"), "hello-art")
    assert art["archive"] == {"none": {}}
    assert art["local"]["key"] == _key(run, "generate-artifact", "tmp")  # archive none: the path's own name
    assert "hello_world.txt" in run.log(run.by_display("list-artifact")).split()
    assert run.log(run.by_display("consume-artifact")) == "hello world\n"


def test_artifact_disable_archive(runtime: str, executor: str, tmp_path: Path) -> None:
    run = _run("artifact-disable-archive.yaml", runtime, executor)
    gen = run.by_display("generate-artifact")
    assert artifact(gen, "etc")["local"]["key"] == _key(run, "generate-artifact", "etc")
    txt = artifact(gen, "hello-txt")
    assert txt["local"]["key"] == _key(run, "generate-artifact", "hello_world.txt")
    assert fetch(run, txt, tmp_path / "raw.txt", raw=True).read_text() == "hello world\n"  # stored unarchived
    nc = artifact(gen, "hello-txt-nc")
    assert nc["archive"] == {"tar": {"compressionLevel": 0}}
    stored = fetch(run, nc, tmp_path / "nc.tgz", raw=True)
    assert tgz_members(stored) == {"hello_world_nc.txt": b"hello world\n"}
    log = run.log(run.by_display("consume-artifact")).splitlines()
    assert log[:3] == ["hello world", "hello world", "."]
    assert "./passwd" in log  # the listing of the staged /etc tree


def test_artifact_path_placeholders(runtime: str, executor: str, tmp_path: Path) -> None:
    run = _run("artifact-path-placeholders.yaml", runtime, executor)
    pod = run.pods()[0]
    assert run.param(pod["displayName"], "actual-lines-count") == "3"
    art = artifact(pod, "text")
    assert art["path"] == "/outputs/text/data"
    assert fetch(run, art, tmp_path / "data").read_text() == "1\n2\n3\n"
    assert pod["inputs"]["artifacts"] == [{"name": "text", "path": "/inputs/text/data"}]


def test_input_artifact_raw(runtime: str, executor: str) -> None:
    run = _run("input-artifact-raw.yaml", runtime, executor)
    assert run.log(run.pods()[0]) == "this is\nthe raw file\ncontents\n"


@pytest.mark.parametrize("name", ["conditional-artifacts.yaml", "dag-conditional-artifacts.yaml"])
def test_conditional_artifacts(runtime: str, executor: str, name: str, tmp_path: Path) -> None:
    run = _run(name, runtime, executor)
    flip = run.by_display("flip-coin")["outputs"]["result"]
    assert flip in ("heads", "tails")
    other = "tails" if flip == "heads" else "heads"
    assert run.by_display(other)["phase"] == "Skipped"
    chosen = artifact(run.by_display(flip), "result")
    root = artifact(run.nodes[run.name], "result")
    assert root["local"]["key"] == chosen["local"]["key"] == _key(run, flip, "result.tgz")
    assert fetch(run, root, tmp_path / "result.txt").read_text() == f"it was {flip}"


def test_exit_handler_with_artifacts(runtime: str, executor: str) -> None:
    run = _run("exit-handler-with-artifacts.yaml", runtime, executor)
    assert run.by_display("step-1.onExit")["phase"] == "Succeeded"
    assert run.log(run.by_display("step-1.onExit")) == "Welcome"


def test_global_outputs(runtime: str, executor: str, tmp_path: Path) -> None:
    run = _run("global-outputs.yaml", runtime, executor)
    produced = artifact(run.by_display("generate"), "hello-art")
    assert produced["globalName"] == "my-global-art"
    (glob,) = run.workflow["status"]["outputs"]["artifacts"]
    assert glob["name"] == "my-global-art" and glob["local"] == produced["local"]
    consumers = run.all_by_display("consume-global-art")
    assert len(consumers) == 2  # in the entrypoint, and again in the exit handler
    assert [run.log(n) for n in consumers] == ["hello world", "hello world"]
    assert [run.log(n) for n in run.all_by_display("consume-global-param")] == ["hello world\n"] * 2
    assert fetch(run, glob, tmp_path / "g.txt").read_text() == "hello world"


@pytest.mark.parametrize("name", ["archive-location.yaml", "workflow-template/workflow-archive-logs.yaml"])
def test_archive_logs(runtime: str, executor: str, name: str, tmp_path: Path) -> None:
    """archiveLogs on the template's archiveLocation, or on the workflow spec."""
    run = _run(name, runtime, executor)
    (pod,) = run.pods()
    logs = artifact(pod, "main-logs")
    assert logs["local"]["key"] == _key(run, pod["displayName"], "main.log")
    assert "path" not in logs
    assert fetch(run, logs, tmp_path / "main.log").read_text() == "hello world\n"
