"""The official `argo-workflows` 6.7.18 SDK's WorkflowServiceApi against `wfexec server`.

Two of the SDK's own type checks are wrong upstream (its models are generated from a swagger that
types them loosely): `withItems` entries must be dicts there though Argo takes plain strings, and
`retryStrategy.limit` must be a string though Argo takes an int (IntOrString). Where the test uses those
it turns off the check of that one model (`_check_type=False`), and of the responses that carry them
back (`_check_return_type=False`); every other call keeps all checks.
"""

from __future__ import annotations

import json

import argo_workflows
import pytest
from argo_workflows.api import workflow_service_api
from argo_workflows.exceptions import NotFoundException
from argo_workflows.model.container import Container
from argo_workflows.model.io_argoproj_workflow_v1alpha1_parallel_steps import (
    IoArgoprojWorkflowV1alpha1ParallelSteps as ParallelSteps,
)
from argo_workflows.model.io_argoproj_workflow_v1alpha1_retry_strategy import (
    IoArgoprojWorkflowV1alpha1RetryStrategy as RetryStrategy,
)
from argo_workflows.model.io_argoproj_workflow_v1alpha1_template import (
    IoArgoprojWorkflowV1alpha1Template as Template,
)
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow import (
    IoArgoprojWorkflowV1alpha1Workflow as Workflow,
)
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_create_request import (
    IoArgoprojWorkflowV1alpha1WorkflowCreateRequest as CreateRequest,
)
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_spec import (
    IoArgoprojWorkflowV1alpha1WorkflowSpec as Spec,
)
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_step import (
    IoArgoprojWorkflowV1alpha1WorkflowStep as Step,
)
from argo_workflows.model.object_meta import ObjectMeta

from tests.server.workflows import wait_phase

pytestmark = pytest.mark.usefixtures("swagger_checked")


@pytest.fixture
def sdk(server) -> workflow_service_api.WorkflowServiceApi:
    return workflow_service_api.WorkflowServiceApi(argo_workflows.ApiClient(argo_workflows.Configuration(
        host=server.url)))


def test_create_get_list_logs_delete(sdk, server) -> None:
    wf = Workflow(metadata=ObjectMeta(generate_name="sdk-", labels={"via": "sdk"}), spec=Spec(
        entrypoint="main", templates=[Template(name="main", container=Container(
            image="busybox", command=["sh", "-c", "echo one; echo two"]))]))
    created = sdk.create_workflow("default", CreateRequest(workflow=wf))
    name = created.metadata.name
    assert name.startswith("sdk-") and created.status.phase in ("Pending", "Running")
    wait_phase(server.url, name)
    got = sdk.get_workflow("default", name)
    assert got.status.phase == "Succeeded" and got.status.nodes[name].outputs.result == "one\ntwo"
    listed = sdk.list_workflows("default", list_options_label_selector="via=sdk")
    assert [i.metadata.name for i in listed.items] == [name]
    # A stream, as from Argo: the SDK would parse the body as one object, so read it raw, line by line.
    raw = sdk.workflow_logs("default", name, log_options_container="main", _preload_content=False)
    lines = [json.loads(line)["result"] for line in raw.data.decode().splitlines()]
    assert [e["content"] for e in lines] == ["one", "two"] and {e["podName"] for e in lines} == {name}
    sdk.delete_workflow("default", name)
    with pytest.raises(NotFoundException):
        sdk.get_workflow("default", name)


def test_with_items_of_strings_and_int_retry_limit(sdk, server) -> None:
    loop = Step(name="each", template="echo", with_items=["a", "b"], arguments={"parameters": [
        {"name": "v", "value": "{{item}}"}]}, _check_type=False)  # upstream: withItems must be dicts
    echo = Template(name="echo", inputs={"parameters": [{"name": "v"}]},
                    retry_strategy=RetryStrategy(limit=2, _check_type=False),  # upstream: limit must be a str
                    container=Container(image="busybox", command=["echo", "{{inputs.parameters.v}}"]),
                    _check_type=False)
    wf = Workflow(metadata=ObjectMeta(generate_name="sdk-items-"), spec=Spec(
        entrypoint="main", templates=[Template(name="main", steps=[ParallelSteps([loop])]), echo]))
    created = sdk.create_workflow("default", CreateRequest(workflow=wf), _check_return_type=False)
    done = wait_phase(server.url, created["metadata"]["name"])
    assert done["status"]["phase"] == "Succeeded"
    results = sorted(n["outputs"]["result"] for n in done["status"]["nodes"].values()
                     if n["type"] == "Pod" and n["phase"] == "Succeeded")
    assert results == ["a", "b"]
    back = sdk.get_workflow("default", created["metadata"]["name"], _check_return_type=False)
    assert back["spec"]["templates"][0]["steps"][0][0]["withItems"] == ["a", "b"]
