"""Duration fields read as Argo reads them, on the in-memory backend: `timeout` with Go's syntax
only, backoff and suspend durations also as bare integer seconds; bad text is a clear error."""

from __future__ import annotations

from tests.engine_fast.conftest import pod, steps, wf


def test_a_timeout_without_unit_is_refused_naming_the_field(run) -> None:
    r = run(wf([steps("main", [{"name": "a", "template": "quick"}]), pod("quick", "exit 0", timeout="30")]))
    assert r.phase in ("Error", "Failed")
    text = " ".join(str(n.get("message") or "") for n in r.nodes.values()) + str(r.message or "")
    assert 'templates[quick].timeout: missing unit in duration "30"' in text


def test_a_go_timeout_is_accepted(run) -> None:
    r = run(wf([steps("main", [{"name": "a", "template": "quick"}]), pod("quick", "exit 0", timeout="1m30s")]))
    assert r.phase == "Succeeded"


def test_bare_integer_backoff_is_seconds_and_bad_backoff_is_an_error(run) -> None:
    ok = run(wf([steps("main", [{"name": "a", "template": "flaky"}]),
                 pod("flaky", "exit 1", retryStrategy={"limit": "1", "backoff": {"duration": "0"}})]))
    assert ok.phase == "Failed" and len(ok.backend.pods) == 2
    bad = run(wf([steps("main", [{"name": "a", "template": "flaky"}]),
                  pod("flaky", "exit 1", retryStrategy={"limit": "1", "backoff": {"duration": "1d"}})]))
    text = " ".join(str(n.get("message") or "") for n in bad.nodes.values()) + str(bad.message or "")
    assert 'retryStrategy.backoff.duration: unknown unit "d" in duration "1d"' in text


def test_an_unreadable_backoff_ends_the_retry_node_in_error_not_pending(run) -> None:
    """Argo's controller marks the Retry node Error with what it could not read; an ended run has no open node."""
    for backoff, message in (({"duration": "abc"}, 'retryStrategy.backoff.duration: invalid duration "abc"'),
                             ({"duration": "1", "factor": "x"},
                              "retryStrategy.backoff.factor: value 'x' cannot be resolved to an int"),
                             ({"duration": "1", "maxDuration": "1x"},
                              'retryStrategy.backoff.maxDuration: unknown unit "x" in duration "1x"')):
        r = run(wf([steps("main", [{"name": "a", "template": "flaky"}]),
                    pod("flaky", "exit 1", retryStrategy={"limit": 2, "backoff": backoff})]))
        assert r.phase in ("Error", "Failed")
        retry = r.node("a")
        assert retry["type"] == "Retry" and retry["phase"] == "Error" and message in retry["message"]
        assert not [n["displayName"] for n in r.nodes.values() if n["phase"] in ("Pending", "Running")]
