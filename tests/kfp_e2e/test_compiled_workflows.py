"""Workflows that KFP's compilers emitted (shared/corpus/kfp-compiled-argo) run here unchanged.

The stand-ins are host programs, so these run on the host runtime (`HOST`). Where a workflow calls a tool this machine lacks (or must not use: `gsutil` would go to Google),
the test puts a stand-in of the same behaviour first on the step's PATH through the containers'
`env`, and says so. Images are ignored by the host runtime (it runs the host's programs).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.kfp_e2e.artifacts import artifact_bytes, node_artifact
from tests.kfp_e2e.conftest import HOST, STANDINS, FakeGCS, standin_path, with_env, write_yaml
from tests.support.runs import Finished, run_file
from wfexec.cli.main import main
from wfexec.home import wfexec_home

Load = Callable[[str], dict[str, Any]]


def run(wf: dict[str, Any], tmp_path: Path, backend: tuple[str, str], **kwargs: Any) -> Finished:
    path = write_yaml(wf, tmp_path / "workflow.yaml")
    runtime, executor = backend
    return run_file(path, runtime=runtime, executor=executor, **kwargs)


def gcs_env(gcs: FakeGCS) -> dict[str, str]:
    """Stand-in `gsutil` (standins/gsutil) first on PATH, talking to the test's fake GCS."""
    return {"PATH": standin_path(), "FAKE_GCS_URL": gcs.url}


@pytest.fixture(params=HOST, ids=lambda b: f"{b[0]}-{b[1]}")
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param


def test_basic_exit_handler_and_gsutil_upload(compiled: Load, tmp_path: Path, backend: tuple[str, str],
                                              fake_gcs: FakeGCS) -> None:
    wf = with_env(compiled("v1-compiler/basic.yaml"), gcs_env(fake_gcs))
    done = run(wf, tmp_path, backend, parameters={"message": "b a b c", "outputpath": "gs://results/word.txt"})
    assert done.phase == "Succeeded", done.message
    assert done.param("get-frequent", "get-frequent-word") == "b"
    assert fake_gcs.objects["results/word.txt"] == b"b\n"
    assert done.by_display(f"{done.name}.onExit")["phase"] == "Succeeded"
    assert "exit!" in done.log(done.by_display(f"{done.name}.onExit"))


@pytest.mark.parametrize(("flip_seed", "again_seed", "expect"), [
    ("1", "1", "heads-heads"),  # seed 1: heads; seed 0: tails (random.randint(0, 1) on CPython 3)
    ("1", "0", "heads-tails"),
    ("0", "1", "tails"),
])
def test_coin_follows_the_flips(compiled: Load, tmp_path: Path, backend: tuple[str, str], flip_seed: str,
                                again_seed: str, expect: str) -> None:
    """Each flip is seeded through standins/seeded/sitecustomize.py, so every branch is exercised."""
    env = {"PYTHONPATH": str(STANDINS / "seeded")}
    wf = with_env(compiled("v1-compiler/coin.yaml"), env,
                  {"flip": {"COIN_SEED": flip_seed}, "flip-again": {"COIN_SEED": again_seed}})
    done = run(wf, tmp_path, backend)
    phases = {n["displayName"]: n["phase"] for n in done.nodes.values()}
    if expect == "heads-heads":
        assert done.phase == "Succeeded", done.message
        assert done.param("flip-again", "flip-again-output") == "heads"
        assert phases["condition-2"] == "Skipped" and phases["condition-3"] == "Skipped"
    elif expect == "heads-tails":
        assert done.phase == "Succeeded", done.message
        assert done.log(done.by_display("print1")).strip() == "tails"
        assert phases["condition-3"] == "Skipped"
    else:
        # condition-1 is skipped, so condition-3's argument refers to the output of a skipped
        # node that declares no default: Argo v4.1 fails that task ("argument references an
        # absent optional"), and so do we, naming the reference.
        assert phases["condition-1"] == "Skipped"
        node = done.by_display("condition-3")
        assert node["phase"] == "Error"
        assert "tasks.condition-1.outputs.parameters.flip-again-output" in node["message"]
        assert done.phase in ("Failed", "Error")
        assert "print2" not in phases


def test_compose_downloads_counts_and_uploads(compiled: Load, tmp_path: Path, backend: tuple[str, str],
                                              fake_gcs: FakeGCS) -> None:
    fake_gcs.objects["inputs/text.txt"] = b"the cat and the hat\n"
    wf = with_env(compiled("v1-compiler/compose.yaml"), gcs_env(fake_gcs))
    done = run(wf, tmp_path, backend, parameters={"url": "gs://inputs/text.txt", "outputpath": "gs://out/top"})
    assert done.phase == "Succeeded", done.message
    assert done.param("download", "download-downloaded") == "the cat and the hat"
    assert fake_gcs.objects["out/top"] == b"the\n"


def test_default_value_is_used(compiled: Load, tmp_path: Path, backend: tuple[str, str], fake_gcs: FakeGCS) -> None:
    fake_gcs.objects["ml-pipeline/shakespeare1.txt"] = b"To be or not to be\n"
    wf = with_env(compiled("v1-compiler/default_value.yaml"), gcs_env(fake_gcs))
    done = run(wf, tmp_path, backend)
    assert done.phase == "Succeeded", done.message
    assert done.log(done.by_display("echo")).strip() == "To be or not to be"


def test_input_artifact_raw_values(compiled: Load, tmp_path: Path, backend: tuple[str, str]) -> None:
    done = run(compiled("v1-compiler/input_artifact_raw_value.yaml"), tmp_path, backend)
    assert done.phase == "Succeeded", done.message
    expected = {"component-with-inline-input-artifact": "Constant artifact value",
                "component-with-input-artifact": "Constant artifact value",
                "component-with-input-artifact-2": "hard-coded artifact value",
                "component-with-input-artifact-3": "Text from a file with hard-coded artifact value"}
    for display, text in expected.items():
        assert done.log(done.by_display(display)) == text


def test_pipelineparams_sidecar_serves_the_main_container(compiled: Load, tmp_path: Path,
                                                          backend: tuple[str, str]) -> None:
    """The sidecar image (hashicorp/http-echo:{{…tag}}) has no `command`, and `wfexec migrate` cannot
    look up an image named by an expression, so, as migrate tells the user, the command is set by
    hand; `http-echo` is standins/http-echo. `sleep_ms` goes to `sleep` in seconds: 3 (not the
    default 10) is time enough for the sidecar to listen."""
    wf = with_env(compiled("v1-compiler/pipelineparams.yaml"), {"PATH": standin_path()})
    download = next(t for t in wf["spec"]["templates"] if t["name"] == "download")
    download["sidecars"][0]["command"] = ["http-echo"]
    done = run(wf, tmp_path, backend, parameters={"sleep_ms": "3"})
    assert done.phase == "Succeeded", done.message
    assert done.param("download", "download-downloaded") == '"hello world"'
    assert done.log(done.by_display("echo")).strip() == "pipelineParams: hello world"


def test_withparam_over_an_output(compiled: Load, tmp_path: Path, backend: tuple[str, str]) -> None:
    done = run(compiled("v1-compiler/withparam_output.yaml"), tmp_path, backend)
    assert done.phase == "Succeeded", done.message
    items = sorted(done.log(n).strip() for n in done.all_by_display("my-in-cop1"))
    assert items == sorted(f"do output op1 item: {i}" for i in range(20, 31))
    assert done.log(done.by_display("my-out-cop2")).strip() == f"do output op2, outp: {list(range(20, 31))}"


def test_sdk_produce_consume_passes_a_file_and_a_value(compiled: Load, tmp_path: Path,
                                                       backend: tuple[str, str]) -> None:
    done = run(compiled("kfp1.8-sdk-generated/produce_consume.yaml"), tmp_path, backend, parameters={"text": "yo"})
    assert done.phase == "Succeeded", done.message
    assert done.param("produce", "produce-out") == "yo-nosuffix"
    result = node_artifact(done.by_display("consume"), "consume-result")
    assert artifact_bytes(result) == b"yo-nosuffix blob:yo-nosuffix\n"


def test_sdk_condition_false_skips_the_consumer(compiled: Load, tmp_path: Path, backend: tuple[str, str]) -> None:
    done = run(compiled("kfp1.8-sdk-generated/condition.yaml"), tmp_path, backend)
    assert done.phase == "Succeeded", done.message
    node = done.by_display("condition-1")
    assert node["phase"] == "Skipped" and "evaluated false" in node["message"]
    assert not done.all_by_display("consume")


def test_param_substitutions_volumeop_claim_is_a_directory(compiled: Load, tmp_path: Path,
                                                           backend: tuple[str, str]) -> None:
    """The VolumeOp's `resource` template creates a PVC: here, the claim's directory. The `cop`
    container (image `image`, no command) is migrated with an `images:` index entry, as a user
    would (`wfexec migrate`), to the stand-in standins/cop, which writes into the mounted claim."""
    path = write_yaml(with_env(compiled("v1-compiler/param_substitutions.yaml"), {"PATH": standin_path()}),
                      tmp_path / "param_substitutions.yaml")
    config = tmp_path / "config.yaml"
    config.write_text("images:\n  image:\n    entrypoint: [cop]\n")
    assert main(["migrate", "--no-daemon", "--config", str(config), str(path)]) == 0
    done = run_file(path, runtime=backend[0], executor=backend[1])
    assert done.phase == "Succeeded", done.message
    claim = f"{done.name}-data"
    assert done.param("create-volume", "create-volume-name") == claim
    assert done.param("create-volume", "create-volume-size") == "1Gi"
    manifest = json.loads(done.param("create-volume", "create-volume-manifest") or "{}")
    assert manifest["kind"] == "PersistentVolumeClaim" and manifest["status"]["phase"] == "Bound"
    assert done.log(done.by_display("cop")).strip() == f"cop --param {claim}"
    claim_dir = wfexec_home() / "volumes" / f"claim-{claim}"  # where steps mount claimName
    assert (claim_dir / "cop.txt").read_text() == f"written by cop: --param {claim}\n"
    message = done.by_display("create-volume")["message"]
    assert message == f"persistentvolumeclaim/{claim} created (directory {claim_dir})"


def test_other_resources_still_need_a_cluster(tmp_path: Path, backend: tuple[str, str]) -> None:
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "cm-"},
          "spec": {"entrypoint": "make", "templates": [{"name": "make", "resource": {
              "action": "create", "manifest": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}}]}}
    done = run(wf, tmp_path, backend)
    assert done.phase == "Error"
    message = done.by_display(done.name)["message"]
    assert "need a Kubernetes cluster" in message and "PersistentVolumeClaims" in message
