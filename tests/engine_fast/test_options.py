"""A run's options go to the store and come back whole: one definition, its defaults in one place."""

from __future__ import annotations

from wfexec.engine.api import SubmitOptions
from wfexec.engine.options import RunOptions


def test_options_round_trip_through_their_stored_form() -> None:
    opts = RunOptions(parameters={"a": "1"}, entrypoint="main", runtime="docker", executor="docker",
                      config="c.yaml", parallelism=3, workflow_templates=[{"kind": "WorkflowTemplate"}],
                      grace=2.5, max_output_bytes=100, executor_source="flag", file="wf.yaml", keep_pod_dirs=True)
    stored = opts.to_dict()
    assert stored["workflowTemplates"] == [{"kind": "WorkflowTemplate"}]  # the stored names are kept
    assert RunOptions.from_dict(stored) == opts


def test_an_older_store_missing_keys_reads_as_the_defaults() -> None:
    assert RunOptions.from_dict({"runtime": "host", "grace": None}) == RunOptions()


def test_keys_of_other_faces_are_kept() -> None:
    stored = {**RunOptions().to_dict(), "serviceAccount": "robot"}
    assert RunOptions.from_dict(stored).to_dict() == stored


def test_submit_options_like_a_stored_run() -> None:
    stored = SubmitOptions(parameters={"a": "1"}, runtime="docker", grace=3.0, file="wf.yaml",
                           name="ignored").run_options().to_dict()
    again = SubmitOptions.like(stored, parameters={"b": "2"})
    assert again.run_options() == RunOptions(parameters={"b": "2"}, runtime="docker", grace=3.0, file="wf.yaml")
    assert again.name is None  # a new run gets a new name
