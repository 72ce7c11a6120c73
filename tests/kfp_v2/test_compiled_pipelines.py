"""Pipelines as kfp.compiler writes them (kfp 2.17.3; each `.yaml` under data/ beside the `.py` it
came from), for IR shapes the hand-written documents of the other tests do not have: a selector on
a nested pipeline's input, Collected across nested loops, an importer of a local file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.kfp_v2.helpers import DATA, logs, param, pods, submit, wfexec


def test_a_selected_loop_item_field_reaches_a_nested_pipeline_typed(tmp_path: Path) -> None:
    # in a ParallelFor over dicts, `train_sub(lr=c.lr)` and `dsl.If(c.nm == "b")`: each DAG (the nested
    # pipeline, the condition group) receives the item's field, not the item
    wf = submit(tmp_path / "home", DATA / "selector_into_subdag.yaml")
    assert wf["status"]["phase"] == "Succeeded"
    assert sorted(param(wf, "train")) == ["lr=0.1", "lr=0.2"]  # as kfp.local gives
    assert param(wf, "train-b") == ["lr=0.2"]


def test_collected_across_nested_loops_is_a_typed_list_of_lists(tmp_path: Path) -> None:
    wf = submit(tmp_path / "home", DATA / "collected_nested_loops.yaml")
    assert wf["status"]["phase"] == "Succeeded"
    assert param(wf, "show") == ["[[10, 20], [20, 40], [30, 60]]"]  # one list per outer iteration, in order


def test_collected_under_a_condition_holds_only_the_iterations_that_ran(tmp_path: Path) -> None:
    # `with dsl.If(x > 2)` in a loop over [1, 2, 3, 4]: the skipped iterations give no value (they gave "",
    # which failed the consumer as an integer)
    wf = submit(tmp_path / "home", DATA / "collected_under_condition.yaml")
    assert wf["status"]["phase"] == "Succeeded"
    assert param(wf, "summ") == ["[9, 16]"]
    shown = wfexec(tmp_path / "home", "get", wf["metadata"]["name"]).stdout.splitlines()
    # what the pipeline returned, and its parameters named as -p takes them
    assert [" ".join(line.split()) for line in shown if line.startswith(("Outputs:", "  Output:", "  xs:"))] == [
        "xs: [1, 2, 3, 4]", "Outputs:", "Output: [9, 16]"]


def test_an_importer_of_a_local_file_leaves_it_alone_and_the_next_task_reads_it(tmp_path: Path) -> None:
    # under /tmp, which a step does not see (its /tmp is private): bound in read-only, as the host's other files are
    user = tmp_path / "user"
    user.mkdir()
    (user / "x.csv").write_text("h,1\n")
    wf = submit(tmp_path / "home", DATA / "importer_local_file.yaml", f"path={user / 'x.csv'}")
    assert wf["status"]["phase"] == "Succeeded"
    assert param(wf, "read") == ["h,1 meta=local"]
    assert [p.name for p in user.iterdir()] == ["x.csv"]  # nothing written beside the user's file
    sides = list((tmp_path / "home" / "kfp" / "runs").glob("*/*/artifact.kfp-metadata.json"))
    assert [json.loads(p.read_text())["metadata"] for p in sides] == [{"src": "local"}]


def test_an_importer_of_a_missing_local_file_fails_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    wf = submit(tmp_path / "home", DATA / "importer_local_file.yaml", f"path={missing}")
    assert wf["status"]["phase"] == "Failed"
    text = logs(tmp_path / "home", wf["metadata"]["name"])
    assert f"kfp launcher: task 'importer' imports {missing}: no such file or folder" in text
    assert "Traceback" not in text and not pods(wf, "read")
