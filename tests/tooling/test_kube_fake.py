"""The fake API server itself (it stands in for a Kubernetes cluster): the official client can use
every route, including those kept for cluster submit (workflows with replayed status, pod logs)."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.support.kube_fake import CLUSTERS, load_fixture
from wfexec.cluster.kube import api_client


@pytest.mark.parametrize("name", CLUSTERS)
def test_fixtures_have_real_shapes(name: str) -> None:
    state = load_fixture(name)
    assert state["nodes"]["kind"] == "NodeList"
    for node in state["nodes"]["items"]:
        assert "://" in node["status"]["nodeInfo"]["containerRuntimeVersion"]
    for key, cm in state["configmaps"].items():
        assert cm["kind"] == "ConfigMap" and f"{cm['metadata']['namespace']}/{cm['metadata']['name']}" == key
        assert all(isinstance(v, str) for v in cm["data"].values())


def test_client_reads_the_fake(kube) -> None:
    cluster, kc = kube("containerd-nodes")
    api = api_client(None, str(kc))
    assert client.VersionApi(api).get_code().git_version == "v1.24.8"
    nodes = client.CoreV1Api(api).list_node().items
    assert [n.status.node_info.container_runtime_version for n in nodes] == ["containerd://1.6.9"] * 3
    assert client.CoreV1Api(api).read_namespace("kubeflow").metadata.name == "kubeflow"
    dep = client.AppsV1Api(api).read_namespaced_deployment("workflow-controller", "kubeflow")
    assert dep.spec.template.spec.containers[0].image.endswith(":v3.3.8-license-compliance")
    with pytest.raises(ApiException) as info:
        client.CoreV1Api(api).read_namespace("nope")
    assert info.value.status == 404


def test_workflows_replay_status_and_pod_logs(kube) -> None:
    cluster, kc = kube("docker-nodes")
    cluster.state["workflow_status_replay"] = [{"phase": "Running"}, {"phase": "Succeeded"}]
    cluster.state["pod_logs"] = {"argo/hello-1": "hello\n"}
    api = api_client(None, str(kc))
    objs = client.CustomObjectsApi(api)
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "hello-"},
          "spec": {"entrypoint": "main"}}
    created = objs.create_namespaced_custom_object("argoproj.io", "v1alpha1", "argo", "workflows", wf)
    name = created["metadata"]["name"]
    phases = [objs.get_namespaced_custom_object("argoproj.io", "v1alpha1", "argo", "workflows", name)["status"]
              ["phase"] for _ in range(3)]
    assert phases == ["Running", "Succeeded", "Succeeded"]
    listed = objs.list_namespaced_custom_object("argoproj.io", "v1alpha1", "argo", "workflows")
    assert [w["metadata"]["name"] for w in listed["items"]] == [name]
    assert client.CoreV1Api(api).read_namespaced_pod_log("hello-1", "argo") == "hello\n"


def test_unauthenticated_requests_are_refused(kube) -> None:
    import requests

    cluster, _ = kube("docker-nodes")
    assert requests.get(f"{cluster.url}/api/v1/nodes", timeout=5).status_code == 401
