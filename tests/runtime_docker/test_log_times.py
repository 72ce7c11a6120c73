"""Per-line log times on the docker runtime: the emissary's index inside the container, Docker's own
timestamps under the docker executor. Both end up beside the kept log, read the same way."""

from __future__ import annotations

import time

import pytest

from tests.runtime_docker.test_engine_on_docker import EXECUTORS, config_file  # noqa: F401 - a fixture
from tests.support.runs import run_workflow
from wfexec.engine import api
from wfexec.engine.log_lines import LogCursor
from wfexec.executors.docker import line_times

SCRIPT = "echo one; sleep 1; echo two >&2; sleep 0.3; echo three"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_each_line_keeps_the_time_it_was_printed(executor: str, config_file: str) -> None:  # noqa: F811
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "times-"},
          "spec": {"entrypoint": "c", "templates": [{"name": "c", "container": {
              "image": "busybox", "command": ["sh", "-c", SCRIPT]}}]}}
    before = time.time_ns()
    run = run_workflow(wf, runtime="docker", executor=executor, config=config_file)
    after = time.time_ns()
    assert run.phase == "Succeeded", run.message
    kept = api.run_dir(run.name) / "logs" / run.pods()[0]["id"] / "main.log"
    assert kept.with_suffix(".times").exists()
    lines, _ = LogCursor().read(kept, flush=True)
    assert [line.text for line in lines] == ["one", "two", "three"]
    times = [line.time_ns for line in lines]
    assert all(t is not None and before <= t <= after for t in times), times
    assert times[1] - times[0] >= 800_000_000 and times[2] - times[1] >= 200_000_000, times  # type: ignore[operator]


def test_docker_timestamps_line_up_with_a_line_stored_in_pieces() -> None:
    """Docker stores a long line as pieces, each stamped: lines are matched by count, not by content."""
    log = b"short\n" + b"x" * 20 + b"\nlast"
    stamped = (b"2026-12-07T01:00:00.5Z short\n2026-12-07T01:00:01.000000001Z xxxxxxxxxx"
               b"2026-12-07T01:00:01.2Z xxxxxxxxxx\n2026-12-07T01:00:02Z last")
    records = line_times(log, stamped)
    pairs = [(int.from_bytes(records[i:i + 8], "little"), int.from_bytes(records[i + 8:i + 16], "little"))
             for i in range(0, len(records), 16)]
    base = 1796605200 * 1_000_000_000  # 2026-12-07T01:00:00Z
    assert pairs == [(0, base + 500_000_000), (6, base + 1_000_000_001), (27, base + 2_000_000_000)]
