"""`list|get|logs --kube` against tests/support/kube_fake.py, which stands in for a Kubernetes cluster
running Argo (no API server can run here); statuses and logs are those recorded from a real controller."""

from __future__ import annotations

import json

import pytest

from tests.conftest import CORPUS
from wfexec.cli.main import main
from wfexec.engine.nodes import fnv32a

EX = CORPUS / "argo-examples"


@pytest.fixture
def finished(kube):  # noqa: ANN001, ANN201 - (cluster, kubeconfig args) after a submitted run ended
    cluster, kc = kube("gke-autopilot")
    recorded = cluster.replay_workflow("steps")
    assert main(["submit", str(EX / "steps.yaml"), "--kube", "--kubeconfig", str(kc), "-n", "argo",
                 "--name", recorded["workflow"], "--wait"]) == 0
    return cluster, ["--kube", "--kubeconfig", str(kc), "-n", "argo"]


def test_list_shows_name_and_phase(finished, capsys: pytest.CaptureFixture[str]) -> None:
    _, flags = finished
    capsys.readouterr()
    assert main(["list", *flags]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["NAME", "STATUS"]
    assert lines[1].split()[:2] == ["steps-4w5ld", "Succeeded"]
    assert main(["list", *flags, "--running", "-o", "name"]) == 0
    assert capsys.readouterr().out.strip() == ""
    assert main(["list", *flags, "-o", "json"]) == 0
    assert [w["metadata"]["name"] for w in json.loads(capsys.readouterr().out)] == ["steps-4w5ld"]


def test_get_json_is_the_clusters_object_and_text_is_the_tree(finished, capsys: pytest.CaptureFixture[str]) -> None:
    _, flags = finished
    capsys.readouterr()
    assert main(["get", "steps-4w5", *flags, "-o", "json"]) == 0  # a unique prefix will do
    wf = json.loads(capsys.readouterr().out)
    assert wf["status"]["phase"] == "Succeeded" and len(wf["status"]["nodes"]) == 6
    assert main(["get", "steps-4w5ld", *flags]) == 0
    out = capsys.readouterr().out
    for text in ("hello1", "hello2a", "hello2b", "print-message", "Runtime:", "kubernetes"):
        assert text in out


def test_get_unknown_is_a_clear_error(finished, capsys: pytest.CaptureFixture[str]) -> None:
    _, flags = finished
    assert main(["get", "nope", *flags]) == 1
    assert "workflow 'nope' not found in namespace argo" in capsys.readouterr().err


def test_logs_reads_each_pod_by_argos_v2_name(finished, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, flags = finished
    capsys.readouterr()
    assert main(["logs", "steps-4w5ld", *flags]) == 0
    out = capsys.readouterr().out.splitlines()
    # <workflow>-<template>-<fnv32a(node name)>, in start order
    want = [f"steps-4w5ld-print-message-{fnv32a(f'steps-4w5ld[{g}].{s}')}" for g, s in
            ((0, "hello1"), (1, "hello2a"), (1, "hello2b"))]
    assert out == [f"{want[0]}: hello1", f"{want[1]}: hello2a", f"{want[2]}: hello2b"]
    reads = [r for r in cluster.requests if r.path.endswith("/log")]
    assert [r.path for r in reads] == [f"/api/v1/namespaces/argo/pods/{p}/log" for p in want]
    assert all("container=main" in r.query for r in reads)
    assert main(["logs", "steps-4w5ld", "hello2a", *flags, "-f"]) == 0
    assert capsys.readouterr().out == "hello2a\n"


def test_fnv32a_matches_the_published_vectors() -> None:
    # FNV-1a 32-bit test vectors (Fowler/Noll/Vo): the hash Argo's pod names use
    assert fnv32a("") == 0x811C9DC5 and fnv32a("a") == 0xE40C292C and fnv32a("foobar") == 0xBF9CF968


def test_logs_of_a_deleted_pod_says_so(finished, capsys: pytest.CaptureFixture[str]) -> None:
    cluster, flags = finished
    cluster.state["pod_logs"] = {}
    capsys.readouterr()
    assert main(["logs", "steps-4w5ld", "hello1", *flags]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "has no log: it is gone" in captured.err
    assert main(["logs", "steps-4w5ld", "nosuchstep", *flags]) == 1
    assert "no step 'nosuchstep'" in capsys.readouterr().err


def test_pod_names_follow_the_template_ref_and_the_v1_format() -> None:
    from wfexec.cluster.workflows import pod_name

    wf = {"metadata": {"name": "wf-abc"}}
    node = {"id": "wf-abc-42", "name": "wf-abc[0].call", "templateRef": {"name": "lib", "template": "echo"}}
    assert pod_name(wf, node) == f"wf-abc-echo-{fnv32a('wf-abc[0].call')}"
    wf["metadata"]["annotations"] = {"workflows.argoproj.io/pod-name-format": "v1"}
    assert pod_name(wf, node) == "wf-abc-42"


def test_logs_ask_the_kubelet_for_since_timestamps_and_tail(finished, capsys: pytest.CaptureFixture[str]) -> None:
    """--since/--since-time, --timestamps and --tail are the kubelet's to apply (the fake serves the recorded
    text as is); --grep is applied by the CLI, as argo does."""
    cluster, flags = finished
    capsys.readouterr()
    cluster.requests.clear()
    assert main(["logs", "steps-4w5ld", *flags, "--since", "90s", "--timestamps", "--tail", "3",
                 "--grep", "hello2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 1)[1] for line in out] == ["hello2a", "hello2b"]
    reads = [r.query for r in cluster.requests if r.path.endswith("/log")]
    assert len(reads) == 3 and all("sinceSeconds=90" in q and "timestamps=true" in q and "tailLines=3" in q
                                   for q in reads), reads
    cluster.requests.clear()
    assert main(["logs", "steps-4w5ld", "hello1", *flags, "--since-time", "2000-01-01T00:00:00Z"]) == 0
    (query,) = [r.query for r in cluster.requests if r.path.endswith("/log")]
    assert "sinceSeconds=" in query and int(query.split("sinceSeconds=")[1].split("&")[0]) > 800_000_000
    assert "timestamps" not in query and "tailLines" not in query
    assert main(["logs", "steps-4w5ld", *flags, "--since", "soon"]) == 1
    assert "--since" in capsys.readouterr().err
