"""`executor show|set --kube` and `doctor --kube` through the official kubernetes client, against
tests/support/kube_fake.py: an HTTP fake standing in for a Kubernetes API server (none can run
here), serving real API response shapes for four fixture clusters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wfexec.cli.main import main

KUBE = ["--kube", "--kubeconfig"]


def test_show_docker_cluster(kube, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("docker-nodes")
    assert main(["executor", "show", *KUBE, str(kc)]) == 0
    out = capsys.readouterr().out
    assert "executor: docker  (from ConfigMap argo/workflow-controller-configmap)" in out
    assert "argo: v3.2.11 (quay.io/argoproj/workflow-controller:v3.2.11)" in out
    # kubeflow and default were searched before argo
    gets = [r.path for r in cluster.requests if r.method == "GET" and "configmaps" in r.path]
    assert gets[:3] == [f"/api/v1/namespaces/{ns}/configmaps/workflow-controller-configmap"
                        for ns in ("kubeflow", "default", "argo")]


def test_show_unset_means_the_versions_default(kube, capsys: pytest.CaptureFixture[str]) -> None:
    _, kc = kube("restricted-namespace")
    assert main(["executor", "show", *KUBE, str(kc), "--context", "other"]) == 0
    out = capsys.readouterr().out
    assert "executor: emissary" in out and "unset" in out and "v3.3.10" in out


def test_missing_configmap_says_where_it_looked(kube, capsys: pytest.CaptureFixture[str]) -> None:
    _, kc = kube("docker-nodes")
    assert main(["executor", "show", *KUBE, str(kc), "--namespace", "kubeflow"]) == 1
    assert "not found (searched namespace kubeflow)" in capsys.readouterr().err
    cluster, kc = kube("docker-nodes")
    del cluster.state["configmaps"]["argo/workflow-controller-configmap"]
    assert main(["executor", "show", *KUBE, str(kc)]) == 1
    err = capsys.readouterr().err
    assert "searched namespaces kubeflow, default, argo" in err and "--namespace" in err


def test_bad_context_and_unreachable_server_are_clear(kube, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("docker-nodes")
    assert main(["executor", "show", *KUBE, str(kc), "--context", "nope"]) == 1
    assert "kubeconfig" in capsys.readouterr().err
    dead = tmp_path / "dead-kubeconfig"
    dead.write_text(kc.read_text().replace(cluster.url, "http://127.0.0.1:9"))
    assert main(["executor", "show", *KUBE, str(dead)]) == 1
    err = capsys.readouterr().err
    assert "unreachable" in err and "Traceback" not in err and "fake-bearer-token" not in err


def test_set_patches_and_reads_back(kube, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("docker-nodes")
    assert main(["executor", "set", "emissary", *KUBE, str(kc)]) == 0
    out = capsys.readouterr().out
    assert "executor: emissary" in out and "was docker" in out and "read back" in out
    patches = [r for r in cluster.requests if r.method == "PATCH"]
    assert len(patches) == 1 and patches[0].body == {"data": {"containerRuntimeExecutor": "emissary"}}
    assert patches[0].content_type == "application/strategic-merge-patch+json"
    data = cluster.configmap("argo", "workflow-controller-configmap")["data"]
    assert data["containerRuntimeExecutor"] == "emissary" and "s3:" in data["artifactRepository"]


def test_set_inside_old_config_block(kube) -> None:
    cluster, kc = kube("restricted-namespace")
    cm = cluster.configmap("argo", "workflow-controller-configmap")
    cm["data"]["config"] += "containerRuntimeExecutor: docker\n"
    assert main(["executor", "set", "emissary", *KUBE, str(kc)]) == 0
    config = cluster.configmap("argo", "workflow-controller-configmap")["data"]["config"]
    assert "containerRuntimeExecutor: emissary" in config and "parallelism: 10" in config


def test_argo_34_refuses_docker(kube, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, kc = kube("gke-autopilot")
    assert main(["executor", "show", *KUBE, str(kc)]) == 0
    assert "only executor" in capsys.readouterr().out
    assert main(["executor", "set", "docker", *KUBE, str(kc)]) == 1
    err = capsys.readouterr().err
    assert "v3.4.8" in err and "only the emissary" in err and "Nothing was changed" in err
    assert not [r for r in cluster.requests if r.method == "PATCH"]
    assert main(["executor", "set", "emissary", *KUBE, str(kc)]) == 0


def _doctor(kc: Path, *extra: str) -> tuple[int, dict]:
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        code = main(["doctor", *KUBE, str(kc), "-o", "json", *extra])
    return code, json.loads(buf.getvalue())


@pytest.mark.parametrize(("name", "prefer_stable", "recommended", "code", "blocker"), [
    ("docker-nodes", False, "emissary", 0, None),
    ("docker-nodes", True, "docker", 0, None),
    ("containerd-nodes", True, "emissary", 1, "containerd://1.6.9, not Docker"),
    ("restricted-namespace", True, "emissary", 0, "Pod Security 'restricted'"),
    ("gke-autopilot", True, "emissary", 0, "GKE Autopilot"),
])
def test_doctor_on_the_fixture_clusters(kube, name: str, prefer_stable: bool, recommended: str, code: int,
                                        blocker: str | None) -> None:
    _, kc = kube(name)
    got, report = _doctor(kc, *(["--prefer-stable"] if prefer_stable else []))
    assert (got, report["recommended"], report["ok"]) == (code, recommended, code == 0)
    if blocker:
        assert any(blocker in b for b in report["blockers"]), report["blockers"]
    else:
        assert report["blockers"] == []


def test_doctor_autopilot_reasons(kube) -> None:
    _, kc = kube("gke-autopilot")
    _, report = _doctor(kc)
    text = " ".join(report["blockers"])
    assert "Argo v3.4.8" in text and "gk3-" in text and "containerd://1.6.18" in text
    assert report["configured_executor"] == "emissary"


def test_docker_configured_on_restricted_namespace_fails(kube) -> None:
    cluster, kc = kube("restricted-namespace")
    assert main(["executor", "set", "docker", *KUBE, str(kc)]) == 0  # Argo 3.3 still has it
    code, report = _doctor(kc)
    assert code == 1 and "hostPath" in report["problems"][0]


def test_seed_flow_containerd_cluster(kube, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docker is configured on a containerd cluster: doctor says emissary and fails; after the fix it passes."""
    spec = tmp_path / "component.yaml"
    spec.write_text("name: hello-world\nimplementation:\n  container:\n    image: hello-world\n"
                    "    command: [/hello]\n")
    _, kc = kube("containerd-nodes")
    assert main(["doctor", *KUBE, str(kc), str(spec)]) == 1
    out = capsys.readouterr().out
    assert "configured executor: docker" in out and "recommended for the cluster: emissary" in out
    assert "containerd://1.6.9" in out and "fix: wfexec executor set emissary --kube" in out
    assert main(["executor", "set", "emissary", *KUBE, str(kc)]) == 0
    capsys.readouterr()
    assert main(["doctor", *KUBE, str(kc), str(spec)]) == 0
    assert "can work here" in capsys.readouterr().out


def test_doctor_emissary_with_specs_lacking_command(kube, tmp_path: Path, corpus: Path) -> None:
    _, kc = kube("gke-autopilot")
    specs = corpus / "kfp-components-before-emissary-migration" / "components" / "gcp" / "dataproc"
    code, report = _doctor(kc, str(specs))
    assert code == 1 and len(report["missing_command"]) == 8
    assert report["missing_command"][0]["image"] == "gcr.io/ml-pipeline/ml-pipeline-gcp:1.6.0"
    assert "wfexec migrate" in report["problems"][0]


def test_doctor_images_index_in_the_configmap_covers_them(kube, corpus: Path) -> None:
    cluster, kc = kube("gke-autopilot")
    cluster.configmap("argo", "workflow-controller-configmap")["data"]["images"] = (
        "gcr.io/ml-pipeline/ml-pipeline-gcp:1.6.0:\n  entrypoint: [python, -u, -m, kfp_component.launcher]\n")
    specs = corpus / "kfp-components-before-emissary-migration" / "components" / "gcp" / "dataproc"
    code, report = _doctor(kc, str(specs))
    assert code == 0 and all(m["in_images_index"] for m in report["missing_command"])


def test_doctor_fix_for_missing_commands_is_migrate(kube, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, kc = kube("gke-autopilot")
    spec = corpus / "kfp-components-before-emissary-migration" / "components" / "gcp" / "ml_engine" / "train"
    assert main(["doctor", *KUBE, str(kc), str(spec)]) == 1
    out = capsys.readouterr().out
    assert f"fix: wfexec migrate {spec / 'component.yaml'}" in out and "executor set" not in out
