"""What each KFP e2e pipeline of the corpus (corpus/kfp-v2-pipelines/{essential,critical}) must end as, whatever
runs it: the host runtime (test_corpus.py) or the docker runtime under either executor (test_docker_corpus.py).

Every one ends Succeeded, as KFP's e2e expects, except those that need what one machine without network
cannot have: they fail with one line naming the task and what is missing. For most, the outputs are checked too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.kfp_v2.helpers import KFP_CORPUS, artifacts, logs, outputs, param, pods, wfexec

Check = Callable[[dict[str, Any], Path], None]

PARAMS: dict[str, list[str]] = {
    "add_numbers": ["a=2", "b=5"],
    "concat_message": ["message1=foo", "message2=bar"],
    "dict_input": ['struct={"a": 1, "b": [2]}'],
    "lightweight_python_functions_pipeline": ["message=hello"],
    "lightweight_python_functions_with_outputs": ["first_message=one", "second_message=two", "first_number=1",
                                                  "second_number=2"],
}

# needs the network: (task, what the last line of its log says is missing)
NEEDS_NETWORK = {
    "modelcar": ("importer", "imports oci://registry.domain.local/modelcar:test: a download this machine cannot make"),
    "pipeline_with_artifact_upload_download": ("download-dataset-and-upload-as-artifact",
                                               "needs a network download this machine cannot make"),
}


def _read(uri: str) -> str:
    return Path(uri).read_text()


def _check_collected(wf: dict[str, Any], home: Path) -> None:
    assert param(wf, "split-ids") == ['["s1", "s2", "s3"]']
    assert sorted(param(wf, "prepend-id")) == ["model_id_s1", "model_id_s2", "model_id_s3"]
    assert set(param(wf, "consume-ids")) == {"completed"}


def _check_parameters_simple(wf: dict[str, Any], home: Path) -> None:
    assert sorted(param(wf, "double"), key=int) == ["2", "4", "6"]
    assert param(wf, "add") == ["12"] and param(wf, "add-container", "sum") == ["12"]


def _check_oneof(wf: dict[str, Any], home: Path) -> None:
    coin = param(wf, "flip-coin")[0]
    branches = [n for n in wf["status"]["nodes"].values() if n["displayName"] == "condition-branches-1"]
    assert outputs(branches[0])["p-pipelinechannel--condition-branches-1-oneof-1"] == f"Got {coin}!"
    assert outputs([n for n in wf["status"]["nodes"].values() if n["displayName"] == "mantle"][0])["p-Output"] \
        == f"Got {coin}!"


def _check_condition(wf: dict[str, Any], home: Path) -> None:
    coin = param(wf, "flip-coin-op")[0]
    ran = [n["phase"] for n in pods(wf, "print-op-2")]
    assert ran == (["Succeeded"] if coin == "heads" else []), (coin, ran)


def _check_custom_path(wf: dict[str, Any], home: Path) -> None:
    art = artifacts(wf, "component-output-artifact", "out_dataset")[0]
    assert _read(art["uri"]) == "Hello, World!" and art["uri"].startswith(str(home))
    assert param(wf, "validate-input-artifact") == ["true"]


def _check_metrics(wf: dict[str, Any], home: Path) -> None:
    metrics = artifacts(wf, "output-metrics", "metrics") + artifacts(wf, "output-metrics-2", "metrics")
    assert len(metrics) == 3
    assert all(m["type"]["schemaTitle"] == "system.Metrics" and "accuracy" in m["metadata"] for m in metrics)
    side = json.loads(Path(metrics[0]["uri"] + ".kfp-metadata.json").read_text())
    assert side["metadata"] == metrics[0]["metadata"]
    shown = wfexec(home, "get", wf["metadata"]["name"]).stdout  # `wfexec get` prints the scalar metrics
    first = artifacts(wf, "output-metrics", "metrics")[0]["metadata"]["accuracy"]
    assert re.search(rf"output-metrics/metrics\.accuracy:\s+{first}\b", shown), shown


def _check_functions_with_outputs(wf: dict[str, Any], home: Path) -> None:
    assert param(wf, "add-numbers") == ["3"] and param(wf, "concat-message") == ["onetwo"]
    assert param(wf, "output-named-tuple", "scalar") == ["123"]
    assert _read(artifacts(wf, "output-artifact", "Output")[0]["uri"]).splitlines() == ["onetwo"] * 3


def _check_lightweight(wf: dict[str, Any], home: Path) -> None:
    pre = outputs(pods(wf, "preprocess")[0])
    assert pre["p-output_parameter_path"] == "hello" and pre["p-output_bool_parameter_path"] == "true"
    assert json.loads(pre["p-output_dict_parameter_path"]) == {"A": 1.0, "B": 2.0}
    assert json.loads(pre["p-output_list_parameter_path"]) == ["a", "b", "c"]
    assert _read(artifacts(wf, "preprocess", "output_dataset_one")[0]["uri"]) == "hello"


def _check_workspace(wf: dict[str, Any], home: Path) -> None:
    assert param(wf, "read-from-workspace") == ["Hello from workspace!"]
    assert param(wf, "write-to-workspace")[0].startswith(str(home / "kfp" / "runs"))


def _check_if_present(wf: dict[str, Any], home: Path) -> None:
    # `echo` with IfPresent arguments: optional_input_1 absent and no Else, optional_input_2 absent with one
    log = logs(home, wf["metadata"]["name"])
    assert "--arg0 input0 --arg2 default value" in log and "--arg1" not in log, log


def _values(task: str, want: list[str], name: str = "Output") -> Check:
    def check(wf: dict[str, Any], home: Path) -> None:
        assert sorted(param(wf, task, name)) == sorted(want)
    return check


def _all(*checks: Check) -> Check:
    def check(wf: dict[str, Any], home: Path) -> None:
        for c in checks:
            c(wf, home)
    return check


CHECKS: dict[str, Check] = {
    "add_numbers": _values("add-numbers", ["7"]),
    "concat_message": _values("concat-message", ["foobar"]),
    "collected_parameters": _check_collected,
    "component_with_env_variable": _values("read-env-var", ["env_var_value"]),
    "multiple_parameters_namedtuple": _all(_values("core-comp", ["foo"], "val1"), _values("core-comp", ["bar"], "val2")),
    "parallel_for_after_dependency": _all(_values("print-op", ["foo"] * 3), _values("print-op-2", ["bar"]),
                                          _values("print-op-3", ["baz"])),
    "parameters_simple": _check_parameters_simple,
    "parameter_oneof": _check_oneof,
    "pipeline_with_condition": _check_condition,
    "pipeline_with_params_containing_format": _all(
        _values("print-op", ["Hello KFP"]), _values("print-op2", ["1 and KFP.", "2 and KFP."]),
        _values("print-op-2", ["Hello KFP, again."])),
    "pipeline_with_pod_metadata": _all(*(_values(f"validate-pod-metadata-task-{x}", ["true"]) for x in "abcd")),
    "pipeline_with_reused_component": _all(_values("add-numbers", ["5"]), _values("add-numbers-2", ["10"]),
                                           _values("add-numbers-3", ["17"])),
    "pipeline_with_workspace": _check_workspace,
    # a string output keeps the newline `echo` wrote, as under KFP's launcher (the value is the file's text)
    "producer_consumer_param_pipeline": _values("producer", ["Hello world, this is an output parameter\n"],
                                                "output_value"),
    "pipeline_with_importer_workspace": _values("train", ["My model trained using data: Hello from producer file\n"],
                                                "message"),
    "pipeline_with_artifact_custom_path": _check_custom_path,
    "pipeline_with_metrics_outputs": _check_metrics,
    "lightweight_python_functions_with_outputs": _check_functions_with_outputs,
    "lightweight_python_functions_pipeline": _check_lightweight,
    "placeholder_with_if_placeholder_none_input_value": _check_if_present,
    "pipeline_with_outputs": _values("print-op1", ["Hello", "world"]),
}

FILES = sorted(KFP_CORPUS.glob("*/*.yaml"))
SECRETS = {"test-secret-1": {"username": "user1"}, "test-secret-2": {"password": "psw1"},
           "test-secret-3": {"password": "psw2"}}


def seed_secrets(home: Path) -> None:
    """The secrets pipeline_with_secret_as_env reads, where the launcher looks for them."""
    for secret, keys in SECRETS.items():
        (home / "secrets" / secret).mkdir(parents=True)
        for key, value in keys.items():
            (home / "secrets" / secret / key).write_text(value)


def check_end_state(file: Path, wf: dict[str, Any], home: Path) -> None:
    """The run of `file` ended as KFP's e2e expects, and its outputs are right where checked."""
    phase = wf["status"]["phase"]
    if file.stem in NEEDS_NETWORK:
        task, missing = NEEDS_NETWORK[file.stem]
        assert phase == "Failed"
        assert [n["phase"] for n in pods(wf, task)] == ["Failed"]
        last = logs(home, wf["metadata"]["name"]).strip().splitlines()[-1]
        assert f"task {task!r}" in last and missing in last, last
        return
    failed = {n["displayName"]: n.get("message") for n in wf["status"]["nodes"].values()
              if n["phase"] not in ("Succeeded", "Skipped", "Omitted")}
    assert phase == "Succeeded", failed
    if file.stem in CHECKS:
        CHECKS[file.stem](wf, home)
