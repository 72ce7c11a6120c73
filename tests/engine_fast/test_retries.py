"""retryStrategy on the in-memory backend: limit, retryPolicy, expression and backoff."""

from __future__ import annotations

from tests.engine_fast.conftest import pod, steps, wf

ONE_STEP = steps("main", [{"name": "s", "template": "flaky"}])


def _attempts(r, name: str = "s") -> list[dict]:
    retry = r.node(name)
    assert retry["type"] == "Retry"
    return r.children(name)


def test_limit_counts_retries_after_the_first_attempt(run) -> None:
    r = run(wf([ONE_STEP, pod("flaky", "exit 3", retryStrategy={"limit": 2})]))
    attempts = _attempts(r)
    assert [a["name"].rsplit(".", 1)[-1] for a in attempts] == ["s(0)", "s(1)", "s(2)"]
    assert all(a["phase"] == "Failed" and a["outputs"]["exitCode"] == "3" for a in attempts)
    assert r.node("s")["phase"] == "Failed"
    assert r.node("s")["message"] == "No more retries left"
    assert r.phase == "Failed"


def test_a_later_attempt_that_succeeds_ends_the_retries(run) -> None:
    r = run(wf([ONE_STEP, pod("flaky", "exit 1 if {{retries}} < 2; echo ok", retryStrategy={"limit": 5})]))
    assert [a["phase"] for a in _attempts(r)] == ["Failed", "Failed", "Succeeded"]
    assert r.node("s")["phase"] == "Succeeded"
    assert r.node("s")["outputs"]["result"] == "ok"  # the Retry node carries its last attempt's outputs
    assert r.phase == "Succeeded"


def test_empty_retry_strategy_retries_until_success(run) -> None:
    r = run(wf([ONE_STEP, pod("flaky", "exit 1 if {{retries}} < 4", retryStrategy={})]))
    assert len(_attempts(r)) == 5
    assert r.phase == "Succeeded"


def _error_pod(retry: dict) -> dict:
    """Ends in Error: a required output parameter file is never written."""
    return pod("flaky", "exit 0", retryStrategy=retry,
               outputs={"parameters": [{"name": "p", "valueFrom": {"path": "/tmp/p"}}]})


def test_on_failure_policy_does_not_retry_an_error(run) -> None:
    r = run(wf([ONE_STEP, _error_pod({"limit": 3})]))
    assert [a["phase"] for a in _attempts(r)] == ["Error"]
    assert "failed to get output parameter 'p'" in r.node("s")["message"]


def test_on_error_policy_retries_errors_only(run) -> None:
    r = run(wf([ONE_STEP, _error_pod({"limit": 2, "retryPolicy": "OnError"})]))
    assert [a["phase"] for a in _attempts(r)] == ["Error", "Error", "Error"]
    r = run(wf([ONE_STEP, pod("flaky", "exit 1", retryStrategy={"limit": 2, "retryPolicy": "OnError"})]))
    assert [a["phase"] for a in _attempts(r)] == ["Failed"]


def test_always_policy_retries_failures_and_errors(run) -> None:
    r = run(wf([ONE_STEP, _error_pod({"limit": 1, "retryPolicy": "Always"})]))
    assert [a["phase"] for a in _attempts(r)] == ["Error", "Error"]
    r = run(wf([ONE_STEP, pod("flaky", "exit 1", retryStrategy={"limit": 1, "retryPolicy": "Always"})]))
    assert [a["phase"] for a in _attempts(r)] == ["Failed", "Failed"]


def test_expression_sees_the_last_attempt(run) -> None:
    # exit code 2 is worth retrying, 3 is not: attempts exit 2, 2, then 3
    program = "exit 2 if {{retries}} < 2; exit 3"
    retry = {"limit": 10, "expression": "asInt(lastRetry.exitCode) == 2 && lastRetry.status == 'Failed'"}
    r = run(wf([ONE_STEP, pod("flaky", program, retryStrategy=retry)]))
    assert [a["outputs"]["exitCode"] for a in _attempts(r)] == ["2", "2", "3"]
    assert r.node("s")["phase"] == "Failed"


def _gaps(r) -> list[float]:
    starts = sorted(p.started for p in r.backend.pods)
    return [b - a for a, b in zip(starts, starts[1:], strict=False)]


def test_backoff_waits_duration_times_factor_to_the_attempt(run) -> None:
    retry = {"limit": 2, "backoff": {"duration": "60ms", "factor": 2}}
    r = run(wf([ONE_STEP, pod("flaky", "exit 1", retryStrategy=retry)]))
    gaps = _gaps(r)
    assert len(gaps) == 2
    assert 0.06 <= gaps[0] < 0.12 + 0.5  # 60 ms
    assert 0.12 <= gaps[1]               # 120 ms
    assert gaps[1] > gaps[0]


def test_backoff_cap_bounds_each_wait(run) -> None:
    retry = {"limit": 2, "backoff": {"duration": "50ms", "factor": 100, "cap": "80ms"}}
    r = run(wf([ONE_STEP, pod("flaky", "exit 1", retryStrategy=retry)]))
    gaps = _gaps(r)
    assert gaps[1] >= 0.08
    assert gaps[1] < 1.0  # 5 s without the cap


def test_backoff_max_duration_stops_retrying(run) -> None:
    retry = {"limit": 50, "backoff": {"duration": "40ms", "maxDuration": "100ms"}}
    r = run(wf([ONE_STEP, pod("flaky", "exit 1", retryStrategy=retry)]))
    assert 1 < len(_attempts(r)) < 5
    assert r.node("s")["phase"] == "Failed"
    assert r.node("s")["message"] == "Max duration limit exceeded"


def test_limit_from_a_parameter(run) -> None:
    r = run(wf([ONE_STEP, pod("flaky", "exit 1", retryStrategy={"limit": "{{workflow.parameters.n}}"})],
               arguments={"parameters": [{"name": "n", "value": "1"}]}))
    assert len(_attempts(r)) == 2
