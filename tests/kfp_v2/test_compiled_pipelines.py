"""Pipelines as kfp.compiler writes them (kfp 2.17.3; each `.yaml` under data/ beside the `.py` it
came from), for IR shapes the hand-written documents of the other tests do not have: a selector on
a nested pipeline's input, Collected across nested loops, an importer of a local file."""

from __future__ import annotations

from pathlib import Path

from tests.kfp_v2.helpers import DATA, param, submit


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
