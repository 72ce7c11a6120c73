"""Argo's e2e workflows (see README.md) end as Argo's Go e2e tests expect, on the host runtime."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.runs import run_file

HERE = Path(__file__).parent
DATA = HERE / "data"


@dataclass(frozen=True)
class Expect:
    """What the Go test asserts: the workflow's phase; nodes (by display name) → phase; a node
    whose message holds a text; a node's first input parameter's value."""

    phase: str
    nodes: dict[str, str] = field(default_factory=dict)
    message_has: tuple[str, str] | None = None
    input_value: tuple[str, str] | None = None
    some_node_error_has: str | None = None


EXPECTED: dict[str, Expect] = {
    # functional_test.go
    "functional/dag-depends.yaml": Expect("Succeeded", {"should-execute-1": "Succeeded", "should-execute-2": "Succeeded",
                                                        "should-not-execute": "Omitted"}),
    "functional/loops-empty-param.yaml": Expect("Succeeded", {"sleep": "Skipped"},
                                                message_has=("sleep", "Skipped, empty params")),
    "functional/dag-empty-param.yaml": Expect("Succeeded", {"sleep": "Skipped"},
                                              message_has=("sleep", "Skipped, empty params")),
    "functional/dag-omitted-output-ref.yaml": Expect("Error", {"stage-a": "Succeeded", "stage-b": "Omitted"}),
    "functional/dag-skipped-output-ref.yaml": Expect("Error", {"stage-a": "Succeeded", "stage-b": "Skipped"}),
    "functional/dag-skipped-producer-default.yaml": Expect("Succeeded", {"producer": "Skipped", "consumer": "Succeeded"},
                                                           input_value=("consumer", "hello-from-producer")),
    "functional/dag-skipped-consumer-default.yaml": Expect("Succeeded", {"producer": "Skipped", "consumer": "Succeeded"},
                                                           input_value=("consumer", "fallback-from-input")),
    "functional/dag-skipped-volume-default.yaml": Expect("Succeeded", {"producer": "Skipped", "consumer": "Succeeded"}),
    "functional/dag-skipped-withparam-default.yaml": Expect(
        "Succeeded", {"producer": "Skipped", "consumer(0:a)": "Succeeded", "consumer(1:b)": "Succeeded"},
        input_value=("consumer(1:b)", "b")),
    "functional/steps-skipped-withparam-ref.yaml": Expect("Failed", {"producer": "Skipped"},
                                                          some_node_error_has="absent optional"),
    "functional/steps-skipped-output-ref.yaml": Expect("Failed", {"job1": "Succeeded", "job2": "Skipped"},
                                                       some_node_error_has="absent optional"),
    "functional/steps-skipped-producer-default.yaml": Expect("Succeeded", {"producer": "Skipped", "consumer": "Succeeded"},
                                                             input_value=("consumer", "hello-from-producer")),
    "functional/steps-skipped-consumer-default.yaml": Expect("Succeeded", {"producer": "Skipped", "consumer": "Succeeded"},
                                                             input_value=("consumer", "fallback-from-input")),
    "functional/steps-when-expr-filter.yaml": Expect("Succeeded", {
        "fst(0:name:first,type:)": "Succeeded", "fst(1:name:second,type:always)": "Succeeded",
        "fst(2:name:third,type:test)": "Succeeded", "fst(3:name:fourth)": "Succeeded"}),
    "functional/dag-when-expr-skip.yaml": Expect("Succeeded", {"B": "Skipped"}),
    "functional/param-aggregation.yaml": Expect("Succeeded", {"print(0:res:1)": "Succeeded"}),
    "functional/param-aggregation-fromoutputs.yaml": Expect("Succeeded", {
        "task3(0:key1:value1)": "Succeeded", "task3(1:key2:value2)": "Succeeded", "task3(2:key3:value3)": "Succeeded"}),
    "functional/parameter-aggregation-dag-with-retry.yaml": Expect("Succeeded"),
    "functional/parameter-aggregation-steps-with-retry.yaml": Expect("Succeeded"),
    "functional/success-event.yaml": Expect("Succeeded"),
    "expectedfailures/failed-step-event.yaml": Expect("Failed", message_has=("failed-step-event", "exit code 1")),
    # the Go tests also assert Argo's workflow message for these two, which wfexec words otherwise
    "expectedfailures/parallelism-dag-fail-fast.yaml": Expect("Failed", {"task1": "Failed", "task2": "Succeeded"}),
    "expectedfailures/parallelism-step-fail-fast.yaml": Expect("Failed", {"[0]": "Failed", "step1": "Failed",
                                                                           "step2": "Succeeded"}),
    "expectedfailures/exit-handler-fail-missing-output.yaml": Expect("Failed"),
    # artifacts_test.go
    "expectedfailures/timeouts-step.yaml": Expect("Failed"),
}


@pytest.fixture(scope="module")
def argosay_config(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The executor config that stands bin/argosay in for Argo's argosay images."""
    bin_dir = str((HERE / "bin").resolve())
    f = tmp_path_factory.mktemp("argosay") / "config.yaml"
    f.write_text(json.dumps({
        "images": {f"argoproj/argosay:{v}": {"entrypoint": ["argosay"]} for v in ("v1", "v2")},
        "hostEnvironments": [{"image": "argoproj/argosay:*", "path": [bin_dir]}]}))
    return str(f)


def test_every_copied_file_has_its_expectation() -> None:
    assert sorted(str(p.relative_to(DATA)) for p in DATA.glob("*/*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_argo_e2e_workflow(name: str, argosay_config: str) -> None:
    want = EXPECTED[name]
    run = run_file(DATA / name, config=argosay_config)
    assert run.phase == want.phase, run.message
    by_display: dict[str, dict] = {}
    for n in run.nodes.values():
        by_display.setdefault(n["displayName"], n)
    for display, phase in want.nodes.items():
        assert by_display[display]["phase"] == phase, (display, by_display[display].get("message"))
    if want.message_has:
        display, text = want.message_has
        node = by_display.get(display) or next(n for n in run.nodes.values() if n["displayName"].startswith(display))
        assert text in node.get("message", ""), node
    if want.input_value:
        display, value = want.input_value
        assert by_display[display]["inputs"]["parameters"][0]["value"] == value
    if want.some_node_error_has:
        errored = [n for n in run.nodes.values() if n["phase"] == "Error"]
        assert errored and want.some_node_error_has in errored[0]["message"]
