"""`submit --kube` against tests/support/kube_fake.py, which stands in for a Kubernetes cluster running
Argo (no API server can run here): the official client creates the Workflow, then the fake replays
status updates recorded from a real Argo controller until the run ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CORPUS
from wfexec.cli.main import main

EX = CORPUS / "argo-examples"
DATA = Path(__file__).parent / "data"
IMAGES = "argoproj/argosay:v2:\n  entrypoint: [/argosay]\n"


def posts(cluster) -> list:  # noqa: ANN001 - FakeCluster
    return [r for r in cluster.requests if r.method == "POST"]


def test_submit_wait_follows_pending_running_succeeded(kube, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("gke-autopilot")
    recorded = cluster.replay_workflow("steps")
    rc = main(["submit", str(EX / "steps.yaml"), "--kube", "--kubeconfig", str(kc), "-n", "argo",
               "--name", recorded["workflow"], "--wait"])
    out = capsys.readouterr().out
    assert rc == 0
    [create] = posts(cluster)
    assert create.path == "/apis/argoproj.io/v1alpha1/namespaces/argo/workflows"
    sent = create.body
    assert sent["kind"] == "Workflow" and sent["metadata"] == {"name": "steps-4w5ld", "namespace": "argo"}
    assert [t["name"] for t in sent["spec"]["templates"]] == ["hello-hello-hello", "print-message"]
    assert "steps-4w5ld: Pending\n" in out
    assert "steps-4w5ld: Pending → Running" in out and "steps-4w5ld: Running → Succeeded" in out
    assert "hello2b: Pending" in out and "hello2b: Succeeded" in out
    # the final node tree, through the local renderer, with Argo's pod names
    assert "Status:" in out and "Succeeded" in out and "steps-4w5ld-print-message-3267030610" in out
    assert out.index("Pending → Running") < out.index("Running → Succeeded")


def test_submit_watch_ends_failed_with_exit_1(kube, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("gke-autopilot")
    recorded = cluster.replay_workflow("fails")
    rc = main(["submit", str(DATA / "fails.yaml"), "--kube", "--kubeconfig", str(kc), "-n", "argo",
               "--name", recorded["workflow"], "--watch"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "Error (exit code 1)" in out and "boom" in out
    assert "child 'fails-9zq2m-" in out and "Failed" in out
    assert len(posts(cluster)) == 1


def test_json_output_of_wait_is_the_final_workflow(kube, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    cluster, kc = kube("gke-autopilot")
    recorded = cluster.replay_workflow("fails")
    rc = main(["submit", str(DATA / "fails.yaml"), "--kube", "--kubeconfig", str(kc), "-n", "argo",
               "--name", recorded["workflow"], "--wait", "-o", "json"])
    out = capsys.readouterr().out
    final = json.loads(out[out.index("{\n"):])
    assert rc == 1 and final["status"]["phase"] == "Failed" and final["status"] == recorded["replay"][-1]


def test_lint_errors_mean_nothing_is_sent(kube, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("gke-autopilot")
    bad = tmp_path / "bad.yaml"
    bad.write_text((DATA / "fails.yaml").read_text().replace("template: fail", "template: nope"))
    assert main(["submit", str(bad), "--kube", "--kubeconfig", str(kc), "--wait"]) == 1
    err = capsys.readouterr().err
    assert "nope" in err and "nothing was exported" in err and "Traceback" not in err
    assert posts(cluster) == []


def test_submit_without_wait_prints_the_created_workflow(kube, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("gke-autopilot")
    assert main(["submit", str(EX / "hello-world.yaml"), "--kube", "--kubeconfig", str(kc), "-o", "name"]) == 0
    name = capsys.readouterr().out.strip()
    assert name.startswith("hello-world-")
    # the kubeconfig context's namespace ("default") is used when -n is not given
    assert posts(cluster)[0].path == "/apis/argoproj.io/v1alpha1/namespaces/default/workflows"
    assert "default/" + name in cluster.state["workflows"]


def test_emissary_commands_come_from_the_clusters_images_index(kube, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("gke-autopilot")  # Argo v3.4: emissary only
    cluster.configmap("argo", "workflow-controller-configmap")["data"]["images"] = IMAGES
    rc = main(["submit", str(EX / "key-only-artifact.yaml"), "--kube", "--kubeconfig", str(kc),
               "--no-daemon", "--no-registry"])
    assert rc == 0, capsys.readouterr().err
    sent = posts(cluster)[0].body
    containers = [t["container"] for t in sent["spec"]["templates"] if "container" in t]
    assert containers and all(c["command"] == ["/argosay"] for c in containers)
    assert [c["args"] for c in containers] == [["echo", "hello", "/mnt/file"], ["cat", "/tmp/file"]]
    assert "from image argoproj/argosay:v2 (config)" in capsys.readouterr().err


def test_component_spec_is_compiled_and_sent_without_local_keys(kube, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("gke-autopilot")
    spec = CORPUS / "kfp-components/components/contrib/filesystem/get_file/component.yaml"
    rc = main(["submit", str(spec), "--kube", "--kubeconfig", str(kc), "-a", "Directory=/d", "-a", "Subpath=f"])
    assert rc == 0, capsys.readouterr().err
    sent = posts(cluster)[0].body
    assert sent["metadata"]["generateName"] == "get-file-" and "annotations" not in sent["metadata"]
    assert "removed local-only annotation wfexec.io/kfp-outputs" in capsys.readouterr().err


def test_unreachable_cluster_is_one_clear_line(kube, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("gke-autopilot")
    dead = tmp_path / "dead"
    dead.write_text(kc.read_text().replace(cluster.url, "http://127.0.0.1:9"))
    assert main(["submit", str(EX / "hello-world.yaml"), "--kube", "--kubeconfig", str(dead), "-n", "argo",
                 "--executor", "emissary"]) == 1
    err = capsys.readouterr().err
    assert "unreachable" in err and "Traceback" not in err


def test_local_templates_are_inlined_before_sending(kube, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("gke-autopilot")
    wft = EX / "workflow-template"
    rc = main(["submit", str(wft / "steps.yaml"), "--kube", "--kubeconfig", str(kc), "--templates", str(wft),
               "-l", "team=data", "--entrypoint", "hello-hello-hello"])
    assert rc == 0, capsys.readouterr().err
    sent = posts(cluster)[0].body
    assert "templateRef" not in str(sent) and sent["metadata"]["labels"] == {"team": "data"}
    assert {"print-message", "inner-steps"} <= {t["name"] for t in sent["spec"]["templates"]}


def test_docker_cluster_gets_commands_as_written(kube, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("docker-nodes")  # Argo v3.2 with containerRuntimeExecutor: docker
    assert main(["submit", str(EX / "key-only-artifact.yaml"), "--kube", "--kubeconfig", str(kc)]) == 0
    sent = posts(cluster)[0].body
    containers = [t["container"] for t in sent["spec"]["templates"] if "container" in t]
    assert [c.get("command") for c in containers] == [None, None]  # Docker runs the image's ENTRYPOINT
    assert [c["args"] for c in containers] == [["echo", "hello", "/mnt/file"], ["cat", "/tmp/file"]]
    assert "executor docker" in capsys.readouterr().err


def test_forbidden_namespace_is_a_clear_error(kube, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("gke-autopilot")

    @cluster.route("POST", "/apis/argoproj.io/v1alpha1/namespaces/prod/workflows")
    def _forbidden(c, g, body, h):  # noqa: ANN001, ANN202 - a route handler
        return 403, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "code": 403,
                     "reason": "Forbidden", "message": 'workflows.argoproj.io is forbidden: User "dev" cannot '
                                                      'create resource "workflows" in the namespace "prod"'}

    assert main(["submit", str(EX / "hello-world.yaml"), "--kube", "--kubeconfig", str(kc), "-n", "prod"]) == 1
    err = capsys.readouterr().err
    assert "CREATE workflow in prod: HTTP 403" in err and "RBAC" in err and "Traceback" not in err
